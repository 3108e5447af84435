package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// padFlow is a flow of three shell blocks that take a large input, so the
// store holds events in its value log as well as in its tables.
var padFlow = map[string]string{"pad.yaml": `kind: work_block
name: Pad
inputs: [{name: pad, description: filler, required: false}]
outputs: [{name: n, description: counter}]
execution_hints: [shell]
metadata:
  shell:
    script: 'sleep 0.2; printf "{\"n\": 1}"'
---
kind: flow
name: PadChain
nodes:
  - {alias: a, block: Pad@1}
  - {alias: b, block: Pad@1}
  - {alias: c, block: Pad@1}
edges:
  - {to: a}
  - {from: a, to: b}
  - {from: b, to: c}
`}

// run3 runs openoma-host and returns stdout, stderr and the exit code.
func (e *env) run3(ctx context.Context, args ...string) (string, string, int) {
	e.t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "openoma-host"), append([]string{"--config", e.config}, args...)...)
	cmd.Env = append(os.Environ(), "OPENOMA_LOG_LEVEL=warn")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("openoma-host %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// dirListing names every file of dir with its size and content hash.
func dirListing(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var b strings.Builder
	for _, en := range entries {
		if en.Name() == "openoma.lock" {
			continue // holds the pid of the last opener, not data
		}
		data, err := os.ReadFile(filepath.Join(dir, en.Name()))
		must(t, err)
		fmt.Fprintf(&b, "%s %d %x\n", en.Name(), len(data), sha256.Sum256(data))
	}
	return b.String()
}

func storeFiles(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) == 0 {
		t.Fatalf("no %s in %s", pattern, dir)
	}
	slices.Sort(m)
	return m
}

func flipBytes(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	for i := len(b) / 2; i < len(b)/2+n && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	must(t, os.WriteFile(path, b, 0o600))
}

// TestStoreFaultsAreRefused damages one file of a stopped host's store at a
// time. verify, serve and status must each fail with a message naming
// the file, without a panic, and leave every file as it was: before the
// fix a truncated MANIFEST made serve start on an empty store (deleting
// every table), flipped value-log bytes were served as events, and a
// damaged table panicked.
func TestStoreFaultsAreRefused(t *testing.T) {
	damages := []struct {
		name   string
		damage func(t *testing.T, dir string) string
	}{
		{"MANIFEST truncated", func(t *testing.T, dir string) string {
			must(t, os.Truncate(filepath.Join(dir, "MANIFEST"), 20))
			return "MANIFEST"
		}},
		{"table truncated", func(t *testing.T, dir string) string {
			sst := storeFiles(t, dir, "*.sst")[0]
			info, err := os.Stat(sst)
			must(t, err)
			must(t, os.Truncate(sst, info.Size()/2))
			return filepath.Base(sst)
		}},
		{"table bytes flipped", func(t *testing.T, dir string) string {
			sst := storeFiles(t, dir, "*.sst")[0]
			flipBytes(t, sst, 64)
			return filepath.Base(sst)
		}},
		{"value-log bytes flipped", func(t *testing.T, dir string) string {
			vlogs := storeFiles(t, dir, "*.vlog")
			flipBytes(t, vlogs[len(vlogs)-1], 64)
			return filepath.Base(vlogs[len(vlogs)-1])
		}},
		{"value-log file deleted", func(t *testing.T, dir string) string {
			vlog := storeFiles(t, dir, "*.vlog")[0]
			must(t, os.Remove(vlog))
			return filepath.Base(vlog)
		}},
		{"table deleted", func(t *testing.T, dir string) string {
			sst := storeFiles(t, dir, "*.sst")[0]
			must(t, os.Remove(sst))
			return filepath.Base(sst)
		}},
	}
	for _, tt := range damages {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e := newEnv(t, shellPlugins, padFlow, "shell")
			d := e.serve()
			pad := "pad=" + strings.Repeat("x", 8<<10)
			for range 4 {
				if out, code := e.cli(ctx, "run", "PadChain", "-i", pad); code != 0 {
					t.Fatalf("run: exit %d: %s", code, out)
				}
			}
			d.stop(t)
			dir := filepath.Join(e.dir, "data", "events")
			file := tt.damage(t, dir)
			before := dirListing(t, dir)
			for _, verb := range [][]string{{"verify"}, {"status"}, {"serve"}} {
				out, errOut, code := e.run3(ctx, verb...)
				t.Logf("%s: exit %d: %s", verb[0], code, strings.TrimSpace(errOut))
				if code == 0 {
					t.Errorf("%s succeeded on a store with %s damaged:\n%s", verb[0], file, out)
				}
				if !strings.Contains(errOut, file) || !strings.Contains(errOut, "corrupt") {
					t.Errorf("%s: error does not name %s as corrupt:\n%s", verb[0], file, errOut)
				}
				if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine ") {
					t.Errorf("%s panicked:\n%s", verb[0], errOut)
				}
			}
			if after := dirListing(t, dir); after != before {
				t.Errorf("the store's files changed:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
}

// TestRestoreRefusesBadBackups gives restore random bytes and a truncated
// backup: a clear error, and the target data directory is not created.
// Before the fix random bytes panicked in Badger's loader and a half
// restore left a directory that looked like an empty store.
func TestRestoreRefusesBadBackups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, shellPlugins, padFlow, "shell")
	d := e.serve()
	if out, code := e.cli(ctx, "run", "PadChain", "-i", "pad=x"); code != 0 {
		t.Fatalf("run: exit %d: %s", code, out)
	}
	good := filepath.Join(e.dir, "good.bak")
	if out, code := e.cli(ctx, "backup", good); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, out)
	}
	d.stop(t)
	b, err := os.ReadFile(good)
	must(t, err)
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	bad := map[string][]byte{"random bytes": random, "truncated backup": b[:len(b)*2/3]}
	for name, content := range bad {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(e.dir, strings.ReplaceAll(name, " ", "-")+".bak")
			must(t, os.WriteFile(file, content, 0o600))
			target := filepath.Join(e.dir, "restored-"+strings.ReplaceAll(name, " ", "-"))
			_, errOut, code := e.run3(ctx, "--data-dir", target, "restore", file)
			t.Logf("restore: exit %d: %s", code, strings.TrimSpace(errOut))
			if code == 0 || !strings.Contains(errOut, "not a complete openoma backup") {
				t.Errorf("restore of %s: exit %d, want a clear error:\n%s", name, code, errOut)
			}
			if strings.Contains(errOut, "panic") {
				t.Errorf("restore panicked:\n%s", errOut)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Errorf("a refused restore created %s", target)
			}
		})
	}
	target := filepath.Join(e.dir, "restored-good")
	if _, errOut, code := e.run3(ctx, "--data-dir", target, "restore", good); code != 0 {
		t.Fatalf("restore of a good backup: exit %d: %s", code, errOut)
	}
	if out, errOut, code := e.run3(ctx, "--data-dir", target, "verify"); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("verify of the restored store: exit %d: %s %s", code, out, errOut)
	}
}

