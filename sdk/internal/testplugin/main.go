// Command testplugin is the Echo test adapter served as a real plugin
// binary; the sdk's benchmarks build and launch it to measure plugin start
// and calls across a real process boundary.
package main

import (
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/internal/testadapter"
)

func main() { sdk.Serve(&testadapter.Echo{}) }
