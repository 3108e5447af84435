package control

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/host/control/controlpb"
	"github.com/openoma/openoma/host/schedule"
)

// ScheduleVerb is what a schedule request does.
type ScheduleVerb string

// The schedule verbs.
const (
	ScheduleList   ScheduleVerb = "list"
	ScheduleShow   ScheduleVerb = "show"
	ScheduleCreate ScheduleVerb = "create"
	SchedulePause  ScheduleVerb = "pause"
	ScheduleResume ScheduleVerb = "resume"
	ScheduleDelete ScheduleVerb = "delete"
)

var verbToPB = map[ScheduleVerb]controlpb.ScheduleVerb{
	ScheduleList: controlpb.ScheduleVerb_SCHEDULE_VERB_LIST, ScheduleShow: controlpb.ScheduleVerb_SCHEDULE_VERB_SHOW,
	ScheduleCreate: controlpb.ScheduleVerb_SCHEDULE_VERB_CREATE, SchedulePause: controlpb.ScheduleVerb_SCHEDULE_VERB_PAUSE,
	ScheduleResume: controlpb.ScheduleVerb_SCHEDULE_VERB_RESUME, ScheduleDelete: controlpb.ScheduleVerb_SCHEDULE_VERB_DELETE,
}

// ScheduleRequest is one schedule verb: the spec for create, its Name
// alone for show, pause, resume and delete.
type ScheduleRequest struct {
	Verb ScheduleVerb
	Spec schedule.Spec
}

func specToPB(s schedule.Spec) (*controlpb.ScheduleSpec, error) {
	raw, err := json.Marshal(s.Inputs)
	if err != nil {
		return nil, fmt.Errorf("schedule inputs: %w", err)
	}
	return &controlpb.ScheduleSpec{Name: s.Name, Flow: s.Flow, EveryNs: int64(s.Every), Cron: s.Cron,
		InputsJson: raw, CatchUp: string(s.CatchUp)}, nil
}

func specFromPB(p *controlpb.ScheduleSpec) (schedule.Spec, error) {
	s := schedule.Spec{Name: p.GetName(), Flow: p.GetFlow(), Every: time.Duration(p.GetEveryNs()), Cron: p.GetCron(),
		CatchUp: schedule.CatchUp(p.GetCatchUp())}
	if len(p.GetInputsJson()) > 0 && string(p.GetInputsJson()) != "null" {
		if err := json.Unmarshal(p.GetInputsJson(), &s.Inputs); err != nil {
			return s, fmt.Errorf("schedule inputs: not a JSON object: %w", err)
		}
	}
	return s, nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func unnanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func scheduleToPB(sc schedule.Schedule) (*controlpb.ScheduleInfo, error) {
	spec, err := specToPB(sc.Spec)
	if err != nil {
		return nil, err
	}
	info := &controlpb.ScheduleInfo{Id: sc.ID.String(), Spec: spec, Paused: sc.State.Paused,
		CreatedUnixNano: nanos(sc.State.Created), NextUnixNano: nanos(sc.Next)}
	for _, f := range sc.Fired {
		info.Fired = append(info.Fired, &controlpb.FiredTick{TickUnixNano: nanos(f.Tick), ExecutionId: f.ExecutionID.String(), Error: f.Error})
	}
	return info, nil
}

func scheduleFromPB(p *controlpb.ScheduleInfo) (schedule.Schedule, error) {
	spec, err := specFromPB(p.GetSpec())
	if err != nil {
		return schedule.Schedule{}, err
	}
	id, _ := uuid.Parse(p.GetId())
	sc := schedule.Schedule{ID: id, Spec: spec, Next: unnanos(p.GetNextUnixNano()),
		State: schedule.State{Created: unnanos(p.GetCreatedUnixNano()), Paused: p.GetPaused()}}
	for _, f := range p.GetFired() {
		run, _ := uuid.Parse(f.GetExecutionId())
		sc.Fired = append(sc.Fired, schedule.Fired{Tick: unnanos(f.GetTickUnixNano()), ExecutionID: run, Error: f.GetError()})
		if t := unnanos(f.GetTickUnixNano()); t.After(sc.State.LastTick) {
			sc.State.LastTick = t
		}
	}
	return sc, nil
}

// Schedule serves the schedule verbs.
func (s *Server) Schedule(ctx context.Context, req *controlpb.ScheduleRequest) (*controlpb.ScheduleResponse, error) {
	var verb ScheduleVerb
	for v, pb := range verbToPB {
		if pb == req.GetVerb() {
			verb = v
		}
	}
	if verb == "" {
		return nil, status.Errorf(codes.InvalidArgument, "schedule: unknown verb %v", req.GetVerb())
	}
	spec, err := specFromPB(req.GetSpec())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	caller, _ := CallerFrom(ctx)
	list, err := s.backend.Schedule(ctx, ScheduleRequest{Verb: verb, Spec: spec}, caller)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &controlpb.ScheduleResponse{}
	for _, sc := range list {
		info, err := scheduleToPB(sc)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		out.Schedules = append(out.Schedules, info)
	}
	return out, nil
}

// Schedule performs one schedule verb.
func (c *Client) Schedule(ctx context.Context, req ScheduleRequest) ([]schedule.Schedule, error) {
	spec, err := specToPB(req.Spec)
	if err != nil {
		return nil, err
	}
	m, err := c.api.Schedule(ctx, &controlpb.ScheduleRequest{Verb: verbToPB[req.Verb], Spec: spec})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]schedule.Schedule, 0, len(m.GetSchedules()))
	for _, p := range m.GetSchedules() {
		sc, err := scheduleFromPB(p)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}
