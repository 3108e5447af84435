// Package eventlabel names the executions of an event stream as people know
// them — the flow or contract, or the node alias and block of a block
// execution — learned from the created events as they stream past. The CLI
// (events, logs) and the execution console both use it.
package eventlabel

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// Labels names the execution of each event as a person knows it
// — the node alias and block of a block execution, the flow or contract of
// the others — learned from the created events as they stream past (a
// parent's created event is always stored before its children's). The
// definitions come from the same config the daemon loads; without them
// (nil catalog) lines keep the bare ids.
type Labels struct {
	catalog *core.Catalog
	flows   map[uuid.UUID]*core.Flow // flow execution → its flow
	labels  map[uuid.UUID]string
}

// New returns Labels over the definitions of cat (nil: no names).
func New(cat *core.Catalog) *Labels {
	return &Labels{catalog: cat, flows: map[uuid.UUID]*core.Flow{}, labels: map[uuid.UUID]string{}}
}

// Label returns the name of ev's execution, "" when it is not known. Call
// it for every event of the stream, in order.
func (l *Labels) Label(ev execution.Event) string {
	if l == nil || l.catalog == nil {
		return ""
	}
	if ev.EventType == execution.EventCreated {
		l.learn(ev)
	}
	return l.labels[ev.ExecutionID]
}

func (l *Labels) learn(ev execution.Event) {
	var c execution.Created
	if json.Unmarshal(ev.Payload, &c) != nil {
		return
	}
	switch c.Kind {
	case execution.KindFlow:
		if f, ok := l.catalog.Flow(c.FlowID, c.FlowVersion); ok {
			l.flows[ev.ExecutionID] = f
			l.labels[ev.ExecutionID] = fmt.Sprintf("flow %q", f.Name)
		}
	case execution.KindContract:
		if k, ok := l.catalog.Contract(c.ContractID, c.ContractVersion); ok {
			l.labels[ev.ExecutionID] = fmt.Sprintf("contract %q", k.Name)
		}
	case execution.KindBlock:
		block := c.WorkBlockID.String()[:8]
		if b, ok := l.catalog.WorkBlock(c.WorkBlockID, c.WorkBlockVersion); ok {
			block = b.Name
		}
		alias := c.NodeReferenceID.String()[:8]
		if f := l.flows[c.FlowExecutionID]; f != nil {
			for _, n := range f.Nodes {
				if n.ID == c.NodeReferenceID && n.Alias != "" {
					alias = n.Alias
				}
			}
		}
		l.labels[ev.ExecutionID] = fmt.Sprintf("%s (%s)", alias, block)
	}
}
