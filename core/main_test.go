package core

import (
	"flag"
	"os"
	"testing"
)

// fuzzMinimizeTime replaces go test's default of 60s of minimizing per
// input unless -fuzzminimizetime is given. Fuzzing minimizes every input
// that reaches new code, not only failing ones, in time that grows with
// the square of the input's length; with definitions of a few KB the
// workers of FuzzDecodeYAML spent nearly all their time minimizing (3,514
// executions in 15 s, none in the last seconds). validate's TestMain does
// the same for FuzzValidate (docs/benchmarks.md).
const fuzzMinimizeTime = "500ms"

func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.fuzzminimizetime" })
	if !given {
		if err := flag.Set("test.fuzzminimizetime", fuzzMinimizeTime); err != nil {
			panic(err) // the flag is the testing package's; a failure is a bug here
		}
	}
	os.Exit(m.Run())
}
