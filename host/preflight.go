package host

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host/router"
)

// ErrPreflight marks a run refused before anything was recorded: the
// inputs do not fit what the flow or contract takes, or one of its blocks
// has no plugin. errors.Is(err, ErrPreflight) holds for every such error.
var ErrPreflight = errors.New("refused before recording")

// runShape is what one run of a flow or contract needs from its inputs and
// from the router, collected over every flow it may run.
type runShape struct {
	// takes: every run input some flow reads, with the flows that read it.
	takes map[string][]string
	// requires: run inputs that a block will certainly need, with who.
	requires map[string][]string
	// unroutable: one line per block no plugin serves.
	unroutable []string
	seenFlows  map[core.Ref]bool
}

// preflight checks a run before it is recorded, so that a run that can only
// fail (a required input missing, an input nothing reads, a block no plugin
// serves) is refused with what to fix rather than stored and failed later.
// f or k is the definition found for the reference.
func (h *Host) preflight(f *core.Flow, k *core.Contract, inputs map[string]any) error {
	s := &runShape{takes: map[string][]string{}, requires: map[string][]string{}, seenFlows: map[core.Ref]bool{}}
	var what string
	if f != nil {
		what = f.Describe()
		s.addFlow(h.catalog, h.router, f, false)
	} else {
		what = k.Describe()
		s.addContract(h.catalog, h.router, k, map[core.Ref]bool{})
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(s.requires)) {
		if _, ok := inputs[name]; !ok {
			problems = append(problems, fmt.Sprintf("required input %q not supplied (needed by %s); give it with --input %s=VALUE",
				name, strings.Join(s.requires[name], ", "), name))
		}
	}
	known := slices.Sorted(maps.Keys(s.takes))
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		if _, ok := s.takes[name]; ok {
			continue
		}
		msg := fmt.Sprintf("unknown input %q: nothing in %s reads it", name, what)
		if best := closest(name, known); best != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", best)
		}
		if len(known) > 0 {
			msg += "; it takes " + strings.Join(known, ", ")
		} else {
			msg += "; it takes no run inputs"
		}
		problems = append(problems, msg)
	}
	problems = append(problems, s.unroutable...)
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s:\n  %s", ErrPreflight, what, strings.Join(problems, "\n  "))
}

// addContract collects every flow a contract runs: work flows, test flows
// and assessment flows, down its sub-contracts. Assessment flows take
// their entry inputs from the test flows, so their required inputs are not
// asked of the run; what they read by name still counts as taken.
func (s *runShape) addContract(c *core.Catalog, r *router.Router, k *core.Contract, path map[core.Ref]bool) {
	if path[k.Ref()] {
		return // a cycle of sub-contracts; the engine's own check names it
	}
	path[k.Ref()] = true
	defer delete(path, k.Ref())
	flow := func(id uuid.UUID, version int, assessment bool) {
		if f, ok := c.Flow(id, version); ok {
			s.addFlow(c, r, f, assessment)
		}
	}
	for _, ref := range k.WorkFlows {
		flow(ref.FlowID, ref.FlowVersion, false)
	}
	for _, b := range k.AssessmentBindings {
		for _, ref := range b.TestFlowRefs {
			flow(ref.FlowID, ref.FlowVersion, false)
		}
		flow(b.AssessmentFlowID, b.AssessmentFlowVersion, true)
	}
	for _, ref := range k.SubContracts {
		if sub, ok := c.Contract(ref.ContractID, ref.ContractVersion); ok {
			s.addContract(c, r, sub, path)
		}
	}
}

