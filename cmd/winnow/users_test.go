package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/winnow/winnow/internal/auth"
)

// TestUserManagementAPI is an admin managing accounts through /api/v1/admin/users, on
// each storage engine: a generated password that signs in, the CLI's validation, a
// disabled moderator signed out at once, nobody locked out, moderators kept out, and
// no password hash in any answer.
func TestUserManagementAPI(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("a", nil)
		in.createSite("b", nil)
		const rootPW = "root password qz7users"
		if _, errOut, err := in.cli(rootPW+"\n", "user", "add", "--email", "root@example.org", "--role", "admin"); err != nil {
			t.Fatalf("user add: %v\n%s", err, errOut)
		}
		root := in.login(nil, "root@example.org", rootPW)
		var answers []response // every answer, searched for hashes at the end
		call := func(method, path string, s *session, token string, body any) response {
			t.Helper()
			r := req{method: method, path: path, token: token, body: body}
			if s != nil {
				r.headers = s.headers(true)
			}
			res := in.do(r)
			answers = append(answers, res)
			return res
		}
		user := func(r response) map[string]any {
			t.Helper()
			u, _ := r.json(t)["user"].(map[string]any)
			if u == nil {
				t.Fatalf("no user in %s", r.body)
			}
			return u
		}

		// Create with a generated password; it signs in, once shown.
		created := call("POST", "/api/v1/admin/users", &root, "", map[string]any{"email": " Mod@Example.org", "role": "moderator", "sites": []string{"a"}}).
			must(t, http.StatusCreated)
		generated, _ := created.json(t)["password"].(string)
		mod := user(created)
		modID := int64(mod["id"].(float64))
		if len(generated) < auth.MinPasswordLength || mod["email"] != "mod@example.org" || fmt.Sprint(mod["sites"]) != "[a]" ||
			mod["created_at"] == nil || mod["disabled_at"] != nil || created.header.Get("Cache-Control") != "no-store" {
			t.Errorf("created: %s (%v)", created.body, created.header)
		}
		modSession := in.login(nil, "mod@example.org", generated)
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", headers: modSession.headers(false)}).must(t, http.StatusOK)
		// A chosen password is not answered back.
		chosen := call("POST", "/api/v1/admin/users", nil, in.token, map[string]any{"email": "ops@example.org", "role": "admin", "password": "ops password qz7users"}).
			must(t, http.StatusCreated)
		if _, ok := chosen.json(t)["password"]; ok {
			t.Errorf("a chosen password is answered: %s", chosen.body)
		}
		opsID := int64(user(chosen)["id"].(float64))
		// The session needs its CSRF token for a change.
		in.do(req{method: "POST", path: "/api/v1/admin/users", headers: root.headers(false), body: map[string]any{"email": "x@example.org", "sites": []string{"a"}}}).
			must(t, http.StatusForbidden)

		// The CLI's validation, each answered by its field.
		for _, tt := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"not an email", map[string]any{"email": "nobody", "sites": []string{"a"}}, "email"},
			{"unknown role", map[string]any{"email": "r@example.org", "role": "root"}, "role"},
			{"moderator of nothing", map[string]any{"email": "m@example.org", "role": "moderator"}, "sites"},
			{"a site that does not exist", map[string]any{"email": "m@example.org", "sites": []string{"a", "nope"}}, "sites"},
			{"admin limited to a site", map[string]any{"email": "m@example.org", "role": "admin", "sites": []string{"a"}}, "sites"},
			{"short password", map[string]any{"email": "m@example.org", "sites": []string{"a"}, "password": "short"}, "password"},
		} {
			r := call("POST", "/api/v1/admin/users", &root, "", tt.body).must(t, http.StatusUnprocessableEntity)
			if fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any); fields[tt.field] == nil {
				t.Errorf("%s: %s, want the field %s", tt.name, r.body, tt.field)
			}
		}
		taken := call("POST", "/api/v1/admin/users", &root, "", map[string]any{"email": "MOD@example.org", "sites": []string{"b"}}).must(t, http.StatusConflict)
		if fields, _ := taken.json(t)["error"].(map[string]any)["fields"].(map[string]any); fields["email"] == nil {
			t.Errorf("an email in use: %s", taken.body)
		}
		for _, body := range []any{map[string]any{"role": "root"}, map[string]any{"sites": []string{"nope"}}, map[string]any{"password": "short"},
			map[string]any{"sites": []string{}}} {
			call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", modID), &root, "", body).must(t, http.StatusUnprocessableEntity)
		}
		call("PATCH", "/api/v1/admin/users/99999", &root, "", map[string]any{"disabled": true}).must(t, http.StatusNotFound)
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: modSession.headers(false)}).must(t, http.StatusOK) // refused changes sign nobody out

		// A moderator reaches no users route, by session or by token.
		modToken := in.do(req{method: "POST", path: "/api/v1/admin/tokens", token: in.token, body: map[string]any{"name": "m", "role": "moderator", "sites": []string{"a"}}}).
			must(t, http.StatusCreated).json(t)["token"].(map[string]any)["token"].(string)
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/admin/users", nil},
			{"POST", "/api/v1/admin/users", map[string]any{"email": "z@example.org", "sites": []string{"a"}}},
			{"PATCH", fmt.Sprintf("/api/v1/admin/users/%d", modID), map[string]any{"sites": []string{"a", "b"}}},
		} {
			call(r.method, r.path, &modSession, "", r.body).must(t, http.StatusForbidden)
			call(r.method, r.path, nil, modToken, r.body).must(t, http.StatusForbidden)
		}
		in.do(req{method: "GET", path: "/api/v1/admin/users"}).must(t, http.StatusUnauthorized)

		// Sites change: the moderator is signed out and signs in to both sites.
		patched := user(call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", modID), &root, "", map[string]any{"sites": []string{"b", "a"}}).must(t, http.StatusOK))
		if fmt.Sprint(patched["sites"]) != "[a b]" {
			t.Errorf("patched sites %v", patched["sites"])
		}
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: modSession.headers(false)}).must(t, http.StatusUnauthorized)
		modSession = in.login(nil, "mod@example.org", generated)
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=b", headers: modSession.headers(false)}).must(t, http.StatusOK)

		// Disabled: the next request is 401, and so is signing in; enabled, it works again.
		disabled := user(call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", modID), &root, "", map[string]any{"disabled": true}).must(t, http.StatusOK))
		if disabled["disabled_at"] == nil {
			t.Errorf("disabled: %v", disabled)
		}
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", headers: modSession.headers(false)}).must(t, http.StatusUnauthorized)
		in.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "mod@example.org", "password": generated}}).must(t, http.StatusUnauthorized)
		call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", modID), &root, "", map[string]any{"disabled": false}).must(t, http.StatusOK)
		modSession = in.login(nil, "mod@example.org", generated)

		// A new password: the old one and its sessions end.
		call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", modID), nil, in.token, map[string]any{"password": "moderator new password qz7"}).must(t, http.StatusOK)
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: modSession.headers(false)}).must(t, http.StatusUnauthorized)
		in.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "mod@example.org", "password": generated}}).must(t, http.StatusUnauthorized)
		in.login(nil, "mod@example.org", "moderator new password qz7")

		// Nobody is locked out: not yourself, and never the last enabled admin.
		rootID := int64(num(in.do(req{method: "GET", path: "/api/v1/auth/session", headers: root.headers(false)}).must(t, http.StatusOK).json(t), "user", "id"))
		conflict := func(id int64, s *session, token string, body map[string]any, field, words string) {
			t.Helper()
			r := call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", id), s, token, body).must(t, http.StatusConflict)
			e := r.json(t)["error"].(map[string]any)
			if msg, _ := e["message"].(string); !strings.Contains(msg, words) || e["fields"].(map[string]any)[field] == nil {
				t.Errorf("PATCH %d %v: %s, want %q on %s", id, body, r.body, words, field)
			}
		}
		conflict(rootID, &root, "", map[string]any{"role": "moderator", "sites": []string{"a"}}, "role", "your own")
		conflict(rootID, &root, "", map[string]any{"disabled": true}, "disabled", "your own")
		call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", opsID), &root, "", map[string]any{"disabled": true}).must(t, http.StatusOK)
		conflict(rootID, nil, in.token, map[string]any{"role": "moderator", "sites": []string{"a"}}, "role", "last enabled admin")
		conflict(rootID, nil, in.token, map[string]any{"disabled": true}, "disabled", "last enabled admin")
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: root.headers(false)}).must(t, http.StatusOK)
		// With ops enabled again, root may be demoted by another admin.
		call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", opsID), nil, in.token, map[string]any{"disabled": false}).must(t, http.StatusOK)
		demoted := user(call("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", rootID), nil, in.token, map[string]any{"role": "moderator", "sites": []string{"a"}}).
			must(t, http.StatusOK))
		if demoted["role"] != "moderator" {
			t.Errorf("demoted: %v", demoted)
		}
		in.do(req{method: "GET", path: "/api/v1/auth/session", headers: root.headers(false)}).must(t, http.StatusUnauthorized)

		// The list: every account, and no hash in any answer.
		listed := call("GET", "/api/v1/admin/users", nil, in.token, nil).must(t, http.StatusOK)
		if n := len(list(listed.json(t), "users")); n != 3 {
			t.Errorf("%d users listed, want 3: %s", n, listed.body)
		}
		for _, r := range answers {
			if b := string(r.body); strings.Contains(b, "argon2") || strings.Contains(b, "password_hash") {
				t.Fatalf("an answer carries a password hash: %s", b)
			}
		}
	})
}

