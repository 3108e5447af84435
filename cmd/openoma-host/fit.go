package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// lineFitter wraps every line written through it at a width, so that a
// report on a terminal stays within it however long a reason is: a long
// line breaks at a space (or, for a word longer than the width, inside
// it) and goes on under its own indent, four columns in. Nothing is cut:
// the one place a failure's cause is said must stay readable. Lines are
// measured in runes, which is a terminal's columns for the text openoma
// prints (names, reasons, ids); wide characters may overshoot a little.
// Width 0 leaves lines as they are.
type lineFitter struct {
	w     io.Writer
	width int
	line  []byte // the current line, until its newline comes
}

// fitLines returns a writer that fits w's lines to width; call Flush when
// done, for a last line without a newline.
func fitLines(w io.Writer, width int) *lineFitter { return &lineFitter{w: w, width: width} }

func (f *lineFitter) Write(p []byte) (int, error) {
	if f.width <= 0 {
		return f.w.Write(p)
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.line = append(f.line, p...)
			return n, nil
		}
		f.line = append(f.line, p[:i]...)
		p = p[i+1:]
		if _, err := io.WriteString(f.w, fitLine(string(f.line), f.width)+"\n"); err != nil {
			return n - len(p), err
		}
		f.line = f.line[:0]
	}
	return n, nil
}

// Flush writes a last, unfinished line.
func (f *lineFitter) Flush() error {
	if len(f.line) == 0 {
		return nil
	}
	_, err := io.WriteString(f.w, fitLine(string(f.line), f.width))
	f.line = f.line[:0]
	return err
}

// fitLine wraps line (without its newline) at width runes; see lineFitter.
func fitLine(line string, width int) string {
	if width <= 0 || utf8.RuneCountInString(line) <= width {
		return line
	}
	rest := []rune(line)
	indent := 0
	for indent < len(rest) && rest[indent] == ' ' {
		indent++
	}
	cont := strings.Repeat(" ", min(indent+4, width/2))
	var out strings.Builder
	prefix := ""
	for {
		avail := width - utf8.RuneCountInString(prefix)
		if len(rest) <= avail {
			out.WriteString(prefix + string(rest))
			return out.String()
		}
		cut := avail
		// Break at the last space that leaves something on this line.
		for i := avail; i > 0; i-- {
			if rest[i] == ' ' && strings.TrimSpace(string(rest[:i])) != "" {
				cut = i
				break
			}
		}
		out.WriteString(prefix + strings.TrimRight(string(rest[:cut]), " ") + "\n")
		rest = []rune(strings.TrimLeft(string(rest[cut:]), " "))
		prefix = cont
	}
}

// outputWidth is the width a report for a person should fit on w: the
// COLUMNS environment variable when set (a user's explicit choice, also
// for a pipe), else the terminal's width when w is one, else 0 (no
// limit: a file or a pipe gets every line whole).
func outputWidth(w io.Writer) int {
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		return c
	}
	f, ok := w.(*os.File)
	if !ok || !isTerminal(w) {
		return 0
	}
	return terminalColumns(f)
}
