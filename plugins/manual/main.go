// Command openoma-plugin-manual is the bundled manual adapter plugin: it
// turns a block into a task for a person, and a description-only condition
// into a yes/no question. The host launches it; people answer with
// `openoma-host task ...` or the web inbox. See docs/human-work.md.
package main

import (
	"github.com/openoma/openoma/plugins/manual/manual"
	"github.com/openoma/openoma/sdk"
)

func main() { sdk.Serve(manual.New(manual.Options{})) }
