package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFitLines: every line fits the width; a long line breaks at spaces
// and goes on under its indent, four columns in, losing nothing; a word
// longer than the width is broken; short lines and width 0 pass whole; a
// line split across writes is measured whole.
func TestFitLines(t *testing.T) {
	reason := `(plugin "shell": exit status 3: cannot reach the ticket service at https://tickets.example.invalid/api)`
	long := `  - write    failed   attempt 1  ` + reason
	var buf bytes.Buffer
	fit := fitLines(&buf, 40)
	fmt.Fprintln(fit, `flow "Docs" v1: failed — 1/1 blocks`)
	fmt.Fprint(fit, long[:20]) // one line in two writes
	fmt.Fprintln(fit, long[20:])
	fmt.Fprint(fit, "é"+strings.Repeat("ü", 50)) // no newline: Flush writes it
	if err := fit.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if lines[0] != `flow "Docs" v1: failed — 1/1 blocks` {
		t.Errorf("a short line changed: %q", lines[0])
	}
	var words []string
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > 40 {
			t.Errorf("line %d %q has %d runes, want at most 40", i, l, n)
		}
		if i > 1 && !strings.HasPrefix(l, "      ") && !strings.HasPrefix(l, "    ü") && !strings.HasPrefix(l, "éü") {
			t.Errorf("continuation %q is not indented under its line", l)
		}
		if i > 0 && !strings.ContainsRune(l, 'ü') {
			words = append(words, strings.Fields(l)...)
		}
	}
	// Only spaces may differ: a word longer than a line (the URL) breaks.
	if got, want := strings.Join(words, ""), strings.ReplaceAll(long, " ", ""); got != want {
		t.Errorf("wrapping lost text:\n got %q\nwant %q", got, want)
	}
	if last := lines[len(lines)-1]; strings.Count(buf.String(), "ü") != 50 || !strings.HasPrefix(last, "    ü") {
		t.Errorf("a long word was not broken and carried on: %q", buf.String())
	}

	buf.Reset()
	whole := fitLines(&buf, 0)
	fmt.Fprintln(whole, long)
	if buf.String() != long+"\n" {
		t.Errorf("width 0 changed the line: %q", buf.String())
	}
}
