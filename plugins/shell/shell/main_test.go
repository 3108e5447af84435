package shell_test

import (
	"os"
	"testing"

	"github.com/openoma/openoma/sdk/procguard"
)

// TestMain lets the test binary be the watchdog of the adapters its tests
// create (see procguard.RunIfGuard).
func TestMain(m *testing.M) {
	procguard.RunIfGuard()
	os.Exit(m.Run())
}
