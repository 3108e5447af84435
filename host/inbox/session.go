package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/tasks"
)

// A session is one browser signed in: as the daemon's owner (the link with
// the inbox secret) or as the person of a personal link. The cookie names
// the link (never its token) and is signed with the secret; a personal
// link's session is checked against the token file at every request, so a
// revoked or expired link ends its sessions at once.
type session struct {
	id      string
	tokenID string // "" for the owner's link
	caller  identity.Caller
}

type sessionKey struct{}

// ownerSessionAge is how long the owner's session cookie lasts.
const ownerSessionAge = 30 * 24 * time.Hour

// mac is an HMAC of msg under the secret, base64url.
func (s *Server) mac(msg string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// session admits requests with a valid session; a request with ?token=
// signs in and is redirected to the same page without the token; anything
// else is refused.
func (s *Server) session(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if token := r.URL.Query().Get("token"); token != "" {
			s.signIn(w, r, token)
			return
		}
		sess, err := s.sessionOf(r)
		if err != nil {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			s.page(w, http.StatusUnauthorized, "denied", pageData{Title: "Sign in", Error: err.Error()})
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	}
}

// signIn turns a link's token into a session cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, token string) {
	now := s.now()
	if wait := s.fails.blocked(now); wait > 0 {
		s.log.Warn("inbox: sign-in refused: too many failed sign-ins", "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.page(w, http.StatusTooManyRequests, "denied", pageData{Title: "Too many failed sign-ins",
			Error: fmt.Sprintf("Too many wrong links were tried; try again in %s.", wait.Round(time.Second))})
		return
	}
	tokenID, maxAge, err := s.checkToken(token, now)
	if err != nil {
		s.fails.record(now)
		s.log.Warn("inbox: failed sign-in", "remote", r.RemoteAddr, "reason", err)
		s.page(w, http.StatusForbidden, "denied", pageData{Title: "Wrong link", Error: err.Error()})
		return
	}
	sid := randomText(18)
	value := sid + "." + s.mac("session:"+sid)
	if tokenID != "" {
		value = sid + "." + tokenID + "." + s.mac("session:"+sid+":"+tokenID)
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge.Seconds()),
	})
	u := *r.URL
	q := u.Query()
	q.Del("token")
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// checkToken says which link a token is: the owner's ("") or a personal
// link's id, and how long its session may last.
func (s *Server) checkToken(token string, now time.Time) (string, time.Duration, error) {
	if subtle.ConstantTimeCompare([]byte(token), s.secret) == 1 {
		return "", ownerSessionAge, nil
	}
	if s.tokens != nil {
		t, ok, err := s.tokens.Lookup(token)
		if err != nil {
			return "", 0, err
		}
		if ok {
			if !t.Valid(now) {
				return "", 0, fmt.Errorf("This link (%s, for %s) is %s. Ask an admin for a new one: openoma-host inbox --for %s", t.ID, t.Person, t.State(now), t.Person)
			}
			return t.ID, t.Expires.Sub(now), nil
		}
	}
	return "", 0, errors.New("This link's token is not one this inbox issued. Run `openoma-host inbox` (or ask an admin for `openoma-host inbox --for NAME`) for the right link.")
}

// sessionOf checks the request's session cookie and who it acts as.
func (s *Server) sessionOf(r *http.Request) (session, error) {
	signIn := errors.New("Open the inbox with the link `openoma-host inbox` prints (or your personal link).")
	c, err := r.Cookie(cookieName)
	if err != nil {
		return session{}, signIn
	}
	parts := strings.Split(c.Value, ".")
	switch {
	case len(parts) == 2 && parts[0] != "" && hmac.Equal([]byte(parts[1]), []byte(s.mac("session:"+parts[0]))):
		return session{id: parts[0], caller: s.owner}, nil
	case len(parts) == 3 && parts[0] != "" && hmac.Equal([]byte(parts[2]), []byte(s.mac("session:"+parts[0]+":"+parts[1]))):
		caller, err := s.linkCaller(parts[1])
		if err != nil {
			s.log.Warn("inbox: session refused", "link", parts[1], "reason", err)
			return session{}, err
		}
		return session{id: parts[0], tokenID: parts[1], caller: caller}, nil
	}
	return session{}, signIn
}

// linkCaller is the person a personal link signs in as, while it is valid.
func (s *Server) linkCaller(tokenID string) (identity.Caller, error) {
	if s.tokens == nil {
		return identity.Caller{}, errors.New("Personal links are not enabled on this inbox.")
	}
	t, ok, err := s.tokens.ByID(tokenID)
	if err != nil {
		return identity.Caller{}, err
	}
	if !ok {
		return identity.Caller{}, fmt.Errorf("Your inbox link %s no longer exists. Ask an admin for a new one.", tokenID)
	}
	if now := s.now(); !t.Valid(now) {
		return identity.Caller{}, fmt.Errorf("Your inbox link %s (for %s) is %s. Ask an admin for a new one: openoma-host inbox --for %s", t.ID, t.Person, t.State(now), t.Person)
	}
	return s.tasks.People().Person(t.Person, identity.ViaInboxLink, t.ID)
}

// current is the session of a request that session admitted.
func current(r *http.Request) session {
	sess, _ := r.Context().Value(sessionKey{}).(session)
	return sess
}

// csrf is the form token of a session.
func (s *Server) csrf(r *http.Request) string { return s.mac("csrf:" + current(r).id) }

// actor is who the request acts as.
func (s *Server) actor(r *http.Request) (tasks.Actor, error) {
	return s.tasks.People().ActAs(current(r).caller, "")
}

// failedSignIns rate-limits sign-ins after failures: after maxFails wrong
// tokens within failWindow, every sign-in waits until the oldest failure
// leaves the window. Tokens are 256 random bits, so this is not what keeps
// them secret; it keeps a script from flooding the log and the token file.
type failedSignIns struct {
	mu    sync.Mutex
	times []time.Time
}

const (
	maxFails   = 5
	failWindow = time.Minute
)

func (f *failedSignIns) record(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prune(now)
	f.times = append(f.times, now)
}

// blocked returns how long sign-ins must wait, or 0.
func (f *failedSignIns) blocked(now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prune(now)
	if len(f.times) < maxFails {
		return 0
	}
	return f.times[0].Add(failWindow).Sub(now)
}

func (f *failedSignIns) prune(now time.Time) {
	i := 0
	for i < len(f.times) && now.Sub(f.times[i]) >= failWindow {
		i++
	}
	f.times = f.times[i:]
}

// consoleOnly admits to the execution console the sessions that may read
// every execution: the owner's (the secret link) and admins' personal
// links. Anyone else's link shows their tasks, not the inputs, outputs and
// logs of every run.
func (s *Server) consoleOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, _ := r.Context().Value(sessionKey{}).(session)
		if sess.tokenID != "" && !sess.caller.Admin {
			s.page(w, http.StatusForbidden, "denied", pageData{Title: "Not for this link",
				Error: fmt.Sprintf("The execution console shows every run's inputs, outputs and events; it is open to the daemon's owner and to admins (tasks.admins), not to %s's link.", sess.caller.Person)})
			return
		}
		next(w, r)
	}
}
