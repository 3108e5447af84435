package core

import (
	"errors"
	"reflect"
	"testing"
)

// The seed corpora live in testdata/fuzz/FuzzDecodeJSON and
// testdata/fuzz/FuzzDecodeYAML and run with every `go test`. To search for
// new failures: go test -run '^$' -fuzz FuzzDecodeYAML -fuzztime 30s ./core
// (TestMain bounds minimizing, which otherwise stalls the run for a minute
// per new input).

func FuzzDecodeJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, "fuzz.json", data)
	})
}

func FuzzDecodeYAML(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, "fuzz.yaml", data)
	})
}

// checkDecode asserts what must hold for any input: no panic; failure is an
// ErrorList of located FieldErrors; success re-encodes as canonical JSON
// that decodes to identical entities.
func checkDecode(t *testing.T, name string, data []byte) {
	entities, err := DecodeDocument(name, data)
	if err != nil {
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
		}
		for _, e := range list {
			if e.File != name || e.Message == "" {
				t.Fatalf("error lacks its file or message: %+v", e)
			}
		}
		return
	}
	out, err := EncodeJSON(entities...)
	if err != nil {
		t.Fatalf("decoded entities do not encode: %v", err)
	}
	again, err := DecodeDocument("reencoded.json", out)
	if err != nil {
		t.Fatalf("re-encoded document does not decode: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(entities, again) {
		t.Fatalf("round trip changed the entities\nencoded: %s", out)
	}
}
