package procguard_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk/procguard"
)

const (
	envHelper = "PROCGUARD_TEST_PLUGIN"
	envScript = "PROCGUARD_TEST_SCRIPT"
	markerKey = "PROCGUARD_TEST_EXECUTION"
)

func TestMain(m *testing.M) {
	procguard.RunIfGuard()
	if os.Getenv(envHelper) == "1" {
		os.Exit(helperPlugin())
	}
	os.Exit(m.Run())
}

// helperPlugin plays a plugin: it starts the script in a group of its
// own under a Guard, prints the group and the watchdog's pid, and waits
// to be killed.
func helperPlugin() int {
	id := uuid.NewString()
	marker := markerKey + "=" + id
	g := procguard.New()
	if err := g.Watch(id, marker); err != nil {
		fmt.Println("error", err)
		return 1
	}
	cmd := exec.Command("sh", "-c", os.Getenv(envScript))
	cmd.Env = append(os.Environ(), marker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Println("error", err)
		return 1
	}
	if err := g.Group(id, cmd.Process.Pid); err != nil {
		fmt.Println("error", err)
		return 1
	}
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready", marker, g.PID())
	for in.Scan() {
		if in.Text() == "kill-watchdog" {
			pid := g.PID()
			_ = syscall.Kill(pid, syscall.SIGKILL)
			for g.PID() == pid {
				time.Sleep(time.Millisecond)
			}
			// The next message starts a new watchdog, told everything.
			if err := g.Group(id, cmd.Process.Pid); err != nil {
				fmt.Println("error", err)
				return 1
			}
			fmt.Println("ready", marker, g.PID())
		}
	}
	select {}
}

// TestPluginKilledLeavesNothing kills -9 a plugin whose command left
// background jobs, nested shells and a process that left its group: 2 s
// later none of them is alive.
func TestPluginKilledLeavesNothing(t *testing.T) {
	cases := []struct {
		name, script    string
		restartWatchdog bool
	}{
		{"background job", "sleep 60 & sleep 60; wait", false},
		{"nested shell", "sh -c 'sleep 61' & sh -c 'sh -c \"sleep 61\"'", false},
		{"left its group", "setsid sleep 62 & sleep 60", false},
		{"watchdog killed and replaced", "sleep 60 & sh -c 'sleep 61'", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.script, "setsid") {
				if _, err := exec.LookPath("setsid"); err != nil {
					t.Skip("no setsid command")
				}
			}
			plugin := exec.Command(os.Args[0])
			plugin.Env = append(os.Environ(), envHelper+"=1", envScript+"="+c.script)
			stdin, err := plugin.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out, err := plugin.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := plugin.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			marker, watchdog := readReady(t, lines)
			t.Cleanup(func() { procguard.Sweep(nil, []string{marker}) })
			waitFor(t, 5*time.Second, "the script's processes to start", func() bool { return len(marked(marker)) >= 3 })
			if c.restartWatchdog {
				fmt.Fprintln(stdin, "kill-watchdog")
				_, next := readReady(t, lines)
				if next == 0 || next == watchdog {
					t.Fatalf("watchdog %d was not replaced (now %d)", watchdog, next)
				}
			}
			before := marked(marker)
			if err := plugin.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = plugin.Wait()
			waitFor(t, 2*time.Second, fmt.Sprintf("processes %v to die", before), func() bool { return len(marked(marker)) == 0 })
		})
	}
}

func readReady(t *testing.T, lines *bufio.Scanner) (marker string, watchdog int) {
	t.Helper()
	if !lines.Scan() {
		t.Fatalf("helper plugin said nothing: %v", lines.Err())
	}
	f := strings.Fields(lines.Text())
	if len(f) != 3 || f[0] != "ready" {
		t.Fatalf("helper plugin: %s", lines.Text())
	}
	pid, _ := strconv.Atoi(f[2])
	return f[1], pid
}

// marked returns the live processes whose environment holds marker.
func marked(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if i := strings.LastIndexByte(string(stat), ')'); i < 0 || strings.HasPrefix(string(stat[i+1:]), " Z") {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && strings.Contains("\x00"+string(env), "\x00"+marker+"\x00") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
