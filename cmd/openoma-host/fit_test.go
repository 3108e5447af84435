package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFitLines: every line fits the width, a cut line ends with "…", short
// lines and width 0 pass whole, and a line split across writes is measured
// whole.
func TestFitLines(t *testing.T) {
	long := `  - write                failed      attempt 1  (plugin "shell": exit status 3: ` + strings.Repeat("x", 200) + ")"
	var buf bytes.Buffer
	fit := fitLines(&buf, 40)
	fmt.Fprintln(fit, "flow \"Docs\" v1: failed — 1/1 blocks")
	fmt.Fprint(fit, long[:30]) // one line in two writes
	fmt.Fprintln(fit, long[30:])
	fmt.Fprint(fit, "é"+strings.Repeat("ü", 50)) // no newline: Flush writes it
	if err := fit.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), buf.String())
	}
	if lines[0] != `flow "Docs" v1: failed — 1/1 blocks` {
		t.Errorf("a short line changed: %q", lines[0])
	}
	for _, l := range lines[1:] {
		if n := utf8.RuneCountInString(l); n > 40 || n < 30 || !strings.HasSuffix(l, "…") {
			t.Errorf("line %q (%d runes): want at most 40, cut with …", l, n)
		}
	}
	if !strings.HasPrefix(lines[1], "  - write") || !strings.HasPrefix(lines[2], "éü") {
		t.Errorf("a cut line lost its start: %q, %q", lines[1], lines[2])
	}

	buf.Reset()
	whole := fitLines(&buf, 0)
	fmt.Fprintln(whole, long)
	if buf.String() != long+"\n" {
		t.Errorf("width 0 cut the line: %q", buf.String())
	}
}
