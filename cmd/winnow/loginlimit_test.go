package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// limitEngines runs fn on SQLite with the in-process limiter and on PostgreSQL with
// Redis holding the limits.
func limitEngines(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	})
	t.Run("postgres+redis", func(t *testing.T) {
		fn(t, map[string]string{"WINNOW_DATABASE_URL": postgresDSN(t), "WINNOW_REDIS_URL": sqlstoretest.RedisURL(t), "WINNOW_DATA_DIR": t.TempDir()})
	})
}

// deviceCookie finds the winnow_device cookie an answer sets and checks its attributes.
func deviceCookie(t *testing.T, r response) string {
	t.Helper()
	for _, line := range r.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil || c.Name != "winnow_device" {
			continue
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth/login" || c.Secure || c.MaxAge < 24*3600 {
			t.Errorf("device cookie attributes: %q (Secure only over TLS)", line)
		}
		return c.Value
	}
	t.Fatalf("no device cookie in %v", r.header)
	return ""
}

// TestLoginLimitPerAccountAndDevice: guesses at one account from many addresses are
// limited together (ten in ten minutes), an email without an account exactly alike,
// and the owner's browser, which signed in before and carries a device cookie, still
// signs in while the account is under attack.
func TestLoginLimitPerAccountAndDevice(t *testing.T) {
	limitEngines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		const pw = "moderator password 12345"
		for _, email := range []string{"mod@example.org", "other@example.org"} {
			if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", email, "--role", "admin"); err != nil {
				t.Fatalf("user add: %v\n%s", err, errOut)
			}
		}
		login := func(c *http.Client, email, password string, headers map[string]string) response {
			if c == nil {
				c = in.client
			}
			return in.doWith(c, req{method: "POST", path: "/api/v1/auth/login", headers: headers,
				body: map[string]string{"email": email, "password": password}})
		}
		// The owner signs in once from their browser, which keeps the device cookie.
		device := deviceCookie(t, login(nil, "mod@example.org", pw, nil).must(t, http.StatusOK))
		withDevice := map[string]string{"Cookie": "winnow_device=" + device}

		// 30 guesses from 15 addresses: the account's ten are checked, the rest refused;
		// an email without an account answers the same, in the same order.
		noID := regexp.MustCompile(`"request_id":"[^"]*"`)
		answers := map[string][]string{}
		for _, email := range []string{"mod@example.org", "nobody@example.org"} {
			for i := range 30 {
				c := localClient(fmt.Sprintf("127.0.9.%d", 1+i/2))
				r := login(c, email, "wrong password 123", nil)
				answers[email] = append(answers[email], fmt.Sprint(r.status, " ", noID.ReplaceAllString(string(r.body), "")))
				want := http.StatusUnauthorized
				if i >= 10 {
					want = http.StatusTooManyRequests
					if r.header.Get("Retry-After") == "" {
						t.Errorf("%s guess %d: 429 without Retry-After", email, i)
					}
				}
				if r.status != want {
					t.Fatalf("%s guess %d: status %d, want %d: %s", email, i, r.status, want, r.body)
				}
			}
		}
		for i, a := range answers["mod@example.org"] {
			if b := answers["nobody@example.org"][i]; a != b {
				t.Errorf("guess %d: an account and an unknown email answer differently:\n%s\n%s", i, a, b)
			}
		}

		// The right password from a new browser waits like the guesses; from the owner's
		// browser it works, and renews the device cookie.
		login(localClient("127.0.9.100"), "mod@example.org", pw, nil).must(t, http.StatusTooManyRequests)
		ok := login(localClient("127.0.9.100"), "mod@example.org", pw, withDevice).must(t, http.StatusOK)
		if renewed := deviceCookie(t, ok); renewed == device {
			t.Error("the device cookie was not renewed")
		}
		// The owner's device has a budget of its own: a mistyped password counts there.
		login(nil, "mod@example.org", "mistyped password", withDevice).must(t, http.StatusUnauthorized)
		login(nil, "mod@example.org", pw, withDevice).must(t, http.StatusOK)

		// The cookie is only good for the account it was issued for, and only as signed.
		for range 10 {
			login(localClient("127.0.9.101"), "other@example.org", "wrong password 123", nil).must(t, http.StatusUnauthorized)
		}
		login(nil, "other@example.org", pw, withDevice).must(t, http.StatusTooManyRequests)
		last := "A"
		if device[len(device)-1] == 'A' {
			last = "B"
		}
		forged := map[string]string{"Cookie": "winnow_device=" + device[:len(device)-1] + last}
		login(nil, "mod@example.org", pw, forged).must(t, http.StatusTooManyRequests)
	})
}

