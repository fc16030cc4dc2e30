package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestSubmitRejectsBadInputWithFieldErrorsAndStoresNothing(t *testing.T) {
	long := strings.Repeat("x", 10001)
	tests := []struct {
		name   string
		body   any
		ctype  string
		status int
		field  string // the field named in error.fields, if any
	}{
		{"missing name", submission("/p", map[string]any{"author_name": ""}), "", 422, "author_name"},
		{"missing email", submission("/p", map[string]any{"author_email": ""}), "", 422, "author_email"},
		{"malformed email", submission("/p", map[string]any{"author_email": "not-an-email"}), "", 422, "author_email"},
		{"email with display name", submission("/p", map[string]any{"author_email": "Bob <bob@example.org>"}), "", 422, "author_email"},
		{"missing body", submission("/p", map[string]any{"body": "   "}), "", 422, "body"},
		{"missing thread", submission("", nil), "", 422, "thread"},
		{"javascript website", submission("/p", map[string]any{"author_url": "javascript:alert(1)"}), "", 422, "author_url"},
		{"data website", submission("/p", map[string]any{"author_url": "data:text/html,x"}), "", 422, "author_url"},
		{"body too long", submission("/p", map[string]any{"body": long}), "", 422, "body"},
		{"name too long", submission("/p", map[string]any{"author_name": strings.Repeat("n", 101)}), "", 422, "author_name"},
		{"control characters in name", submission("/p", map[string]any{"author_name": "a\u0007b"}), "", 422, "author_name"},
		{"negative parent", submission("/p", map[string]any{"parent_id": -1}), "", 422, "parent_id"},
		{"unknown parent", submission("/p", map[string]any{"parent_id": 999999}), "", 422, "parent_id"},
		{"parent id of the wrong type", submission("/p", map[string]any{"parent_id": "one"}), "", 400, "parent_id"},
		{"malformed JSON", `{"thread": "/p",`, "application/json", 400, ""},
		{"two JSON objects", `{} {}`, "application/json", 400, ""},
		{"JSON array", `[]`, "application/json", 400, ""},
		{"empty body", ``, "application/json", 400, ""},
		{"wrong content type", `thread=/p`, "text/plain", 415, ""},
		{"invalid UTF-8 in JSON", "{\"thread\":\"/p\",\"author_name\":\"\xff\",\"author_email\":\"a@b.org\",\"body\":\"x\"}", "application/json", 422, "author_name"},
		{"a lone surrogate in JSON", `{"thread":"/p","author_name":"Ann","author_email":"a@b.org","body":"\ud800"}`, "application/json", 422, "body"},
		{"invisible name", submission("/p", map[string]any{"author_name": "\u200b"}), "", 422, "author_name"},
		{"invalid UTF-8 in a form", "thread=%2Fp&author_name=%FF&author_email=a%40b.org&body=x", "application/x-www-form-urlencoded", 422, "author_name"},
		{"too large", `{"body": "` + strings.Repeat("x", 70000) + `"}`, "application/json", 413, ""},
	}
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", nil)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := in.do(req{method: "POST", path: "/api/v1/sites/blog/comments", body: tt.body, ctype: tt.ctype}).must(t, tt.status)
				e, ok := res.json(t)["error"].(map[string]any)
				if !ok || e["code"] == "" || e["message"] == "" {
					t.Fatalf("not a JSON error: %s", res.body)
				}
				if tt.field != "" {
					if f, _ := e["fields"].(map[string]any); f[tt.field] == nil {
						t.Errorf("fields %v do not name %s", e["fields"], tt.field)
					}
				}
			})
		}
		q := in.do(req{method: "GET", path: "/api/v1/admin/comments?status=all", token: in.token}).must(t, http.StatusOK).json(t)
		if n := len(list(q, "comments")); n != 0 {
			t.Errorf("bad input stored %d comments", n)
		}
		in.submit("nosuchsite", submission("/p", nil), nil).must(t, http.StatusNotFound)
		in.do(req{method: "GET", path: "/api/v1/sites/blog/comments"}).must(t, http.StatusBadRequest)
		in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p&limit=0"}).must(t, http.StatusBadRequest)
		in.do(req{method: "GET", path: "/api/v1/sites/blog/counts"}).must(t, http.StatusBadRequest)
		in.do(req{method: "GET", path: "/no/such/route"}).must(t, http.StatusNotFound)
		in.do(req{method: "PUT", path: "/api/v1/sites/blog/comments"}).must(t, http.StatusMethodNotAllowed)
	})
}

