package shell

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/uuid"
)

// reapStale kills what is left of a command that a previous plugin process
// started for execution id in process group pgid, and reports whether it
// found any. The kernel kills a command's leader when its plugin dies
// (Pdeathsig), but not the leader's children; and the group id may since
// have been reused — so it kills the group only if some process in it
// carries this execution's OPENOMA_EXECUTION_ID in its environment.
func reapStale(id uuid.UUID, pgid int) bool {
	if pgid <= 1 {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	marker := []byte("\x00" + EnvExecutionID + "=" + id.String() + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || processGroup(pid) != pgid {
			continue
		}
		environ, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		if bytes.Contains(append([]byte{0}, environ...), marker) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return true
		}
	}
	return false
}

// processGroup reads a process's group id from /proc/<pid>/stat, or -1.
func processGroup(pid int) int {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the fields after the last ")" are state, ppid, pgrp, …
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 3 {
		return -1
	}
	pgrp, err := strconv.Atoi(fields[2])
	if err != nil {
		return -1
	}
	return pgrp
}
