// Command openoma-plugin-shell is the bundled shell adapter plugin: it runs
// blocks with the "shell" execution hint. The host launches it; see
// docs/plugins.md.
package main

import (
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk"
)

func main() { sdk.Serve(shell.New(shell.Options{})) }
