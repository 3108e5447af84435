package core

import "slices"

// Clone returns a deep copy of b: changing the copy never changes b.
func (b *WorkBlock) Clone() WorkBlock {
	n := *b
	n.Inputs = clonePorts(b.Inputs)
	n.Outputs = clonePorts(b.Outputs)
	n.ExecutionHints = slices.Clone(b.ExecutionHints)
	n.Metadata = cloneMap(b.Metadata)
	return n
}

// Clone returns a deep copy of f.
func (f *Flow) Clone() Flow {
	n := *f
	n.Nodes = make([]NodeReference, len(f.Nodes))
	for i, nr := range f.Nodes {
		nr.Metadata = cloneMap(nr.Metadata)
		n.Nodes[i] = nr
	}
	if f.Nodes == nil {
		n.Nodes = nil
	}
	n.Edges = make([]Edge, len(f.Edges))
	for i, e := range f.Edges {
		if e.Condition != nil {
			c := e.Condition.Clone()
			e.Condition = &c
		}
		e.PortMappings = slices.Clone(e.PortMappings)
		n.Edges[i] = e
	}
	if f.Edges == nil {
		n.Edges = nil
	}
	n.ExpectedOutcome = CloneValue(f.ExpectedOutcome)
	n.Metadata = cloneMap(f.Metadata)
	return n
}

// Clone returns a deep copy of c.
func (c *Condition) Clone() Condition {
	return Condition{Description: c.Description, Predicate: cloneMap(c.Predicate), Metadata: cloneMap(c.Metadata)}
}

// Clone returns a deep copy of c.
func (c *Contract) Clone() Contract {
	n := *c
	n.WorkFlows = cloneFlowRefs(c.WorkFlows)
	n.SubContracts = slices.Clone(c.SubContracts)
	for i := range n.SubContracts {
		n.SubContracts[i].Metadata = cloneMap(n.SubContracts[i].Metadata)
	}
	n.RequiredOutcomes = slices.Clone(c.RequiredOutcomes)
	for i := range n.RequiredOutcomes {
		n.RequiredOutcomes[i].Metadata = cloneMap(n.RequiredOutcomes[i].Metadata)
	}
	n.AssessmentBindings = slices.Clone(c.AssessmentBindings)
	for i := range n.AssessmentBindings {
		b := &n.AssessmentBindings[i]
		b.TestFlowRefs = cloneFlowRefs(b.TestFlowRefs)
		b.Metadata = cloneMap(b.Metadata)
	}
	n.Metadata = cloneMap(c.Metadata)
	return n
}

func cloneFlowRefs(refs []FlowReference) []FlowReference {
	out := slices.Clone(refs)
	for i := range out {
		out[i].Metadata = cloneMap(out[i].Metadata)
	}
	return out
}

func clonePorts(ports []PortDescriptor) []PortDescriptor {
	out := slices.Clone(ports)
	for i := range out {
		out[i].Schema = cloneMap(out[i].Schema)
		out[i].Metadata = cloneMap(out[i].Metadata)
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = CloneValue(v)
	}
	return out
}

// CloneValue deep-copies a JSON-like value (maps, slices and scalars).
func CloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return cloneMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = CloneValue(e)
		}
		return out
	default:
		return v
	}
}
