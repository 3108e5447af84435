package fault

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/openoma/openoma/core"
)

// FuzzFromMetadata: any metadata gives a valid spec, none, or ErrBadSpec.
func FuzzFromMetadata(f *testing.F) {
	f.Add([]byte(`{"openoma.fault": {"crash_after": "started", "times": 2}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var md core.Metadata
		if json.Unmarshal(data, &md) != nil {
			t.Skip()
		}
		spec, err := FromMetadata(md, nil)
		if err != nil {
			if !errors.Is(err, ErrBadSpec) {
				t.Fatalf("error %v does not wrap ErrBadSpec", err)
			}
			return
		}
		if spec != nil && (!slices.Contains(Points, spec.CrashAfter) || spec.Times < 1) {
			t.Fatalf("invalid spec %+v", spec)
		}
	})
}
