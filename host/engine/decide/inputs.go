package decide

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// inputs wires the taken edges' sources to node i's input ports, in edge
// order (a later edge overrides an earlier one on the same port): explicit
// port mappings when an edge has them, else every input port of the block
// that the source has an output (or, on an entry edge, a run input) of the
// same name. A node without incoming edges takes run inputs by name. In a
// loop, a source's latest iteration supplies its outputs.
func (d *pass) inputs(i int, taken []int) map[string]any {
	in := map[string]any{}
	block := d.p.Blocks[i]
	if len(d.p.Incoming[i]) == 0 {
		for _, port := range block.Inputs {
			if v, ok := d.v.Inputs[port.Name]; ok {
				in[port.Name] = v
			}
		}
		return in
	}
	for _, ei := range taken {
		edge := d.p.Flow.Edges[ei]
		source := d.v.Inputs
		if src := d.sourceNode(ei); src >= 0 {
			source = d.runs[src].outputs
		}
		if len(edge.PortMappings) == 0 {
			for _, port := range block.Inputs {
				if v, ok := source[port.Name]; ok {
					in[port.Name] = v
				}
			}
			continue
		}
		for _, m := range edge.PortMappings {
			if v, ok := source[m.SourcePort]; ok {
				in[m.TargetPort] = v
			}
		}
	}
	return in
}

// missingInputs lists the required inputs of node i that nothing supplies;
// a for_each node's "as" port is its items' to supply.
func (d *pass) missingInputs(i int, inputs map[string]any) []string {
	var missing []string
	for _, port := range d.p.Blocks[i].Inputs {
		if fe := d.p.Ext[i].ForEach; fe != nil && fe.As == port.Name {
			continue
		}
		if _, ok := inputs[port.Name]; port.Required && !ok {
			missing = append(missing, fmt.Sprintf("%q", port.Name))
		}
	}
	return missing
}

// missingReason explains which sources were considered, so the person who
// reads it can fix the mapping or the run inputs.
func (d *pass) missingReason(i int, missing []string, taken []int) string {
	var sources []string
	if len(d.p.Incoming[i]) == 0 {
		sources = append(sources, "run inputs "+keyList(d.v.Inputs))
	}
	for _, ei := range taken {
		src := d.sourceNode(ei)
		if src < 0 {
			sources = append(sources, fmt.Sprintf("edges[%d] from the run inputs %s", ei, keyList(d.v.Inputs)))
			continue
		}
		sources = append(sources, fmt.Sprintf("edges[%d] from %s with outputs %s", ei, d.p.Labels[src], keyList(d.runs[src].outputs)))
	}
	return fmt.Sprintf("%s (%s): required input %s not supplied; considered %s",
		d.p.Labels[i], d.p.Blocks[i].Describe(), strings.Join(missing, ", "), strings.Join(sources, "; "))
}

func keyList(m map[string]any) string {
	return "[" + strings.Join(slices.Sorted(maps.Keys(m)), ", ") + "]"
}
