package shell

import (
	"context"
	"sync"
	"time"
)

// DefaultProgressInterval is the least time between two stderr progress
// events of one command: a chatty command must not turn each line into a
// round trip to the host's store.
const DefaultProgressInterval = 500 * time.Millisecond

// maxPendingLines bounds the stderr lines held for the next progress
// event; lines beyond it are counted as dropped (the failure's stderr tail
// keeps the end regardless).
const maxPendingLines = 100

// stderrStreamer batches a command's stderr lines into rate-limited
// progress events: {"type": "stderr", "lines": [...], "dropped": n}.
type stderrStreamer struct {
	progress func(ctx context.Context, payload any) error
	stop     chan struct{}
	done     chan struct{}

	mu      sync.Mutex
	lines   []string
	dropped int
	failed  bool // a progress append failed: stop sending
}

func startStreamer(ctx context.Context, progress func(ctx context.Context, payload any) error, every time.Duration) *stderrStreamer {
	s := &stderrStreamer{progress: progress, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			case <-ticker.C:
				s.flush(ctx)
			}
		}
	}()
	return s
}

// add queues one line.
func (s *stderrStreamer) add(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lines) >= maxPendingLines {
		s.dropped++
		return
	}
	s.lines = append(s.lines, line)
}

// close stops the ticker and sends what is left.
func (s *stderrStreamer) close(ctx context.Context) {
	close(s.stop)
	<-s.done
	s.flush(ctx)
}

func (s *stderrStreamer) flush(ctx context.Context) {
	s.mu.Lock()
	if s.failed || (len(s.lines) == 0 && s.dropped == 0) {
		s.mu.Unlock()
		return
	}
	payload := map[string]any{"type": "stderr", "lines": s.lines}
	if s.dropped > 0 {
		payload["dropped"] = s.dropped
	}
	s.lines, s.dropped = nil, 0
	s.mu.Unlock()
	if err := s.progress(ctx, payload); err != nil {
		s.mu.Lock()
		s.failed = true
		s.mu.Unlock()
	}
}
