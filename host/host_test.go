package host

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
)

func openTestHost(t *testing.T) *Host {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Store.Durability = config.DurabilityAsync
	h, err := Open(&cfg, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// A host opened only to read serves the control socket for status and
// events; it must refuse to record work it will not schedule.
func TestReadOnlyHostRefusesWork(t *testing.T) {
	h := openTestHost(t)
	ctx := context.Background()
	if _, err := h.Start(ctx, "Any Flow", nil); !errors.Is(err, control.ErrUnavailable) {
		t.Fatalf("Start on a read-only host: %v, want control.ErrUnavailable", err)
	}
	if err := h.Cancel(ctx, uuid.New(), "", control.Caller{}); !errors.Is(err, control.ErrUnavailable) {
		t.Fatalf("Cancel on a read-only host: %v, want control.ErrUnavailable", err)
	}
	if err := h.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Start(ctx, "Any Flow", nil); !errors.Is(err, control.ErrNotFound) {
		t.Fatalf("Start of an unknown flow: %v, want control.ErrNotFound", err)
	}
	if err := h.Events(ctx, uuid.New(), 0, false, nil); !errors.Is(err, control.ErrNotFound) {
		t.Fatalf("Events of an unknown execution: %v, want control.ErrNotFound", err)
	}
}

// A second host on the same data directory is refused at once.
func TestDataDirIsExclusive(t *testing.T) {
	h := openTestHost(t)
	cfg := *h.cfg
	if _, err := Open(&cfg, nil, Options{}); err == nil {
		t.Fatal("a second host opened the same data directory")
	}
}
