package inbox

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/tasks"
)

// cookieName is the session cookie.
const cookieName = "openoma_inbox"

// csp allows nothing but the inbox's own stylesheet and forms.
const csp = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Options configure a Server.
type Options struct {
	Tasks *tasks.Service
	// Secret is the inbox secret (EnsureSecret).
	Secret string
	// Owner is who the inbox acts as: the daemon's owner, as the identity
	// directory resolves its OS user.
	Owner  identity.Caller
	Logger hclog.Logger
	// Console, when set, is the read-only execution console, served at
	// /executions behind the same session as the tasks.
	Console http.Handler
	// Tokens, when set, admits personal links (`openoma-host inbox --for`):
	// each signs in as its person, checked again at every request.
	Tokens *Tokens
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the inbox's http.Handler.
type Server struct {
	tasks  *tasks.Service
	secret []byte
	owner  identity.Caller
	tokens *Tokens
	now    func() time.Time
	fails  failedSignIns
	log    hclog.Logger
	mux    *http.ServeMux
}

// New returns the inbox handler.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{tasks: opts.Tasks, secret: []byte(opts.Secret), owner: opts.Owner, tokens: opts.Tokens, now: opts.Now,
		log: opts.Logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.session(s.list))
	s.mux.HandleFunc("GET /task/{id}", s.session(s.show))
	s.mux.HandleFunc("POST /task/{id}/complete", s.session(s.post(s.complete)))
	s.mux.HandleFunc("POST /task/{id}/claim", s.session(s.post(s.claim)))
	s.mux.HandleFunc("GET /style.css", s.style)
	if opts.Console != nil {
		s.mux.HandleFunc("GET /executions", s.session(s.consoleOnly(opts.Console.ServeHTTP)))
		s.mux.HandleFunc("GET /executions/{id}", s.session(s.consoleOnly(opts.Console.ServeHTTP)))
		s.mux.Handle("GET /console.css", opts.Console) // no data: like style.css
	}
	return s
}

// ServeHTTP answers only requests addressed to a loopback host, with the
// security headers on every answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer browsers send
	// "Origin: null" on form posts, which the origin check must refuse.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if !loopbackHost(r.Host) {
		http.Error(w, "the inbox answers only on this machine's loopback address", http.StatusMisdirectedRequest)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// post admits a form post only from the inbox's own pages: same origin
// (when the browser says) and the session's CSRF token.
func (s *Server) post(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
			s.forbidden(w, "cross-site request refused (Sec-Fetch-Site: "+site+")")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host {
			s.forbidden(w, "request from another origin refused ("+origin+")")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(s.csrf(r))) != 1 {
			s.forbidden(w, "the form's CSRF token is missing or wrong; reload the page and try again")
			return
		}
		next(w, r)
	}
}

func (s *Server) forbidden(w http.ResponseWriter, msg string) {
	s.log.Warn("inbox: refused post", "reason", msg)
	s.page(w, http.StatusForbidden, "denied", pageData{Title: "Refused", Error: msg})
}

// status maps a task service error to an HTTP status.
func status(err error) int {
	switch {
	case errors.Is(err, tasks.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, identity.ErrDenied):
		return http.StatusForbidden
	case errors.Is(err, tasks.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, tasks.ErrInvalid):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// Serve serves the inbox on l until ctx is done.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
