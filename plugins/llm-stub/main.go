// Command openoma-plugin-llm-stub is the bundled deterministic stand-in for
// an LLM agent. The host launches it with the arguments of its config
// (e.g. --fixtures path); see docs/plugins.md.
package main

import (
	"fmt"
	"os"

	"github.com/openoma/openoma/plugins/llm-stub/llmstub"
	"github.com/openoma/openoma/sdk"
)

func main() {
	cfg, err := llmstub.LoadConfig(os.Args[1:], os.Getenv)
	if err != nil {
		// Before the handshake: the host reports this line as the reason
		// the plugin did not start.
		fmt.Fprintln(os.Stderr, "openoma-plugin-llm-stub:", err)
		os.Exit(2)
	}
	sdk.Serve(llmstub.New(llmstub.Options{Model: llmstub.NewStub(cfg)}))
}
