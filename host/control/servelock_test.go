package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeLockIsExclusiveAndNamesItsHolder(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "c.sock")
	first, err := LockServe(sock, PrivateAccess(), RoleVerb, "openoma-host status")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockServe(sock, PrivateAccess(), RoleDaemon, "openoma-host serve")
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrServeLockHeld) {
		t.Fatalf("second LockServe: %v, want HeldError", err)
	}
	if want := fmt.Sprintf("verb pid %d: openoma-host status", os.Getpid()); held.Holder != want || held.Daemon() {
		t.Fatalf("holder %q, want %q", held.Holder, want)
	}
	if err := ProbeServe(sock); !errors.As(err, &held) {
		t.Fatalf("ProbeServe while held: %v", err)
	}
	first.Release()
	if err := ProbeServe(sock); err != nil {
		t.Fatalf("ProbeServe after release: %v", err)
	}
	again, err := LockServe(sock, PrivateAccess(), RoleDaemon, "openoma-host serve")
	if err != nil {
		t.Fatalf("LockServe after release: %v", err)
	}
	again.Release()
}

func TestWaitServe(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "c.sock")
	verb, err := LockServe(sock, PrivateAccess(), RoleVerb, "openoma-host plugins")
	if err != nil {
		t.Fatal(err)
	}
	// Times out, naming the holder.
	_, err = WaitServe(context.Background(), sock, PrivateAccess(), "serve", 50*time.Millisecond, func(string, time.Duration) {})
	if !errors.Is(err, ErrServeLockHeld) || !strings.Contains(err.Error(), "openoma-host plugins") {
		t.Fatalf("WaitServe timeout: %v", err)
	}
	// Gets it once the holder lets go: released when the wait is announced.
	var told []string
	lock, err := WaitServe(context.Background(), sock, PrivateAccess(), "serve", time.Minute, func(holder string, _ time.Duration) {
		told = append(told, holder)
		verb.Release()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if len(told) != 1 || !strings.Contains(told[0], "openoma-host plugins") {
		t.Fatalf("wait announced as %q", told)
	}
}

func TestServeLockRefusesAFileOfSomeoneElse(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a file owned by another user")
	}
	sock := filepath.Join(t.TempDir(), "c.sock")
	if err := os.WriteFile(sock+".lock", nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(sock+".lock", 54321, 54321); err != nil {
		t.Fatal(err)
	}
	if _, err := LockServe(sock, PrivateAccess(), RoleDaemon, "serve"); err == nil || !strings.Contains(err.Error(), "belongs to uid 54321") {
		t.Fatalf("LockServe on a planted file: %v", err)
	}
}

func TestWaitServeRefusesASecondDaemonAtOnce(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "c.sock")
	daemon, err := WaitServe(context.Background(), sock, PrivateAccess(), "openoma-host serve", time.Second, func(string, time.Duration) {})
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Release()
	waited := false
	_, err = WaitServe(context.Background(), sock, PrivateAccess(), "openoma-host serve", time.Hour, func(string, time.Duration) { waited = true })
	if !errors.Is(err, ErrServeLockHeld) || waited || !strings.Contains(err.Error(), "another openoma-host daemon serves") {
		t.Fatalf("second daemon: %v (waited %v), want a refusal at once", err, waited)
	}
}
