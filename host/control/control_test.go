package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/host/plugins"
	"github.com/openoma/openoma/host/schedule"
	"github.com/openoma/openoma/host/tasks"
)

// fakeBackend is an in-memory Backend whose executions finish after a set
// number of reports, so streaming and waiting can be observed.
type fakeBackend struct {
	mu        sync.Mutex
	runs      map[uuid.UUID]int // reports served so far
	cancelled map[uuid.UUID]Caller
	taskBy    Caller
	taskReq   TaskRequest
	recent    RecentFilter // the last filter Recent was asked for
	signalled []string
}

func newFake() *fakeBackend {
	return &fakeBackend{runs: map[uuid.UUID]int{}, cancelled: map[uuid.UUID]Caller{}}
}

func (f *fakeBackend) Start(_ context.Context, ref string, inputs map[string]any) (uuid.UUID, error) {
	if ref == "missing" {
		return uuid.Nil, fmt.Errorf(`no flow "missing" in the catalog: %w`, ErrNotFound)
	}
	id := uuid.New()
	f.mu.Lock()
	f.runs[id] = 0
	f.mu.Unlock()
	return id, nil
}

func (f *fakeBackend) Report(_ context.Context, id uuid.UUID) (*engine.Report, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.runs[id]
	if !ok {
		return nil, false, ErrNotFound
	}
	f.runs[id] = n + 1
	done := n >= 2
	state := execution.StateInProgress
	if done {
		state = execution.StateCompleted
	}
	// The reason tells the polls apart, so a waited run streams each.
	return &engine.Report{ExecutionID: id, State: state, Reason: fmt.Sprint("step ", n)}, done, nil
}

func (f *fakeBackend) Recent(_ context.Context, rf RecentFilter) ([]ExecutionSummary, error) {
	f.mu.Lock()
	f.recent = rf
	f.mu.Unlock()
	return []ExecutionSummary{{Name: "a", State: execution.StateCompleted}}, nil
}

// ResolveID accepts full ids and the prefix "abcd" of the one run it
// knows by that prefix.
func (f *fakeBackend) ResolveID(_ context.Context, s string) (uuid.UUID, error) {
	if id, err := uuid.Parse(s); err == nil {
		return id, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id := range f.runs {
		if len(s) >= 4 && strings.HasPrefix(id.String(), s) {
			return id, nil
		}
	}
	return uuid.Nil, fmt.Errorf("execution id %q: %w", s, ErrInvalid)
}

func (f *fakeBackend) Events(ctx context.Context, id uuid.UUID, after uint64, follow bool, send func(execution.Event) error) error {
	for i := after + 1; i <= 3; i++ {
		if err := send(execution.Event{ID: uuid.New(), ExecutionID: id, EventType: execution.EventProgress, Sequence: i}); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeBackend) Cancel(_ context.Context, id uuid.UUID, _ string, by Caller) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.runs[id]; !ok {
		return ErrNotFound
	}
	f.cancelled[id] = by
	return nil
}

func (f *fakeBackend) Signal(_ context.Context, id uuid.UUID, name string, outputs map[string]any, by Caller) (uuid.UUID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.runs[id]; !ok {
		return uuid.Nil, ErrNotFound
	}
	if name != "deployed" {
		return uuid.Nil, fmt.Errorf("no signal %q: %w", name, ErrInvalid)
	}
	f.signalled = append(f.signalled, fmt.Sprintf("%s %s %v by %s", id, name, outputs, by.User))
	return uuid.New(), nil
}

func (f *fakeBackend) Schedule(_ context.Context, req ScheduleRequest, by Caller) ([]schedule.Schedule, error) {
	if req.Verb == ScheduleShow && req.Spec.Name == "nope" {
		return nil, fmt.Errorf("schedule %q: %w", req.Spec.Name, ErrNotFound)
	}
	return []schedule.Schedule{{ID: uuid.New(), Spec: req.Spec, Next: time.Unix(1700000000, 0).UTC()}}, nil
}

func (f *fakeBackend) Backup(_ context.Context, w io.Writer) error {
	// More than one chunk, to exercise the chunking.
	_, err := w.Write(bytes.Repeat([]byte("openoma"), backupChunkSize/3))
	return err
}

func (f *fakeBackend) Plugins(context.Context) ([]plugins.Status, error) {
	return []plugins.Status{{Name: "shell", Hints: []string{"shell"}, Running: true, PID: 42,
		StartedAt: time.Unix(1700000000, 0), Restarts: 2, LastError: "boom"}}, nil
}

func (f *fakeBackend) Task(_ context.Context, req TaskRequest, by Caller) (TaskAnswer, error) {
	f.mu.Lock()
	f.taskBy = by
	f.taskReq = req
	f.mu.Unlock()
	switch req.Verb {
	case TaskComplete:
		return TaskAnswer{}, fmt.Errorf("task t1: only alice may act: %w", ErrDenied)
	case TaskList:
		return TaskAnswer{Tasks: []tasks.Task{{Title: "one"}, {Title: "two"}}}, nil
	}
	return TaskAnswer{Task: &tasks.Task{Title: string(req.Verb) + " " + req.ID, Reason: req.Reason}}, nil
}

func serve(t *testing.T, b Backend) (string, *Client) {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "control.sock")
	l, err := Listen(sock, PrivateAccess())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := NewServer(b, ServerOptions{})
	srv.PollInterval = 5 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	c, err := Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return sock, c
}

