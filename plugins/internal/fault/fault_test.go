package fault

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

func TestFromMetadata(t *testing.T) {
	cases := []struct {
		name        string
		block, node core.Metadata
		want        *Spec
	}{
		{"none", core.Metadata{"owner": "x"}, nil, nil},
		{"flat key on the block", core.Metadata{Key: map[string]any{"crash_after": "started"}}, nil, &Spec{Started, 1}},
		{"nested form", core.Metadata{"openoma": map[string]any{"fault": map[string]any{"crash_after": "output", "times": 3}}}, nil, &Spec{Output, 3}},
		{"JSON numbers", core.Metadata{Key: map[string]any{"crash_after": "Progress", "times": 2.0}}, nil, &Spec{Progress, 2}},
		{"node wins", core.Metadata{Key: map[string]any{"crash_after": "started"}},
			core.Metadata{"openoma": map[string]any{"fault": map[string]any{"crash_after": "assigned"}}}, &Spec{Assigned, 1}},
		{"openoma without fault", core.Metadata{"openoma": map[string]any{"other": 1}}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FromMetadata(c.block, c.node)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestFromMetadataErrors(t *testing.T) {
	cases := []struct {
		name string
		md   core.Metadata
		want string
	}{
		{"not a mapping", core.Metadata{Key: "started"}, `block metadata openoma.fault: want a mapping`},
		{"unknown point", core.Metadata{Key: map[string]any{"crash_after": "finished"}}, `crash_after: "finished" is not a lifecycle point (want assigned, started, progress, output)`},
		{"missing point", core.Metadata{Key: map[string]any{"times": 1}}, `crash_after: missing`},
		{"zero times", core.Metadata{Key: map[string]any{"crash_after": "started", "times": 0}}, `times: want a whole number ≥ 1, got 0`},
		{"fractional times", core.Metadata{Key: map[string]any{"crash_after": "started", "times": 1.5}}, `times: want a whole number`},
		{"unknown field", core.Metadata{"openoma": map[string]any{"fault": map[string]any{"crash_after": "started", "time": 1}}}, `openoma.fault: unknown field "time"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromMetadata(c.md, nil)
			if !errors.Is(err, ErrBadSpec) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrBadSpec mentioning %q", err, c.want)
			}
		})
	}
}

func TestPlanCountsCrashesOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	crashes := 0
	in := NewInjector(dir, func() { crashes++ })
	id := uuid.New()
	spec := &Spec{CrashAfter: Started, Times: 2}

	// Each plan stands for a new plugin process: only the disk remembers.
	for process := 1; process <= 4; process++ {
		plan := in.Plan(spec, id, 1, nil)
		if err := plan.Reached(ctx, Assigned); err != nil {
			t.Fatalf("process %d: a point the plan does not crash at: %v", process, err)
		}
		err := plan.Reached(ctx, Started)
		if process <= 2 && !errors.Is(err, ErrCrashed) {
			t.Fatalf("process %d: Reached = %v, want ErrCrashed", process, err)
		}
		if process > 2 && err != nil {
			t.Fatalf("process %d: Reached = %v, want nil once the budget is spent", process, err)
		}
	}
	if crashes != 2 {
		t.Errorf("crashed %d times, want 2", crashes)
	}
	if n, _ := in.Crashes(id, 1); n != 2 {
		t.Errorf("counter %d, want 2", n)
	}
	// Another attempt of the same execution has a budget of its own.
	if err := in.Plan(spec, id, 2, nil).Reached(ctx, Started); !errors.Is(err, ErrCrashed) {
		t.Errorf("attempt 2: %v, want ErrCrashed", err)
	}
}

func TestNilPlanInjectsNothing(t *testing.T) {
	var p *Plan
	if p.At(Started) || p.Reached(context.Background(), Started) != nil {
		t.Error("a nil plan crashed")
	}
	if NewInjector(t.TempDir(), nil).Plan(nil, uuid.New(), 1, nil) != nil {
		t.Error("Plan(nil) is not nil")
	}
}

func TestConcurrentPlansCountEachCrashOnce(t *testing.T) {
	in := NewInjector(t.TempDir(), func() {})
	id := uuid.New()
	var wg sync.WaitGroup
	var mu sync.Mutex
	crashed := 0
	for range 8 {
		wg.Go(func() {
			if errors.Is(in.Plan(&Spec{Started, 3}, id, 1, nil).Reached(context.Background(), Started), ErrCrashed) {
				mu.Lock()
				crashed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n, _ := in.Crashes(id, 1); crashed != 3 || n != 3 {
		t.Errorf("%d crashes, counter %d; want 3 and 3", crashed, n)
	}
}

func TestCorruptCounterIsAnErrorNotACrash(t *testing.T) {
	dir := t.TempDir()
	in := NewInjector(dir, func() { t.Error("crashed with a counter it cannot read") })
	id := uuid.New()
	if err := os.WriteFile(filepath.Join(dir, id.String()+"-attempt-1.crashes"), []byte("many"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := in.Plan(&Spec{Started, 1}, id, 1, nil).Reached(context.Background(), Started)
	if err == nil || errors.Is(err, ErrCrashed) || !strings.Contains(err.Error(), `"many" is not a count`) {
		t.Errorf("err = %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	in := FromEnv(func(k string) string {
		if k == DirEnv {
			return "/var/tmp/faults"
		}
		return ""
	})
	if in.Dir() != "/var/tmp/faults" {
		t.Errorf("dir %q", in.Dir())
	}
	if FromEnv(func(string) string { return "" }).Dir() != DefaultDir() {
		t.Error("default dir not used")
	}
}
