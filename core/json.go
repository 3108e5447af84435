package core

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The canonical JSON form is the one Python openoma 0.1.0 produces with
// model_dump(mode="json"): every field present, empty lists as [], empty
// metadata as {}, absent optional values as null. The MarshalJSON methods
// below fill nil slices and maps so that Go values made by hand encode the
// same way.

// MarshalJSON encodes p in canonical form.
func (p PortDescriptor) MarshalJSON() ([]byte, error) {
	type plain PortDescriptor
	w := plain(p)
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// UnmarshalJSON decodes p, rejecting unknown fields and defaulting
// "required" to true when it is absent, as the Python models do.
func (p *PortDescriptor) UnmarshalJSON(data []byte) error {
	type plain PortDescriptor
	w := struct {
		plain
		Required *bool `json:"required"`
	}{}
	if err := decodeStrict(data, &w); err != nil {
		return err
	}
	*p = PortDescriptor(w.plain)
	p.Required = w.Required == nil || *w.Required
	return nil
}

// MarshalJSON encodes b in canonical form.
func (b WorkBlock) MarshalJSON() ([]byte, error) {
	type plain WorkBlock
	w := plain(b)
	w.Inputs = orEmpty(w.Inputs)
	w.Outputs = orEmpty(w.Outputs)
	w.ExecutionHints = orEmpty(w.ExecutionHints)
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes c in canonical form.
func (c Condition) MarshalJSON() ([]byte, error) {
	type plain Condition
	w := plain(c)
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes n in canonical form; an empty alias is null.
func (n NodeReference) MarshalJSON() ([]byte, error) {
	type plain NodeReference
	w := struct {
		plain
		Alias *string `json:"alias"`
	}{plain: plain(n), Alias: nullable(n.Alias)}
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes e in canonical form; an entry edge's source is null.
func (e Edge) MarshalJSON() ([]byte, error) {
	type plain Edge
	w := struct {
		plain
		SourceID *string `json:"source_id"`
	}{plain: plain(e)}
	if !e.IsEntry() {
		s := e.SourceID.String()
		w.SourceID = &s
	}
	w.PortMappings = orEmpty(w.PortMappings)
	return json.Marshal(w)
}

// MarshalJSON encodes f in canonical form.
func (f Flow) MarshalJSON() ([]byte, error) {
	type plain Flow
	w := plain(f)
	w.Nodes = orEmpty(w.Nodes)
	w.Edges = orEmpty(w.Edges)
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes o in canonical form.
func (o RequiredOutcome) MarshalJSON() ([]byte, error) {
	type plain RequiredOutcome
	w := plain(o)
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes r in canonical form; an empty alias is null.
func (r FlowReference) MarshalJSON() ([]byte, error) {
	type plain FlowReference
	w := struct {
		plain
		Alias *string `json:"alias"`
	}{plain: plain(r), Alias: nullable(r.Alias)}
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes r in canonical form; an empty alias is null.
func (r ContractReference) MarshalJSON() ([]byte, error) {
	type plain ContractReference
	w := struct {
		plain
		Alias *string `json:"alias"`
	}{plain: plain(r), Alias: nullable(r.Alias)}
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes a in canonical form.
func (a AssessmentBinding) MarshalJSON() ([]byte, error) {
	type plain AssessmentBinding
	w := plain(a)
	w.TestFlowRefs = orEmpty(w.TestFlowRefs)
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

// MarshalJSON encodes c in canonical form.
func (c Contract) MarshalJSON() ([]byte, error) {
	type plain Contract
	w := plain(c)
	w.WorkFlows = orEmpty(w.WorkFlows)
	w.SubContracts = orEmpty(w.SubContracts)
	w.RequiredOutcomes = orEmpty(w.RequiredOutcomes)
	w.AssessmentBindings = orEmpty(w.AssessmentBindings)
	w.Metadata = orEmptyMap(w.Metadata)
	return json.Marshal(w)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// decodeStrict decodes one JSON value into v, rejecting fields v does not
// declare, so a misspelt field is an error rather than silently ignored.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after JSON value")
	}
	return nil
}
