package validate_test

import (
	"encoding/json"
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
func FuzzValidate(f *testing.F) {
	fx := newFixture()
	seed, err := json.Marshal(fuzzDoc{
		Blocks:    []core.WorkBlock{fx.triage, fx.impl, fx.review, fx.verdict},
		Flows:     []core.Flow{fx.sprint, fx.release},
		Contracts: []core.Contract{fx.launch, fx.infra},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	comp, err := condition.NewCompiler(condition.WithCacheSize(64))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc fuzzDoc
		if json.Unmarshal(data, &doc) == nil {
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
		}
		cat, _ := core.LoadFiles(core.File{Name: "fuzz.yaml", Data: data})
		if cat != nil {
			checkFieldErrors(t, validate.Catalog(cat, validate.WithCompiler(comp), validate.RequireRunnable()))
		}
	})
}

func checkFieldErrors(t *testing.T, err error) {
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
