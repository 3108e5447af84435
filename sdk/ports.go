package sdk

import (
	"errors"
	"fmt"
	"strings"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk/portschema"
)

// Ports checks a block's inputs and outputs against its port descriptors
// and their JSON schemas (with sdk/portschema, the checker the host uses
// too), and words what is wrong as a block failure. Compiled schemas are
// cached, so a block that runs often compiles its schemas once. The zero
// value is ready; it is safe for concurrent use.
type Ports struct {
	schemas portschema.Validator
}

// CheckInputs returns a failure with code "bad_input" (see FailureOf) when
// inputs lack a required port (absent or null), name a port the block
// does not declare, or hold a value its port's schema rejects. The cause
// (errors.As) is a *portschema.PortError.
func (p *Ports) CheckInputs(block core.WorkBlock, inputs map[string]any) error {
	err := p.schemas.CheckInputs(block, inputs)
	if err == nil {
		return nil
	}
	return &BlockError{Failure: execution.Failure{Code: "bad_input", Reason: err.Error()}, Err: err}
}

// CheckOutputs returns a failure when outputs name a port the block does
// not declare (code "undeclared_output") or hold a value its schema
// rejects (code "bad_output"). Missing required outputs are the Emitter's
// to report (it records "missing_output"). source says where the outputs
// came from, for the reason ("the command's stdout").
func (p *Ports) CheckOutputs(block core.WorkBlock, outputs map[string]any, source string) error {
	err := p.schemas.CheckOutputs(block, outputs)
	var pe *portschema.PortError
	if !errors.As(err, &pe) {
		return err
	}
	msgs := make([]string, len(pe.Problems))
	for i, problem := range pe.Problems {
		msgs[i] = problem.Message
	}
	code, reason := "bad_output", fmt.Sprintf("%s: %s: %s", pe.Block, source, strings.Join(msgs, "; "))
	if pe.Has(portschema.Undeclared) {
		code, reason = "undeclared_output", fmt.Sprintf("%s: %s %s", pe.Block, source, strings.Join(msgs, "; "))
	}
	return &BlockError{Failure: execution.Failure{Code: code, Reason: reason}, Err: err}
}

// Setting is one metadata key's value with where it came from, for error
// messages.
type Setting struct {
	Value any
	// From is "node" or "block".
	From string
}

// LookupSetting returns key from the node's metadata if it is there, else
// from the block's: the node wins.
func LookupSetting(block core.WorkBlock, node core.NodeReference, key string) (Setting, bool) {
	if v, ok := node.Metadata[key]; ok {
		return Setting{Value: v, From: "node"}, true
	}
	if v, ok := block.Metadata[key]; ok {
		return Setting{Value: v, From: "block"}, true
	}
	return Setting{}, false
}

// Where names a block, and its node when the node's alias differs from
// the block's name, for error messages: `block "Run Smoke Tests" v1
// (node "smoke")`.
func Where(block core.WorkBlock, node core.NodeReference) string {
	if node.Alias != "" && node.Alias != block.Name {
		return fmt.Sprintf("%s (node %q)", block.Describe(), node.Alias)
	}
	return block.Describe()
}
