package validate_test

import (
	"flag"
	"os"
	"testing"
)

// fuzzMinimizeTime replaces go test's default of 60s of minimizing per
// input unless -fuzzminimizetime is given. Fuzzing minimizes every input
// that reaches new code, not only failing ones, and FuzzValidate's
// executions cost ~150µs (YAML parsing and validation); byte-by-byte
// minimization of a 1 KB definition then takes the full minute. Early in a
// run nearly every mutation reaches new code, so the workers spent their
// whole time minimizing: 14–20 executions in 45–100 s. A short bound keeps
// the corpus small enough and lets the fuzzer fuzz.
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
