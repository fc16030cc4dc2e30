package httpapi

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
)

// setupPage is the first-run form, dressed in the dashboard's stylesheet (the sign-in
// page's look) so the first thing an owner sees is the house they are entering. It has
// no script, so the strictest policy fits it but for that one stylesheet.
const setupPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>First administrator · winnow</title>
<link rel="stylesheet" href="{{.CSS}}">
<link rel="icon" href="/favicon.ico" type="image/svg+xml"></head>
<body data-page="setup">
<main class="login">
<h1>winnow</h1>
{{- if eq .State "form"}}
<p>Create the first administrator account. This link works once.</p>
{{- with .Errors}}<ul class="error" role="alert">{{range $field, $msg := .}}<li>{{$field}}: {{$msg}}</li>{{end}}</ul>{{end}}
<form method="post" action="/admin/setup">
<input type="hidden" name="token" value="{{.Token}}">
<p><label>Email<br><input type="email" name="email" value="{{.Email}}" autocomplete="username" required></label></p>
<p><label>Password (at least {{.MinLength}} characters)<br><input type="password" name="password" minlength="{{.MinLength}}" autocomplete="new-password" required></label></p>
<p><label>Password again<br><input type="password" name="password_again" minlength="{{.MinLength}}" autocomplete="new-password" required></label></p>
<p><button type="submit" class="primary">Create administrator</button></p>
</form>
{{- else if eq .State "exists"}}
<p>This installation already has an administrator.</p>
<p><a href="/admin/login">Sign in to the dashboard</a></p>
{{- else}}
<p>This setup link is not valid: it was used, or it expired (after 24 hours; the next start then prints a new one).</p>
<p><a href="/admin/login">Sign in to the dashboard</a></p>
{{- end}}
</main>
</body>
</html>
`

// setupView is what setupPage shows.
type setupView struct {
	State     string // form, exists or invalid
	CSS       string // the dashboard's stylesheet
	Token     string
	Email     string
	Errors    map[string]string
	MinLength int
}

// renderSetup writes the setup page with headers that keep it out of frames, caches
// and Referer headers (its URL holds the token), and forbid any script.
func (s *server) renderSetup(w http.ResponseWriter, r *http.Request, status int, v setupView) {
	// Parsed per request: the page is served a handful of times in an installation's life.
	t, err := template.New("setup").Parse(setupPage)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.MinLength = auth.MinPasswordLength
	if s.reader != nil {
		v.CSS = s.reader.AssetURL("admin.css")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = t.Execute(w, v)
}

// setupForm shows the first-run form to whoever holds the setup link.
func (s *server) setupForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	ok := false
	if s.accounts != nil {
		var err error
		if ok, err = s.accounts.SetupValid(r.Context(), token); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if !ok {
		s.renderSetup(w, r, http.StatusNotFound, setupView{State: "invalid"})
		return
	}
	s.renderSetup(w, r, http.StatusOK, setupView{State: "form", Token: token})
}

// setupSubmit creates the first admin and signs them in. The setup token is the
// form's proof of origin, so it needs no CSRF token.
func (s *server) setupSubmit(w http.ResponseWriter, r *http.Request) {
	if s.accounts == nil {
		s.renderSetup(w, r, http.StatusNotFound, setupView{State: "invalid"})
		return
	}
	if _, err := requestKind(r, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := parseForm(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := r.PostForm
	v := setupView{State: "form", Token: f.Get("token"), Email: f.Get("email")}
	// A cheap token check, counted per address, comes before the costly password hash.
	if err := s.guard.Guess(r.Context(), s.addressKey(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	if ok, err := s.accounts.SetupValid(r.Context(), v.Token); err != nil || !ok {
		s.renderSetup(w, r, http.StatusNotFound, setupView{State: "invalid"})
		return
	}
	if f.Get("password") != f.Get("password_again") {
		v.Errors = map[string]string{"password_again": "the two passwords differ"}
		s.renderSetup(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	u, session, err := s.accounts.Setup(r.Context(), v.Token, v.Email, f.Get("password"))
	var ve *comment.ValidationError
	switch {
	case errors.As(err, &ve):
		v.Errors = ve.Fields
		s.renderSetup(w, r, http.StatusUnprocessableEntity, v)
	case errors.Is(err, comment.ErrUnauthorized):
		s.renderSetup(w, r, http.StatusNotFound, setupView{State: "invalid"})
	case errors.Is(err, comment.ErrConflict):
		s.renderSetup(w, r, http.StatusConflict, setupView{State: "exists"})
	case err != nil:
		s.writeError(w, r, err)
	default:
		s.setSession(w, r, session, s.accounts.Policy().Absolute)
		// The browser that set up the account gets the device cookie a sign-in gives.
		if device, err := s.accounts.NewDevice(u.Email); err == nil && device != "" {
			s.setDevice(w, r, device)
		}
		// The browser is signed in: the setup leads straight into the dashboard.
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
	}
}
