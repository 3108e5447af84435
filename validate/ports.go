package validate

import (
	"fmt"
	"strings"

	"github.com/openoma/openoma/core"
)

// portMappings checks invariant 9 on every edge of f.
func (c *checker) portMappings(f *core.Flow, idx *flowIndex, r *reporter) {
	cache := map[*core.WorkBlock]*ports{}
	for i, e := range f.Edges {
		if len(e.PortMappings) == 0 {
			continue
		}
		var source, target *core.WorkBlock
		if pos, ok := idx.byID[e.SourceID]; ok && !e.IsEntry() {
			source = idx.blocks[pos]
		}
		if pos, ok := idx.byID[e.TargetID]; ok {
			target = idx.blocks[pos]
		}
		c.edgeMappings(r, fmt.Sprintf("edges[%d]", i), e.PortMappings, source, target, cache)
	}
}

// edgeMappings checks one edge's mappings. source is nil on entry edges
// (their source ports name flow inputs, which any name may be) and when the
// block is unknown; target is nil when unknown.
func (c *checker) edgeMappings(r *reporter, path string, mappings []core.PortMapping, source, target *core.WorkBlock, cache map[*core.WorkBlock]*ports) {
	for j, m := range mappings {
		mp := fmt.Sprintf("%s.port_mappings[%d]", path, j)
		switch {
		case strings.TrimSpace(m.SourcePort) == "":
			r.add(mp+".source_port", "must not be empty")
		case source != nil:
			if _, ok := c.portsOf(cache, source).outputs[m.SourcePort]; !ok {
				r.add(mp+".source_port", "%q is not an output of %s (has: %s)", m.SourcePort, source.Describe(), portNames(source.Outputs))
			}
		}
		switch {
		case strings.TrimSpace(m.TargetPort) == "":
			r.add(mp+".target_port", "must not be empty")
		case target != nil:
			if _, ok := c.portsOf(cache, target).inputs[m.TargetPort]; !ok {
				r.add(mp+".target_port", "%q is not an input of %s (has: %s)", m.TargetPort, target.Describe(), portNames(target.Inputs))
			}
		}
	}
	for _, d := range duplicateTargets(mappings) {
		r.add(fmt.Sprintf("%s.port_mappings[%d].target_port", path, d.later),
			"%q is already fed by port_mappings[%d] of this edge; an input takes one value", mappings[d.later].TargetPort, d.first)
	}
}

type duplicate struct{ first, later int }

// duplicateTargets lists, in order, each mapping whose non-empty target
// port an earlier mapping already feeds. Edges carry a handful of
// mappings, so small lists are scanned without allocating; long ones use a
// map to stay linear.
func duplicateTargets(mappings []core.PortMapping) []duplicate {
	var dups []duplicate
	note := func(j, k int) { dups = append(dups, duplicate{first: k, later: j}) }
	const scanLimit = 8
	if len(mappings) <= scanLimit {
		for j := 1; j < len(mappings); j++ {
			for k := range j {
				if t := mappings[j].TargetPort; t != "" && mappings[k].TargetPort == t {
					note(j, k)
					break
				}
			}
		}
		return dups
	}
	first := make(map[string]int, len(mappings))
	for j, m := range mappings {
		if m.TargetPort == "" {
			continue
		}
		if k, ok := first[m.TargetPort]; ok {
			note(j, k)
			continue
		}
		first[m.TargetPort] = j
	}
	return dups
}
