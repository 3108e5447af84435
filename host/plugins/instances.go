package plugins

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Instance identifies one launch of a plugin: one process, from its start
// to its exit. A restarted plugin is a new instance with a new ID.
type Instance struct {
	Plugin string
	// ID is unique per launch, also across host restarts (a random UUID):
	// a pid can be reused, a launch id cannot.
	ID      string
	PID     int
	Started time.Time
}

// Restart is what OnRestart is told: which process of a plugin died and
// which one replaced it. By the time OnRestart runs, Live may have died in
// turn; its own Restart follows once this one is handled.
type Restart struct {
	Plugin string
	Dead   Instance
	Live   Instance
}

// acquire returns the plugin's running process for one call, launching it
// if need be, and counts the call as in flight on it until done is
// called. The count is taken under the lock the exit watcher clears the
// process under, so a process's restart is handled only once every call
// that reached it has ended (see notifyRestart).
func (m *Manager) acquire(ctx context.Context, name string) (inst *instance, done func(), err error) {
	p := m.procs[name]
	for {
		inst, err := m.instance(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		p.mu.Lock()
		if p.cur == inst {
			inst.calls.Add(1)
			p.mu.Unlock()
			return inst, inst.calls.Done, nil
		}
		p.mu.Unlock() // it died just now: take the next process
	}
}

// callsEnded waits, up to limit, for the calls in flight on a dead process
// to return, and reports whether they did.
func (inst *instance) callsEnded(ctx context.Context, limit time.Duration) bool {
	ended := make(chan struct{})
	go func() {
		inst.calls.Wait()
		close(ended)
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-ended:
		return true
	case <-timer.C:
	case <-ctx.Done():
	}
	return false
}

// IsLive reports whether instanceID names the running process of plugin.
func (m *Manager) IsLive(plugin, instanceID string) bool {
	p, ok := m.procs[plugin]
	if !ok || instanceID == "" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur != nil && p.cur.id.ID == instanceID
}

// HandedTo returns the launch of plugin that a block execution was last
// handed to (by ExecuteBlock or ResumeBlock), as long as that launch may
// still hold it: the entry goes when a plugin records the block's end or
// the call handing it over fails for a reason other than the process
// dying.
func (m *Manager) HandedTo(plugin string, block uuid.UUID) (instanceID string, ok bool) {
	p, found := m.procs[plugin]
	if !found {
		return "", false
	}
	return p.hands.lookup(block)
}

// handRecord remembers, for each block execution handed to a plugin, the
// launch it went to. It is what tells, after a crash, a block the dead
// process was given but never got to assign (resume it) from one a newer
// process was given and has not assigned yet (leave it).
type handRecord struct {
	mu   sync.Mutex
	last map[uuid.UUID]string // block execution → instance id
}

func (r *handRecord) hand(block uuid.UUID, instanceID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[uuid.UUID]string{}
	}
	r.last[block] = instanceID
}

// settle forgets a block whose hand-over to instanceID failed, unless it
// has been handed elsewhere since.
func (r *handRecord) settle(block uuid.UUID, instanceID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last[block] == instanceID {
		delete(r.last, block)
	}
}

// ended forgets a block whose end a plugin recorded.
func (r *handRecord) ended(block uuid.UUID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.last, block)
}

// forgetInstance drops every block still recorded as handed to a process
// whose restart has been handled.
func (r *handRecord) forgetInstance(instanceID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for block, id := range r.last {
		if id == instanceID {
			delete(r.last, block)
		}
	}
}

func (r *handRecord) lookup(block uuid.UUID) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.last[block]
	return id, ok
}

func (r *handRecord) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.last)
}

// stampingStore is the event store one plugin process sees through the
// broker. Every event the process appends carries its launch id in the
// executor's metadata (execution.MetadataPluginInstance), stamped here on
// the host's side, so no plugin can forget or forge it; the end of a block
// it records clears the block from the hand record.
type stampingStore struct {
	store.EventStore
	instance string
	hands    *handRecord
}

func (s *stampingStore) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	stamped := make([]execution.Event, len(events))
	for i, ev := range events {
		if ev.Executor != nil {
			x := ev.Executor.WithPluginInstance(s.instance)
			ev.Executor = &x
		}
		stamped[i] = ev
	}
	// A full disk pauses the plugin's append until space is freed
	// (store.AppendWaitingForSpace) rather than failing its block.
	stored, err := store.AppendWaitingForSpace(ctx, s.EventStore, stamped, opts, nil, nil)
	if err != nil {
		return stored, err
	}
	for i := range stored {
		if stored[i].EventType.IsTerminal() {
			s.hands.ended(stored[i].ExecutionID)
		}
	}
	return stored, nil
}

// storeFor returns the stamping view of st for this launch. The view of
// a store held by pointer is made once per launch: the go-plugin broker
// serves each distinct store value on its own connection, which is far
// too costly to pay per call.
func (inst *instance) storeFor(st store.EventStore, hands *handRecord) store.EventStore {
	if st == nil {
		return nil
	}
	if reflect.TypeOf(st).Kind() != reflect.Pointer {
		return &stampingStore{EventStore: st, instance: inst.id.ID, hands: hands}
	}
	inst.storesMu.Lock()
	defer inst.storesMu.Unlock()
	if s, ok := inst.stores[st]; ok {
		return s
	}
	if inst.stores == nil {
		inst.stores = map[store.EventStore]*stampingStore{}
	}
	s := &stampingStore{EventStore: st, instance: inst.id.ID, hands: hands}
	inst.stores[st] = s
	return s
}