func TestRunWaitStreamsUntilDone(t *testing.T) {
	_, c := serve(t, newFake())
	var seen []Report
	last, err := c.Run(context.Background(), "flow@1", map[string]any{"x": 1}, true, func(r Report) { seen = append(seen, r) })
	if err != nil {
		t.Fatal(err)
	}
	if !last.Final || len(seen) != 3 {
		t.Fatalf("got %d reports, last final=%v; want 3 ending final", len(seen), last.Final)
	}
	var rep map[string]any
	if err := json.Unmarshal(last.JSON, &rep); err != nil || rep["state"] != "completed" {
		t.Fatalf("last report %s (%v)", last.JSON, err)
	}
}

func TestRunNoWaitReturnsAtOnce(t *testing.T) {
	_, c := serve(t, newFake())
	last, err := c.Run(context.Background(), "flow@1", nil, false, nil)
	if err != nil || !last.Final || last.ExecutionID == "" {
		t.Fatalf("Run = %+v, %v", last, err)
	}
}

func TestErrorsKeepTheirMeaning(t *testing.T) {
	_, c := serve(t, newFake())
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"unknown ref", func() error { _, err := c.Run(ctx, "missing", nil, false, nil); return err }, ErrNotFound},
		{"unknown execution", func() error { _, err := c.Status(ctx, uuid.NewString()); return err }, ErrNotFound},
		{"bad id", func() error { _, err := c.Status(ctx, "nope"); return err }, ErrInvalid},
		{"cancel unknown", func() error { return c.Cancel(ctx, uuid.NewString(), "x") }, ErrNotFound},
		{"signal unknown", func() error { _, err := c.Signal(ctx, uuid.NewString(), "deployed", nil); return err }, ErrNotFound},
		{"signal without a name", func() error { _, err := c.Signal(ctx, uuid.NewString(), " ", nil); return err }, ErrInvalid},
		{"denied", func() error {
			_, err := c.Task(ctx, TaskRequest{Verb: TaskComplete, Request: tasks.Request{ID: "t1"}})
			return err
		}, ErrDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.want)
			}
		})
	}
}

func TestCallerIdentityComesFromTheSocket(t *testing.T) {
	f := newFake()
	_, c := serve(t, f)
	last, err := c.Run(context.Background(), "flow", nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(context.Background(), last.ExecutionID, "stop"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	by := f.cancelled[uuid.MustParse(last.ExecutionID)]
	if by.UID != os.Getuid() || by.PID != os.Getpid() || by.User == "" {
		t.Fatalf("caller = %+v, want uid %d pid %d", by, os.Getuid(), os.Getpid())
	}
}

func TestEventsAndPlugins(t *testing.T) {
	_, c := serve(t, newFake())
	var seqs []uint64
	if err := c.Events(context.Background(), uuid.NewString(), 1, false, func(e execution.Event) error {
		seqs = append(seqs, e.Sequence)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 2 || seqs[0] != 2 {
		t.Fatalf("sequences %v, want [2 3]", seqs)
	}
	p, err := c.Plugins(context.Background())
	if err != nil || len(p) != 1 {
		t.Fatalf("Plugins = %+v, %v", p, err)
	}
	if g := p[0]; g.Name != "shell" || g.Hints[0] != "shell" || !g.Running || g.PID != 42 || !g.StartedAt.Equal(time.Unix(1700000000, 0)) ||
		g.Restarts != 2 || g.LastError != "boom" {
		t.Fatalf("plugin status across the wire: %+v", g)
	}
}

func TestSocketIsPrivateAndExclusive(t *testing.T) {
	sock, _ := serve(t, newFake())
	st, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := Listen(sock, PrivateAccess()); err == nil {
		t.Fatal("a second Listen on a served socket succeeded")
	}
}

func TestStaleSocketIsReplacedAndMissingDaemonReported(t *testing.T) {
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "control.sock")
	if _, err := Dial(context.Background(), sock); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("Dial without daemon: %v, want ErrNoDaemon", err)
	}
	// Simulate a killed daemon: the file stays, nobody listens.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := Dial(context.Background(), sock); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("Dial on stale socket: %v, want ErrNoDaemon", err)
	}
	l2, err := Listen(sock, PrivateAccess())
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	l2.Close()
}

func TestBackupStreamsEveryByte(t *testing.T) {
	_, c := serve(t, newFake())
	var got bytes.Buffer
	if err := c.Backup(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("openoma"), backupChunkSize/3)
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("backup: got %d bytes, want %d", got.Len(), len(want))
	}
}

