package main

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// TestReplicasPrintOneSetupLink: two replicas on one PostgreSQL, and a restart, print
// the same first-run setup link, so none cancels another; it works once, on any of them.
func TestReplicasPrintOneSetupLink(t *testing.T) {
	env := map[string]string{"WINNOW_DATABASE_URL": postgresDSN(t), "WINNOW_DATA_DIR": t.TempDir()}
	clone := func() map[string]string {
		out := map[string]string{}
		for k, v := range env {
			out[k] = v
		}
		return out
	}
	token := func(in *instance) string {
		t.Helper()
		m := setupRe.FindStringSubmatch(in.stderr.String())
		if m == nil {
			t.Fatalf("no setup link printed:\n%s", in.stderr.String())
		}
		u, err := url.Parse(m[1])
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("token")
	}
	a, b := start(t, clone()), start(t, clone())
	first := token(a)
	if second := token(b); second != first {
		t.Fatalf("two replicas printed two links: %q and %q", first, second)
	}
	m := regexp.MustCompile(`it works once, until (\d{4}-\d\d-\d\d \d\d:\d\d UTC)`).FindStringSubmatch(a.stderr.String())
	if m == nil {
		t.Fatalf("the link does not say until when it works:\n%s", a.stderr.String())
	}
	if until, err := time.Parse("2006-01-02 15:04 MST", m[1]); err != nil || time.Until(until) < 23*time.Hour || time.Until(until) > 24*time.Hour {
		t.Errorf("the link works until %s (%v), want in 24 hours", m[1], err)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	a = start(t, clone())
	if again := token(a); again != first {
		t.Fatalf("a restart printed a new link: %q, then %q", first, again)
	}
	a.do(req{method: "GET", path: "/admin/setup?token=" + first}).must(t, http.StatusOK)
	form := url.Values{"token": {first}, "email": {"root@example.org"}, "password": {"a long enough password"},
		"password_again": {"a long enough password"}}.Encode()
	b.do(req{method: "POST", path: "/admin/setup", ctype: "application/x-www-form-urlencoded", body: form}).must(t, http.StatusOK)
	a.do(req{method: "GET", path: "/admin/setup?token=" + first}).must(t, http.StatusNotFound)
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	if c := start(t, clone()); setupRe.MatchString(c.stderr.String()) {
		t.Errorf("a link printed with an admin present:\n%s", c.stderr.String())
	}
}
