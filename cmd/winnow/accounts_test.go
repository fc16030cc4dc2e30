package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/httpapi"
)

var _ httpapi.Accounts = (*auth.Accounts)(nil)

var setupRe = regexp.MustCompile(`(http://[^/\s]+/admin/setup\?token=[A-Za-z0-9_-]+)`)

// session is a signed-in browser: its cookie and CSRF token.
type session struct {
	cookie string // the session id
	csrf   string
}

// headers returns the cookie header, and the CSRF token when withCSRF.
func (s session) headers(withCSRF bool) map[string]string {
	h := map[string]string{"Cookie": "winnow_session=" + s.cookie}
	if withCSRF {
		h["X-CSRF-Token"] = s.csrf
	}
	return h
}

// sessionCookie finds the winnow_session cookie an answer sets and checks its attributes.
func sessionCookie(t *testing.T, r response) string {
	t.Helper()
	for _, line := range r.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil || c.Name != "winnow_session" {
			continue
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("cookie attributes: %q (Secure only over TLS)", line)
		}
		return c.Value
	}
	t.Fatalf("no session cookie in %v", r.header)
	return ""
}

// login signs in from client (nil: the default) and returns the session.
func (in *instance) login(c *http.Client, email, password string) session {
	in.t.Helper()
	if c == nil {
		c = in.client
	}
	r := in.doWith(c, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": email, "password": password}}).
		must(in.t, http.StatusOK)
	v := r.json(in.t)
	csrf, _ := v["csrf_token"].(string)
	if csrf == "" || v["user"].(map[string]any)["email"] != strings.ToLower(strings.TrimSpace(email)) {
		in.t.Fatalf("login answer: %s", r.body)
	}
	return session{cookie: sessionCookie(in.t, r), csrf: csrf}
}

// cli runs a winnow command against the instance's database with stdin.
func (in *instance) cli(stdin string, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	getenv := func(k string) string { return in.env[k] }
	err := run(withStdin(in.t.Context(), strings.NewReader(stdin)), args, getenv, &out, &errb)
	return out.String(), errb.String(), err
}

// database opens the instance's database directly, for what no API shows.
func (in *instance) database() *sql.DB {
	in.t.Helper()
	cfg, err := config.Load("", func(k string) string { return in.env[k] })
	if err != nil {
		in.t.Fatal(err)
	}
	driver, dsn := "postgres", cfg.DSN()
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		driver, dsn = "sqlite", path+"?_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { db.Close() })
	return db
}

// ageSessions moves every session's times back by d, as if it had not been used for d.
func (in *instance) ageSessions(d time.Duration) {
	in.t.Helper()
	if _, err := in.database().ExecContext(context.Background(), `UPDATE sessions SET last_seen_at = last_seen_at - $1, created_at = created_at - $1`,
		d.Microseconds()); err != nil {
		in.t.Fatal(err)
	}
}

// TestModeratorAccounts is the accounts journey: first-run setup, a moderator added
// on the command line, sign-in, the admin API by cookie with CSRF, site scoping,
// logout, revocation; and no password or session id in the logs.
func TestModeratorAccounts(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		if in.token == "" {
			t.Fatal("the first-start admin API token is no longer printed")
		}
		m := setupRe.FindStringSubmatch(in.stderr.String())
		if m == nil {
			t.Fatalf("no setup link printed:\n%s", in.stderr.String())
		}
		link, _ := url.Parse(m[1])
		setupToken := link.Query().Get("token")
		in.createSite("a", map[string]any{"policy": "all"})
		in.createSite("b", map[string]any{"policy": "all"})

		// The setup link: a strict page, then the first admin, once.
		page := in.do(req{method: "GET", path: "/admin/setup?token=" + setupToken}).must(t, http.StatusOK)
		if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") ||
			strings.Contains(string(page.body), "<script") || !strings.Contains(string(page.body), `name="password"`) ||
			!strings.Contains(string(page.body), `<link rel="stylesheet" href="/static/admin.`) {
			t.Errorf("setup page: CSP %q\n%s", csp, page.body)
		}
		in.do(req{method: "GET", path: "/admin/setup?token=wrong"}).must(t, http.StatusNotFound)
		const adminPW = "root password qz7adm1n"
		form := func(token, email, pw, again string) string {
			return url.Values{"token": {token}, "email": {email}, "password": {pw}, "password_again": {again}}.Encode()
		}
		const formType = "application/x-www-form-urlencoded"
		in.do(req{method: "POST", path: "/admin/setup", ctype: formType, body: form(setupToken, "root@example.org", adminPW, "different")}).
			must(t, http.StatusUnprocessableEntity)
		in.do(req{method: "POST", path: "/admin/setup", ctype: formType, body: form(setupToken, "root@example.org", "short", "short")}).
			must(t, http.StatusUnprocessableEntity)
		// The created admin is signed in and led into the dashboard.
		stay := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		done := in.doWith(stay, req{method: "POST", path: "/admin/setup", ctype: formType, body: form(setupToken, "Root@Example.org", adminPW, adminPW)}).
			must(t, http.StatusSeeOther)
		if to := done.header.Get("Location"); to != "/admin/" {
			t.Errorf("after setup: Location %q, want the dashboard", to)
		}
		admin := session{cookie: sessionCookie(t, done)}
		// The setup browser also gets the device cookie a sign-in gives: after ten
		// guesses from elsewhere it still signs in.
		var device string
		for _, c := range (&http.Response{Header: done.header}).Cookies() {
			if c.Name == "winnow_device" && c.HttpOnly && c.Path == "/api/v1/auth/login" {
				device = c.Value
			}
		}
		if device == "" {
			t.Fatalf("setup gave no device cookie: %v", done.header["Set-Cookie"])
		}
		for i := range 10 {
			in.doWith(localClient(fmt.Sprintf("127.0.10.%d", i+1)), req{method: "POST", path: "/api/v1/auth/login",
				body: map[string]string{"email": "root@example.org", "password": "a wrong guess 123"}}).must(t, http.StatusUnauthorized)
		}
		in.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "root@example.org", "password": adminPW}}).
			must(t, http.StatusTooManyRequests)
		in.do(req{method: "POST", path: "/api/v1/auth/login", headers: map[string]string{"Cookie": "winnow_device=" + device},
			body: map[string]string{"email": "root@example.org", "password": adminPW}}).must(t, http.StatusOK)
		who := in.do(req{method: "GET", path: "/api/v1/auth/session", headers: admin.headers(false)}).must(t, http.StatusOK).json(t)
		admin.csrf, _ = who["csrf_token"].(string)
		if u := who["user"].(map[string]any); u["role"] != "admin" || u["email"] != "root@example.org" || admin.csrf == "" {
			t.Errorf("whoami after setup: %v", who)
		}
		in.do(req{method: "POST", path: "/admin/setup", ctype: formType, body: form(setupToken, "again@example.org", adminPW, adminPW)}).
			must(t, http.StatusNotFound)
		in.do(req{method: "GET", path: "/admin/setup?token=" + setupToken}).must(t, http.StatusNotFound)

		// An admin by cookie reaches admin routes; a change needs the CSRF token.
		in.do(req{method: "GET", path: "/api/v1/admin/tokens", headers: admin.headers(false)}).must(t, http.StatusOK)
		refused := in.do(req{method: "POST", path: "/api/v1/admin/sites", headers: admin.headers(false), body: map[string]any{"id": "c", "name": "C"}}).
			must(t, http.StatusForbidden).json(t)
		if refused["error"].(map[string]any)["code"] != "csrf" {
			t.Errorf("a CSRF-less change: %v", refused)
		}
		in.do(req{method: "POST", path: "/api/v1/admin/sites", headers: map[string]string{"Cookie": "winnow_session=" + admin.cookie, "X-CSRF-Token": "forged"},
			body: map[string]any{"id": "c", "name": "C"}}).must(t, http.StatusForbidden)
		in.do(req{method: "POST", path: "/api/v1/admin/sites", headers: admin.headers(true), body: map[string]any{"id": "c", "name": "C"}}).
			must(t, http.StatusCreated)

		// A moderator from the command line: password on stdin; another generated.
		const modPW = "moderator password qz7m0d"
		if _, errOut, err := in.cli(modPW+"\n", "user", "add", "--email", "Mod@Example.org", "--role", "moderator", "--site", "a"); err != nil {
			t.Fatalf("user add: %v\n%s", err, errOut)
		}
		if _, _, err := in.cli(modPW+"\n", "user", "add", "--email", "mod@example.org", "--role", "moderator", "--site", "a"); err == nil {
			t.Error("user add accepted an email in use")
		}
		if _, _, err := in.cli("", "user", "add", "--email", "x@example.org", "--role", "moderator", "--site", "nope"); err == nil {
			t.Error("user add accepted an unknown site")
		}
		generated, errOut, err := in.cli("", "user", "add", "--email", "gen@example.org", "--role", "admin")
		generated = strings.TrimSpace(generated)
		if err != nil || len(generated) < auth.MinPasswordLength || strings.Contains(errOut, generated) {
			t.Fatalf("user add with a generated password: %q, %v\n%s", generated, err, errOut)
		}
		in.login(nil, "gen@example.org", generated)
		users, _, err := in.cli("", "user", "list")
		if err != nil || !strings.Contains(users, "mod@example.org") || !strings.Contains(users, "root@example.org") || strings.Contains(users, "argon2") {
			t.Errorf("user list: %v\n%s", err, users)
		}

		mod := in.login(nil, " MOD@example.org", modPW)
		held := in.submit("a", submission("/p", nil), nil).must(t, http.StatusAccepted).json(t)
		heldB := in.submit("b", submission("/p", nil), nil).must(t, http.StatusAccepted).json(t)
		idA, idB := int64(num(held, "comment", "id")), int64(num(heldB, "comment", "id"))
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", headers: mod.headers(false)}).must(t, http.StatusOK)
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=b", headers: mod.headers(false)}).must(t, http.StatusNotFound)
		in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/comments/%d", idB), headers: mod.headers(false)}).must(t, http.StatusNotFound)
		in.do(req{method: "GET", path: "/api/v1/admin/tokens", headers: mod.headers(false)}).must(t, http.StatusForbidden)
		in.do(req{method: "POST", path: "/api/v1/admin/sites", headers: mod.headers(true), body: map[string]any{"id": "d", "name": "D"}}).
			must(t, http.StatusForbidden)
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", idB), headers: mod.headers(true)}).must(t, http.StatusNotFound)
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", idA), headers: mod.headers(false)}).must(t, http.StatusForbidden)
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", idA), headers: mod.headers(true)}).must(t, http.StatusOK)
		// A form post carries the token as a field.
		in.do(req{method: "POST", path: "/api/v1/auth/sessions/revoke", headers: mod.headers(false), ctype: "application/x-www-form-urlencoded",
			body: "csrf_token=wrong"}).must(t, http.StatusForbidden)

		// The audit log names the moderator; the public thread does not.
		events := in.do(req{method: "GET", path: "/api/v1/admin/events?site=a", token: in.token}).must(t, http.StatusOK).json(t)
		actor, _ := list(events, "events")[0].(map[string]any)["actor"].(string)
		if !regexp.MustCompile(`^user:\d+:mod@example\.org$`).MatchString(actor) {
			t.Errorf("audit actor %q", actor)
		}
		thread := in.do(req{method: "GET", path: "/api/v1/sites/a/comments?thread=/p"}).must(t, http.StatusOK)
		if len(list(thread.json(t), "comments")) != 1 || strings.Contains(string(thread.body), "mod@example.org") {
			t.Errorf("public thread: %s", thread.body)
		}

		// Logout ends the session; the cookie is cleared.
		in.do(req{method: "POST", path: "/api/v1/auth/logout", headers: mod.headers(false)}).must(t, http.StatusForbidden)
		out := in.do(req{method: "POST", path: "/api/v1/auth/logout", headers: mod.headers(false), ctype: "application/x-www-form-urlencoded",
			body: "csrf_token=" + mod.csrf}).must(t, http.StatusNoContent)
		if !strings.Contains(out.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("logout did not clear the cookie: %v", out.header)
		}
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", headers: mod.headers(false)}).must(t, http.StatusUnauthorized)

		// Revoke all: the user's own, then an admin's for another user.
		s1, s2 := in.login(nil, "mod@example.org", modPW), in.login(nil, "mod@example.org", modPW)
		in.do(req{method: "POST", path: "/api/v1/auth/sessions/revoke", headers: s1.headers(true), body: map[string]any{"user_id": 1}}).
			must(t, http.StatusForbidden)
		in.do(req{method: "POST", path: "/api/v1/auth/sessions/revoke", headers: s1.headers(true)}).must(t, http.StatusNoContent)
		for _, s := range []session{s1, s2} {
			in.do(req{method: "GET", path: "/api/v1/auth/session", headers: s.headers(false)}).must(t, http.StatusUnauthorized)
		}
		s3 := in.login(nil, "mod@example.org", modPW)
		modID := int64(num(in.do(req{method: "GET", path: "/api/v1/auth/session", headers: s3.headers(false)}).must(t, http.StatusOK).json(t), "user", "id"))
		in.do(req{method: "POST", path: "/api/v1/auth/sessions/revoke", token: in.token}).must(t, http.StatusUnprocessableEntity)
		in.do(req{method: "POST", path: "/api/v1/auth/sessions/revoke", token: in.token, body: map[string]any{"user_id": modID}}).
			must(t, http.StatusNoContent)
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: s3.headers(false)}).must(t, http.StatusUnauthorized)

		// A new password from the command line ends sessions and replaces the old one.
		s4 := in.login(nil, "mod@example.org", modPW)
		const newPW = "a brand new password qz7"
		if _, errOut, err := in.cli(newPW+"\n", "user", "passwd", "--email", "mod@example.org"); err != nil {
			t.Fatalf("user passwd: %v\n%s", err, errOut)
		}
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: s4.headers(false)}).must(t, http.StatusUnauthorized)
		in.login(nil, "mod@example.org", newPW)

		// Nothing secret in the log.
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
		logs := in.stderr.String()
		// The whole password, not a fragment: three random characters also turn up by
		// chance in the log's request ids.
		for _, secret := range []string{adminPW, modPW, generated, newPW, admin.cookie, admin.csrf, mod.cookie, mod.csrf, s3.cookie,
			strings.TrimPrefix(mod.cookie, "wns_")} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log contains a secret %q", secret)
			}
		}
	})
}

