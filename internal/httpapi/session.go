package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
)

// Accounts signs moderators in and out (auth.Accounts).
type Accounts interface {
	// SignIn checks an email and password behind the sign-in limits and starts a session.
	SignIn(ctx context.Context, r auth.LoginRequest) (auth.LoginResult, error)
	Authenticate(ctx context.Context, session string) (auth.Principal, error)
	Logout(ctx context.Context, session string) error
	RevokeSessions(ctx context.Context, userID int64) error
	SetupValid(ctx context.Context, token string) (bool, error)
	Setup(ctx context.Context, token, email, password string) (auth.User, string, error)
	// NewDevice is the device cookie a sign-in would give, for the setup browser.
	NewDevice(email string) (string, error)
	Policy() auth.SessionPolicy
}

// The session cookie, the device cookie (see auth.Guard) and where a
// cookie-authenticated change carries its CSRF token.
const (
	sessionCookie = httpx.SessionCookie
	deviceCookie  = "winnow_device"
	loginPath     = "/api/v1/auth/login"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf_token"
)

// errCSRF refuses a cookie-authenticated change without its session's CSRF token.
var errCSRF = &httpError{Status: http.StatusForbidden, Code: "csrf",
	Message: "a change made with a session cookie needs the session's CSRF token in the " + csrfHeader + " header"}

// errLogin is the one answer to a wrong email or a wrong password.
var errLogin = &httpError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "wrong email or password"}

// addressKey is the key that stands for r's client in the guard's limits: a keyed
// hash of its address, or of its IPv6 network (comment.AddressKey), so the limiter
// never holds an address and one /64 is one client.
func (s *server) addressKey(r *http.Request) string {
	v6bits := s.v6bits
	if v6bits == 0 {
		v6bits = comment.DefaultIPv6Prefix
	}
	return "auth:" + comment.AddressKey(s.secret, s.clientIP(r), v6bits)
}

// cookiePrincipal authenticates a session cookie and, for a request that changes
// something, its CSRF token. Wrong cookies are not counted as guesses: session ids
// cannot be guessed, and an expired one is a browser's, not an attacker's.
func (s *server) cookiePrincipal(r *http.Request, session string) (auth.Principal, error) {
	if s.accounts == nil {
		return auth.Principal{}, comment.ErrUnauthorized
	}
	p, err := s.accounts.Authenticate(r.Context(), session)
	if err != nil {
		return auth.Principal{}, err
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return p, nil
	}
	token := r.Header.Get(csrfHeader)
	if token == "" {
		if kind, err := requestKind(r, true); err == nil && kind == kindForm && parseForm(r) == nil {
			token = r.PostForm.Get(csrfField)
		}
	}
	if !auth.CheckCSRF(session, token) {
		return auth.Principal{}, errCSRF
	}
	return p, nil
}

// setSession sends the session cookie: HttpOnly, SameSite=Lax, Secure when browsers
// reach winnow over TLS, and no longer-lived than the session's absolute limit.
func (s *server) setSession(w http.ResponseWriter, r *http.Request, session string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: session, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || strings.HasPrefix(s.baseURL, "https://"),
	})
	w.Header().Set("Cache-Control", "no-store")
}

// setDevice sends the device cookie, which a browser sends back only to the sign-in
// endpoint: HttpOnly, SameSite=Strict, Secure as the session cookie is.
func (s *server) setDevice(w http.ResponseWriter, r *http.Request, device string) {
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: device, Path: loginPath, MaxAge: int(auth.DeviceLifetime / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.HasPrefix(s.baseURL, "https://"),
	})
}

// userView is a signed-in moderator as they see themselves.
type userView struct {
	ID    int64     `json:"id"`
	Email string    `json:"email"`
	Role  auth.Role `json:"role"`
	Sites []string  `json:"sites"`
}

func viewPrincipalUser(p auth.Principal) userView {
	sites := p.Sites
	if sites == nil {
		sites = []string{}
	}
	return userView{ID: p.UserID, Email: p.Name, Role: p.Role, Sites: sites}
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login checks an email and password and starts a session, within the limits of
// auth.Guard (429 when one refuses; 503 when password checks are all busy), and gives
// the browser a device cookie that keeps it apart from other sign-ins to the account.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	if s.accounts == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	var body loginBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	fields := map[string]string{}
	if strings.TrimSpace(body.Email) == "" {
		fields["email"] = "required"
	}
	if body.Password == "" {
		fields["password"] = "required"
	}
	if len(fields) > 0 {
		s.writeError(w, r, &comment.ValidationError{Fields: fields})
		return
	}
	var device string
	if c, err := r.Cookie(deviceCookie); err == nil {
		device = c.Value
	}
	res, err := s.accounts.SignIn(r.Context(), auth.LoginRequest{
		Email: body.Email, Password: body.Password, Client: s.addressKey(r), Device: device})
	if errors.Is(err, comment.ErrUnauthorized) {
		err = errLogin
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, session := res.User, res.Session
	if res.Device != "" {
		s.setDevice(w, r, res.Device)
	}
	s.setSession(w, r, session, s.accounts.Policy().Absolute)
	writeJSON(w, http.StatusOK, map[string]any{
		"user":       userView{ID: u.ID, Email: u.Email, Role: u.Role, Sites: nonNil(u.Sites)},
		"csrf_token": auth.CSRFToken(session),
	})
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// whoami answers who the request is authenticated as, and for a session its CSRF token.
func (s *server) whoami(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	w.Header().Set("Cache-Control", "no-store")
	if p.UserID == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"token": map[string]any{
			"id": p.TokenID, "name": p.Name, "role": p.Role, "sites": nonNil(p.Sites)}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": viewPrincipalUser(p), "csrf_token": auth.CSRFToken(sessionFrom(r))})
}

// logout ends the request's session (authenticated, with its CSRF token) and clears
// the cookie. A request made with an API token has no session to end.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if session := sessionFrom(r); session != "" && principal(r).UserID != 0 {
		if err := s.accounts.Logout(r.Context(), session); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.setSession(w, r, "", -time.Second)
	}
	w.WriteHeader(http.StatusNoContent)
}

type revokeBody struct {
	UserID int64 `json:"user_id"`
}

// revokeSessions signs a user out everywhere: by default the caller, or with
// {"user_id": N} any user, which takes an admin.
func (s *server) revokeSessions(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var body revokeBody
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &body); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	target := body.UserID
	if target == 0 {
		target = p.UserID
	}
	switch {
	case s.accounts == nil:
		s.writeError(w, r, comment.ErrNotFound)
		return
	case target == 0:
		s.writeError(w, r, comment.Invalid("user_id", "required with an API token"))
		return
	case target != p.UserID && !p.IsAdmin():
		s.writeError(w, r, comment.ErrForbidden)
		return
	}
	if err := s.accounts.RevokeSessions(r.Context(), target); err != nil {
		s.writeError(w, r, err)
		return
	}
	if target == p.UserID {
		s.setSession(w, r, "", -time.Second)
	}
	w.WriteHeader(http.StatusNoContent)
}
