package core

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// EncodeJSON writes entities in the canonical JSON layout, indented, with a
// trailing newline: one entity as an object, any other number as a list.
// The layout is the one Python openoma 0.1.0 models accept: every field
// present, no "kind" field.
func EncodeJSON(entities ...Entity) ([]byte, error) {
	for i, e := range entities {
		if e == nil || isNilEntity(e) {
			return nil, fmt.Errorf("encode entity %d: nil", i)
		}
	}
	var v any = entities
	if len(entities) == 1 {
		v = entities[0]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode definitions as JSON: %w", err)
	}
	return buf.Bytes(), nil
}

func isNilEntity(e Entity) bool {
	switch t := e.(type) {
	case *WorkBlock:
		return t == nil
	case *Flow:
		return t == nil
	case *Contract:
		return t == nil
	}
	return false
}

// UnmarshalJSON decodes b from a JSON document with the rules of
// DecodeDocument: unknown fields are errors, ids left out are derived, and
// references by name cannot resolve (there is nothing to resolve against).
func (b *WorkBlock) UnmarshalJSON(data []byte) error {
	e, err := decodeOne(data, KindWorkBlock)
	if err == nil {
		*b = *e.(*WorkBlock)
	}
	return err
}

// UnmarshalJSON decodes f; see WorkBlock.UnmarshalJSON.
func (f *Flow) UnmarshalJSON(data []byte) error {
	e, err := decodeOne(data, KindFlow)
	if err == nil {
		*f = *e.(*Flow)
	}
	return err
}

// UnmarshalJSON decodes c; see WorkBlock.UnmarshalJSON.
func (c *Contract) UnmarshalJSON(data []byte) error {
	e, err := decodeOne(data, KindContract)
	if err == nil {
		*c = *e.(*Contract)
	}
	return err
}

func decodeOne(data []byte, kind Kind) (Entity, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind.label(), err)
	}
	f := &fileDecoder{}
	dr := f.decodeEntity(v, kind)
	resolveAll([]*fileDecoder{f})
	if len(f.errs) > 0 {
		return nil, sortedByLine(f.errs)
	}
	return dr.entity, nil
}
