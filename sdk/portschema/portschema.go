// Package portschema checks values against the JSON Schemas that a block's
// ports may declare (PortDescriptor.schema). Plugins use it to check the
// inputs they get and the outputs they produce; the host's task service
// uses it to check what a person submits. Problems name the JSON pointer
// (RFC 6901) of the offending value.
package portschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ErrInvalidSchema: the port's schema is not a valid JSON Schema.
var ErrInvalidSchema = errors.New("the port's schema is not a valid JSON schema")

// Validator compiles schemas once per distinct schema text and checks
// values against them. The zero value is ready; it is safe for concurrent
// use.
type Validator struct{ cache sync.Map }

// Validate returns nil when v satisfies schema. Otherwise the error wraps
// ErrInvalidSchema (the schema itself is broken) or lists every violation,
// each with the JSON pointer of the value it is about:
//
//	at "/value": minimum: got -3, want 0
func (c *Validator) Validate(schema map[string]any, v any) error {
	compiled, err := c.compile(schema)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	value, err := normalise(v)
	if err != nil {
		return fmt.Errorf("not a JSON value: %w", err)
	}
	if err := compiled.Validate(value); err != nil {
		return errors.New(describe(err))
	}
	return nil
}

func (c *Validator) compile(schema map[string]any) (*jsonschema.Schema, error) {
	text, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	if s, ok := c.cache.Load(string(text)); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	compiler := jsonschema.NewCompiler()
	const url = "https://openoma.invalid/port-schema.json"
	if err := compiler.AddResource(url, doc); err != nil {
		return nil, err
	}
	s, err := compiler.Compile(url)
	if err != nil {
		return nil, err
	}
	c.cache.Store(string(text), s)
	return s, nil
}

// normalise turns any Go value into the JSON data model the validator
// expects (numbers as json.Number, objects as map[string]any).
func normalise(v any) (any, error) {
	text, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(text))
}

// describe flattens the validator's error tree into its leaves, each with
// the JSON pointer of the value it is about.
func describe(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	printer := message.NewPrinter(language.English)
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, fmt.Sprintf("at %q: %s", pointer(e.InstanceLocation), e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}

// pointer renders a location as a JSON pointer; "" is the value itself.
func pointer(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}
