package validate

import (
	"reflect"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

// runInputs returns the run inputs flow f reads, by the engine's wiring
// rules (the host's preflight follows the same): a node without incoming
// edges reads run inputs by its input ports' names; an entry edge reads
// them through its port mappings, or by name when it has none. Each input
// carries the schema of the port it feeds, or none when it feeds ports of
// different schemas. open reports that a block involved is unknown, so the
// names cannot all be known. The result is computed once per flow.
func (idx *flowIndex) runInputs(f *core.Flow) (inputs []core.PortDescriptor, open bool) {
	if idx.inputs != nil {
		return idx.inputs.ports, idx.inputs.open
	}
	in := &declaredInputs{}
	idx.inputs = in
	seen := map[string]int{}
	add := func(name string, schema map[string]any) {
		if j, ok := seen[name]; ok {
			if !reflect.DeepEqual(in.ports[j].Schema, schema) {
				in.ports[j].Schema = nil // fed to ports of different types: dyn
			}
			return
		}
		seen[name] = len(in.ports)
		in.ports = append(in.ports, core.PortDescriptor{Name: name, Schema: schema})
	}
	byName := func(target int) {
		b := idx.blocks[target]
		if b == nil {
			in.open = true
			return
		}
		for _, p := range b.Inputs {
			add(p.Name, p.Schema)
		}
	}
	incoming := make([]int, len(f.Nodes))
	for _, end := range idx.ends {
		if end.target >= 0 {
			incoming[end.target]++
		}
	}
	for n, count := range incoming {
		if count == 0 {
			byName(n)
		}
	}
	for i, e := range f.Edges {
		end := idx.ends[i]
		if end.source != entry || end.target < 0 {
			continue
		}
		if len(e.PortMappings) == 0 {
			byName(end.target)
			continue
		}
		b := idx.blocks[end.target]
		for _, m := range e.PortMappings {
			var schema map[string]any
			if b != nil {
				p, _ := b.Input(m.TargetPort)
				schema = p.Schema
			}
			add(m.SourcePort, schema)
		}
	}
	return in.ports, in.open
}

type declaredInputs struct {
	ports []core.PortDescriptor
	open  bool
}

// edgeDeclarations says what the condition of edge i may read: the run
// inputs, and the outputs of its source node's block (none on an entry
// edge; any when the block is unknown).
func (idx *flowIndex) edgeDeclarations(f *core.Flow, i int) condition.Declarations {
	var d condition.Declarations
	d.Inputs, d.InputsOpen = idx.runInputs(f)
	switch src := idx.ends[i].source; {
	case src == entry:
	case src >= 0 && idx.blocks[src] != nil:
		d.Outputs = sourceOutputs(f, src, idx.blocks[src])
	default:
		d.OutputsOpen = true
	}
	return d
}

// sourceOutputs returns the outputs a condition sees from node n, whose
// block is b: the block's output ports, or — when n is a for_each node —
// the same ports as lists, one value per item, since that is what such a
// node produces (the port's schema describes one item's value).
func sourceOutputs(f *core.Flow, n int, b *core.WorkBlock) []core.PortDescriptor {
	if !isForEach(f, n) {
		return b.Outputs
	}
	out := make([]core.PortDescriptor, len(b.Outputs))
	for i, p := range b.Outputs {
		out[i] = core.PortDescriptor{Name: p.Name, Schema: map[string]any{"type": "array", "items": p.Schema}}
	}
	return out
}

// isForEach reports whether node n of f runs per item (its for_each is
// checked elsewhere).
func isForEach(f *core.Flow, n int) bool {
	_, ok := f.Nodes[n].Metadata[core.MetaForEach]
	return ok
}

// nodeDeclarations says what for_each.items of node n may read: the run
// inputs and the outputs of the blocks of every node with an edge into n
// (the engine merges the outputs of the sources that triggered the run).
// A port that two sources declare with different schemas is dyn.
func (idx *flowIndex) nodeDeclarations(f *core.Flow, n int) condition.Declarations {
	var d condition.Declarations
	d.Inputs, d.InputsOpen = idx.runInputs(f)
	seen := map[string]int{}
	for _, end := range idx.ends {
		if end.target != n || end.source == entry {
			continue
		}
		if end.source < 0 || idx.blocks[end.source] == nil {
			d.OutputsOpen = true
			continue
		}
		for _, p := range sourceOutputs(f, end.source, idx.blocks[end.source]) {
			if j, ok := seen[p.Name]; ok {
				if !reflect.DeepEqual(d.Outputs[j].Schema, p.Schema) {
					d.Outputs[j].Schema = nil
				}
				continue
			}
			seen[p.Name] = len(d.Outputs)
			d.Outputs = append(d.Outputs, core.PortDescriptor{Name: p.Name, Schema: p.Schema})
		}
	}
	return d
}
