package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

// builtinHints are the execution hints the host serves itself.
var builtinHints = []string{core.HintTimer, core.HintSignal}

// reportAll adds the FieldErrors of err (from core's extension parsers)
// to r's entity.
func (r *reporter) reportAll(err error) {
	for _, e := range Errors(err) {
		r.add(e.Path, "%s", e.Message)
	}
}

// blockExtensions checks a block's metadata extensions and its built-in
// hints: a built-in hint stands alone (the host serves it, so a plugin
// hint beside it could never apply), and timer or signal metadata belongs
// to a block with the matching hint.
func (c *checker) blockExtensions(r *reporter, b *core.WorkBlock) {
	ext, err := core.ParseExtensions(b.Metadata, core.OnBlock, "metadata")
	r.reportAll(err)
	var builtin, plugin []string
	for i, h := range b.ExecutionHints {
		switch {
		case slices.Contains(builtinHints, h):
			builtin = append(builtin, h)
		case strings.HasPrefix(h, "openoma."):
			r.add(fmt.Sprintf("execution_hints[%d]", i), "%q is not a built-in hint (the host serves %s; names starting \"openoma.\" are reserved for them)", h, quoteAll(builtinHints))
		case strings.TrimSpace(h) != "":
			plugin = append(plugin, h)
		}
	}
	switch {
	case len(builtin) > 1:
		r.add("execution_hints", "%s are each a whole kind of block; a block has at most one", quoteAll(builtin))
	case len(builtin) == 1 && len(plugin) > 0:
		r.add("execution_hints", "%q is served by the host itself, so it cannot be combined with plugin hints (%s)", builtin[0], quoteAll(plugin))
	}
	if ext.Timer != nil && !slices.Contains(builtin, core.HintTimer) {
		r.add("metadata."+core.MetaTimer, "takes effect only on a block whose execution_hints are [%q]; this block's are %s", core.HintTimer, hintList(b))
	}
	if ext.Signal != nil && !slices.Contains(builtin, core.HintSignal) {
		r.add("metadata."+core.MetaSignal, "takes effect only on a block whose execution_hints are [%q]; this block's are %s", core.HintSignal, hintList(b))
	}
}

func hintList(b *core.WorkBlock) string {
	if len(b.ExecutionHints) == 0 {
		return "empty"
	}
	return "[" + quoteAll(b.ExecutionHints) + "]"
}

// builtinHint returns the built-in hint of b, or "".
func builtinHint(b *core.WorkBlock) string {
	for _, h := range b.ExecutionHints {
		if slices.Contains(builtinHints, h) {
			return h
		}
	}
	return ""
}

// flowExtensions checks the metadata extensions of f and its nodes, and
// how each node's combine with its block's: for_each's port and
// expression, and that a timer block has a timer and a signal block a
// name to wait for.
func (c *checker) flowExtensions(f *core.Flow, idx *flowIndex, r *reporter) {
	flowExt, err := core.ParseExtensions(f.Metadata, core.OnFlow, "metadata")
	r.reportAll(err)
	for i, n := range f.Nodes {
		b := idx.blocks[i]
		if !core.HasExtensions(n.Metadata) && (b == nil || !core.HasExtensions(b.Metadata) && builtinHint(b) == "") {
			continue // nothing to check; large flows are mostly such nodes
		}
		path := "nodes[" + strconv.Itoa(i) + "].metadata"
		nodeExt, err := core.ParseExtensions(n.Metadata, core.OnNode, path)
		r.reportAll(err)
		if b == nil {
			continue // unknown block: Flow reports the pin
		}
		blockExt, _ := core.ParseExtensions(b.Metadata, core.OnBlock, "metadata") // its errors are the block's
		ext := core.EffectiveExtensions(flowExt, blockExt, nodeExt)
		if fe := nodeExt.ForEach; fe != nil {
			c.forEach(r, f, idx, i, b, fe, path+"."+core.MetaForEach)
		}
		c.builtinNode(r, f, i, b, nodeExt, ext, path)
	}
}

func (c *checker) forEach(r *reporter, f *core.Flow, idx *flowIndex, i int, b *core.WorkBlock, fe *core.ForEach, path string) {
	if _, ok := b.Input(fe.As); !ok {
		r.add(path+".as", "%q is not an input of %s (has: %s); each item is bound to the input port as names", fe.As, b.Describe(), portNames(b.Inputs))
	}
	if err := c.check(fe.Items, idx.nodeDeclarations(f, i), condition.WantList); err != nil {
		// condition's sentinel says "condition"; this expression is not one.
		msg := strings.Replace(err.Error(), condition.ErrCompile.Error(), "expression does not compile", 1)
		r.add(path+".items", "%s", msg)
	}
}

// builtinNode checks node i against its block's built-in hint: timer and
// signal metadata on the node need the matching block; a timer block needs
// a timer, and a signal block a name (its own, or the node's alias).
func (c *checker) builtinNode(r *reporter, f *core.Flow, i int, b *core.WorkBlock, node, ext core.Extensions, path string) {
	hint := builtinHint(b)
	if node.Timer != nil && hint != core.HintTimer {
		r.add(path+"."+core.MetaTimer, "takes effect only on a node whose block's execution_hints are [%q]; %s has %s", core.HintTimer, b.Describe(), hintList(b))
	}
	if node.Signal != nil && hint != core.HintSignal {
		r.add(path+"."+core.MetaSignal, "takes effect only on a node whose block's execution_hints are [%q]; %s has %s", core.HintSignal, b.Describe(), hintList(b))
	}
	nodePath := "nodes[" + strconv.Itoa(i) + "]"
	switch {
	case hint == core.HintTimer && ext.Timer == nil:
		r.add(nodePath, "%s is an %s block, so it needs timer: {wait: \"<duration>\"} or {until: \"<RFC 3339 time>\"} in its own or this node's metadata", b.Describe(), core.HintTimer)
	case hint == core.HintSignal && (ext.Signal == nil || ext.Signal.Name == "") && f.Nodes[i].Alias == "":
		r.add(nodePath, "%s is an %s block and this node has no alias, so it needs signal: {name: \"<name>\"} in its block's or this node's metadata to say which signal it waits for", b.Describe(), core.HintSignal)
	}
}
