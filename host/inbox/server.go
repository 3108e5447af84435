package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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
}

// Server is the inbox's http.Handler.
type Server struct {
	tasks  *tasks.Service
	secret []byte
	owner  identity.Caller
	log    hclog.Logger
	mux    *http.ServeMux
}

// New returns the inbox handler.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	s := &Server{tasks: opts.Tasks, secret: []byte(opts.Secret), owner: opts.Owner, log: opts.Logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.session(s.list))
	s.mux.HandleFunc("GET /task/{id}", s.session(s.show))
	s.mux.HandleFunc("POST /task/{id}/complete", s.session(s.post(s.complete)))
	s.mux.HandleFunc("POST /task/{id}/claim", s.session(s.post(s.claim)))
	s.mux.HandleFunc("GET /style.css", s.style)
	if opts.Console != nil {
		s.mux.HandleFunc("GET /executions", s.session(opts.Console.ServeHTTP))
		s.mux.HandleFunc("GET /executions/{id}", s.session(opts.Console.ServeHTTP))
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

// mac is an HMAC of msg under the secret, base64url.
func (s *Server) mac(msg string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

type sessionKey struct{}

// session admits requests with a valid session cookie; a request with the
// right ?token= gets one and is redirected to the same page without the
// token; anything else is refused.
func (s *Server) session(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if token := r.URL.Query().Get("token"); token != "" {
			if subtle.ConstantTimeCompare([]byte(token), s.secret) != 1 {
				s.log.Warn("inbox: wrong token", "remote", r.RemoteAddr)
				s.page(w, http.StatusForbidden, "denied", pageData{Title: "Wrong link", Error: "This link's token is not the inbox's secret. Run `openoma-host inbox` for the right link."})
				return
			}
			raw := make([]byte, 18)
			_, _ = rand.Read(raw)
			sid := base64.RawURLEncoding.EncodeToString(raw)
			http.SetCookie(w, &http.Cookie{
				Name: cookieName, Value: sid + "." + s.mac("session:"+sid), Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: int((30 * 24 * time.Hour).Seconds()),
			})
			u := *r.URL
			q := u.Query()
			q.Del("token")
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		sid, ok := s.sessionOf(r)
		if !ok {
			s.page(w, http.StatusUnauthorized, "denied", pageData{Title: "Sign in", Error: "Open the inbox with the link `openoma-host inbox` prints."})
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sid)))
	}
}

func (s *Server) sessionOf(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	sid, mac, ok := strings.Cut(c.Value, ".")
	if !ok || sid == "" || !hmac.Equal([]byte(mac), []byte(s.mac("session:"+sid))) {
		return "", false
	}
	return sid, true
}

// csrf is the form token of a session.
func (s *Server) csrf(r *http.Request) string {
	sid, _ := r.Context().Value(sessionKey{}).(string)
	return s.mac("csrf:" + sid)
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

// actor is who the inbox acts as.
func (s *Server) actor() (tasks.Actor, error) {
	return s.tasks.People().ActAs(s.owner, "")
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
