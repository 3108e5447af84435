// Command storecrash appends to a Badger event store as fast as it can,
// from several goroutines, until it is killed. It is the child process of
// integration/storecrash_test.go.
//
// Every acknowledged event is printed on standard output, one line each,
// written in one write(2) per Append after Append returned:
//
//	ack <execution> <sequence> <event id> <position> <sha256 of the event's JSON>
//
// Unexpected errors are printed as "error ..." on standard error, and the
// process exits with status 1. It never exits on its own otherwise.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

func main() {
	dir := flag.String("dir", "", "data directory")
	writers := flag.Int("writers", 8, "concurrent appenders")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*dir, *writers, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "error", err)
		os.Exit(1)
	}
}

func run(dir string, writers int, seed uint64) error {
	s, err := badger.Open(dir, badger.Options{Durability: badger.DurabilitySync})
	if err != nil {
		return err
	}
	ctx := context.Background()
	open, err := s.ListExecutions(ctx, store.Filter{OpenOnly: true})
	if err != nil {
		return err
	}
	out := &printer{}
	fmt.Println("ready")
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		a := &appender{s: s, out: out, w: w, rnd: rand.New(rand.NewPCG(seed, uint64(w)))}
		for i, info := range open {
			if i%writers == w {
				a.open = append(a.open, tail{id: info.ID, last: info.LastSequence})
			}
		}
		wg.Go(func() {
			for {
				if err := a.step(ctx); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		})
	}
	return <-errs
}

// printer serialises the ack lines.
type printer struct{ mu sync.Mutex }

func (p *printer) acks(evs []execution.Event) error {
	var b strings.Builder
	for _, ev := range evs {
		raw, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		fmt.Fprintf(&b, "ack %s %d %s %d %s\n", ev.ExecutionID, ev.Sequence, ev.ID, ev.Position, hex.EncodeToString(sum[:]))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := os.Stdout.WriteString(b.String())
	return err
}

type tail struct {
	id   uuid.UUID
	last uint64
	prev []execution.Event // the last batch, for an idempotent retry
}

// appender owns some executions; nobody else appends to them, so its
// expected sequences must always hold.
type appender struct {
	s        *badger.Store
	out      *printer
	w        int
	rnd      *rand.Rand
	open     []tail
	terminal []tail
	n        int
}

func (a *appender) step(ctx context.Context) error {
	if len(a.open) < 4 {
		return a.create(ctx)
	}
	i := a.rnd.IntN(len(a.open))
	switch r := a.rnd.IntN(100); {
	case r < 60:
		return a.progress(ctx, i)
	case r < 75:
		return a.finish(ctx, i)
	case r < 85:
		return a.retry(ctx, i)
	default:
		return a.afterTerminal(ctx)
	}
}

func (a *appender) event(exec uuid.UUID, typ execution.EventType, payload any) execution.Event {
	a.n++
	ev, err := execution.NewEvent(exec, typ, &execution.ExecutorInfo{Type: execution.ExecutorAgent, Identifier: fmt.Sprintf("crash-%d", a.w)}, payload)
	if err != nil {
		panic(err) // the payloads here always encode
	}
	return ev
}

// pad makes payloads of varied size; one in twenty exceeds the value
// threshold, so the value log is exercised too.
func (a *appender) pad() string {
	if a.rnd.IntN(20) == 0 {
		return strings.Repeat("L", 5000+a.rnd.IntN(3000))
	}
	return strings.Repeat("p", a.rnd.IntN(400))
}

func (a *appender) append(ctx context.Context, t *tail, evs []execution.Event) error {
	out, err := a.s.Append(ctx, evs, store.ExpectSequence(t.last))
	if err != nil {
		return fmt.Errorf("append to %s after %d: %w", t.id, t.last, err)
	}
	t.last = out[len(out)-1].Sequence
	t.prev = evs
	return a.out.acks(out)
}

func (a *appender) create(ctx context.Context) error {
	t := tail{id: uuid.New()}
	evs := []execution.Event{a.event(t.id, execution.EventCreated, execution.Created{
		Kind: execution.KindBlock, FlowExecutionID: uuid.New(), WorkBlockID: uuid.New(), WorkBlockVersion: 1, Attempt: 1,
	})}
	if a.rnd.IntN(2) == 0 {
		evs = append(evs, a.event(t.id, execution.EventStarted, nil))
	}
	if err := a.append(ctx, &t, evs); err != nil {
		return err
	}
	a.open = append(a.open, t)
	return nil
}

func (a *appender) progress(ctx context.Context, i int) error {
	t := &a.open[i]
	var evs []execution.Event
	for range 1 + a.rnd.IntN(3) {
		evs = append(evs, a.event(t.id, execution.EventProgress, map[string]any{"n": a.n, "pad": a.pad()}))
	}
	return a.append(ctx, t, evs)
}

func (a *appender) finish(ctx context.Context, i int) error {
	t := &a.open[i]
	typ := []execution.EventType{execution.EventCompleted, execution.EventFailed, execution.EventCancelled}[a.rnd.IntN(3)]
	evs := []execution.Event{a.event(t.id, execution.EventOutcomeProduced, map[string]any{"out": a.n}), a.event(t.id, typ, nil)}
	if err := a.append(ctx, t, evs); err != nil {
		return err
	}
	a.terminal = append(a.terminal, *t)
	if len(a.terminal) > 16 {
		a.terminal = a.terminal[1:]
	}
	a.open = append(a.open[:i], a.open[i+1:]...)
	return nil
}

// retry resends the last batch: an idempotent no-op that must return the
// events as stored.
func (a *appender) retry(ctx context.Context, i int) error {
	t := &a.open[i]
	if t.prev == nil {
		return a.progress(ctx, i)
	}
	out, err := a.s.Append(ctx, t.prev, store.AppendOptions{})
	if err != nil {
		return fmt.Errorf("retry on %s: %w", t.id, err)
	}
	if out[len(out)-1].Sequence > t.last || out[0].ID != t.prev[0].ID {
		return fmt.Errorf("retry on %s stored again: sequence %d, last was %d", t.id, out[len(out)-1].Sequence, t.last)
	}
	return nil
}

// afterTerminal appends to a finished execution: an administrative event
// must be accepted, anything else refused with ErrFinal.
func (a *appender) afterTerminal(ctx context.Context) error {
	if len(a.terminal) == 0 {
		return a.create(ctx)
	}
	t := &a.terminal[a.rnd.IntN(len(a.terminal))]
	if a.rnd.IntN(2) == 0 {
		_, err := a.s.Append(ctx, []execution.Event{a.event(t.id, execution.EventProgress, nil)}, store.AppendOptions{})
		if !errors.Is(err, store.ErrFinal) {
			return fmt.Errorf("progress after the terminal event of %s = %v, want ErrFinal", t.id, err)
		}
		return nil
	}
	admin := a.event(t.id, execution.EventProgress, map[string]string{"note": "audit"})
	admin.Metadata = map[string]any{execution.MetadataAdministrative: true}
	return a.append(ctx, t, []execution.Event{admin})
}
