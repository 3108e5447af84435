package engine

import (
	"sync"

	"github.com/google/uuid"
)

// workQueue holds the executions that need a reconcile. It coalesces: a key
// added while already queued is queued once; a key added while a worker
// reconciles it is queued again when that worker is done, so a reconcile
// always sees every append that asked for it, and no key is ever
// reconciled by two workers at once. This is what serialises each
// execution's reconciles while different executions run in parallel.
type workQueue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	items    []uuid.UUID
	head     int
	state    map[uuid.UUID]*keyState
	shutdown bool
}

type keyState struct {
	queued, running, again bool
	// next are closed after the next reconcile that starts from now;
	// current after the running one.
	next, current []chan struct{}
}

func newWorkQueue() *workQueue {
	q := &workQueue{state: map[uuid.UUID]*keyState{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add asks for a reconcile of key.
func (q *workQueue) Add(key uuid.UUID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

// AddWait asks for a reconcile of key and returns a channel closed when a
// reconcile that started after this call has finished (or the queue shut
// down).
func (q *workQueue) AddWait(key uuid.UUID) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	ch := make(chan struct{})
	if q.shutdown {
		close(ch)
		return ch
	}
	st := q.addLocked(key)
	st.next = append(st.next, ch)
	return ch
}

func (q *workQueue) addLocked(key uuid.UUID) *keyState {
	st := q.state[key]
	if st == nil {
		st = &keyState{}
		q.state[key] = st
	}
	switch {
	case q.shutdown, st.queued:
	case st.running:
		st.again = true
	default:
		st.queued = true
		q.items = append(q.items, key)
		q.cond.Signal()
	}
	return st
}

// Get waits for a key to reconcile; ok is false once the queue shut down.
// The caller must call Done(key) when finished.
func (q *workQueue) Get() (key uuid.UUID, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.shutdown {
		q.cond.Wait()
	}
	if q.shutdown {
		return uuid.Nil, false
	}
	key = q.items[q.head]
	q.items[q.head] = uuid.Nil
	q.head++
	if q.head == len(q.items) { // drained: reuse the backing array
		q.items, q.head = q.items[:0], 0
	}
	st := q.state[key]
	st.queued, st.running = false, true
	st.current, st.next = st.next, nil
	return key, true
}

// Done ends the reconcile of key that Get handed out.
func (q *workQueue) Done(key uuid.UUID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.state[key]
	st.running = false
	for _, ch := range st.current {
		close(ch)
	}
	st.current = nil
	switch {
	case st.again && !q.shutdown:
		st.again, st.queued = false, true
		q.items = append(q.items, key)
		q.cond.Signal()
	case len(st.next) == 0:
		delete(q.state, key)
	}
}

// Len returns how many keys wait for a worker.
func (q *workQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// Shutdown wakes every Get (which then returns ok=false) and every waiter.
func (q *workQueue) Shutdown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdown = true
	for _, st := range q.state {
		for _, ch := range st.next {
			close(ch)
		}
		st.next = nil
	}
	q.cond.Broadcast()
}