func TestCORSAnswersOnlyTheSiteOrigins(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", nil) // origin https://blog.example
		good := map[string]string{"Origin": "https://blog.example", "Access-Control-Request-Method": "POST"}
		bad := map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}

		res := in.do(req{method: "OPTIONS", path: "/api/v1/sites/blog/comments", headers: good}).must(t, http.StatusNoContent)
		if res.header.Get("Access-Control-Allow-Origin") != "https://blog.example" || !strings.Contains(res.header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
			t.Errorf("preflight headers: %v", res.header)
		}
		in.do(req{method: "OPTIONS", path: "/api/v1/sites/blog/comments", headers: bad}).must(t, http.StatusForbidden)

		res = in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p", headers: bad}).must(t, http.StatusOK)
		if res.header.Get("Access-Control-Allow-Origin") != "" {
			t.Error("a foreign origin may read the thread")
		}
		res = in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p", headers: good}).must(t, http.StatusOK)
		if res.header.Get("Access-Control-Allow-Origin") != "https://blog.example" {
			t.Error("the site's origin may not read its thread")
		}
		in.submit("blog", submission("/p", nil), bad).must(t, http.StatusForbidden)
		in.submit("blog", submission("/p", nil), good).must(t, http.StatusAccepted)
	})
}

func TestAdminAPIRequiresATokenScopedToTheSite(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("a", nil)
		in.createSite("b", nil)
		onB := in.submit("b", submission("/p", nil), nil).must(t, http.StatusAccepted).json(t)
		idB := int64(num(onB, "comment", "id"))

		in.do(req{method: "GET", path: "/api/v1/admin/comments"}).must(t, http.StatusUnauthorized)
		in.do(req{method: "GET", path: "/api/v1/admin/comments", token: "wnw_forged"}).must(t, http.StatusUnauthorized)

		created := in.do(req{method: "POST", path: "/api/v1/admin/tokens", token: in.token,
			body: map[string]any{"name": "mod-a", "role": "moderator", "sites": []string{"a"}}}).must(t, http.StatusCreated).json(t)
		modA := created["token"].(map[string]any)["token"].(string)

		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", token: modA}).must(t, http.StatusOK)
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=b", token: modA}).must(t, http.StatusNotFound)
		all := in.do(req{method: "GET", path: "/api/v1/admin/comments", token: modA}).must(t, http.StatusOK).json(t)
		if n := len(list(all, "comments")); n != 0 {
			t.Errorf("moderator of a sees %d comments of b", n)
		}
		in.do(req{method: "POST", path: "/api/v1/admin/comments/" + itoa(idB) + "/approve", token: modA}).must(t, http.StatusNotFound)
		in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(idB), token: modA}).must(t, http.StatusNotFound)
		in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: modA,
			body: map[string]any{"ids": []int64{idB}, "action": "spam"}}).must(t, http.StatusNotFound)
		in.do(req{method: "POST", path: "/api/v1/admin/sites", token: modA, body: map[string]any{"id": "c", "name": "C"}}).must(t, http.StatusForbidden)
		in.do(req{method: "GET", path: "/api/v1/admin/tokens", token: modA}).must(t, http.StatusForbidden)
		in.do(req{method: "PATCH", path: "/api/v1/admin/sites/b", token: modA, body: map[string]any{"name": "x"}}).must(t, http.StatusForbidden)
		// Every route only admins may use answers a moderator 403, whatever the body:
		// the admin service's rule, asked before a body is read.
		for _, r := range []struct{ method, path string }{
			{"POST", "/api/v1/admin/sites"}, {"PATCH", "/api/v1/admin/sites/a"},
			{"POST", "/api/v1/admin/sites/a/import"}, {"GET", "/api/v1/admin/sites/a/export"},
			{"POST", "/api/v1/admin/sites/a/akismet-key"}, {"DELETE", "/api/v1/admin/sites/a/akismet-key"},
			{"GET", "/api/v1/admin/tokens"}, {"POST", "/api/v1/admin/tokens"}, {"DELETE", "/api/v1/admin/tokens/1"},
			{"GET", "/api/v1/admin/users"}, {"POST", "/api/v1/admin/users"}, {"PATCH", "/api/v1/admin/users/1"},
			{"POST", "/api/v1/admin/webhooks"}, {"PATCH", "/api/v1/admin/webhooks/1"}, {"DELETE", "/api/v1/admin/webhooks/1"},
			{"POST", "/api/v1/admin/webhooks/1/rotate"}, {"POST", "/api/v1/admin/webhooks/1/ping"},
			{"POST", "/api/v1/admin/webhooks/1/deliveries/1/redeliver"},
		} {
			for _, body := range []any{nil, map[string]any{"id": 5, "name": []int{1}, "role": "nobody", "url": 7}} {
				in.do(req{method: r.method, path: r.path, token: modA, body: body}).must(t, http.StatusForbidden)
			}
		}
		// An admin token limited to some sites could mint an unlimited one: it cannot exist.
		in.do(req{method: "POST", path: "/api/v1/admin/tokens", token: in.token,
			body: map[string]any{"name": "half-admin", "role": "admin", "sites": []string{"a"}}}).must(t, http.StatusUnprocessableEntity)

		id := itoa(int64(num(created, "token", "id")))
		in.do(req{method: "DELETE", path: "/api/v1/admin/tokens/" + id, token: in.token}).must(t, http.StatusNoContent)
		in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a", token: modA}).must(t, http.StatusUnauthorized)
	})
}

