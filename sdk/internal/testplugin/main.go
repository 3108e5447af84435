// Command testplugin serves one of the sdk's test adapters as a real plugin
// binary; the sdk's benchmarks build and launch it to measure plugin start
// and calls across a real process boundary. OPENOMA_TESTPLUGIN picks the
// adapter: "echo" (default) or "accept".
package main

import (
	"os"

	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/internal/testadapter"
)

func main() {
	var a sdk.Adapter = testadapter.NewEcho()
	if os.Getenv("OPENOMA_TESTPLUGIN") == "accept" {
		a = testadapter.Accept{}
	}
	sdk.Serve(a)
}
