package build

import (
	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// WorkBlockBuilder assembles a core.WorkBlock.
type WorkBlockBuilder struct {
	block core.WorkBlock
}

// WorkBlock starts a block named name, version 1, with a fresh id.
func WorkBlock(name string) *WorkBlockBuilder {
	return &WorkBlockBuilder{block: core.WorkBlock{ID: uuid.New(), Version: 1, Name: name}}
}

// ID sets the block's id (to make a new version of an existing block, or
// to get stable ids).
func (b *WorkBlockBuilder) ID(id uuid.UUID) *WorkBlockBuilder { b.block.ID = id; return b }

// Version sets the block's version.
func (b *WorkBlockBuilder) Version(v int) *WorkBlockBuilder { b.block.Version = v; return b }

// Description sets what the work is, in words.
func (b *WorkBlockBuilder) Description(text string) *WorkBlockBuilder {
	b.block.Description = text
	return b
}

// PortOption adjusts a port declared with Input, OptionalInput or Output.
type PortOption func(*core.PortDescriptor)

// Optional marks a port as not required: an input that may be left out, or
// an output that is not always produced.
func Optional() PortOption { return func(p *core.PortDescriptor) { p.Required = false } }

// Schema attaches a JSON Schema document describing the port's data.
func Schema(schema map[string]any) PortOption {
	return func(p *core.PortDescriptor) { p.Schema = core.CloneValue(schema).(map[string]any) }
}

// PortMeta sets one metadata entry of the port.
func PortMeta(key string, value any) PortOption {
	return func(p *core.PortDescriptor) {
		if p.Metadata == nil {
			p.Metadata = core.Metadata{}
		}
		p.Metadata[key] = value
	}
}

func port(name, description string, opts []PortOption) core.PortDescriptor {
	p := core.PortDescriptor{Name: name, Description: description, Required: true}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// Input declares a required input port (unless Optional is given).
func (b *WorkBlockBuilder) Input(name, description string, opts ...PortOption) *WorkBlockBuilder {
	b.block.Inputs = append(b.block.Inputs, port(name, description, opts))
	return b
}

// OptionalInput declares an input port that may be left out.
func (b *WorkBlockBuilder) OptionalInput(name, description string, opts ...PortOption) *WorkBlockBuilder {
	return b.Input(name, description, append(opts, Optional())...)
}

// Output declares an output port, always produced unless Optional is given.
func (b *WorkBlockBuilder) Output(name, description string, opts ...PortOption) *WorkBlockBuilder {
	b.block.Outputs = append(b.block.Outputs, port(name, description, opts))
	return b
}

// Hint adds execution hints: capabilities the work needs (spec §2.1), which
// the host routes to plugins.
func (b *WorkBlockBuilder) Hint(hints ...string) *WorkBlockBuilder {
	b.block.ExecutionHints = append(b.block.ExecutionHints, hints...)
	return b
}

// Meta sets one metadata entry of the block.
func (b *WorkBlockBuilder) Meta(key string, value any) *WorkBlockBuilder {
	if b.block.Metadata == nil {
		b.block.Metadata = core.Metadata{}
	}
	b.block.Metadata[key] = value
	return b
}

// Build returns the block and the result of validate.WorkBlock on it.
func (b *WorkBlockBuilder) Build() (core.WorkBlock, error) {
	out := b.block.Clone()
	return out, validate.WorkBlock(&out)
}