// TestDashboardUsers is an admin adding a moderator in headless Chromium: the
// generated password is read from the page, the moderator signs in with it and sees
// the queue; then a moderator's session that outlived the idle time (configured
// shorter) ends at the next action and at the next page.
func TestDashboardUsers(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_SESSIONS_IDLE": "1h"})
	in.createSite("a", map[string]any{"policy": "all"})
	in.createSite("b", nil)
	in.submit("a", submission("/p", map[string]any{"body": "Held for the new moderator."}), nil).must(t, http.StatusAccepted)
	in.submit("b", submission("/q", map[string]any{"author_email": "gone@example.org", "body": "Please forget me."}), nil).must(t, http.StatusAccepted)
	const adminPW = "administrator password qz7ui"
	if _, errOut, err := in.cli(adminPW+"\n", "user", "add", "--email", "root@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}

	dashboardLogin(t, ctx, in, "root@example.org", adminPW)
	clickAway(t, ctx, "#nav-users")
	waitJS(t, ctx, "the users page", `return location.pathname === "/admin/users" && document.querySelector("#user-create");`)
	// An email in use is refused by its field; then the moderator of site a is added.
	js[chromedp.Void](t, ctx, `{ const f = document.querySelector("#user-create");
		f.elements.email.value = "ROOT@example.org"; f.elements.role.value = "moderator"; f.elements.role.dispatchEvent(new Event("change"));
		f.querySelector('input[name=sites][value=a]').checked = true;
		f.querySelector("button[type=submit]").click(); }`)
	waitJS(t, ctx, "the email's error", `return !document.querySelector('#user-create [data-error-for="email"]').hidden;`)
	js[chromedp.Void](t, ctx, `{ const f = document.querySelector("#user-create");
		f.elements.email.value = "mod@example.org"; f.querySelector("button[type=submit]").click(); }`)
	waitJS(t, ctx, "the generated password", `return !document.querySelector("#new-password").hidden &&
		document.querySelector("#new-password-value").textContent.length >= 12 &&
		document.querySelector('#users li.user[data-email="mod@example.org"]');`)
	password := js[string](t, ctx, `document.querySelector("#new-password-value").textContent`)
	if got := js[string](t, ctx, `document.querySelector('#users li.user[data-email="mod@example.org"] .sites').textContent`); got != "sites: a" {
		t.Errorf("the new moderator's row shows sites %q", got)
	}
	// The row's form gives the moderator site b as well; the list shows it.
	js[chromedp.Void](t, ctx, `{ const li = document.querySelector('#users li.user[data-email="mod@example.org"]');
		li.querySelector("details").open = true;
		li.querySelector('.user-form input[name=sites][value=b]').checked = true;
		li.querySelector(".user-form button[type=submit]").click(); }`)
	waitJS(t, ctx, "the saved sites", `return document.querySelector("#users-status").textContent === "Saved mod@example.org." &&
		document.querySelector('#users li.user[data-email="mod@example.org"] .sites').textContent === "sites: a, b";`)
	if got := js[bool](t, ctx, `!!document.querySelector('#users li.user[data-email="root@example.org"] button[data-disabled]')`); got {
		t.Error("the admin's own row offers to disable them")
	}
	// A commenter's data: exported, then erased once the admin ticks that they mean it.
	js[chromedp.Void](t, ctx, `{ const f = document.querySelector("#commenter-form");
		f.elements.email.value = " Gone@Example.org"; document.querySelector("#commenter-export").click(); }`)
	waitJS(t, ctx, "the export", `return document.querySelector("#commenter-status").textContent === "1 comment exported.";`)
	js[chromedp.Void](t, ctx, `document.querySelector("#commenter-erase").click()`)
	waitJS(t, ctx, "the unticked confirmation", `return !document.querySelector('#commenter-form [data-error-for="confirm"]').hidden;`)
	js[chromedp.Void](t, ctx, `{ const f = document.querySelector("#commenter-form");
		f.elements.confirm.checked = true; document.querySelector("#commenter-erase").click(); }`)
	waitJS(t, ctx, "the erasure", `return document.querySelector("#commenter-status").textContent.startsWith("Erased 1 comment: 1 deleted");`)
	if got := in.do(req{method: "POST", path: "/api/v1/admin/commenters/export", token: in.token, body: map[string]any{"email": "gone@example.org"}}).
		must(t, http.StatusOK).json(t); len(list(got, "comments")) != 0 {
		t.Errorf("after the dashboard's erasure: %v", got)
	}

	// The layout fits a phone: nothing wider than the screen.
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(360, 740)); err != nil {
		t.Fatal(err)
	}
	if w := js[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the users page is %dpx wide on a 360px screen", w)
	}
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1200, 900)); err != nil {
		t.Fatal(err)
	}

	clickAway(t, ctx, "#logout button")
	waitJS(t, ctx, "the sign-in page", `return location.pathname === "/admin/login";`)
	dashboardLogin(t, ctx, in, "mod@example.org", password)
	waitJS(t, ctx, "the held comment", `return document.body.textContent.includes("Held for the new moderator.");`)
	if js[bool](t, ctx, `!!document.querySelector("#nav-users")`) {
		t.Error("a moderator's header links the users page")
	}
	navigate(t, ctx, in.url+"/admin/users")
	waitJS(t, ctx, "the 403 page", `return document.querySelector("#page-error")?.dataset.status === "403";`)
	if js[bool](t, ctx, `document.body.textContent.includes("root@example.org")`) {
		t.Error("the moderator sees the accounts")
	}

	// Past the idle time the next action lands on the sign-in page.
	navigate(t, ctx, in.url+"/admin/")
	waitJS(t, ctx, "the queue", `return document.querySelector("#queue li.comment");`)
	in.ageSessions(61 * time.Minute)
	clickAway(t, ctx, "#queue li.comment button[data-action=approve]")
	waitJS(t, ctx, "the sign-in page after an action", `return location.pathname === "/admin/login" && document.querySelector("#login");`)
	if n := len(list(in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", token: in.token}).must(t, http.StatusOK).json(t), "comments")); n != 1 {
		t.Errorf("the expired session's approval went through: %d pending", n)
	}
	// And the next page too.
	dashboardLogin(t, ctx, in, "mod@example.org", password)
	in.ageSessions(61 * time.Minute)
	navigate(t, ctx, in.url+"/admin/log")
	waitJS(t, ctx, "the sign-in page after a navigation", `return location.pathname === "/admin/login" && document.querySelector("#login");`)
	if n := js[int](t, ctx, `window.__winnowRan`); n != 0 {
		t.Fatalf("%d trapped calls (alert, confirm, prompt) on the users pages", n)
	}
}
