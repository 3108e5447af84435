package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store/postgres/pgtest"
)

// TestPostgresStoreHostReplaced runs a chain of shell blocks on a daemon
// whose store is PostgreSQL, kills it with SIGKILL mid-chain, and starts
// another daemon — another data directory, as on another machine — on the
// same database: it finds the open flow in the shared log, resumes it and
// finishes it, every slot completed exactly once; the first daemon's data
// directory never held an event store.
func TestPostgresStoreHostReplaced(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	cfg := shellPlugins + fmt.Sprintf("store: {backend: postgres, postgres: {dsn: %q, schema: %s, poll_interval: 100ms}}\n", dsn, schema)
	const steps = 6
	defs := chainFlow(steps, "0.3")
	ctx := context.Background()

	first := newEnv(t, cfg, defs, "shell")
	d := first.serve()
	out, code := first.cli(ctx, "run", "Chain", "--wait=false")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, d.output())
	}
	id := strings.TrimSpace(out)
	waitFor(t, "two blocks completed on the first daemon", 60*time.Second, func() bool {
		done := 0
		for _, b := range first.status(ctx, id).Blocks {
			if b.State == execution.StateCompleted {
				done++
			}
		}
		return done >= 2
	})
	d.kill()
	if _, err := os.Stat(filepath.Join(first.dir, "data", "events")); !os.IsNotExist(err) {
		t.Errorf("the first daemon's data directory holds an events/ store (%v): the log should be in PostgreSQL", err)
	}

	second := newEnv(t, cfg, defs, "shell")
	d2 := second.serve()
	defer d2.stop(t)
	var r report
	waitFor(t, "the flow completed on the second daemon", 90*time.Second, func() bool {
		r = second.status(ctx, id)
		return r.State == execution.StateCompleted || r.State == execution.StateFailed
	})
	if r.State != execution.StateCompleted {
		t.Fatalf("flow ended %s (%s) on the second daemon\n%s", r.State, r.Reason, d2.output())
	}
	completed := map[string]int{}
	for _, b := range r.Blocks {
		if b.State == execution.StateCompleted {
			completed[b.Alias]++
		}
	}
	for i := range steps {
		if n := completed[fmt.Sprintf("s%d", i)]; n != 1 {
			t.Errorf("slot s%d completed %d times, want exactly once (blocks: %+v)", i, n, r.Blocks)
		}
	}
	checkLog(t, second.events(ctx, id))
}
