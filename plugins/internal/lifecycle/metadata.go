package lifecycle

import (
	"fmt"

	"github.com/openoma/openoma/core"
)

// Setting is one metadata key's value with where it came from, for error
// messages.
type Setting struct {
	Value any
	// From is "node" or "block".
	From string
}

// Lookup returns key from the node's metadata if it is there, else from
// the block's: the node wins.
func Lookup(block, node core.Metadata, key string) (Setting, bool) {
	if v, ok := node[key]; ok {
		return Setting{Value: v, From: "node"}, true
	}
	if v, ok := block[key]; ok {
		return Setting{Value: v, From: "block"}, true
	}
	return Setting{}, false
}

// Where names a block (and its node, when the node has an alias) for
// error messages: `block "Run Smoke Tests" v1 (node "smoke")`.
func Where(block core.WorkBlock, node core.NodeReference) string {
	if node.Alias != "" && node.Alias != block.Name {
		return fmt.Sprintf("%s (node %q)", block.Describe(), node.Alias)
	}
	return block.Describe()
}
