// Package router decides which adapter plugin runs a WorkBlock, from the
// block's execution hints and the host's plugin list.
//
// # Matching rule
//
// Plugins are tried in configuration order, which is their priority. A block
// goes to the first plugin that serves every one of its hints; a plugin
// whose hints include "*" serves any hint. Hints match exactly (after
// trimming spaces), so "human" and "Human" are different hints. A block
// without hints goes to the configured default plugin; with no default it
// is unroutable.
//
// Requiring every hint (rather than any) is what makes a hint list a
// conjunction of needs: a block tagged [human, finance] must not land on a
// plugin that only knows "human". Put a catch-all plugin ("*") last.
//
// # Errors
//
// A block no plugin serves gets an error wrapping ErrNoRoute that names the
// block, its hints and every plugin considered with its hints. Check lists
// every such block of a catalog at once, for `openoma-host validate
// --config`, before anything runs.
package router
