package validate

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

func (c *checker) contract(k *core.Contract, src core.Source) {
	r := c.reporter(k.Describe(), src)
	r.header(k.ID, k.Version, k.Name)
	c.flowRefs(r, "work_flows", k.WorkFlows)
	for i, ref := range k.SubContracts {
		c.pin(r, core.KindContract, ref.ContractID, ref.ContractVersion, "sub_contracts", i, "contract_id", "contract_version")
	}
	r.unique(len(k.SubContracts),
		func(i int) string { return k.SubContracts[i].Alias },
		func(i int) string { return fmt.Sprintf("sub_contracts[%d].alias", i) },
		"alias", "sub-contract aliases", true)
	c.outcomes(r, k.RequiredOutcomes)
	for i, b := range k.AssessmentBindings {
		c.binding(r, k, fmt.Sprintf("assessment_bindings[%d]", i), b)
	}
}

// flowRefs checks a list of flow references: pinned, existing, and with
// unique aliases.
func (c *checker) flowRefs(r *reporter, field string, refs []core.FlowReference) {
	for i, ref := range refs {
		c.pin(r, core.KindFlow, ref.FlowID, ref.FlowVersion, field, i, "flow_id", "flow_version")
	}
	r.unique(len(refs),
		func(i int) string { return refs[i].Alias },
		func(i int) string { return fmt.Sprintf("%s[%d].alias", field, i) },
		"alias", "flow reference aliases", true)
}

func (c *checker) outcomes(r *reporter, outcomes []core.RequiredOutcome) {
	seen := make(map[uuid.UUID]int, len(outcomes))
	for i, o := range outcomes {
		path := fmt.Sprintf("required_outcomes[%d].id", i)
		if o.ID == uuid.Nil {
			r.add(path, "must be set to a UUID")
			continue
		}
		if j, dup := seen[o.ID]; dup {
			r.add(path, "outcome id %s is already used by required_outcomes[%d]; outcome ids must be unique", o.ID, j)
			continue
		}
		seen[o.ID] = i
	}
	r.unique(len(outcomes),
		func(i int) string { return outcomes[i].Name },
		func(i int) string { return fmt.Sprintf("required_outcomes[%d].name", i) },
		"name", "outcome names", false)
}

// binding checks one AssessmentBinding: it names an outcome of its own
// contract, and its assessment and test flows are pinned and exist; the
// assessment flow has exactly one terminal node (invariant 1).
func (c *checker) binding(r *reporter, k *core.Contract, path string, b core.AssessmentBinding) {
	switch {
	case b.RequiredOutcomeID == uuid.Nil:
		r.add(path+".required_outcome_id", "must name one of this contract's required outcomes")
	default:
		if _, ok := k.RequiredOutcome(b.RequiredOutcomeID); !ok {
			names := make([]string, len(k.RequiredOutcomes))
			for i, o := range k.RequiredOutcomes {
				names[i] = o.Name
			}
			r.add(path+".required_outcome_id", "%s is not a required outcome of this contract (has: %s)", b.RequiredOutcomeID, quoteAll(names))
		}
	}
	idPath := path + ".assessment_flow_id"
	if c.pin(r, core.KindFlow, b.AssessmentFlowID, b.AssessmentFlowVersion, path, -1, "assessment_flow_id", "assessment_flow_version") {
		f, _ := c.resolver.Flow(b.AssessmentFlowID, b.AssessmentFlowVersion)
		if terminals := f.TerminalNodes(); len(terminals) != 1 {
			r.add(idPath, "%s is used as an assessment flow, which must have exactly one terminal node; it has %s",
				f.Describe(), describeTerminals(f, c.indexFlow(f, nil), terminals))
		}
	}
	c.flowRefs(r, path+".test_flow_refs", b.TestFlowRefs)
}

// contractCycles finds circular sub-contract inclusion (invariant 3) by a
// depth-first search from roots over pinned sub-contract references. With
// single set, roots holds the one contract being validated (which need not
// be in the resolver) and every cycle reachable from it is reported on it,
// at the sub-contract entry that leads into the cycle. Otherwise (a
// catalog) each cycle is reported once, on the contract whose reference
// closes it.
func (c *checker) contractCycles(roots []*core.Contract, single bool) {
	lookup := func(ref core.Ref) *core.Contract {
		if single && ref == roots[0].Ref() {
			return roots[0]
		}
		if c.resolver == nil {
			return nil
		}
		k, _ := c.resolver.Contract(ref.ID, ref.Version)
		return k
	}
	const (
		grey = iota + 1
		black
	)
	state := map[core.Ref]int{}
	depth := map[core.Ref]int{}
	type frame struct {
		k    *core.Contract
		next int
	}
	var stack []frame
	var path []*core.Contract
	for _, root := range roots {
		if state[root.Ref()] != 0 {
			continue
		}
		state[root.Ref()], depth[root.Ref()] = grey, 0
		stack = append(stack[:0], frame{k: root})
		path = append(path[:0], root)
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(top.k.SubContracts) {
				state[top.k.Ref()] = black
				stack, path = stack[:len(stack)-1], path[:len(path)-1]
				continue
			}
			ref := top.k.SubContracts[top.next]
			top.next++
			child := core.Ref{ID: ref.ContractID, Version: ref.ContractVersion}
			switch state[child] {
			case 0:
				if sub := lookup(child); sub != nil {
					state[child], depth[child] = grey, len(path)
					stack = append(stack, frame{k: sub})
					path = append(path, sub)
				}
			case grey:
				owner, at := top.k, top.next-1
				if single {
					owner, at = roots[0], stack[0].next-1
				}
				src := c.cfg.source
				if c.sourceOf != nil {
					src = c.sourceOf(owner)
				}
				c.reporter(owner.Describe(), src).add(fmt.Sprintf("sub_contracts[%d]", at),
					"circular sub-contract inclusion %s; a contract may not include itself, directly or through its sub-contracts",
					contractCycleText(path[depth[child]:]))
			}
		}
	}
}

func contractCycleText(cycle []*core.Contract) string {
	const limit = 8
	var parts []string
	for i, k := range cycle {
		if i == limit {
			parts = append(parts, fmt.Sprintf("… %d more …", len(cycle)-limit))
			break
		}
		parts = append(parts, fmt.Sprintf("%q v%d", k.Name, k.Version))
	}
	parts = append(parts, fmt.Sprintf("%q v%d", cycle[0].Name, cycle[0].Version))
	return strings.Join(parts, " → ")
}
