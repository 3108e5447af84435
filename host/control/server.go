package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control/controlpb"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/plugins"
	"github.com/openoma/openoma/host/schedule"
	"github.com/openoma/openoma/host/tasks"
)

// Backend is what the control API serves; the host implements it.
type Backend interface {
	// Start records a new run of a flow or contract and returns its id.
	Start(ctx context.Context, ref string, inputs map[string]any) (uuid.UUID, error)
	// Report returns an execution's report and whether the execution has
	// ended. It crosses the wire as JSON, the object `status --json` prints.
	Report(ctx context.Context, id uuid.UUID) (report *engine.Report, done bool, err error)
	// Recent lists recent top-level executions, newest first.
	Recent(ctx context.Context, f RecentFilter) ([]ExecutionSummary, error)
	// ResolveID turns what a person typed — a full execution id or a
	// unique prefix of one — into the id.
	ResolveID(ctx context.Context, s string) (uuid.UUID, error)
	// Events streams the events of an execution and its descendants with
	// position > after, calling send for each; with follow it keeps going
	// until the execution ends or ctx is done.
	Events(ctx context.Context, id uuid.UUID, after uint64, follow bool, send func(execution.Event) error) error
	Cancel(ctx context.Context, id uuid.UUID, reason string, by Caller) error
	// Signal records a signal for the block of a running flow execution
	// that waits for name, and returns the signal event's id.
	Signal(ctx context.Context, id uuid.UUID, name string, outputs map[string]any, by Caller) (uuid.UUID, error)
	// Schedule performs one schedule verb and returns the schedules it
	// concerns (none for delete).
	Schedule(ctx context.Context, req ScheduleRequest, by Caller) ([]schedule.Schedule, error)
	// Plugins reports the configured plugins and their health.
	Plugins(ctx context.Context) ([]plugins.Status, error)
	// Task performs one of the manual plugin's task verbs as by.
	Task(ctx context.Context, req TaskRequest, by Caller) (TaskAnswer, error)
	// Backup writes a consistent snapshot of the event store to w.
	Backup(ctx context.Context, w io.Writer) error
}

// RecentFilter selects the executions `status` lists. Zero fields match
// everything.
type RecentFilter struct {
	State execution.State // only executions in this state
	Name  string          // only runs of this flow or contract (name or name@version)
	Since time.Time       // only executions created at or after this
	Limit int             // at most this many; 0: the backend's default
}

// ExecutionSummary is one line of `status` without an execution id.
type ExecutionSummary struct {
	ExecutionID uuid.UUID       `json:"execution_id"`
	Kind        execution.Kind  `json:"kind"`
	Name        string          `json:"name"`
	Version     int             `json:"version"`
	State       execution.State `json:"state"`
	CreatedAt   time.Time       `json:"created_at"`
	EndedAt     *time.Time      `json:"ended_at,omitempty"`
}

// ErrNotFound is returned by a Backend for an unknown execution or task.
var ErrNotFound = errors.New("not found")

// ErrInvalid is returned by a Backend for a request it refuses as malformed.
var ErrInvalid = errors.New("invalid request")

// ErrDenied is returned by a Backend when the caller may not act, and for
// a peer the socket's access does not admit. It is identity.ErrDenied.
var ErrDenied = identity.ErrDenied

// ErrUnavailable is returned by a Backend that cannot do what is asked in
// its current mode (a host opened only to read asked to run work).
var ErrUnavailable = errors.New("unavailable")

// Waiter is an optional Backend capability: Wait returns when execution id
// has ended (its terminal event is stored), or ctx is done. Run with wait
// uses it to answer as soon as the end is recorded.
type Waiter interface {
	Wait(ctx context.Context, id uuid.UUID) error
}

// ReportEncoder is an optional Backend capability: the report of Report,
// already encoded as JSON (so a backend can keep the reports that no longer
// change, and skip building and encoding them again).
type ReportEncoder interface {
	ReportJSON(ctx context.Context, id uuid.UUID) (json.RawMessage, bool, error)
}

