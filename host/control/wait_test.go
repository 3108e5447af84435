package control

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
)

// waitingBackend ends an execution only when told to, and says so through
// Wait (the control.Waiter capability), like the host's subscription.
type waitingBackend struct {
	*fakeBackend
	end     chan struct{}
	waiting chan struct{}
}

func (w *waitingBackend) Report(ctx context.Context, id uuid.UUID) (*engine.Report, bool, error) {
	select {
	case <-w.end:
		return &engine.Report{ExecutionID: id, State: execution.StateCompleted}, true, nil
	default:
		return &engine.Report{ExecutionID: id, State: execution.StateInProgress}, false, nil
	}
}

func (w *waitingBackend) Wait(ctx context.Context, id uuid.UUID) error {
	close(w.waiting)
	select {
	case <-w.end:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestRunWaitAnswersAtTheEndNotAtThePoll: with a Waiter, `run` learns of
// the end when it is recorded, however long the poll interval.
func TestRunWaitAnswersAtTheEndNotAtThePoll(t *testing.T) {
	b := &waitingBackend{fakeBackend: newFake(), end: make(chan struct{}), waiting: make(chan struct{})}
	c := serveWith(t, b, time.Hour)
	go func() {
		<-b.waiting
		close(b.end)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	last, err := c.Run(ctx, "flow@1", nil, true, nil)
	if err != nil {
		t.Fatalf("run --wait with a 1h poll: %v (the end was not taken from Wait)", err)
	}
	if !last.Final || !strings.Contains(string(last.JSON), `"completed"`) {
		t.Fatalf("last report = %+v, want the final, completed one", last)
	}
}

// serveWith serves b with the given poll interval and returns a client.
func serveWith(t *testing.T, b Backend, poll time.Duration) *Client {
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
	srv.PollInterval = poll
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	c, err := Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cancel()
		<-done
	})
	return c
}
