package badger_test

import (
	"context"
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

// verify runs the store's consistency check and fails the test on damage.
func verify(t testing.TB, s *badger.Store) badger.VerifyReport {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}