// addFlow collects the run inputs a flow reads, the ones its entry nodes
// certainly need, and its unroutable blocks. It follows the engine's
// wiring rules: a node without incoming edges reads run inputs by port
// name; an entry edge reads them through its port mappings, or by name
// when it has none. A required port counts as needed only when every edge
// into the node is an unconditional entry edge (or there is none): then
// nothing but the run can supply it.
func (s *runShape) addFlow(c *core.Catalog, r *router.Router, f *core.Flow, assessment bool) {
	if s.seenFlows[f.Ref()] {
		return
	}
	s.seenFlows[f.Ref()] = true
	incoming := map[uuid.UUID][]core.Edge{}
	for _, e := range f.Edges {
		incoming[e.TargetID] = append(incoming[e.TargetID], e)
		if e.Condition != nil {
			if expr, ok := e.Condition.Predicate["cel"].(string); ok {
				s.takeReadBy(expr, fmt.Sprintf("%s condition", f.Describe()))
			}
		}
	}
	for i, n := range f.Nodes {
		b, ok := c.WorkBlock(n.TargetID, n.TargetVersion)
		if !ok {
			continue // validation reports it
		}
		label := fmt.Sprintf("%s node %q", f.Describe(), nodeLabel(n))
		itemPort := ""
		if ext, err := core.NodeExtensions(f, i, b); err == nil && ext.ForEach != nil {
			// Each item fills this port; the list comes from the expression.
			itemPort = ext.ForEach.As
			s.takeReadBy(ext.ForEach.Items, label+" for_each")
		}
		s.route(r, b, label)
		edges := incoming[n.ID]
		onlyRun := true
		for _, e := range edges {
			if !e.IsEntry() || e.Condition != nil {
				onlyRun = false
			}
		}
		supplied := map[string]string{} // target port → run input
		if len(edges) == 0 {
			for _, p := range b.Inputs {
				supplied[p.Name] = p.Name
			}
		}
		for _, e := range edges {
			if !e.IsEntry() {
				continue
			}
			if len(e.PortMappings) == 0 {
				for _, p := range b.Inputs {
					supplied[p.Name] = p.Name
				}
				continue
			}
			for _, m := range e.PortMappings {
				supplied[m.TargetPort] = m.SourcePort
			}
		}
		delete(supplied, itemPort)
		for port, input := range supplied {
			s.takes[input] = appendOnce(s.takes[input], label)
			if assessment || !onlyRun {
				continue
			}
			for _, p := range b.Inputs {
				if p.Name == port && p.Required {
					s.requires[input] = appendOnce(s.requires[input], label)
				}
			}
		}
	}
}

// inputRefs finds the run inputs a CEL expression reads: inputs.name and
// inputs["name"]. Reading too much here only makes preflight accept an
// input; the run then simply does not use it.
var inputRefs = regexp.MustCompile(`\binputs\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])`)

// takeReadBy counts the inputs expr reads as taken by who.
func (s *runShape) takeReadBy(expr, who string) {
	for _, m := range inputRefs.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		if name == "" {
			name = m[2]
		}
		s.takes[name] = appendOnce(s.takes[name], who)
	}
}

// route records a block no plugin serves. Hints in the "openoma." space are
// served by the host itself and need no plugin.
func (s *runShape) route(r *router.Router, b *core.WorkBlock, label string) {
	var hints []string
	for _, h := range b.ExecutionHints {
		if !strings.HasPrefix(h, "openoma.") {
			hints = append(hints, h)
		}
	}
	if len(hints) == 0 && len(b.ExecutionHints) > 0 {
		return
	}
	if _, err := r.RouteHints(b.Describe(), hints); err != nil {
		line := fmt.Sprintf("%s: %v", label, err)
		if !slices.Contains(s.unroutable, line) {
			s.unroutable = append(s.unroutable, line)
		}
	}
}

func nodeLabel(n core.NodeReference) string {
	if n.Alias != "" {
		return n.Alias
	}
	return n.ID.String()
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// closest suggests a known name within two edits of name, or one that
// starts with it, for "did you mean"; "" when none is that close.
func closest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		lo, lk := strings.ToLower(name), strings.ToLower(k)
		d := core.EditDistance(lo, lk)
		if len(lo) >= 3 && (strings.HasPrefix(lk, lo) || strings.HasPrefix(lo, lk)) {
			d = min(d, 2) // "ticket" for "ticket_id"
		}
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}
