package graph

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/goccy/go-graphviz"
)

// Renderer lays graphs out with Graphviz's dot and draws them as SVG. It
// holds one Graphviz instance (a WebAssembly module, about a millisecond
// to start) and serialises its use, which is not safe for concurrent
// calls. The zero value is not usable; call NewRenderer.
type Renderer struct {
	mu sync.Mutex
	gv *graphviz.Graphviz
}

// NewRenderer starts Graphviz.
func NewRenderer(ctx context.Context) (*Renderer, error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("start graphviz: %w", err)
	}
	return &Renderer{gv: gv}, nil
}

// Close releases Graphviz.
func (r *Renderer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gv.Close()
}

// SVG lays g out and returns it as an SVG document (without the XML
// prolog, so that it can be inlined in HTML).
func (r *Renderer) SVG(ctx context.Context, g *Graph) ([]byte, error) {
	parsed, err := graphviz.ParseBytes([]byte(g.DOT()))
	if err != nil {
		return nil, fmt.Errorf("graph %q: %w", g.Title, err)
	}
	defer parsed.Close()
	var buf bytes.Buffer
	r.mu.Lock()
	err = r.gv.Render(ctx, parsed, graphviz.SVG, &buf)
	r.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("lay out graph %q: %w", g.Title, err)
	}
	out := buf.Bytes()
	if i := bytes.Index(out, []byte("<svg")); i > 0 {
		out = out[i:]
	}
	return out, nil
}
