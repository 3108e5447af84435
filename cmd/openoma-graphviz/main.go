// Command openoma-graphviz lays out a graph with Graphviz's dot and draws
// it as SVG: DOT on standard input, SVG on standard output. The host runs
// it for `graph --format svg` and the execution console.
//
// It is a separate binary because the Graphviz it embeds (compiled to
// WebAssembly, run by wazero: nothing to install) is set up in its
// package's init, which compiles the module and keeps a compilation cache
// under $TMPDIR. Linked into openoma-host, every CLI verb would pay for
// that at start, and a second OS user would find the first one's cache
// directory unwritable. The host starts this program with TMPDIR set to a
// cache directory of its own user.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/goccy/go-graphviz"
)

func main() {
	if err := run(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "openoma-graphviz:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, in io.Reader, out io.Writer) error {
	dot, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading DOT: %w", err)
	}
	gv, err := graphviz.New(ctx)
	if err != nil {
		return fmt.Errorf("start graphviz: %w", err)
	}
	defer gv.Close()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return fmt.Errorf("parse DOT: %w", err)
	}
	defer g.Close()
	var buf bytes.Buffer
	if err := gv.Render(ctx, g, graphviz.SVG, &buf); err != nil {
		return fmt.Errorf("lay out: %w", err)
	}
	_, err = out.Write(buf.Bytes())
	return err
}
