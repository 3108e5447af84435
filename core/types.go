package core

import (
	"github.com/google/uuid"
)

// Kind names one of the three versioned entity kinds.
type Kind string

// The entity kinds. The strings are those accepted in a document's "kind" field.
const (
	KindWorkBlock Kind = "work_block"
	KindFlow      Kind = "flow"
	KindContract  Kind = "contract"
)

// Metadata is an entity's free-form key/value annotations. It is never nil
// after decoding, so Python openoma's `{}` round-trips.
type Metadata = map[string]any

// PortDescriptor names and describes one input or output of a WorkBlock (§2.1).
type PortDescriptor struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Required reports whether the port must be supplied (inputs) or will
	// always be produced (outputs). It defaults to true when a document
	// leaves it out, as in the Python models.
	Required bool `json:"required"`
	// Schema is an optional JSON Schema document; nil encodes as null.
	Schema   map[string]any `json:"schema"`
	Metadata Metadata       `json:"metadata"`
}

// WorkBlock is the atomic unit of operational work (§2.1).
type WorkBlock struct {
	ID             uuid.UUID        `json:"id"`
	Version        int              `json:"version"`
	Name           string           `json:"name"`
	Description    string           `json:"description"`
	Inputs         []PortDescriptor `json:"inputs"`
	Outputs        []PortDescriptor `json:"outputs"`
	ExecutionHints []string         `json:"execution_hints"`
	Metadata       Metadata         `json:"metadata"`
}

// Condition is a value object embedded in an edge (§2.2). A Condition with
// only a Description is judged by a person or an agent; one with a Predicate
// can be evaluated by a machine. The predicate format openoma understands is
// {"cel": "<expression>"}.
type Condition struct {
	Description string         `json:"description"`
	Predicate   map[string]any `json:"predicate"`
	Metadata    Metadata       `json:"metadata"`
}

// NodeReference is a slot in a flow that points to a pinned WorkBlock (§2.3.1).
type NodeReference struct {
	ID            uuid.UUID `json:"id"`
	TargetID      uuid.UUID `json:"target_id"`
	TargetVersion int       `json:"target_version"`
	// Alias is an optional human label; "" encodes as null.
	Alias    string   `json:"alias"`
	Metadata Metadata `json:"metadata"`
}

// PortMapping wires an output port of an edge's source node to an input port
// of its target node (§2.3.2).
type PortMapping struct {
	SourcePort string `json:"source_port"`
	TargetPort string `json:"target_port"`
}

// Edge connects two nodes of a flow (§2.3.2). An entry edge has a zero
// SourceID (encoded as null).
type Edge struct {
	SourceID     uuid.UUID     `json:"source_id"`
	TargetID     uuid.UUID     `json:"target_id"`
	Condition    *Condition    `json:"condition"`
	PortMappings []PortMapping `json:"port_mappings"`
}

// IsEntry reports whether e is an entry edge (it has no source node).
func (e Edge) IsEntry() bool { return e.SourceID == uuid.Nil }

// Flow is a directed graph of node slots (§2.3.3).
type Flow struct {
	ID          uuid.UUID       `json:"id"`
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Nodes       []NodeReference `json:"nodes"`
	Edges       []Edge          `json:"edges"`
	// ExpectedOutcome is an opaque declaration of what the flow is meant to
	// achieve; nil encodes as null.
	ExpectedOutcome any      `json:"expected_outcome"`
	Metadata        Metadata `json:"metadata"`
}

// RequiredOutcome is a named goal a contract must achieve (§2.4.1).
type RequiredOutcome struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Metadata    Metadata  `json:"metadata"`
}

// FlowReference pins a flow version (§2.4.5).
type FlowReference struct {
	FlowID      uuid.UUID `json:"flow_id"`
	FlowVersion int       `json:"flow_version"`
	Alias       string    `json:"alias"`
	Metadata    Metadata  `json:"metadata"`
}

// ContractReference pins a sub-contract version (§2.4.3).
type ContractReference struct {
	ContractID      uuid.UUID `json:"contract_id"`
	ContractVersion int       `json:"contract_version"`
	Alias           string    `json:"alias"`
	Metadata        Metadata  `json:"metadata"`
}

// AssessmentBinding links a RequiredOutcome to the flow that assesses it and
// the test flows whose terminal outputs feed that flow (§2.4.4).
type AssessmentBinding struct {
	RequiredOutcomeID     uuid.UUID       `json:"required_outcome_id"`
	AssessmentFlowID      uuid.UUID       `json:"assessment_flow_id"`
	AssessmentFlowVersion int             `json:"assessment_flow_version"`
	TestFlowRefs          []FlowReference `json:"test_flow_refs"`
	Metadata              Metadata        `json:"metadata"`
}

// Contract is an organisational commitment: work on one side, required
// outcomes and their assessments on the other (§2.4.5).
type Contract struct {
	ID                 uuid.UUID           `json:"id"`
	Version            int                 `json:"version"`
	Name               string              `json:"name"`
	Description        string              `json:"description"`
	WorkFlows          []FlowReference     `json:"work_flows"`
	SubContracts       []ContractReference `json:"sub_contracts"`
	RequiredOutcomes   []RequiredOutcome   `json:"required_outcomes"`
	AssessmentBindings []AssessmentBinding `json:"assessment_bindings"`
	Metadata           Metadata            `json:"metadata"`
}

// Ref identifies one version of one entity.
type Ref struct {
	ID      uuid.UUID
	Version int
}

// Ref returns the (id, version) pair of b.
func (b *WorkBlock) Ref() Ref { return Ref{b.ID, b.Version} }

// Ref returns the (id, version) pair of f.
func (f *Flow) Ref() Ref { return Ref{f.ID, f.Version} }

// Ref returns the (id, version) pair of c.
func (c *Contract) Ref() Ref { return Ref{c.ID, c.Version} }

// Input returns the input port named name.
func (b *WorkBlock) Input(name string) (PortDescriptor, bool) { return findPort(b.Inputs, name) }

// Output returns the output port named name.
func (b *WorkBlock) Output(name string) (PortDescriptor, bool) { return findPort(b.Outputs, name) }

func findPort(ports []PortDescriptor, name string) (PortDescriptor, bool) {
	for _, p := range ports {
		if p.Name == name {
			return p, true
		}
	}
	return PortDescriptor{}, false
}

// Node returns the slot with the given id.
func (f *Flow) Node(id uuid.UUID) (NodeReference, bool) {
	for _, n := range f.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return NodeReference{}, false
}

// NodeByAlias returns the slot with the given alias.
func (f *Flow) NodeByAlias(alias string) (NodeReference, bool) {
	for _, n := range f.Nodes {
		if n.Alias != "" && n.Alias == alias {
			return n, true
		}
	}
	return NodeReference{}, false
}

// TerminalNodes returns the ids of the nodes with no outgoing edges, in the
// order of f.Nodes.
func (f *Flow) TerminalNodes() []uuid.UUID {
	hasOut := make(map[uuid.UUID]bool, len(f.Nodes))
	for _, e := range f.Edges {
		if !e.IsEntry() {
			hasOut[e.SourceID] = true
		}
	}
	var out []uuid.UUID
	for _, n := range f.Nodes {
		if !hasOut[n.ID] {
			out = append(out, n.ID)
		}
	}
	return out
}

// RequiredOutcome returns the required outcome with the given id.
func (c *Contract) RequiredOutcome(id uuid.UUID) (RequiredOutcome, bool) {
	for _, o := range c.RequiredOutcomes {
		if o.ID == id {
			return o, true
		}
	}
	return RequiredOutcome{}, false
}
