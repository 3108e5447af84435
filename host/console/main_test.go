package console

import (
	"fmt"
	"os"
	"testing"

	"github.com/openoma/openoma/host/internal/graphviztest"
)

// TestMain builds the layout program the drawings need.
func TestMain(m *testing.M) {
	cleanup, err := graphviztest.Install()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}
