package core

import (
	"github.com/google/uuid"
)

var (
	contractFields    = []string{"kind", "id", "version", "name", "description", "work_flows", "sub_contracts", "required_outcomes", "assessment_bindings", "metadata"}
	flowRefFields     = []string{"flow", "flow_id", "flow_version", "alias", "metadata"}
	contractRefFields = []string{"contract", "contract_id", "contract_version", "alias", "metadata"}
	outcomeFields     = []string{"id", "name", "description", "metadata"}
	bindingFields     = []string{"required_outcome", "required_outcome_id", "assessment_flow", "assessment_flow_id", "assessment_flow_version", "test_flows", "test_flow_refs", "metadata"}
)

func (d *entityDecoder) contract(v *value) *Contract {
	d.object(v, "", "a contract", contractFields)
	c := &Contract{}
	c.ID, c.Version, c.Name = d.header(v, KindContract)
	c.Description = d.description(v, "")
	c.WorkFlows = d.flowRefs(v.get("work_flows"), "work_flows")
	c.SubContracts = d.contractRefs(v.get("sub_contracts"), "sub_contracts")
	c.RequiredOutcomes = d.outcomes(v.get("required_outcomes"), c.ID)
	c.AssessmentBindings = d.bindings(v.get("assessment_bindings"), c.RequiredOutcomes)
	c.Metadata = d.metadata(v.get("metadata"), "metadata")
	return c
}

// flowRefs reads FlowReferences: objects, or "Name@version" strings.
func (d *entityDecoder) flowRefs(v *value, path string) []FlowReference {
	if v == nil {
		return []FlowReference{}
	}
	items := d.list(v, path)
	out := make([]FlowReference, len(items)) // pending references point into it
	for i, rv := range items {
		p := index(path, i)
		r := &out[i]
		r.Metadata = Metadata{}
		if rv.kind != kindMap {
			if ref, ok := d.reference(rv, p, KindFlow); ok {
				r.FlowVersion = ref.version
				d.pin(KindFlow, ref, rv, p, func(id uuid.UUID) { r.FlowID = id })
			}
			continue
		}
		d.object(rv, p, "a flow reference", flowRefFields)
		d.pinned(rv, p, KindFlow, "flow", "flow_id", "flow_version", &r.FlowID, &r.FlowVersion)
		if av := rv.get("alias"); av != nil {
			r.Alias = d.text(av, join(p, "alias"), true)
		}
		r.Metadata = d.metadata(rv.get("metadata"), join(p, "metadata"))
	}
	return out
}

// contractRefs reads ContractReferences: objects, or "Name@version" strings.
func (d *entityDecoder) contractRefs(v *value, path string) []ContractReference {
	if v == nil {
		return []ContractReference{}
	}
	items := d.list(v, path)
	out := make([]ContractReference, len(items))
	for i, rv := range items {
		p := index(path, i)
		r := &out[i]
		r.Metadata = Metadata{}
		if rv.kind != kindMap {
			if ref, ok := d.reference(rv, p, KindContract); ok {
				r.ContractVersion = ref.version
				d.pin(KindContract, ref, rv, p, func(id uuid.UUID) { r.ContractID = id })
			}
			continue
		}
		d.object(rv, p, "a contract reference", contractRefFields)
		d.pinned(rv, p, KindContract, "contract", "contract_id", "contract_version", &r.ContractID, &r.ContractVersion)
		if av := rv.get("alias"); av != nil {
			r.Alias = d.text(av, join(p, "alias"), true)
		}
		r.Metadata = d.metadata(rv.get("metadata"), join(p, "metadata"))
	}
	return out
}

func (d *entityDecoder) outcomes(v *value, contractID uuid.UUID) []RequiredOutcome {
	out := []RequiredOutcome{}
	if v == nil {
		return out
	}
	names := map[string]int{}
	for i, ov := range d.list(v, "required_outcomes") {
		p := index("required_outcomes", i)
		if d.object(ov, p, "a required outcome", outcomeFields) == nil {
			continue
		}
		o := RequiredOutcome{}
		o.Name = d.requiredText(ov, "name", p)
		first, dup := names[o.Name]
		if !dup {
			names[o.Name] = i
		}
		switch iv := ov.get("id"); {
		case iv != nil && iv.kind != kindNull:
			o.ID = d.id(iv, join(p, "id"))
		case dup && o.Name != "":
			d.errorf(ov, join(p, "name"), "outcome %q is declared twice (also required_outcomes[%d]); give each a distinct name or an id", o.Name, first)
		case o.Name != "":
			o.ID = DeriveOutcomeID(contractID, o.Name)
		}
		o.Description = d.description(ov, p)
		o.Metadata = d.metadata(ov.get("metadata"), join(p, "metadata"))
		out = append(out, o)
	}
	return out
}

func (d *entityDecoder) bindings(v *value, outcomes []RequiredOutcome) []AssessmentBinding {
	if v == nil {
		return []AssessmentBinding{}
	}
	items := d.list(v, "assessment_bindings")
	out := make([]AssessmentBinding, len(items))
	for i, bv := range items {
		p := index("assessment_bindings", i)
		b := &out[i]
		b.TestFlowRefs, b.Metadata = []FlowReference{}, Metadata{}
		if d.object(bv, p, "an assessment binding", bindingFields) == nil {
			continue
		}
		b.RequiredOutcomeID = d.outcomeRef(bv, p, outcomes)
		d.pinned(bv, p, KindFlow, "assessment_flow", "assessment_flow_id", "assessment_flow_version", &b.AssessmentFlowID, &b.AssessmentFlowVersion)
		tv, alt := bv.get("test_flows"), bv.get("test_flow_refs")
		switch {
		case tv != nil && alt != nil:
			d.errorf(tv, join(p, "test_flows"), "give test_flows or test_flow_refs, not both")
		case tv != nil:
			b.TestFlowRefs = d.flowRefs(tv, join(p, "test_flows"))
		case alt != nil:
			b.TestFlowRefs = d.flowRefs(alt, join(p, "test_flow_refs"))
		}
		b.Metadata = d.metadata(bv.get("metadata"), join(p, "metadata"))
	}
	return out
}

// outcomeRef reads the outcome a binding assesses: by name (required_outcome)
// among the contract's own outcomes, or by id (required_outcome_id).
func (d *entityDecoder) outcomeRef(bv *value, path string, outcomes []RequiredOutcome) uuid.UUID {
	nv, iv := bv.get("required_outcome"), bv.get("required_outcome_id")
	switch {
	case nv != nil && iv != nil:
		d.errorf(nv, join(path, "required_outcome"), "give required_outcome (a name) or required_outcome_id, not both")
	case nv != nil:
		name := d.text(nv, join(path, "required_outcome"), false)
		var match []RequiredOutcome
		var names []string
		for _, o := range outcomes {
			names = append(names, o.Name)
			if o.Name == name {
				match = append(match, o)
			}
		}
		switch len(match) {
		case 1:
			return match[0].ID
		case 0:
			d.errorf(nv, join(path, "required_outcome"), "no required outcome named %q in this contract (has: %s)", name, quoteList(names))
		default:
			d.errorf(nv, join(path, "required_outcome"), "%d required outcomes are named %q; refer to one by required_outcome_id", len(match), name)
		}
	case iv != nil:
		return d.id(iv, join(path, "required_outcome_id"))
	default:
		d.errorf(bv, join(path, "required_outcome"), "required: the name of the outcome this binding assesses")
	}
	return uuid.Nil
}