// TestDiskFullPausesAndResumes puts the data directory on a small tmpfs,
// starts executions, fills the disk until appends fail, and frees it
// again: the daemon must stay up and answer status, a new run must fail
// with "disk full", and every execution started before must complete
// with a complete log. Before the fix the daemon died of SIGBUS.
func TestDiskFullPausesAndResumes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	e := newEnv(t, shellPlugins+`
store:
  memtable_size_mb: 1
  value_log_file_size_mb: 2
  min_free_space_mb: 16
`, chainFlow(6, "0.3"), "shell")
	mnt := filepath.Join(e.dir, "data")
	must(t, os.MkdirAll(mnt, 0o700))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s): skipping the disk-full test", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	d := e.serve()
	var ids []string
	for range 4 {
		id, code := e.cli(ctx, "run", "Chain", "--wait=false")
		if code != 0 {
			t.Fatalf("run: exit %d", code)
		}
		ids = append(ids, strings.TrimSpace(id))
	}
	// Fill the disk to below the floor, leaving Badger a little room.
	var st syscall.Statfs_t
	must(t, syscall.Statfs(mnt, &st))
	free := int64(st.Bavail) * int64(st.Bsize)
	filler := filepath.Join(mnt, "filler")
	must(t, os.WriteFile(filler, make([]byte, free-8<<20), 0o600))
	_, errOut, code := e.run3(ctx, "run", "Chain", "--wait=false")
	t.Logf("run on a full disk: exit %d: %s", code, strings.TrimSpace(errOut))
	if code == 0 || !strings.Contains(errOut, "disk full") {
		t.Errorf("run on a full disk: exit %d, want a \"disk full\" error:\n%s", code, errOut)
	}
	if out, _, code := e.run3(ctx, "status"); code != 0 || !strings.Contains(out, ids[0][:8]) {
		t.Errorf("status on a full disk: exit %d:\n%s", code, out)
	}
	select {
	case <-d.done:
		t.Fatalf("the daemon died on a full disk:\n%s", d.output())
	default:
	}
	paused := 0
	for _, id := range ids {
		if e.status(ctx, id).State != "completed" {
			paused++
		}
	}
	if paused == 0 {
		t.Fatal("every execution completed before the disk was full: the test proves nothing; make the chain longer")
	}
	must(t, os.Remove(filler))
	for _, id := range ids {
		deadline := time.Now().Add(2 * time.Minute)
		for e.status(ctx, id).State != "completed" {
			if time.Now().After(deadline) {
				out, _ := e.cli(ctx, "status", id)
				t.Fatalf("execution %s did not complete after space was freed:\n%s\ndaemon log:\n%s", id, out, d.output())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, id := range ids {
		r := e.status(ctx, id)
		if len(r.Blocks) != 6 {
			t.Errorf("execution %s: %d blocks, want 6", id, len(r.Blocks))
		}
		for _, b := range r.Blocks {
			if b.State != "completed" || b.Attempt != 1 {
				t.Errorf("execution %s block %s: %s attempt %d, want completed at the first attempt", id, b.Alias, b.State, b.Attempt)
			}
			checkLog(t, e.events(ctx, b.ExecutionID))
		}
		checkLog(t, e.events(ctx, id))
	}
	t.Logf("%d of %d executions were paused by the full disk and completed once it was freed", paused, len(ids))
	d.stop(t)
	if _, errOut, code := e.run3(ctx, "verify"); code != 0 {
		t.Errorf("verify after the disk-full episode: exit %d: %s", code, errOut)
	}
	// With no daemon and a disk that is completely full, status opens the
	// store itself: a clear error, not a SIGBUS.
	must(t, syscall.Statfs(mnt, &st))
	_ = os.WriteFile(filler, make([]byte, int64(st.Bavail)*int64(st.Bsize)), 0o600) // ENOSPC at the end is the point
	_, errOut, code = e.run3(ctx, "status")
	t.Logf("status on a full disk, no daemon: exit %d: %s", code, strings.TrimSpace(errOut))
	if code != 1 && code != 2 || !strings.Contains(errOut, "disk full") {
		t.Errorf("status on a full disk without a daemon: exit %d, want a \"disk full\" error:\n%s", code, errOut)
	}
	must(t, os.Remove(filler))
}