// TestSessionExpiryAndLoginLimits: an idle session is refused; wrong passwords and
// unknown emails answer the same 401, until the address or the account is limited.
func TestSessionExpiryAndLoginLimits(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("a", nil)
		const pw = "moderator password 12345"
		if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "mod@example.org", "--role", "moderator", "--site", "a"); err != nil {
			t.Fatalf("user add: %v\n%s", err, errOut)
		}
		s := in.login(nil, "mod@example.org", pw)
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", headers: s.headers(false)}).must(t, http.StatusOK)
		in.ageSessions(13 * time.Hour)
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", headers: s.headers(false)}).must(t, http.StatusUnauthorized)
		fresh := in.login(nil, "mod@example.org", pw)
		in.ageSessions(8 * 24 * time.Hour)
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: fresh.headers(false)}).must(t, http.StatusUnauthorized)

		attempt := func(c *http.Client, email, password string) response {
			return in.doWith(c, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": email, "password": password}})
		}
		// Per address: thirty sign-ins a minute over all accounts (one more every two
		// seconds: a slow machine may get a few more in), then 429 even for the right
		// password.
		c := localClient("127.0.0.77")
		var bodies []string
		began := time.Now()
		for i := 0; ; i++ {
			email := fmt.Sprintf("nobody%d@example.org", i)
			if i == 0 {
				email = "mod@example.org"
			}
			r := attempt(c, email, "wrong password 123")
			if i >= 30 && r.status == http.StatusTooManyRequests {
				break
			}
			// The limit refills one sign-in every two seconds: on a loaded machine the
			// loop earns that many more before the budget runs out.
			if r.must(t, http.StatusUnauthorized); i >= 35+int(time.Since(began)/(2*time.Second)) || i >= 200 {
				t.Fatalf("%d sign-ins from one address in %s, none refused", i+1, time.Since(began).Round(time.Second))
			}
			bodies = append(bodies, regexp.MustCompile(`"request_id":"[^"]*"`).ReplaceAllString(string(r.body), ""))
		}
		if bodies[0] != bodies[1] {
			t.Errorf("a wrong password and an unknown email answer differently:\n%s\n%s", bodies[0], bodies[1])
		}
		limited := attempt(c, "mod@example.org", pw).must(t, http.StatusTooManyRequests)
		if limited.header.Get("Retry-After") == "" || limited.json(t)["error"].(map[string]any)["code"] != "rate_limited" {
			t.Errorf("429 without the API's shape: %v %s", limited.header, limited.body)
		}
		// Per account and address: ten failures in a row lock that address out of the
		// account for a while, counted before the slow password check (so parallel
		// guesses cannot slip through); other addresses can still sign in, so a
		// stranger cannot lock a moderator out, and a success clears the count.
		guesser := localClient("127.0.1.1")
		done := make(chan int, 12)
		for range 12 {
			go func() { done <- attempt(guesser, "victim@example.org", "wrong password 123").status }()
		}
		refused := 0
		for range 12 {
			if <-done == http.StatusTooManyRequests {
				refused++
			}
		}
		if refused != 2 {
			t.Errorf("12 parallel guesses: %d refused, want 2", refused)
		}
		in.login(localClient("127.0.2.2"), "mod@example.org", pw) // other accounts are not affected
	})
}
