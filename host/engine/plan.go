package engine

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host/engine/decide"
)

// ErrNotRunnable: the definition cannot run (a missing block, a bad
// metadata extension or condition). The error lists every problem.
var ErrNotRunnable = decide.ErrNotRunnable

// flowPlan is a flow version's decide.Plan, with the short names the
// executor's readers (recovery, reports) use for the parts they need.
type flowPlan struct {
	*decide.Plan
	flow      *core.Flow
	nodeIndex map[uuid.UUID]int
	blocks    []*core.WorkBlock
	terminals []int
	keys      []string
}

// planByRef returns the (cached) plan of a flow version.
func (e *Engine) planByRef(id uuid.UUID, version int) (*flowPlan, error) {
	f, ok := e.catalog.Flow(id, version)
	if !ok {
		return nil, fmt.Errorf("flow %s v%d is not in the catalog", id, version)
	}
	e.plansMu.Lock()
	defer e.plansMu.Unlock()
	r, ok := e.plans[f.Ref()]
	if !ok {
		var p *decide.Plan
		p, r.err = decide.NewPlan(e.catalog, e.cel, f, e.catalog.Source(core.KindFlow, f.Ref()).File)
		if p != nil {
			r.plan = &flowPlan{Plan: p, flow: p.Flow, nodeIndex: p.NodeIndex, blocks: p.Blocks, terminals: p.Terminals, keys: p.Keys}
		}
		e.plans[f.Ref()] = r
	}
	return r.plan, r.err
}
