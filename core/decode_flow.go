package core

import (
	"slices"
	"strings"

	"github.com/google/uuid"
)

var (
	flowFields      = []string{"kind", "id", "version", "name", "description", "nodes", "edges", "expected_outcome", "metadata"}
	nodeFields      = []string{"id", "target_id", "target_version", "block", "alias", "metadata"}
	edgeFields      = []string{"source_id", "target_id", "from", "to", "condition", "port_mappings"}
	conditionFields = []string{"description", "predicate", "metadata"}
	mappingFields   = []string{"source_port", "target_port"}
)

func (d *entityDecoder) flow(v *value) *Flow {
	d.object(v, "", "a flow", flowFields)
	f := &Flow{}
	f.ID, f.Version, f.Name = d.header(v, KindFlow)
	f.Description = d.description(v, "")
	aliases := map[string]int{}
	f.Nodes = d.nodes(v.get("nodes"), f.ID, aliases)
	f.Edges = d.edges(v.get("edges"), f.Nodes, aliases)
	if ov := v.get("expected_outcome"); ov != nil {
		f.ExpectedOutcome = ov.plainValue()
	}
	f.Metadata = d.metadata(v.get("metadata"), "metadata")
	return f
}

// nodes decodes the node slots and fills aliases (alias → index).
func (d *entityDecoder) nodes(v *value, flowID uuid.UUID, aliases map[string]int) []NodeReference {
	if v == nil {
		return []NodeReference{}
	}
	items := d.list(v, "nodes")
	// Allocated once: pending references keep pointers into this slice.
	out := make([]NodeReference, len(items))
	for i, nv := range items {
		p := index("nodes", i)
		if d.object(nv, p, "a node", nodeFields) == nil {
			continue
		}
		n := &out[i]
		if av := nv.get("alias"); av != nil {
			n.Alias = d.text(av, join(p, "alias"), true)
		}
		if n.Alias != "" {
			if first, dup := aliases[n.Alias]; dup {
				d.errorf(nv.get("alias"), join(p, "alias"), "alias %q is already used by %s", n.Alias, index("nodes", first))
			} else {
				aliases[n.Alias] = i
			}
		}
		switch iv := nv.get("id"); {
		case iv != nil && iv.kind != kindNull:
			n.ID = d.id(iv, join(p, "id"))
		case n.Alias != "":
			n.ID = DeriveNodeID(flowID, n.Alias)
		default:
			d.errorf(nv, p, "a node needs an id or an alias")
		}
		d.pinned(nv, p, KindWorkBlock, "block", "target_id", "target_version", &n.TargetID, &n.TargetVersion)
		n.Metadata = d.metadata(nv.get("metadata"), join(p, "metadata"))
	}
	return out
}

func (d *entityDecoder) edges(v *value, nodes []NodeReference, aliases map[string]int) []Edge {
	out := []Edge{}
	if v == nil {
		return out
	}
	for i, ev := range d.list(v, "edges") {
		p := index("edges", i)
		if d.object(ev, p, "an edge", edgeFields) == nil {
			continue
		}
		e := Edge{}
		e.SourceID = d.endpoint(ev, p, "from", "source_id", false, nodes, aliases)
		e.TargetID = d.endpoint(ev, p, "to", "target_id", true, nodes, aliases)
		if cv := ev.get("condition"); cv != nil {
			e.Condition = d.condition(cv, join(p, "condition"))
		}
		e.PortMappings = d.portMappings(ev.get("port_mappings"), join(p, "port_mappings"))
		out = append(out, e)
	}
	return out
}

// endpoint reads one end of an edge, by alias (aliasKey) or by node id
// (idKey). A missing source makes an entry edge.
func (d *entityDecoder) endpoint(ev *value, path, aliasKey, idKey string, required bool, nodes []NodeReference, aliases map[string]int) uuid.UUID {
	av, iv := ev.get(aliasKey), ev.get(idKey)
	switch {
	case av != nil && iv != nil:
		d.errorf(av, join(path, aliasKey), "give either %s (a node alias) or %s, not both", aliasKey, idKey)
	case av != nil:
		if av.kind == kindNull && !required {
			return uuid.Nil // from: null is an entry edge, as is no from
		}
		alias := d.text(av, join(path, aliasKey), false)
		if alias == "" {
			if av.kind == kindString {
				d.errorf(av, join(path, aliasKey), "must be a node alias, not empty")
			}
			return uuid.Nil
		}
		if i, ok := aliases[alias]; ok {
			return nodes[i].ID
		}
		known := make([]string, 0, len(aliases))
		for a := range aliases {
			known = append(known, a)
		}
		slices.Sort(known)
		d.errorf(av, join(path, aliasKey), "no node with alias %q in this flow (aliases: %s)", alias, strings.Join(known, ", "))
	case iv != nil && iv.kind != kindNull:
		return d.id(iv, join(path, idKey))
	case required:
		d.errorf(ev, join(path, aliasKey), "required: the alias of the target node (or %s)", idKey)
	}
	return uuid.Nil
}

// condition reads an edge condition: an object, or a plain string that is
// its description.
func (d *entityDecoder) condition(v *value, path string) *Condition {
	switch {
	case v.kind == kindNull:
		return nil
	case v.kind == kindString || (v.plain && v.kind != kindMap && v.kind != kindList):
		return &Condition{Description: v.str, Metadata: Metadata{}}
	}
	if d.object(v, path, "a condition", conditionFields) == nil {
		return nil
	}
	c := &Condition{}
	if dv := v.get("description"); dv != nil {
		c.Description = d.text(dv, join(path, "description"), false)
	} else {
		d.errorf(v, join(path, "description"), "required: say in words what the condition means")
	}
	c.Predicate = d.optionalObject(v.get("predicate"), join(path, "predicate"))
	c.Metadata = d.metadata(v.get("metadata"), join(path, "metadata"))
	return c
}

func (d *entityDecoder) portMappings(v *value, path string) []PortMapping {
	out := []PortMapping{}
	if v == nil {
		return out
	}
	for i, mv := range d.list(v, path) {
		p := index(path, i)
		if d.object(mv, p, "a port mapping", mappingFields) == nil {
			continue
		}
		out = append(out, PortMapping{
			SourcePort: d.requiredText(mv, "source_port", p),
			TargetPort: d.requiredText(mv, "target_port", p),
		})
	}
	return out
}
