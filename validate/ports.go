package validate

import (
	"strconv"
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
		if end := idx.ends[i]; end.source >= 0 {
			source = idx.blocks[end.source]
		}
		if end := idx.ends[i]; end.target >= 0 {
			target = idx.blocks[end.target]
		}
		c.edgeMappings(r, i, e.PortMappings, source, target, cache)
	}
}

// edgeMappings checks the mappings of edge i. source is nil on entry edges
// (their source ports name flow inputs, which any name may be) and when the
// block is unknown; target is nil when unknown.
func (c *checker) edgeMappings(r *reporter, edge int, mappings []core.PortMapping, source, target *core.WorkBlock, cache map[*core.WorkBlock]*ports) {
	path := func(j int, field string) string {
		return at("edges", edge, "port_mappings["+strconv.Itoa(j)+"]."+field)
	}
	for j, m := range mappings {
		switch {
		case strings.TrimSpace(m.SourcePort) == "":
			r.add(path(j, "source_port"), "must not be empty")
		case source != nil:
			if _, ok := c.portsOf(cache, source).outputs[m.SourcePort]; !ok {
				r.add(path(j, "source_port"), "%q is not an output of %s (has: %s)", m.SourcePort, source.Describe(), portNames(source.Outputs))
			}
		}
		switch {
		case strings.TrimSpace(m.TargetPort) == "":
			r.add(path(j, "target_port"), "must not be empty")
		case target != nil:
			if _, ok := c.portsOf(cache, target).inputs[m.TargetPort]; !ok {
				r.add(path(j, "target_port"), "%q is not an input of %s (has: %s)", m.TargetPort, target.Describe(), portNames(target.Inputs))
			}
		}
	}
	for _, d := range duplicateTargets(mappings) {
		r.add(path(d.later, "target_port"),
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