// Server serves a Backend on a unix socket.
type Server struct {
	controlpb.UnimplementedControlServer
	backend Backend
	log     hclog.Logger
	access  Access
	people  *identity.Directory
	// PollInterval is how often Run re-reads a waited-for execution.
	PollInterval time.Duration
}

// ServerOptions configure a Server.
type ServerOptions struct {
	Logger hclog.Logger
	// Access is who may connect; the zero value is PrivateAccess.
	Access Access
	// People resolves each peer's OS user to a person; nil names every
	// caller after its login, in no group.
	People *identity.Directory
}

// NewServer returns a server for b.
func NewServer(b Backend, opts ServerOptions) *Server {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Access.Mode == 0 {
		opts.Access = PrivateAccess()
	}
	if opts.People == nil {
		opts.People = identity.NewDirectory(config.Tasks{})
	}
	return &Server{backend: b, log: opts.Logger.Named("control"), access: opts.Access, people: opts.People,
		PollInterval: 100 * time.Millisecond}
}

// Serve answers requests on l until ctx is done.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	g := grpc.NewServer(grpc.Creds(serverCreds{access: s.access, people: s.people}),
		grpc.UnaryInterceptor(s.refuseUnary), grpc.StreamInterceptor(s.refuseStream))
	controlpb.RegisterControlServer(g, s)
	go func() {
		<-ctx.Done()
		stopped := make(chan struct{})
		go func() { g.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			g.Stop() // followers of long streams do not delay shutdown
		}
	}()
	if err := g.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("control API: %w", err)
	}
	return nil
}

// refusal is why the connection of ctx may not be served, or nil.
func (s *Server) refusal(ctx context.Context) error {
	ci, ok := infoFrom(ctx)
	if !ok {
		return status.Error(codes.PermissionDenied, "control API: the caller's OS identity is unknown")
	}
	if ci.refusal != nil {
		s.log.Warn("refused a control-socket peer", "uid", ci.caller.UID, "user", ci.caller.User, "pid", ci.caller.PID)
		return toStatus(ci.refusal)
	}
	return nil
}

func (s *Server) refuseUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if err := s.refusal(ctx); err != nil {
		return nil, err
	}
	return next(ctx, req)
}

func (s *Server) refuseStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	if err := s.refusal(ss.Context()); err != nil {
		return err
	}
	return next(srv, ss)
}

// toStatus maps the errors of the backend and the domain packages behind
// it onto gRPC codes the client maps back to this package's errors.
func toStatus(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, tasks.ErrNotFound), errors.Is(err, identity.ErrUnknown):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ErrInvalid), errors.Is(err, tasks.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrDenied), errors.Is(err, identity.ErrDenied):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, ErrUnavailable):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

// resolveID accepts a full execution id or a unique prefix of one.
func (s *Server) resolveID(ctx context.Context, text string) (uuid.UUID, error) {
	id, err := s.backend.ResolveID(ctx, text)
	if err != nil {
		return uuid.Nil, toStatus(err)
	}
	return id, nil
}

func (s *Server) Run(req *controlpb.RunRequest, stream grpc.ServerStreamingServer[controlpb.ReportMessage]) error {
	ctx := stream.Context()
	inputs := map[string]any{}
	if len(req.InputsJson) > 0 {
		if err := json.Unmarshal(req.InputsJson, &inputs); err != nil {
			return status.Errorf(codes.InvalidArgument, "inputs: not a JSON object: %v", err)
		}
	}
	id, err := s.start(ctx, req, inputs)
	if err != nil {
		return toStatus(err)
	}
	if caller, ok := CallerFrom(ctx); ok {
		s.log.Info("run started", "ref", req.Ref, "execution", id, "by", caller.String())
	}
	// With wait, the end is noticed when it is recorded, not at the next
	// poll: a run of a few hundred milliseconds would otherwise be
	// reported up to PollInterval late (half its time, for 200 blocks).
	return s.streamReports(ctx, id, req.Wait, stream)
}

