package badger

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	dgbadger "github.com/dgraph-io/badger/v4"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// writeRequest is one Append (or, with exclusive set, an operation such
// as Restore that must run with no append in flight) waiting for the
// writer.
type writeRequest struct {
	ctx       context.Context
	events    []execution.Event
	opts      store.AppendOptions
	exclusive func() error
	reply     chan writeResult // buffered: the writer never blocks on it
}

type writeResult struct {
	events []execution.Event
	err    error
}

// coalesceWait bounds how long the writer waits for appenders that are
// already on their way into the queue before it commits. It is well below
// one fsync, so a lone appender never waits for it.
const coalesceWait = 100 * time.Microsecond

// Append stores events atomically; see store.EventStore. It returns once
// the events are committed (fsynced in sync mode). If ctx ends while the
// append waits for the writer, Append returns ctx's error and the append
// may or may not have been stored: retry it with the same event ids, which
// is then a no-op if it was.
func (s *Store) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	if err := checkCtx(ctx, "append"); err != nil {
		return nil, err
	}
	req := &writeRequest{ctx: ctx, events: events, opts: opts, reply: make(chan writeResult, 1)}
	if err := s.enqueue(req); err != nil {
		return nil, err
	}
	select {
	case res := <-req.reply:
		return res.events, res.err
	case <-ctx.Done():
		return nil, fmt.Errorf("append: %w (the append may still be stored; retry with the same event ids)", ctx.Err())
	}
}

func (s *Store) enqueue(req *writeRequest) error {
	s.entering.Add(1)
	defer s.entering.Add(-1)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	if errp := s.broken.Load(); errp != nil {
		return *errp
	}
	s.queue <- req
	return nil
}

// runExclusive runs fn in the writer, with no append in flight.
func (s *Store) runExclusive(ctx context.Context, fn func() error) error {
	req := &writeRequest{ctx: ctx, exclusive: fn, reply: make(chan writeResult, 1)}
	if err := s.enqueue(req); err != nil {
		return err
	}
	res := <-req.reply
	return res.err
}

// runWriter is the writer goroutine: it takes a request, gathers whatever
// else is queued into the same group commit, and commits. It returns when
// Close closed the queue and everything queued was handled.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*writeRequest, 0, s.opts.MaxBatchAppends)
	for req := range s.queue {
		batch = append(batch[:0], req)
		var exclusive *writeRequest
		if req.exclusive != nil {
			exclusive, batch = req, batch[:0]
		} else {
			batch, exclusive = s.gather(batch)
		}
		s.commitAppends(batch)
		if exclusive != nil {
			exclusive.reply <- writeResult{err: exclusive.exclusive()}
		}
		clear(batch) // drop references to the callers' events
	}
}

// gather adds queued appends to batch until the queue is empty, the batch
// is full, or an exclusive request arrives (returned, to run after batch).
//
// Two waits make concurrent appenders share fsyncs. Appenders already on
// their way into the queue (counted in entering) are waited for briefly.
// And in sync mode, the callers the last commit released usually come
// straight back with their next append: the writer lingers for up to a
// quarter of the last commit's duration (at most maxLinger) until as many
// appends are gathered as that commit released. A lone appender released
// alone and finds itself in the batch, so it never waits.
func (s *Store) gather(batch []*writeRequest) ([]*writeRequest, *writeRequest) {
	start := time.Now()
	deadline := start.Add(s.linger())
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for len(batch) < s.opts.MaxBatchAppends {
		select {
		case req, ok := <-s.queue:
			if !ok {
				return batch, nil
			}
			if req.exclusive != nil {
				return batch, req
			}
			batch = append(batch, req)
			continue
		default:
		}
		if s.entering.Load() > 0 && time.Since(start) < coalesceWait {
			runtime.Gosched()
			continue
		}
		if len(batch) >= s.lastReleased || !time.Now().Before(deadline) {
			return batch, nil
		}
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
		}
		select {
		case req, ok := <-s.queue:
			if !ok {
				return batch, nil
			}
			if req.exclusive != nil {
				return batch, req
			}
			batch = append(batch, req)
		case <-timer.C:
			return batch, nil
		}
	}
	return batch, nil
}

// maxLinger caps how long gather lingers for returning appenders.
const maxLinger = time.Millisecond

func (s *Store) linger() time.Duration {
	if s.opts.Durability != DurabilitySync {
		return 0 // a commit costs microseconds; lingering would dominate it
	}
	return min(s.lastCommitTook/4, maxLinger)
}

// pendingAppend is one append checked and encoded inside the current
// transaction, waiting for the commit.
type pendingAppend struct {
	req     *writeRequest
	events  []execution.Event // as stored
	writes  []write
	lastPos uint64 // the position counter after this append
	noop    bool
}

type write struct {
	key, value []byte
	delete     bool
}

func (p *pendingAppend) set(k, v []byte) { p.writes = append(p.writes, write{key: k, value: v}) }
func (p *pendingAppend) del(k []byte)    { p.writes = append(p.writes, write{key: k, delete: true}) }

