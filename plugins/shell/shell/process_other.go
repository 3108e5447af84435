//go:build unix && !linux

package shell

import "syscall"

// sysProcAttr puts the command in a process group of its own, so the whole
// group can be signalled.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// canWaitUnreaped is false where waitid with WNOWAIT is not available: the
// leftovers of a command's group are then killed after it was reaped.
const canWaitUnreaped = false

func waitExited(int) {}
