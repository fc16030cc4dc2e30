package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestJourneyModeratorUndoesEditsAndReplies is the dashboard's three writing actions
// through the real router: a signed-in moderator approves and undoes, edits, and
// replies as the site; the reply is public under the site's name, and the
// moderator's email is in no public answer.
func TestJourneyModeratorUndoesEditsAndReplies(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"name": "The Blog", "policy": "all"})
		in.createSite("other", map[string]any{"policy": "all"})
		const (
			email = "mod.person.qz9v@example.org"
			pw    = "moderator password qz9v"
		)
		if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", email, "--role", "moderator", "--site", "blog"); err != nil {
			t.Fatalf("user add: %v\n%s", err, errOut)
		}
		mod := in.login(nil, email, pw)
		as := func(method, path string, body any) response {
			t.Helper()
			return in.do(req{method: method, path: path, body: body, headers: mod.headers(true)})
		}
		thread := func() map[string]any {
			t.Helper()
			return in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK).json(t)
		}
		adminComment := func(r response) map[string]any {
			t.Helper()
			c, _ := r.json(t)["comment"].(map[string]any)
			return c
		}

		held := in.submit("blog", submission("/p", nil), nil).must(t, http.StatusAccepted).json(t)
		id := int64(num(held, "comment", "id"))
		path := fmt.Sprintf("/api/v1/admin/comments/%d", id)

		// Approve, then undo: back in the queue, gone from the thread.
		as("POST", path+"/approve", nil).must(t, http.StatusOK)
		if n := len(list(thread(), "comments")); n != 1 {
			t.Fatalf("approved comment not public: %d comments", n)
		}
		undone := as("POST", "/api/v1/admin/comments/undo", map[string]any{"ids": []int64{id}}).must(t, http.StatusOK).json(t)
		cs := list(undone, "comments")
		if len(cs) != 1 || cs[0].(map[string]any)["status"] != "pending" || cs[0].(map[string]any)["published_at"] != nil {
			t.Fatalf("undo answer: %v", undone)
		}
		if th := thread(); len(list(th, "comments")) != 0 || num(th, "thread", "count") != 0 {
			t.Fatalf("an undone approval is still public: %v", th)
		}
		again := as("POST", "/api/v1/admin/comments/undo", map[string]any{"ids": []int64{id}}).must(t, http.StatusConflict).json(t)
		if e := again["error"].(map[string]any); e["code"] != "conflict" || !strings.Contains(e["message"].(string), "already undone") ||
			e["fields"].(map[string]any)["ids"] == nil {
			t.Errorf("undo of an undo: %v", again)
		}

		// Edit the published comment: the thread shows the new text at once.
		as("POST", path+"/approve", nil).must(t, http.StatusOK)
		thread() // cache the thread page, so the edit must invalidate it
		edited := adminComment(as("PATCH", path, map[string]any{"body": "Edited *text*", "note": "tone"}).must(t, http.StatusOK))
		if edited["body_html"] != "<p>Edited <em>text</em></p>" || edited["status"] != "approved" || edited["author_name"] != "Reader" {
			t.Errorf("edit answer: %v", edited)
		}
		if c := list(thread(), "comments")[0].(map[string]any); c["body_html"] != "<p>Edited <em>text</em></p>" {
			t.Errorf("the public thread shows %v", c["body_html"])
		}

		// Reply as the site.
		reply := as("POST", path+"/reply", map[string]any{"body": "Thanks, **Reader**!"}).must(t, http.StatusCreated)
		r := adminComment(reply)
		if r["author_name"] != "The Blog" || r["author_email"] != email || r["status"] != "approved" ||
			num(r, "parent_id") != float64(id) || r["ip"] != "" || r["thread"] != "/p" || r["published_at"] == nil {
			t.Errorf("reply answer: %v", r)
		}
		var public []response
		public = append(public, in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK),
			in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p&sort=newest"}).must(t, http.StatusOK),
			in.do(req{method: "GET", path: "/t/blog?thread=/p"}).must(t, http.StatusOK))
		th := public[0].json(t)
		top := list(th, "comments")
		if len(top) != 1 || num(th, "thread", "count") != 2 {
			t.Fatalf("thread after the reply: %s", public[0].body)
		}
		replies := list(top[0].(map[string]any), "replies")
		if len(replies) != 1 || replies[0].(map[string]any)["author_name"] != "The Blog" ||
			replies[0].(map[string]any)["body_html"] != "<p>Thanks, <strong>Reader</strong>!</p>" {
			t.Errorf("replies: %v", replies)
		}
		for i, p := range public {
			if strings.Contains(strings.ToLower(string(p.body)), "qz9v") {
				t.Errorf("public answer %d holds the moderator's email: %s", i, p.body)
			}
		}
		if !strings.Contains(string(public[2].body), "The Blog") {
			t.Errorf("the thread page lacks the site's reply:\n%s", public[2].body)
		}

		// The audit log has it all, by the moderator.
		events := in.do(req{method: "GET", path: "/api/v1/admin/events?site=blog", token: in.token}).must(t, http.StatusOK).json(t)
		var actions []string
		for _, e := range list(events, "events") {
			m := e.(map[string]any)
			if !strings.HasPrefix(m["actor"].(string), "user:") {
				t.Errorf("event by %v", m["actor"])
			}
			actions = append([]string{m["action"].(string)}, actions...)
		}
		if got, want := strings.Join(actions, ","), "approve,undo,approve,edit,reply"; got != want {
			t.Errorf("audit log %s, want %s", got, want)
		}

		// Another credential cannot undo the moderator's decision; an API token replies
		// without an email.
		in.do(req{method: "POST", path: "/api/v1/admin/comments/undo", token: in.token, body: map[string]any{"ids": []int64{int64(num(r, "id"))}}}).
			must(t, http.StatusConflict)
		second := in.submit("blog", submission("/p", map[string]any{"author_email": "two@example.org"}), nil).must(t, http.StatusAccepted).json(t)
		secondID := int64(num(second, "comment", "id"))
		as("POST", fmt.Sprintf("/api/v1/admin/comments/%d/approve", secondID), nil).must(t, http.StatusOK)
		in.do(req{method: "POST", path: "/api/v1/admin/comments/undo", token: in.token, body: map[string]any{"ids": []int64{secondID}}}).
			must(t, http.StatusConflict)
		byToken := adminComment(in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/reply", secondID), token: in.token,
			body: map[string]any{"body": "From the API."}}).must(t, http.StatusCreated))
		if byToken["author_email"] != "" || byToken["author_name"] != "The Blog" {
			t.Errorf("a token's reply: %v", byToken)
		}
		// The moderator's approval of the second comment cannot be undone now: the
		// reply would stay published under a hidden comment.
		hidden := as("POST", "/api/v1/admin/comments/undo", map[string]any{"ids": []int64{secondID}}).must(t, http.StatusConflict).json(t)
		if e := hidden["error"].(map[string]any); e["fields"].(map[string]any)["ids"] == nil ||
			e["message"] != fmt.Sprintf("comment %d has published replies; unpublish them first", secondID) {
			t.Errorf("undo of an approval with a published reply: %v", hidden)
		}

		// Bad input: the right status, and a JSON error naming the field.
		pending := in.submit("blog", submission("/p", map[string]any{"author_email": "three@example.org"}), nil).must(t, http.StatusAccepted).json(t)
		pendingPath := fmt.Sprintf("/api/v1/admin/comments/%d", int64(num(pending, "comment", "id")))
		otherSite := in.submit("other", submission("/p", nil), nil).must(t, http.StatusAccepted).json(t)
		otherPath := fmt.Sprintf("/api/v1/admin/comments/%d", int64(num(otherSite, "comment", "id")))
		tests := []struct {
			name, method, path string
			body               any
			status             int
			code, field        string
		}{
			{"an empty edit", "PATCH", path, map[string]any{"body": "  "}, 422, "validation", "body"},
			{"an edit without a body", "PATCH", path, map[string]any{"note": "x"}, 422, "validation", "body"},
			{"an oversized edit", "PATCH", path, map[string]any{"body": strings.Repeat("x", 10001)}, 422, "validation", "body"},
			{"an edit of the wrong type", "PATCH", path, map[string]any{"body": 5}, 400, "bad_request", "body"},
			{"an edit of an unknown comment", "PATCH", "/api/v1/admin/comments/999999", map[string]any{"body": "x"}, 404, "not_found", ""},
			{"an edit on another site", "PATCH", otherPath, map[string]any{"body": "x"}, 404, "not_found", ""},
			{"a request too large", "PATCH", path, `{"body": "` + strings.Repeat("x", 70000) + `"}`, 413, "too_large", ""},
			{"an empty reply", "POST", path + "/reply", map[string]any{"body": ""}, 422, "validation", "body"},
			{"an oversized reply", "POST", path + "/reply", map[string]any{"body": strings.Repeat("é", 10001)}, 422, "validation", "body"},
			{"a reply to a held comment", "POST", pendingPath + "/reply", map[string]any{"body": "x"}, 409, "conflict", "parent_id"},
			{"a reply to an unknown comment", "POST", "/api/v1/admin/comments/999999/reply", map[string]any{"body": "x"}, 404, "not_found", ""},
			{"undo of nothing", "POST", "/api/v1/admin/comments/undo", map[string]any{"ids": []int64{}}, 422, "validation", "ids"},
			{"undo without a decision", "POST", "/api/v1/admin/comments/undo", map[string]any{"ids": []int64{int64(num(pending, "comment", "id"))}}, 409, "conflict", "ids"},
			{"undo of an unknown comment", "POST", "/api/v1/admin/comments/undo", map[string]any{"ids": []int64{999999}}, 404, "not_found", ""},
			{"undo on another site", "POST", "/api/v1/admin/comments/undo", map[string]any{"ids": []int64{int64(num(otherSite, "comment", "id"))}}, 404, "not_found", ""},
			{"undo without a body", "POST", "/api/v1/admin/comments/undo", "", 400, "bad_request", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := in.do(req{method: tt.method, path: tt.path, body: tt.body, ctype: "application/json", headers: mod.headers(true)})
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
				}
				e, _ := r.json(t)["error"].(map[string]any)
				if e["code"] != tt.code || e["message"] == "" {
					t.Errorf("error %v, want code %s", e, tt.code)
				}
				if f, _ := e["fields"].(map[string]any); tt.field != "" && f[tt.field] == nil {
					t.Errorf("fields %v do not name %s", e["fields"], tt.field)
				}
			})
		}
		if th := thread(); num(th, "thread", "count") != 4 { // two comments, two replies
			t.Errorf("bad requests changed the thread: %v", th)
		}
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(in.stderr.String()), "qz9v") {
			t.Error("the log holds the moderator's email")
		}
	})
}

