package badger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/openoma/openoma/store/badger"
	"github.com/openoma/openoma/store/storetest"
)

// reopenable is a store in a directory that the conformance suite may
// close and open again (storetest.Reopener), as a host restart does.
type reopenable struct {
	*badger.Store
	dir  string
	opts badger.Options
}

var _ storetest.Reopener = reopenable{}

func openReopenable(t *testing.T, opts badger.Options) reopenable {
	t.Helper()
	dir := t.TempDir()
	return reopenable{Store: openDir(t, dir, opts), dir: dir, opts: opts}
}

// Reopen implements storetest.Reopener.
func (r reopenable) Reopen(ctx context.Context) (storetest.Reopener, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", r.dir, err)
	}
	s, err := badger.Open(r.dir, r.opts)
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", r.dir, err)
	}
	return reopenable{Store: s, dir: r.dir, opts: r.opts}, nil
}
