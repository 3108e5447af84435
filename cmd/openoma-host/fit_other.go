//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// terminalColumns cannot ask the terminal here: set COLUMNS to fit
// reports to a width.
func terminalColumns(*os.File) int { return 0 }
