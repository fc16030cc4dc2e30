package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestTokensEndWithTheirCreator: an API token is worth what its creator's account is.
// An admin mints tokens with their session (and with one of those tokens); once
// another admin disables them, or demotes them, every one of those tokens is refused,
// while tokens made on the command line stay. The token list names each creator.
func TestTokensEndWithTheirCreator(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("a", nil)
		const pw = "admin password qz7tokens"
		for _, email := range []string{"root@example.org", "ann@example.org", "bob@example.org"} {
			if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", email, "--role", "admin"); err != nil {
				t.Fatalf("user add %s: %v\n%s", email, err, errOut)
			}
		}
		root := in.login(nil, "root@example.org", pw)
		userID := func(email string) int64 {
			t.Helper()
			for _, u := range list(in.do(req{method: "GET", path: "/api/v1/admin/users", token: in.token}).must(t, http.StatusOK).json(t), "users") {
				if u := u.(map[string]any); u["email"] == email {
					return int64(u["id"].(float64))
				}
			}
			t.Fatalf("no user %s", email)
			return 0
		}
		// mint creates a token with a session (with its CSRF token) or a bearer token.
		mint := func(s *session, bearer, name, role string, sites ...string) (id int64, plain string) {
			t.Helper()
			r := req{method: "POST", path: "/api/v1/admin/tokens", token: bearer,
				body: map[string]any{"name": name, "role": role, "sites": sites}}
			if s != nil {
				r.headers = s.headers(true)
			}
			tok := in.do(r).must(t, http.StatusCreated).json(t)["token"].(map[string]any)
			return int64(tok["id"].(float64)), tok["token"].(string)
		}
		works := func(token string) int {
			return in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", token: token}).status
		}

		ann := in.login(nil, "ann@example.org", pw)
		annAdminID, annAdmin := mint(&ann, "", "ann's script", "admin")
		annModID, annMod := mint(&ann, "", "ann's helper", "moderator", "a")
		// A token made with ann's token is hers too: it must not outlive her either.
		annChildID, annChild := mint(nil, annAdmin, "made by ann's script", "moderator", "a")
		bob := in.login(nil, "bob@example.org", pw)
		_, bobAdmin := mint(&bob, "", "bob's script", "admin")
		cliOut, errOut, err := in.cli("", "token", "create", "--name", "cron", "--role", "admin")
		if err != nil {
			t.Fatalf("token create: %v\n%s", err, errOut)
		}
		cliToken := strings.TrimSpace(cliOut)
		for _, tok := range []string{annAdmin, annMod, annChild, bobAdmin, cliToken, in.token} {
			if got := works(tok); got != http.StatusOK {
				t.Fatalf("a fresh token answers %d", got)
			}
		}

		// The list says who made each token: ann (by email), or nobody for the
		// command line's.
		annID := userID("ann@example.org")
		creators := map[int64]string{}
		for _, v := range list(in.do(req{method: "GET", path: "/api/v1/admin/tokens", headers: root.headers(false)}).must(t, http.StatusOK).json(t), "tokens") {
			tok := v.(map[string]any)
			creators[int64(tok["id"].(float64))] = fmt.Sprint(tok["created_by"])
		}
		wantAnn := fmt.Sprint(map[string]any{"id": float64(annID), "email": "ann@example.org"})
		for _, id := range []int64{annAdminID, annModID, annChildID} {
			if creators[id] != wantAnn {
				t.Errorf("token %d created by %s, want %s", id, creators[id], wantAnn)
			}
		}
		if creators[1] != "<nil>" {
			t.Errorf("the first admin token, made by serve, created by %s; want null", creators[1])
		}
		listed, _, err := in.cli("", "token", "list")
		if err != nil || !strings.Contains(listed, "CREATED BY") || !strings.Contains(listed, "ann@example.org") {
			t.Errorf("token list: %v\n%s", err, listed)
		}

		// root disables ann: every token she made is refused at once.
		in.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", annID), headers: root.headers(true),
			body: map[string]any{"disabled": true}}).must(t, http.StatusOK)
		for name, tok := range map[string]string{"admin": annAdmin, "moderator": annMod, "made by her token": annChild} {
			if got := works(tok); got != http.StatusUnauthorized {
				t.Errorf("ann's %s token after she was disabled: %d, want 401", name, got)
			}
		}
		// Enabling her again does not bring them back.
		in.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", annID), headers: root.headers(true),
			body: map[string]any{"disabled": false}}).must(t, http.StatusOK)
		if got := works(annAdmin); got != http.StatusUnauthorized {
			t.Errorf("ann's admin token after she was enabled again: %d, want 401", got)
		}

		// root demotes bob to a moderator of a: his admin token is refused.
		in.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", userID("bob@example.org")), headers: root.headers(true),
			body: map[string]any{"role": "moderator", "sites": []string{"a"}}}).must(t, http.StatusOK)
		if got := works(bobAdmin); got != http.StatusUnauthorized {
			t.Errorf("bob's admin token after his demotion: %d, want 401", got)
		}
		// Tokens nobody made with an account stay.
		for name, tok := range map[string]string{"command line": cliToken, "first run": in.token} {
			if got := works(tok); got != http.StatusOK {
				t.Errorf("the %s token: %d, want 200", name, got)
			}
		}
	})
}
