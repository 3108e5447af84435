package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/host/graph"
)

// Query selects the runs the list page shows; zero fields match all.
type Query struct {
	State execution.State
	Name  string // flow or contract, name or name@version
	Since time.Time
	Limit int
}

// Run is one line of the list page.
type Run struct {
	ID        uuid.UUID
	Kind      execution.Kind
	Name      string
	Version   int
	State     execution.State
	CreatedAt time.Time
	EndedAt   *time.Time
}

// Source is what the console reads. ErrNotFound-style errors from it are
// shown as 404 pages when errors.Is(err, ErrNotFound) holds.
type Source interface {
	Recent(ctx context.Context, q Query) ([]Run, error)
	Report(ctx context.Context, id uuid.UUID) (*engine.Report, error)
	// Events sends the events of an execution and everything beneath it,
	// in store order.
	Events(ctx context.Context, id uuid.UUID, send func(execution.Event) error) error
	// ResolveID accepts a full id or a unique prefix.
	ResolveID(ctx context.Context, s string) (uuid.UUID, error)
}

// ErrNotFound is what a Source wraps for an execution it does not know;
// the console answers 404.
var ErrNotFound = errors.New("not found")

// MaxEvents bounds the event log shown on one page; a longer log says how
// many were left out and how to see them all (the events verb).
const MaxEvents = 2000

// Options configure a Server.
type Options struct {
	Source  Source
	Catalog *core.Catalog
	Logger  hclog.Logger
	// Renderer lays graphs out; nil starts one.
	Renderer *graph.Renderer
}

// Server is the console's http.Handler. It answers GET /executions,
// GET /executions/{id} and GET /console.css; the caller puts it behind its
// own session check.
type Server struct {
	src     Source
	catalog *core.Catalog
	render  *graph.Renderer
	// renderErr says why graphs are not drawn (no layout program).
	renderErr error
	log       hclog.Logger
	mux       *http.ServeMux
}

// New returns the console handler.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	s := &Server{src: opts.Source, catalog: opts.Catalog, render: opts.Renderer, log: opts.Logger, mux: http.NewServeMux()}
	if s.render == nil {
		r, err := graph.NewRenderer(ctx)
		if err != nil {
			// The pages still work, without drawings; each says why.
			s.log.Warn("console: flow graphs will not be drawn", "error", err)
			s.renderErr = err
		}
		s.render = r
	}
	s.mux.HandleFunc("GET /executions", s.list)
	s.mux.HandleFunc("GET /executions/{id}", s.show)
	s.mux.HandleFunc("GET /console.css", s.style)
	return s, nil
}

// Close releases the graph renderer.
func (s *Server) Close() error {
	if s.render == nil {
		return nil
	}
	return s.render.Close()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q, problem := parseQuery(r, time.Now())
	d := listData{Title: "Executions", Query: r.URL.Query(), States: filterStates}
	if problem != "" {
		d.Error = problem
		s.page(w, http.StatusBadRequest, "list", d)
		return
	}
	runs, err := s.src.Recent(r.Context(), q)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrNotFound) {
			status = http.StatusBadRequest
		}
		d.Error = err.Error()
		s.page(w, status, "list", d)
		return
	}
	d.Runs = runs
	s.page(w, http.StatusOK, "list", d)
}

var filterStates = []string{"", "pending", "in_progress", "completed", "failed", "cancelled"}

// parseQuery reads the list page's filter form: state, flow, since (a
// duration ago: 90m, 24h, 7d), limit.
func parseQuery(r *http.Request, now time.Time) (Query, string) {
	v := r.URL.Query()
	q := Query{Name: strings.TrimSpace(v.Get("flow")), Limit: 100}
	if st := v.Get("state"); st != "" {
		ok := false
		for _, known := range filterStates[1:] {
			ok = ok || st == known
		}
		if !ok {
			return q, fmt.Sprintf("unknown state %q", st)
		}
		q.State = execution.State(st)
	}
	if since := strings.TrimSpace(v.Get("since")); since != "" {
		d, err := parseAgo(since)
		if err != nil {
			return q, fmt.Sprintf("since %q: want a duration such as 90m, 24h or 7d", since)
		}
		q.Since = now.Add(-d)
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return q, fmt.Sprintf("limit %q: want 1 to 1000", l)
		}
		q.Limit = n
	}
	return q, ""
}

func parseAgo(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, errors.New("bad days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = errors.New("negative")
	}
	return d, err
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := s.src.ResolveID(ctx, r.PathValue("id"))
	if err != nil {
		s.page(w, http.StatusNotFound, "denied", pageData{Title: "No such execution", Error: err.Error()})
		return
	}
	rep, err := s.src.Report(ctx, id)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		s.page(w, status, "denied", pageData{Title: "No such execution", Error: err.Error()})
		return
	}
	var events []execution.Event
	total := 0
	err = s.src.Events(ctx, id, func(ev execution.Event) error {
		total++
		if len(events) < MaxEvents {
			events = append(events, ev)
		}
		return nil
	})
	if err != nil {
		s.page(w, http.StatusInternalServerError, "denied", pageData{Title: "Event log unreadable", Error: err.Error()})
		return
	}
	d, err := s.executionData(ctx, rep, events, total)
	if err != nil {
		s.log.Error("console: drawing an execution", "execution", id, "error", err)
		s.page(w, http.StatusInternalServerError, "denied", pageData{Title: "Could not draw the execution", Error: err.Error()})
		return
	}
	s.page(w, http.StatusOK, "execution", d)
}