// report is an execution's report as JSON, from a ReportEncoder when the
// backend is one; errors are gRPC statuses.
func (s *Server) report(ctx context.Context, id uuid.UUID) ([]byte, bool, error) {
	if enc, ok := s.backend.(ReportEncoder); ok {
		raw, done, err := enc.ReportJSON(ctx, id)
		if err != nil {
			return nil, false, toStatus(err)
		}
		return raw, done, nil
	}
	rep, done, err := s.backend.Report(ctx, id)
	if err != nil {
		return nil, false, toStatus(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, false, status.Errorf(codes.Internal, "encode report: %v", err)
	}
	return b, done, nil
}

func (s *Server) Status(ctx context.Context, req *controlpb.StatusRequest) (*controlpb.ReportMessage, error) {
	if req.ExecutionId != "" {
		id, err := s.resolveID(ctx, req.ExecutionId)
		if err != nil {
			return nil, err
		}
		b, done, err := s.report(ctx, id)
		if err != nil {
			return nil, err
		}
		return &controlpb.ReportMessage{ExecutionId: req.ExecutionId, ReportJson: b, Final: done}, nil
	}
	f := RecentFilter{State: execution.State(req.State), Name: req.Name, Limit: int(req.Limit)}
	if req.SinceUnixNano != 0 {
		f.Since = time.Unix(0, req.SinceUnixNano)
	}
	rep, err := s.backend.Recent(ctx, f)
	if err != nil {
		return nil, toStatus(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode report: %v", err)
	}
	return &controlpb.ReportMessage{ExecutionId: req.ExecutionId, ReportJson: b, Final: false}, nil
}

func (s *Server) Events(req *controlpb.EventsRequest, stream grpc.ServerStreamingServer[controlpb.EventMessage]) error {
	id, err := s.resolveID(stream.Context(), req.ExecutionId)
	if err != nil {
		return err
	}
	err = s.backend.Events(stream.Context(), id, req.After, req.Follow, func(ev execution.Event) error {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		return stream.Send(&controlpb.EventMessage{EventJson: b})
	})
	return toStatus(err)
}

func (s *Server) Cancel(ctx context.Context, req *controlpb.CancelRequest) (*controlpb.CancelResponse, error) {
	id, err := s.resolveID(ctx, req.ExecutionId)
	if err != nil {
		return nil, err
	}
	caller, _ := CallerFrom(ctx)
	if err := s.backend.Cancel(ctx, id, req.Reason, caller); err != nil {
		return nil, toStatus(err)
	}
	return &controlpb.CancelResponse{}, nil
}

func (s *Server) Signal(ctx context.Context, req *controlpb.SignalRequest) (*controlpb.SignalResponse, error) {
	id, err := s.resolveID(ctx, req.ExecutionId)
	if err != nil {
		return nil, err
	}
	outputs := map[string]any{}
	if len(req.OutputsJson) > 0 {
		if err := json.Unmarshal(req.OutputsJson, &outputs); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "signal outputs: not a JSON object: %v", err)
		}
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, status.Error(codes.InvalidArgument, "signal: a name is needed")
	}
	caller, _ := CallerFrom(ctx)
	sig, err := s.backend.Signal(ctx, id, req.Name, outputs, caller)
	if err != nil {
		return nil, toStatus(err)
	}
	s.log.Info("signal recorded", "execution", id, "name", req.Name, "by", caller.String())
	return &controlpb.SignalResponse{SignalId: sig.String()}, nil
}

// backupChunkSize is the size of the messages a backup is streamed in.
const backupChunkSize = 256 << 10

func (s *Server) Backup(_ *controlpb.BackupRequest, stream grpc.ServerStreamingServer[controlpb.BackupChunk]) error {
	w := &chunkWriter{send: func(b []byte) error { return stream.Send(&controlpb.BackupChunk{Data: b}) }}
	if err := s.backend.Backup(stream.Context(), w); err != nil {
		return toStatus(err)
	}
	return toStatus(w.flush())
}

// chunkWriter buffers writes into messages of backupChunkSize.
type chunkWriter struct {
	buf  []byte
	send func([]byte) error
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := backupChunkSize - len(w.buf)
		take := min(room, len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == backupChunkSize {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.send(w.buf)
	w.buf = nil
	return err
}
