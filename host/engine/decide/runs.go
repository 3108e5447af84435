package decide

import (
	"math"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// nodeStatus is where a node's latest iteration stands.
type nodeStatus int

const (
	statusNone      nodeStatus = iota // never ran
	statusRunning                     // work open, or for_each items still to create
	statusRetrying                    // a failed run will get another attempt
	statusCompleted                   // every run of the iteration completed
	statusSkipped                     // recorded skipped (dead path)
	statusFailed                      // failed with no attempt left
	statusCancelled                   // a run was cancelled
)

// nodeRun is a node's latest iteration, as one decision sees it.
type nodeRun struct {
	iteration int
	status    nodeStatus
	// order is when the iteration began (the store position of its first
	// record); a run created by this pass is newer than everything.
	order uint64
	// source is what decisions on the node's outgoing edges are keyed by:
	// its latest block execution, or its for_each iteration's id.
	source  uuid.UUID
	latest  []*Block // the latest attempt of each run (each item)
	outputs map[string]any
	culprit *Block       // the block that failed or was cancelled
	items   *ItemsRecord // a for_each iteration's items
	created bool         // made by this pass
}

// summarize reads node i's latest iteration from the view.
func (d *pass) summarize(i int) nodeRun {
	slot := d.v.Slots[i]
	iteration := 0
	if len(slot) > 0 {
		iteration = slot[len(slot)-1].Iteration
	}
	var rec *ItemsRecord
	if d.p.Items[i] != nil {
		node := d.p.Flow.Nodes[i].ID
		if r, ok := d.v.Items[ForEachID(d.v.ID, node, iteration+1)]; ok {
			iteration, rec = iteration+1, &r
		} else if r, ok := d.v.Items[ForEachID(d.v.ID, node, iteration)]; ok && iteration > 0 {
			rec = &r
		}
	}
	if iteration == 0 {
		return nodeRun{}
	}
	k := len(slot)
	for k > 0 && slot[k-1].Iteration == iteration {
		k--
	}
	current := slot[k:]
	if rec != nil {
		return d.summarizeItems(i, iteration, current, rec)
	}
	b := current[len(current)-1]
	r := nodeRun{iteration: iteration, order: current[0].Order, source: b.ID, latest: current[len(current)-1:], outputs: b.Outputs}
	r.status = d.blockStatus(b)
	if r.status == statusFailed || r.status == statusCancelled {
		r.culprit = b
	}
	return r
}

func (d *pass) blockStatus(b *Block) nodeStatus {
	switch b.State {
	case execution.StateFailed:
		if d.willRetry(b) {
			return statusRetrying
		}
		return statusFailed
	case execution.StateCompleted, execution.StateSkipped, execution.StateCancelled:
		return statusOf(b.State)
	}
	return statusRunning
}

// summarizeItems reads a for_each iteration: one failed item (after its
// retries) fails the node, a cancelled one cancels it; it completes when
// every item completed, with each output port a list in item order.
func (d *pass) summarizeItems(i, iteration int, current []*Block, rec *ItemsRecord) nodeRun {
	r := nodeRun{iteration: iteration, order: rec.Order, source: ForEachID(d.v.ID, d.p.Flow.Nodes[i].ID, iteration), items: rec}
	for k, b := range current {
		if k+1 < len(current) && current[k+1].Index == b.Index {
			continue // a later attempt of the same item follows
		}
		r.latest = append(r.latest, b)
	}
	completed := 0
	for _, b := range r.latest {
		switch d.blockStatus(b) {
		case statusFailed:
			if r.status != statusFailed {
				r.status, r.culprit = statusFailed, b
			}
		case statusCancelled:
			if r.status != statusFailed {
				r.status, r.culprit = statusCancelled, b
			}
		case statusCompleted:
			completed++
		}
	}
	switch {
	case r.status != statusNone:
	case completed == len(rec.Items):
		r.status = statusCompleted
		r.outputs = d.itemOutputs(i, r.latest)
	default:
		r.status = statusRunning
	}
	return r
}

// itemOutputs makes each output port of node i a list of its items'
// values, in item order (null where an item left the port out).
func (d *pass) itemOutputs(i int, items []*Block) map[string]any {
	ports := map[string]bool{}
	for _, port := range d.p.Blocks[i].Outputs {
		ports[port.Name] = true
	}
	for _, b := range items {
		for k := range b.Outputs {
			ports[k] = true
		}
	}
	out := make(map[string]any, len(ports))
	for port := range ports {
		list := make([]any, len(items))
		for k, b := range items {
			list[k] = b.Outputs[port]
		}
		out[port] = list
	}
	return out
}

// setRun replaces node n's latest run with one this pass made; decisions
// already taken on its outgoing edges were about the old run.
func (d *pass) setRun(n int, r nodeRun) {
	r.created, r.order = true, math.MaxUint64
	d.runs[n] = r
	for _, ei := range d.p.Outgoing[n] {
		d.edges[ei] = edgeMemo{}
	}
}