func TestModeratorActionsAndBulk(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", nil)
		var ids []int64
		for i := 0; i < 3; i++ {
			a := in.submit("blog", submission("/p", map[string]any{"author_email": "bulk@example.org"}), nil).must(t, http.StatusAccepted).json(t)
			ids = append(ids, int64(num(a, "comment", "id")))
		}
		res := in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token,
			body: map[string]any{"ids": ids, "action": "approve"}}).must(t, http.StatusOK).json(t)
		for _, c := range list(res, "comments") {
			if c.(map[string]any)["status"] != "approved" {
				t.Errorf("bulk approve left %v", c)
			}
		}
		page := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK).json(t)
		if num(page, "thread", "count") != 3 {
			t.Fatalf("count after bulk approve: %v", page["thread"])
		}
		path := "/api/v1/admin/comments/" + itoa(ids[0])
		in.do(req{method: "POST", path: path + "/spam", token: in.token, body: map[string]any{"note": "link farm"}}).must(t, http.StatusOK)
		in.do(req{method: "POST", path: path + "/not-spam", token: in.token}).must(t, http.StatusOK)
		in.do(req{method: "POST", path: path + "/reject", token: in.token}).must(t, http.StatusOK)
		in.do(req{method: "DELETE", path: path, token: in.token}).must(t, http.StatusOK)
		in.do(req{method: "POST", path: path + "/approve", token: in.token}).must(t, http.StatusNotFound)
		in.do(req{method: "POST", path: path + "/publish", token: in.token}).must(t, http.StatusUnprocessableEntity)
		in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token,
			body: map[string]any{"ids": []int64{ids[1], 987654}, "action": "reject"}}).must(t, http.StatusNotFound)

		page = in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK).json(t)
		if num(page, "thread", "count") != 2 || len(list(page, "comments")) != 2 {
			t.Fatalf("after un-publishing one: %v", page)
		}
		ev := in.do(req{method: "GET", path: "/api/v1/admin/events?comment=" + itoa(ids[0]), token: in.token}).must(t, http.StatusOK).json(t)
		var actions []string
		for _, e := range list(ev, "events") {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		if got := strings.Join(actions, ","); got != "delete,reject,not-spam,spam,approve" {
			t.Errorf("audit log, newest first: %s", got)
		}
		// The half-failed bulk above changed nothing.
		c := in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(ids[1]), token: in.token}).must(t, http.StatusOK).json(t)
		if c["comment"].(map[string]any)["status"] != "approved" {
			t.Errorf("a failed bulk action changed a comment: %v", c)
		}
	})
}