func TestListenNeverRemovesAFileThatIsNotASocket(t *testing.T) {
	p := filepath.Join(t.TempDir(), "control.sock")
	if err := os.WriteFile(p, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(p, PrivateAccess()); err == nil {
		t.Fatal("Listen replaced a regular file")
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "precious" {
		t.Fatalf("file changed: %q, %v", b, err)
	}
}

// A signal reaches the backend with its outputs and the socket's caller.
func TestSignalCarriesOutputsAndCaller(t *testing.T) {
	f := newFake()
	_, c := serve(t, f)
	ctx := context.Background()
	last, err := c.Run(ctx, "flow", nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Signal(ctx, last.ExecutionID[:8], "deployed", map[string]any{"url": "https://x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(id); err != nil {
		t.Errorf("signal id %q", id)
	}
	if _, err := c.Signal(ctx, last.ExecutionID, "other", nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `no signal "other"`) {
		t.Errorf("unknown signal name: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.signalled) != 1 || !strings.Contains(f.signalled[0], "deployed map[url:https://x] by ") || strings.HasSuffix(f.signalled[0], "by ") {
		t.Errorf("backend saw %v", f.signalled)
	}
}

// A schedule's spec and times cross the wire intact.
func TestScheduleRoundTrip(t *testing.T) {
	_, c := serve(t, newFake())
	ctx := context.Background()
	spec := schedule.Spec{Name: "sprint", Flow: "Sprint@1", Every: 14 * 24 * time.Hour, CatchUp: schedule.CatchUpOne,
		Inputs: map[string]any{"team": "ops", "n": 2.0}}
	got, err := c.Schedule(ctx, ScheduleRequest{Verb: ScheduleCreate, Spec: spec})
	if err != nil || len(got) != 1 {
		t.Fatalf("%v, %v", got, err)
	}
	g := got[0]
	if g.Spec.Name != spec.Name || g.Spec.Every != spec.Every || g.Spec.CatchUp != spec.CatchUp || g.Spec.Inputs["team"] != "ops" ||
		!g.Next.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("round trip: %+v", g)
	}
	if _, err := c.Schedule(ctx, ScheduleRequest{Verb: ScheduleShow, Spec: schedule.Spec{Name: "nope"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown schedule: %v", err)
	}
}

// A task request's fields and the answer's tasks cross the wire typed.
func TestTaskRoundTrip(t *testing.T) {
	f := newFake()
	_, c := serve(t, f)
	ctx := context.Background()
	yes := true
	req := TaskRequest{Verb: TaskDecide, Request: tasks.Request{ID: "abcd", As: "rita", Reason: "ship it", Answer: &yes,
		Outputs: map[string]any{"n": 2.0}, Text: map[string]string{"verdict": "approved"}}}
	a, err := c.Task(ctx, req)
	if err != nil || a.Task == nil || a.Task.Title != "decide abcd" || a.Task.Reason != "ship it" {
		t.Fatalf("decide: %+v, %v", a, err)
	}
	f.mu.Lock()
	got := f.taskReq
	f.mu.Unlock()
	if got.Verb != TaskDecide || got.ID != "abcd" || got.As != "rita" || got.Answer == nil || !*got.Answer ||
		got.Outputs["n"] != 2.0 || got.Text["verdict"] != "approved" {
		t.Fatalf("the backend saw %+v", got)
	}
	list, err := c.Task(ctx, TaskRequest{Verb: TaskList, Request: tasks.Request{All: true, Group: "ops"}})
	if err != nil || len(list.Tasks) != 2 || list.Tasks[1].Title != "two" || list.Task != nil {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if _, err := c.Task(ctx, TaskRequest{Verb: "frobnicate"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "unknown verb") {
		t.Fatalf("unknown verb: %v", err)
	}
}