// TestDashboardSignInWithDeviceCookie: a real browser keeps the device cookie from its
// sign-in on the dashboard (out of reach of scripts) and sends it back with the next
// one, so its owner signs in again while guesses from elsewhere have spent the
// account's budget.
func TestDashboardSignInWithDeviceCookie(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("a", nil)
	const pw = "moderator password qz7device"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "mod@example.org", "--role", "moderator", "--site", "a"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	dashboardLogin(t, ctx, in, "mod@example.org", pw)
	if cookies := js[string](t, ctx, `document.cookie`); strings.Contains(cookies, "winnow_device") {
		t.Errorf("a script can read the device cookie: %q", cookies)
	}

	// Signed out everywhere; then someone guesses from ten other addresses.
	users := list(in.do(req{method: "GET", path: "/api/v1/admin/users", token: in.token}).must(t, http.StatusOK).json(t), "users")
	id := users[0].(map[string]any)["id"]
	in.do(req{method: "POST", path: "/api/v1/auth/sessions/revoke", token: in.token, body: map[string]any{"user_id": id}}).must(t, http.StatusNoContent)
	for i := range 10 {
		in.doWith(localClient(fmt.Sprintf("127.0.8.%d", i+1)), req{method: "POST", path: "/api/v1/auth/login",
			body: map[string]string{"email": "mod@example.org", "password": "a wrong guess 123"}}).must(t, http.StatusUnauthorized)
	}
	in.doWith(localClient("127.0.8.99"), req{method: "POST", path: "/api/v1/auth/login",
		body: map[string]string{"email": "mod@example.org", "password": pw}}).must(t, http.StatusTooManyRequests)

	// The browser signs in as its login page does, on its own budget.
	status := js[float64](t, ctx, `fetch("/api/v1/auth/login", {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/json"}, body: JSON.stringify({email: "mod@example.org", password: "`+pw+`"})}).then(r => r.status)`)
	if status != http.StatusOK {
		t.Fatalf("the owner's browser signing in again: %v, want 200", status)
	}
	navigate(t, ctx, in.url+"/admin/")
	waitJS(t, ctx, "the queue", `return location.pathname === "/admin/" && document.querySelector("#queue");`)
}

// TestLoginPageSaysWhenToTryAgain: once guesses from elsewhere have used up an
// account's sign-ins, its owner in a new browser is told how long to wait, as the
// server's Retry-After says, not only that there were too many.
func TestLoginPageSaysWhenToTryAgain(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("a", nil)
	const pw = "moderator password qz7later"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "mod@example.org", "--role", "moderator", "--site", "a"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	for i := range 10 {
		in.doWith(localClient(fmt.Sprintf("127.0.9.%d", i+1)), req{method: "POST", path: "/api/v1/auth/login",
			body: map[string]string{"email": "mod@example.org", "password": "a wrong guess 123"}}).must(t, http.StatusUnauthorized)
	}
	navigate(t, ctx, in.url+"/admin/login")
	js[chromedp.Void](t, ctx, `(() => { const f = document.querySelector("#login"); f.elements.email.value = "mod@example.org";
		f.elements.password.value = "`+pw+`"; f.querySelector("button").click(); })()`)
	waitJS(t, ctx, "the refusal", `const e = document.querySelector("#error"); return !e.hidden && e.textContent !== "";`)
	msg := js[string](t, ctx, `document.querySelector("#error").textContent`)
	if !regexp.MustCompile(`^Too many sign-in attempts\. Try again in [0-9]+ (seconds?|minutes)\.$`).MatchString(msg) {
		t.Errorf("the login page says %q", msg)
	}
}