// TestModeratorEditEndsAuthorEdits: once a moderator has redacted a comment, its author's
// edit token no longer works, so the redacted text cannot be put back; the author's own
// edits before that are in the audit log.
func TestModeratorEditEndsAuthorEdits(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		a := in.submit("blog", submission("/p", map[string]any{"body": "call me at 555-0100"}), nil).must(t, http.StatusCreated).json(t)
		path, token := "/api/v1/comments/"+fmtID(a), a["edit_token"].(string)
		edit := func(body string) response {
			return in.do(req{method: "PATCH", path: path, body: map[string]any{"body": body}, headers: map[string]string{"X-Edit-Token": token}})
		}
		edit("call me at 555-0100, evenings").must(t, http.StatusOK)
		in.do(req{method: "PATCH", path: "/api/v1/admin/comments/" + fmtID(a), body: map[string]any{"body": "[phone number removed]"}, token: in.token}).must(t, http.StatusOK)
		edit("call me at 555-0100").must(t, http.StatusNotFound)
		in.do(req{method: "DELETE", path: path, headers: map[string]string{"X-Edit-Token": token}}).must(t, http.StatusNotFound)
		pub := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK)
		if strings.Contains(string(pub.body), "555-0100") || !strings.Contains(string(pub.body), "phone number removed") {
			t.Errorf("public thread after the redaction: %s", pub.body)
		}
		var actions []string
		for _, e := range list(in.do(req{method: "GET", path: "/api/v1/admin/events?site=blog", token: in.token}).must(t, http.StatusOK).json(t), "events") {
			actions = append(actions, e.(map[string]any)["actor"].(string)+" "+e.(map[string]any)["action"].(string))
		}
		if len(actions) != 2 || actions[1] != "author edit" || !strings.HasSuffix(actions[0], " edit") {
			t.Errorf("audit log, newest first: %q", actions)
		}
	})
}