func (p *pendingAppend) apply(txn *dgbadger.Txn) error {
	for _, w := range p.writes {
		var err error
		if w.delete {
			err = txn.Delete(w.key)
		} else {
			err = txn.Set(w.key, w.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// commitAppends commits batch, in as many transactions as Badger's size
// limit requires, and answers every request.
func (s *Store) commitAppends(batch []*writeRequest) {
	if s.refuseIfFull(batch) { // freespace.go
		return
	}
	for len(batch) > 0 {
		n := s.commitSome(batch)
		batch = batch[n:]
	}
}

// commitSome checks and writes a prefix of reqs in one transaction,
// commits it and answers those requests; it returns how many it answered.
// Each request is checked against the state the earlier ones left (the
// transaction reads its own pending writes), and one bad request fails
// alone. No request is answered before the commit (see group).
func (s *Store) commitSome(reqs []*writeRequest) int {
	if errp := s.broken.Load(); errp != nil {
		for _, r := range reqs {
			r.reply <- writeResult{err: *errp}
		}
		return len(reqs)
	}
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	pos := s.lastPos.Load()
	now := time.Now()
	var g group
	handled := 0
	for _, r := range reqs {
		if err := r.ctx.Err(); err != nil {
			// Judged on nothing the transaction holds: answer now.
			r.reply <- writeResult{err: fmt.Errorf("append: %w", err)}
			handled++
			continue
		}
		p, err := s.prepare(txn, r, pos, now)
		if err != nil {
			g.refuse(r, err)
			handled++
			continue
		}
		if err := p.apply(txn); err != nil {
			// The transaction holds part of p: rebuild it from the
			// accepted appends alone.
			txn.Discard()
			txn = s.db.NewTransaction(true)
			if rerr := reapply(txn, g.accepted); rerr != nil {
				// Start over empty: the rebuilt transaction holds part
				// of the abandoned appends.
				s.abandon(g, fmt.Errorf("rebuild transaction: %w", rerr))
				txn.Discard()
				txn = s.db.NewTransaction(true)
				g, pos = group{}, s.lastPos.Load()
			}
			if errors.Is(err, dgbadger.ErrTxnTooBig) && len(g.accepted) > 0 {
				break // commit what fits; r goes into the next transaction
			}
			g.refuse(r, writeError(r, err))
			handled++
			continue
		}
		pos = p.lastPos
		g.accepted = append(g.accepted, p)
		handled++
	}
	s.commit(txn, g, pos)
	return handled
}

func writeError(r *writeRequest, err error) error {
	exec := r.events[0].ExecutionID
	if errors.Is(err, dgbadger.ErrTxnTooBig) {
		return fmt.Errorf("%w: execution %s: %d events are too large for one transaction (%w)",
			store.ErrInvalid, exec, len(r.events), err)
	}
	if msg := err.Error(); strings.Contains(msg, "exceeded") && strings.Contains(msg, "limit") {
		// Badger's "Value with size N exceeded M limit" goes on with a hex
		// dump of the value; the first line says all a person needs.
		first, _, _ := strings.Cut(msg, "\n")
		return fmt.Errorf("%w: execution %s: an event is larger than the store takes (%s); raise store.value_log_file_size_mb",
			store.ErrInvalid, exec, strings.TrimSuffix(strings.TrimSpace(first), "."))
	}
	return fmt.Errorf("append to execution %s: %w", exec, err)
}

func reapply(txn *dgbadger.Txn, accepted []*pendingAppend) error {
	for _, p := range accepted {
		if err := p.apply(txn); err != nil {
			return err
		}
	}
	return nil
}

// commit makes the group's writes durable and answers the group. A failed
// commit breaks the store (ErrWriteFailed): after a failed fsync nothing
// is known about what reached the disk, so guessing on would risk
// acknowledging appends that are later lost.
func (s *Store) commit(txn *dgbadger.Txn, g group, pos uint64) {
	if len(g.accepted) == 0 {
		g.answerRefusals() // judged on committed state alone
		return
	}
	began := time.Now()
	err := txn.Commit()
	s.lastCommitTook = time.Since(began)
	if err != nil {
		werr := fmt.Errorf("%w: event store in %s: commit: %w", ErrWriteFailed, s.where(), err)
		s.broken.CompareAndSwap(nil, &werr)
		s.opts.Logger.Error("event store commit failed; refusing further appends", "error", err)
		s.abandon(g, werr)
		return
	}
	s.lastPos.Store(pos)
	wrote := false
	for _, p := range g.accepted {
		if p.noop {
			s.stats.noops.Add(1)
		} else {
			s.stats.appends.Add(1)
			s.stats.events.Add(uint64(len(p.events)))
			wrote = true
		}
	}
	s.lastReleased = len(g.accepted) + len(g.refused)
	if wrote {
		s.stats.commits.Add(1)
		s.stats.commitNanos.Add(uint64(s.lastCommitTook))
		s.broadcast()
	}
	for _, p := range g.accepted {
		p.req.reply <- writeResult{events: p.events}
	}
	g.answerRefusals()
}
