package control

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/host/control/controlpb"
	"github.com/openoma/openoma/host/plugins"
	"github.com/openoma/openoma/host/tasks"
)

// TaskVerb is what a task request does.
type TaskVerb string

// The task verbs.
const (
	TaskList     TaskVerb = "list"
	TaskShow     TaskVerb = "show"
	TaskClaim    TaskVerb = "claim"
	TaskComplete TaskVerb = "complete"
	TaskFail     TaskVerb = "fail"
	TaskDecide   TaskVerb = "decide"
)

var taskVerbToPB = map[TaskVerb]controlpb.TaskVerb{
	TaskList: controlpb.TaskVerb_TASK_VERB_LIST, TaskShow: controlpb.TaskVerb_TASK_VERB_SHOW,
	TaskClaim: controlpb.TaskVerb_TASK_VERB_CLAIM, TaskComplete: controlpb.TaskVerb_TASK_VERB_COMPLETE,
	TaskFail: controlpb.TaskVerb_TASK_VERB_FAIL, TaskDecide: controlpb.TaskVerb_TASK_VERB_DECIDE,
}

// TaskRequest is one task verb with the fields it uses (see
// tasks.Request): the id for all but list, list's filters, complete's
// outputs, fail's and decide's reason, decide's answer.
type TaskRequest struct {
	Verb TaskVerb
	tasks.Request
}

// TaskAnswer is what a task verb answers: the tasks of list, or the task
// shown or acted on.
type TaskAnswer struct {
	Tasks []tasks.Task
	Task  *tasks.Task
}

func taskRequestToPB(r TaskRequest) (*controlpb.TaskRequest, error) {
	m := &controlpb.TaskRequest{Verb: taskVerbToPB[r.Verb], Id: r.ID, As: r.As, All: r.All, Assignee: r.Assignee,
		Group: r.Group, Text: r.Text, Reason: r.Reason, Answer: r.Answer}
	if r.Outputs != nil {
		b, err := json.Marshal(r.Outputs)
		if err != nil {
			return nil, fmt.Errorf("task outputs: %w", err)
		}
		m.OutputsJson = b
	}
	return m, nil
}

func taskRequestFromPB(m *controlpb.TaskRequest) (TaskRequest, error) {
	r := TaskRequest{Request: tasks.Request{ID: m.GetId(), As: m.GetAs(), All: m.GetAll(), Assignee: m.GetAssignee(),
		Group: m.GetGroup(), Text: m.GetText(), Reason: m.GetReason(), Answer: m.Answer}}
	for v, pb := range taskVerbToPB {
		if pb == m.GetVerb() {
			r.Verb = v
		}
	}
	if r.Verb == "" {
		return r, fmt.Errorf("task: unknown verb %v (want list, show, claim, complete, fail or decide): %w", m.GetVerb(), ErrInvalid)
	}
	if len(m.GetOutputsJson()) > 0 {
		if err := json.Unmarshal(m.GetOutputsJson(), &r.Outputs); err != nil {
			return r, fmt.Errorf("task outputs: not a JSON object: %v: %w", err, ErrInvalid)
		}
	}
	return r, nil
}

func (s *Server) Task(ctx context.Context, req *controlpb.TaskRequest) (*controlpb.TaskResponse, error) {
	r, err := taskRequestFromPB(req)
	if err != nil {
		return nil, toStatus(err)
	}
	caller, _ := CallerFrom(ctx)
	a, err := s.backend.Task(ctx, r, caller)
	if err != nil {
		return nil, toStatus(err)
	}
	list := a.Tasks
	if a.Task != nil {
		list = []tasks.Task{*a.Task}
	}
	out := &controlpb.TaskResponse{TasksJson: make([][]byte, 0, len(list))}
	for _, t := range list {
		b, err := json.Marshal(t)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "encode task %s: %v", t.ID, err)
		}
		out.TasksJson = append(out.TasksJson, b)
	}
	return out, nil
}

// Task sends one task verb and returns its answer.
func (c *Client) Task(ctx context.Context, req TaskRequest) (TaskAnswer, error) {
	m, err := taskRequestToPB(req)
	if err != nil {
		return TaskAnswer{}, err
	}
	resp, err := c.api.Task(ctx, m)
	if err != nil {
		return TaskAnswer{}, fromStatus(err)
	}
	list := make([]tasks.Task, len(resp.GetTasksJson()))
	for i, b := range resp.GetTasksJson() {
		if err := json.Unmarshal(b, &list[i]); err != nil {
			return TaskAnswer{}, fmt.Errorf("decode task answer: %w", err)
		}
	}
	if req.Verb == TaskList {
		return TaskAnswer{Tasks: list}, nil
	}
	if len(list) != 1 {
		return TaskAnswer{}, fmt.Errorf("task %s: the host answered %d tasks, want one", req.Verb, len(list))
	}
	return TaskAnswer{Task: &list[0]}, nil
}

func pluginToPB(p plugins.Status) *controlpb.PluginStatus {
	return &controlpb.PluginStatus{Name: p.Name, Path: p.Path, Hints: p.Hints, MaxConcurrency: int32(p.MaxConcurrency),
		Running: p.Running, Pid: pidString(p.PID), Instance: p.Instance, Version: p.Version, ServedHints: p.ServedHints,
		StartedUnixNano: nanos(p.StartedAt), Restarts: int32(p.Restarts), LastExit: p.LastExit, LastError: p.LastError}
}

func pluginFromPB(m *controlpb.PluginStatus) plugins.Status {
	p := plugins.Status{Name: m.GetName(), Path: m.GetPath(), Hints: m.GetHints(), MaxConcurrency: int(m.GetMaxConcurrency()),
		Running: m.GetRunning(), PID: pidNumber(m.GetPid()), Instance: m.GetInstance(), Version: m.GetVersion(), ServedHints: m.GetServedHints(),
		Restarts: int(m.GetRestarts()), LastExit: m.GetLastExit(), LastError: m.GetLastError()}
	if n := m.GetStartedUnixNano(); n != 0 {
		p.StartedAt = time.Unix(0, n)
	}
	return p
}

// The wire keeps the pid a string (an empty one for a plugin not running).
func pidString(pid int) string {
	if pid == 0 {
		return ""
	}
	return strconv.Itoa(pid)
}

func pidNumber(s string) int {
	pid, _ := strconv.Atoi(s)
	return pid
}

func (s *Server) Plugins(ctx context.Context, _ *controlpb.PluginsRequest) (*controlpb.PluginsResponse, error) {
	list, err := s.backend.Plugins(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &controlpb.PluginsResponse{Plugins: make([]*controlpb.PluginStatus, 0, len(list))}
	for _, p := range list {
		out.Plugins = append(out.Plugins, pluginToPB(p))
	}
	return out, nil
}

// Plugins returns the host's plugins and their health.
func (c *Client) Plugins(ctx context.Context) ([]plugins.Status, error) {
	m, err := c.api.Plugins(ctx, &controlpb.PluginsRequest{})
	if err != nil {
		return nil, fromStatus(err)
	}
	list := make([]plugins.Status, 0, len(m.GetPlugins()))
	for _, p := range m.GetPlugins() {
		list = append(list, pluginFromPB(p))
	}
	return list, nil
}
