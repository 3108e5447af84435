package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// RendererBinary is the program that lays graphs out (cmd/openoma-graphviz).
const RendererBinary = "openoma-graphviz"

// ErrNoRenderer: the layout program is not installed.
var ErrNoRenderer = errors.New("the " + RendererBinary + " program is not installed beside openoma-host or on PATH (make build builds it)")

// renderTimeout bounds one layout; a flow of a few hundred nodes takes
// well under a second.
const renderTimeout = 20 * time.Second

// Renderer lays graphs out with Graphviz's dot and draws them as SVG, by
// running openoma-graphviz (see its package doc for why it is a program of
// its own). It is safe for concurrent use.
type Renderer struct {
	path  string
	cache string
}

// NewRenderer finds the layout program: $OPENOMA_GRAPHVIZ, else beside the
// running executable, else on PATH. Its compilation cache goes in this
// user's cache directory.
func NewRenderer(context.Context) (*Renderer, error) {
	path, err := findRenderer()
	if err != nil {
		return nil, err
	}
	cache := ""
	if dir, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(dir, "openoma", "graphviz")
		if err := os.MkdirAll(cache, 0o700); err != nil {
			cache = ""
		}
	}
	return &Renderer{path: path, cache: cache}, nil
}

func findRenderer() (string, error) {
	if p := os.Getenv("OPENOMA_GRAPHVIZ"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("OPENOMA_GRAPHVIZ=%s: %w", p, err)
		}
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), RendererBinary)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(RendererBinary); err == nil {
		return p, nil
	}
	return "", ErrNoRenderer
}

// Close releases nothing; it keeps the Renderer's use symmetrical with
// other resources.
func (r *Renderer) Close() error { return nil }

// SVG lays g out and returns it as an SVG document (without the XML
// prolog, so that it can be inlined in HTML).
func (r *Renderer) SVG(ctx context.Context, g *Graph) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, renderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.path)
	cmd.Stdin = bytes.NewReader([]byte(g.DOT()))
	if r.cache != "" {
		cmd.Env = append(os.Environ(), "TMPDIR="+r.cache)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := bytes.TrimSpace(stderr.Bytes())
		return nil, fmt.Errorf("lay out graph %q with %s: %w: %s", g.Title, r.path, err, msg)
	}
	out := stdout.Bytes()
	if i := bytes.Index(out, []byte("<svg")); i > 0 {
		out = out[i:]
	}
	return out, nil
}
