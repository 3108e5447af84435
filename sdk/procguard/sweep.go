package procguard

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sweepPasses bounds how often Sweep looks again for processes that were
// forked while it killed.
const sweepPasses = 5

// Sweep kills (SIGKILL) every process group in groups and every process
// whose environment holds one of markers (entries such as
// "OPENOMA_EXECUTION_ID=…"), looking again until a pass finds nothing
// alive, at most a few times. It returns how many processes carrying a
// marker it killed. Group ids ≤ 1 are ignored.
func Sweep(groups []int, markers []string) int {
	killed := 0
	for pass := 0; pass < sweepPasses; pass++ {
		for _, g := range groups {
			if g > 1 {
				_ = syscall.Kill(-g, syscall.SIGKILL)
			}
		}
		n := killMarked(markers)
		killed += n
		if n == 0 {
			return killed
		}
		// Give a process that was forking while we killed a moment to
		// show up in /proc before looking again.
		time.Sleep(5 * time.Millisecond)
	}
	return killed
}

// killMarked kills the live processes (not this one) whose environment
// holds one of markers and returns how many it signalled.
func killMarked(markers []string) int {
	if len(markers) == 0 {
		return 0
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	needles := make([][]byte, len(markers))
	for i, m := range markers {
		needles[i] = []byte("\x00" + m + "\x00")
	}
	self := os.Getpid()
	killed := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || !alive(pid) {
			continue
		}
		if hasMarker(pid, needles) && syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	return killed
}

func hasMarker(pid int, needles [][]byte) bool {
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || len(environ) == 0 {
		return false
	}
	environ = append(append([]byte{0}, environ...), 0)
	for _, n := range needles {
		if bytes.Contains(environ, n) {
			return true
		}
	}
	return false
}

// alive reports whether pid is neither a zombie nor gone.
func alive(pid int) bool {
	state, ok := procState(pid)
	return ok && state != "Z" && state != "X"
}

// procState reads a process's state letter from /proc/<pid>/stat.
func procState(pid int) (string, bool) {
	fields, ok := statFields(pid)
	if !ok {
		return "", false
	}
	return fields[0], true
}

// ProcessGroup returns a process's group id, read from /proc, or -1.
func ProcessGroup(pid int) int {
	fields, ok := statFields(pid)
	if !ok || len(fields) < 3 {
		return -1
	}
	pgrp, err := strconv.Atoi(fields[2])
	if err != nil {
		return -1
	}
	return pgrp
}

// statFields returns the fields of /proc/<pid>/stat after the command
// name (state, ppid, pgrp, …). The name is in parentheses and may hold
// spaces, so the fields start after the last ")".
func statFields(pid int) ([]string, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) == 0 {
		return nil, false
	}
	return fields, true
}

// GroupHasMarker reports whether some live process in group pgid carries
// marker: a way to tell that a recorded group id still belongs to the
// execution (group ids are reused once a group is empty).
func GroupHasMarker(pgid int, marker string) bool {
	if pgid <= 1 {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	needle := [][]byte{[]byte("\x00" + marker + "\x00")}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || ProcessGroup(pid) != pgid || !alive(pid) {
			continue
		}
		if hasMarker(pid, needle) {
			return true
		}
	}
	return false
}
