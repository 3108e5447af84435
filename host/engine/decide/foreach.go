package decide

import (
	"fmt"
	"maps"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// startForEach begins iteration of for_each node n: its items are computed
// once, from the run inputs and the outputs of the sources whose edges
// into it are taken (in edge order, later ones overriding), and recorded;
// then the first items are created (as many as max_concurrency allows).
// An empty list completes the node at once with an empty list on every
// output port.
func (d *pass) startForEach(n, iteration int, inputs map[string]any, triggeredBy []uuid.UUID, taken []int) {
	vars := condition.Vars{Inputs: d.v.Inputs, Outputs: map[string]any{}, Flow: d.p.FlowVars}
	for _, ei := range taken {
		if src := d.sourceNode(ei); src >= 0 {
			maps.Copy(vars.Outputs, d.runs[src].outputs)
			vars.Source = d.p.Source[src]
		}
	}
	items, err := d.p.Items[n].Eval(d.ctx, vars)
	fail := func(reason string) {
		d.endNew(n, iteration, execution.StateFailed, execution.Failure{Reason: reason, Code: CodeForEachError}, inputs, triggeredBy, nil)
	}
	switch {
	case err != nil && d.ctx.Err() != nil:
		return // decided again later
	case err != nil:
		fail(fmt.Sprintf("%s: for_each.items: %v", d.p.Labels[n], err))
		return
	case len(items) > core.MaxForEachItems:
		fail(fmt.Sprintf("%s: for_each.items gave %d items; at most %d are allowed", d.p.Labels[n], len(items), core.MaxForEachItems))
		return
	case len(items) == 0:
		empty := map[string]any{}
		for _, port := range d.p.Blocks[n].Outputs {
			empty[port.Name] = []any{}
		}
		d.endNew(n, iteration, execution.StateCompleted, execution.Failure{}, inputs, triggeredBy, empty)
		return
	}
	id := ForEachID(d.v.ID, d.p.Flow.Nodes[n].ID, iteration)
	rec := ForEachItems{
		Type: ProgressForEachItems, NodeID: d.p.Flow.Nodes[n].ID, Iteration: iteration,
		Items: items, Inputs: inputs, TriggeredBy: triggeredBy,
	}
	d.emit(RecordItems{ID: id, Items: rec})
	d.setRun(n, nodeRun{iteration: iteration, status: statusRunning, source: id, items: &ItemsRecord{ForEachItems: rec}})
	d.moreItems(n)
}

// moreItems creates the items of node n's for_each iteration that have no
// block execution yet, keeping at most max_concurrency in flight.
func (d *pass) moreItems(n int) {
	r := d.runs[n]
	items := r.items.Items
	have := make([]bool, len(items))
	inFlight := 0
	for _, b := range r.latest {
		if b.Index >= 0 && b.Index < len(items) {
			have[b.Index] = true
		}
		if b.Open() || b.State == execution.StateFailed && d.willRetry(b) {
			inFlight++
		}
	}
	limit := d.p.Ext[n].ForEach.MaxConcurrency
	as := d.p.Ext[n].ForEach.As
	for k, item := range items {
		if have[k] {
			continue
		}
		if limit > 0 && inFlight >= limit {
			return
		}
		inputs := maps.Clone(r.items.Inputs)
		if inputs == nil {
			inputs = map[string]any{}
		}
		inputs[as] = item
		d.create(CreateBlock{
			Run:    Run{Node: n, Iteration: r.iteration, Index: k, Attempt: 1},
			Inputs: inputs, TriggeredBy: r.items.TriggeredBy, Deadline: d.deadline(n),
		})
		inFlight++
	}
}