// TestAnotherSitesThingsAnswerAsMissing: a moderator asking for a comment, webhook,
// ban or site of a site they do not moderate gets exactly the answer a missing one
// gets, so ids cannot be probed across sites.
func TestAnotherSitesThingsAnswerAsMissing(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("a", nil)
		in.createSite("b", nil)
		onB := in.submit("b", submission("/p", nil), nil).must(t, http.StatusAccepted).json(t)
		idB := itoa(int64(num(onB, "comment", "id")))
		hook := in.do(req{method: "POST", path: "/api/v1/admin/webhooks", token: in.token,
			body: map[string]any{"site": "b", "url": "https://hooks.example/b"}}).must(t, http.StatusCreated).json(t)
		hookB := itoa(int64(num(hook, "webhook", "id")))
		ban := in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token,
			body: map[string]any{"site": "b", "kind": "domain", "value": "spam.example"}}).must(t, http.StatusCreated).json(t)
		banB := itoa(int64(num(ban, "ban", "id")))
		created := in.do(req{method: "POST", path: "/api/v1/admin/tokens", token: in.token,
			body: map[string]any{"name": "mod-a", "role": "moderator", "sites": []string{"a"}}}).must(t, http.StatusCreated).json(t)
		modA := created["token"].(map[string]any)["token"].(string)

		const missing = "999999"
		tests := []struct {
			kind, method, other, gone string
			body                      any
		}{
			{"comment", "GET", "/api/v1/admin/comments/" + idB, "/api/v1/admin/comments/" + missing, nil},
			{"comment action", "POST", "/api/v1/admin/comments/" + idB + "/spam", "/api/v1/admin/comments/" + missing + "/spam", nil},
			{"comment edit", "PATCH", "/api/v1/admin/comments/" + idB, "/api/v1/admin/comments/" + missing, map[string]any{"body": "x"}},
			{"comment reply", "POST", "/api/v1/admin/comments/" + idB + "/reply", "/api/v1/admin/comments/" + missing + "/reply", map[string]any{"body": "x"}},
			{"comment delete", "DELETE", "/api/v1/admin/comments/" + idB, "/api/v1/admin/comments/" + missing, nil},
			{"ban by comment", "POST", "/api/v1/admin/bans", "/api/v1/admin/bans", nil},
			{"webhook", "GET", "/api/v1/admin/webhooks/" + hookB, "/api/v1/admin/webhooks/" + missing, nil},
			{"webhook deliveries", "GET", "/api/v1/admin/webhooks/" + hookB + "/deliveries", "/api/v1/admin/webhooks/" + missing + "/deliveries", nil},
			{"webhooks of a site", "GET", "/api/v1/admin/webhooks?site=b", "/api/v1/admin/webhooks?site=zz", nil},
			{"ban", "DELETE", "/api/v1/admin/bans/" + banB, "/api/v1/admin/bans/" + missing, nil},
			{"bans of a site", "GET", "/api/v1/admin/bans?site=b", "/api/v1/admin/bans?site=zz", nil},
			{"site", "GET", "/api/v1/admin/sites/b", "/api/v1/admin/sites/zz", nil},
			{"queue of a site", "GET", "/api/v1/admin/comments?site=b", "/api/v1/admin/comments?site=zz", nil},
			{"audit log of a site", "GET", "/api/v1/admin/events?site=b", "/api/v1/admin/events?site=zz", nil},
		}
		for _, tt := range tests {
			t.Run(tt.kind, func(t *testing.T) {
				otherBody, goneBody := tt.body, tt.body
				if tt.kind == "ban by comment" {
					otherBody = map[string]any{"kind": "email", "comment_id": int64(num(onB, "comment", "id"))}
					goneBody = map[string]any{"kind": "email", "comment_id": 999999}
				}
				other := in.do(req{method: tt.method, path: tt.other, token: modA, body: otherBody})
				gone := in.do(req{method: tt.method, path: tt.gone, token: modA, body: goneBody})
				if other.status != gone.status || other.status != http.StatusNotFound && tt.kind != "ban by comment" {
					t.Fatalf("another site's %s: %d %s; a missing one: %d %s", tt.kind, other.status, other.body, gone.status, gone.body)
				}
				oe, ge := other.json(t)["error"].(map[string]any), gone.json(t)["error"].(map[string]any)
				delete(oe, "request_id")
				delete(ge, "request_id")
				if fmt.Sprint(oe) != fmt.Sprint(ge) {
					t.Errorf("another site's %s: %v; a missing one: %v", tt.kind, oe, ge)
				}
			})
		}
		// The owner still sees it all.
		in.do(req{method: "GET", path: "/api/v1/admin/comments/" + idB, token: in.token}).must(t, http.StatusOK)
	})
}
