package validate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// fuzzDoc is what FuzzValidate decodes its input into: any mix of
// definitions, built straight from JSON without the loader's checks, so
// validation sees shapes the loader would refuse.
type fuzzDoc struct {
	Blocks    []core.WorkBlock `json:"blocks"`
	Flows     []core.Flow      `json:"flows"`
	Contracts []core.Contract  `json:"contracts"`
}

// FuzzValidate runs every validator on arbitrary definitions: none may
// panic or hang, and every problem must be a located, non-empty FieldError.
// The input is decoded twice: as a fuzzDoc with encoding/json, and as a
// definitions file through core.LoadFiles (whatever decodes cleanly).
//
// The seeds (testdata/fuzz/FuzzValidate) are small on purpose: every input
// that reaches new code is minimized, for up to a minute, in time that
// grows with the square of its length. With seeds of 6 KB, minimizing
// alone held the run at 14–20 executions in 45–100 s; with seeds under
// 2 KB it runs thousands per second. Inputs past maxFuzzInput are skipped
// for the same reason (large definitions are BenchmarkValidateFlow's job).
func FuzzValidate(f *testing.F) {
	comp, err := condition.NewCompiler(condition.WithCacheSize(64))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) <= maxFuzzInput {
			validateAll(t, comp, data)
		}
	})
}

// validateAll is FuzzValidate's body. An input that decodes as a fuzzDoc
// with definitions in it is not also loaded as a file: it has no "kind",
// so the loader would only refuse it, at the cost of parsing it again.
func validateAll(t testing.TB, comp *condition.Compiler, data []byte) {
	var doc fuzzDoc
	if json.Unmarshal(data, &doc) == nil && len(doc.Blocks)+len(doc.Flows)+len(doc.Contracts) > 0 {
		cat := core.NewCatalog()
		for i := range doc.Blocks {
			checkFieldErrors(t, validate.WorkBlock(&doc.Blocks[i]))
			_ = cat.AddWorkBlock(doc.Blocks[i], core.Source{File: "fuzz"}) // duplicates are the loader's to report
		}
		for i := range doc.Flows {
			checkFieldErrors(t, validate.Flow(&doc.Flows[i], nil, validate.WithCompiler(comp), validate.AsAssessment(), validate.RequireRunnable()))
			checkFieldErrors(t, validate.PortMappings(&doc.Flows[i], cat))
			_ = cat.AddFlow(doc.Flows[i], core.Source{File: "fuzz"})
		}
		for i := range doc.Contracts {
			checkFieldErrors(t, validate.Contract(&doc.Contracts[i], cat))
			_ = cat.AddContract(doc.Contracts[i], core.Source{File: "fuzz"})
		}
		checkFieldErrors(t, validate.Catalog(cat, validate.WithCompiler(comp), validate.RequireRunnable()))
		return
	}
	cat, _ := core.LoadFiles(core.File{Name: "fuzz.yaml", Data: data})
	if cat != nil {
		checkFieldErrors(t, validate.Catalog(cat, validate.WithCompiler(comp), validate.RequireRunnable()))
	}
}

// BenchmarkFuzzValidateSeeds measures one FuzzValidate execution over its
// seed corpus: what each fuzzing (and minimizing) step costs.
func BenchmarkFuzzValidateSeeds(b *testing.B) {
	seeds := readSeeds(b, filepath.Join("testdata", "fuzz", "FuzzValidate"))
	comp, err := condition.NewCompiler(condition.WithCacheSize(64))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range seeds {
			validateAll(b, comp, s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(seeds)), "ns/input")
}

// readSeeds decodes the []byte values of a seed corpus directory.
func readSeeds(tb testing.TB, dir string) [][]byte {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seeds in %s: %v", dir, err)
	}
	var out [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		_, lit, _ := strings.Cut(string(raw), "\n")
		lit = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lit), "[]byte("), ")")
		s, err := strconv.Unquote(lit)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		out = append(out, []byte(s))
	}
	return out
}

// maxFuzzInput bounds FuzzValidate's inputs; see FuzzValidate.
const maxFuzzInput = 4 << 10

func checkFieldErrors(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	list := validate.Errors(err)
	if len(list) == 0 {
		t.Fatalf("validation error %v is not a non-empty ErrorList", err)
	}
	for _, e := range list {
		if e.Entity == "" || e.Message == "" {
			t.Fatalf("error without entity or message: %+v", *e)
		}
	}
}

// TestValidationIsDeterministic: the same definitions give the same
// errors in the same order, run after run (map iteration must not leak
// into what a person reads or a script compares).
func TestValidationIsDeterministic(t *testing.T) {
	comp, err := condition.NewCompiler()
	if err != nil {
		t.Fatal(err)
	}
	for i, seed := range readSeeds(t, filepath.Join("testdata", "fuzz", "FuzzValidate")) {
		cat, _ := core.LoadFiles(core.File{Name: "seed.yaml", Data: seed})
		if cat == nil {
			continue
		}
		first := fmt.Sprint(validate.Catalog(cat, validate.WithCompiler(comp), validate.RequireRunnable()))
		for range 5 {
			again := fmt.Sprint(validate.Catalog(cat, validate.RequireRunnable()))
			if again != first {
				t.Fatalf("seed %d: errors differ between runs:\n%s\n---\n%s", i, first, again)
			}
		}
	}
}
