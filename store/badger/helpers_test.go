package badger_test

import (
	"testing"

	"github.com/openoma/openoma/store/badger"
)

// openTemp opens a store in a fresh directory and closes it when the test
// ends.
func openTemp(t testing.TB, opts badger.Options) *badger.Store {
	t.Helper()
	return openDir(t, t.TempDir(), opts)
}

func openDir(t testing.TB, dir string, opts badger.Options) *badger.Store {
	t.Helper()
	s, err := badger.Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
