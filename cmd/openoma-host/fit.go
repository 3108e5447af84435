package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"unicode/utf8"
)

// lineFitter cuts every line written through it to a width, ending a cut
// line with "…", so that a report on a terminal keeps one line per fact
// however long a reason is (the whole text is in `--json`). Lines are
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
		f.line = append(f.line, p[:i+1]...)
		p = p[i+1:]
		if _, err := f.w.Write(fitLine(f.line, f.width)); err != nil {
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
	_, err := f.w.Write(fitLine(f.line, f.width))
	f.line = f.line[:0]
	return err
}

// fitLine cuts line (which may end with its newline) to width runes, the
// last of them "…" when something was cut.
func fitLine(line []byte, width int) []byte {
	body, nl := line, []byte(nil)
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body, nl = body[:n-1], body[n-1:]
	}
	if width <= 0 || utf8.RuneCount(body) <= width {
		return line
	}
	cut, runes := 0, 0
	for cut < len(body) && runes < width-1 {
		_, size := utf8.DecodeRune(body[cut:])
		cut += size
		runes++
	}
	out := make([]byte, 0, cut+len("…")+len(nl))
	out = append(out, bytes.TrimRight(body[:cut], " ")...)
	out = append(out, "…"...)
	return append(out, nl...)
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
