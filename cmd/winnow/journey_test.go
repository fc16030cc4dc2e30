package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestJourneySubmitHeldThenApprovedIsVisible(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", nil)

		res := in.submit("blog", submission("/post-1", map[string]any{"body": "Hello **world**"}), nil).must(t, http.StatusAccepted)
		a := res.json(t)
		if a["status"] != "pending" || a["edit_token"] == "" {
			t.Fatalf("held answer: %s", res.body)
		}
		id := int64(num(a, "comment", "id"))

		thread := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/post-1"}).must(t, http.StatusOK).json(t)
		if n := len(list(thread, "comments")); n != 0 {
			t.Fatalf("a held comment is public: %d comments", n)
		}

		queue := in.do(req{method: "GET", path: "/api/v1/admin/comments?site=blog", token: in.token}).must(t, http.StatusOK).json(t)
		items := list(queue, "comments")
		if len(items) != 1 {
			t.Fatalf("queue has %d comments, want 1", len(items))
		}
		q := items[0].(map[string]any)
		if q["author_email"] != "reader@example.org" || q["ip"] != "127.0.0.1" || q["status"] != "pending" {
			t.Errorf("queue entry lacks moderator fields: %v", q)
		}

		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", id), token: in.token}).must(t, http.StatusOK)

		thread = in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/post-1"}).must(t, http.StatusOK).json(t)
		cs := list(thread, "comments")
		if len(cs) != 1 || num(thread, "thread", "count") != 1 {
			t.Fatalf("approved comment not published: %v", thread)
		}
		if got := cs[0].(map[string]any)["body_html"]; got != "<p>Hello <strong>world</strong></p>" {
			t.Errorf("body_html = %q", got)
		}
		counts := in.do(req{method: "GET", path: "/api/v1/sites/blog/counts?thread=/post-1&thread=/none"}).must(t, http.StatusOK).json(t)
		if num(counts, "counts", "/post-1") != 1 || num(counts, "counts", "/none") != 0 {
			t.Errorf("counts = %v", counts)
		}
		events := in.do(req{method: "GET", path: "/api/v1/admin/events?site=blog", token: in.token}).must(t, http.StatusOK).json(t)
		ev := list(events, "events")
		if len(ev) != 1 || ev[0].(map[string]any)["action"] != "approve" || ev[0].(map[string]any)["actor"] != "token:1:admin" {
			t.Errorf("audit log = %v", events)
		}
	})
}

func TestJourneyFirstTimePolicyPublishesReturningAuthor(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", nil)
		first := in.submit("blog", submission("/p", map[string]any{"author_email": "Returning@Example.org"}), nil).must(t, http.StatusAccepted).json(t)
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", int64(num(first, "comment", "id"))), token: in.token}).must(t, http.StatusOK)

		second := in.submit("blog", submission("/other", map[string]any{"author_email": "returning@example.org"}), nil).must(t, http.StatusCreated).json(t)
		if second["status"] != "approved" {
			t.Fatalf("returning author held: %v", second)
		}
		stranger := in.submit("blog", submission("/other", map[string]any{"author_email": "new@example.org"}), nil)
		stranger.must(t, http.StatusAccepted)
		// Trust needs the name too: knowing a trusted author's email is not enough.
		in.submit("blog", submission("/other", map[string]any{"author_name": "Impostor", "author_email": "returning@example.org"}), nil).must(t, http.StatusAccepted)
	})
}

func TestJourneyPolicies(t *testing.T) {
	tests := []struct {
		policy string
		body   string
		want   int
	}{
		{"none", "Nice post.", http.StatusCreated},
		{"all", "Nice post.", http.StatusAccepted},
		{"none", "See https://a.example and https://b.example", http.StatusAccepted}, // two links: held
		{"none", "buy cheap casino chips", http.StatusAccepted},                      // blocked word
	}
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		for i, tt := range tests {
			site := fmt.Sprintf("s%d", i)
			in.createSite(site, map[string]any{"policy": tt.policy, "blocked_words": []string{"casino"}})
			in.submit(site, submission("/p", map[string]any{"body": tt.body}), nil).must(t, tt.want)
		}
	})
}

func TestJourneySpamIsNeverAnnouncedToTheSubmitter(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		res := in.submit("blog", submission("/p", map[string]any{"website": "http://bot.example"}), nil).must(t, http.StatusAccepted)
		if a := res.json(t); a["status"] != "pending" || strings.Contains(string(res.body), "spam") {
			t.Fatalf("answer reveals the verdict: %s", res.body)
		}
		q := in.do(req{method: "GET", path: "/api/v1/admin/comments?status=spam", token: in.token}).must(t, http.StatusOK).json(t)
		cs := list(q, "comments")
		if len(cs) != 1 {
			t.Fatalf("spam queue has %d comments", len(cs))
		}
		c := cs[0].(map[string]any)
		if num(c, "score") < 0.9 || len(c["reasons"].([]any)) == 0 {
			t.Errorf("spam without score or reasons: %v", c)
		}
	})
}

func TestJourneyIdempotentRetryStoresOneComment(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", nil)
		key := map[string]string{"Idempotency-Key": "retry-1"}
		first := in.submit("blog", submission("/p", nil), key).must(t, http.StatusAccepted)
		second := in.submit("blog", submission("/p", nil), key).must(t, http.StatusAccepted)
		if second.header.Get("Idempotent-Replayed") != "true" {
			t.Error("replay not marked")
		}
		a, b := first.json(t), second.json(t)
		if num(a, "comment", "id") != num(b, "comment", "id") || a["edit_token"] != b["edit_token"] {
			t.Errorf("retry answered differently:\n%s\n%s", first.body, second.body)
		}

		// Concurrent retries race to insert: still one row.
		var wg sync.WaitGroup
		ids := make([]float64, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := in.submit("blog", submission("/p", nil), map[string]string{"Idempotency-Key": "race"})
				if r.status == http.StatusAccepted {
					ids[i] = num(r.json(t), "comment", "id")
				}
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id == 0 || id != ids[0] {
				t.Fatalf("concurrent retries got ids %v", ids)
			}
		}
		q := in.do(req{method: "GET", path: "/api/v1/admin/comments?site=blog", token: in.token}).must(t, http.StatusOK).json(t)
		if n := len(list(q, "comments")); n != 2 {
			t.Errorf("%d comments stored, want 2", n)
		}
	})
}

func TestJourneyFormPostRedirectsBackToThePage(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		form := url.Values{
			"thread": {"/p"}, "thread_url": {"https://blog.example/p#comments"}, "author_name": {"Form Reader"},
			"author_email": {"form@example.org"}, "body": {"From a plain form."},
		}
		in.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res := in.do(req{method: "POST", path: "/api/v1/sites/blog/comments", body: form.Encode(), ctype: "application/x-www-form-urlencoded"})
		res.must(t, http.StatusSeeOther)
		if loc := res.header.Get("Location"); !strings.HasPrefix(loc, "https://blog.example/p#winnow-comment-") || strings.Count(loc, "#") != 1 {
			t.Errorf("Location = %q", loc)
		}
		// Stray spaces around the URL are trimmed as the pipeline trims them: still a 303.
		form.Set("thread_url", " https://blog.example/q ")
		form.Set("body", "From a plain form, again.")
		res = in.do(req{method: "POST", path: "/api/v1/sites/blog/comments", body: form.Encode(), ctype: "application/x-www-form-urlencoded"})
		res.must(t, http.StatusSeeOther)
		if loc := res.header.Get("Location"); !strings.HasPrefix(loc, "https://blog.example/q#winnow-comment-") {
			t.Errorf("Location = %q", loc)
		}
		// A thread URL off the site's origins is refused, so winnow is no open redirector.
		form.Set("thread_url", "https://evil.example/")
		res = in.do(req{method: "POST", path: "/api/v1/sites/blog/comments", body: form.Encode(), ctype: "application/x-www-form-urlencoded"})
		res.must(t, http.StatusUnprocessableEntity)
	})
}

// TestJourneyBothSubmitRoutesAreOneHandler posts to the JSON API's route and to the
// no-JS thread page's: one handler, so the same origin check, the same thread-key
// check and the same outcomes counted, answered by request type.
func TestJourneyBothSubmitRoutesAreOneHandler(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		in.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		form := func(thread, body string) string {
			return url.Values{"thread": {thread}, "thread_url": {"https://blog.example/p"}, "author_name": {"Form Reader"},
				"author_email": {"form@example.org"}, "body": {body}}.Encode()
		}
		const formType = "application/x-www-form-urlencoded"
		for _, path := range []string{"/api/v1/sites/blog/comments", "/t/blog"} {
			evil := map[string]string{"Origin": "https://evil.example"}
			res := in.do(req{method: "POST", path: path, body: form("/p", "From elsewhere "+path), ctype: formType, headers: evil})
			if res.must(t, http.StatusForbidden); !strings.Contains(string(res.body), "this origin may not post to the site") {
				t.Errorf("%s, foreign origin: %s", path, res.body)
			}
			long := strings.Repeat("k", 513) // one byte over comment.MaxThreadKeyLen
			res = in.do(req{method: "POST", path: path, body: form(long, "A long key "+path), ctype: formType})
			if res.status != http.StatusBadRequest && res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.body), "thread") {
				t.Errorf("%s, a %d-byte thread key: %d %s", path, len(long), res.status, res.body)
			}
			own := map[string]string{"Origin": "https://blog.example", "Idempotency-Key": "k-" + path}
			for i := range 2 { // the second is a retry of the first
				res = in.do(req{method: "POST", path: path, body: form("/p", "One comment from "+path), ctype: formType, headers: own})
				res.must(t, http.StatusSeeOther)
				want := "https://blog.example/p#winnow-comment-"
				if path == "/t/blog" {
					want = "/t/blog?posted=1&thread=%2Fp#winnow-comment-"
				}
				if loc := res.header.Get("Location"); !strings.HasPrefix(loc, want) {
					t.Errorf("%s, attempt %d: Location %q", path, i, loc)
				}
				if i == 1 && res.header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("%s: the retry was not answered as a replay: %v", path, res.header)
				}
			}
		}
		// The API's route answers a form without a page to go back to, and JSON, in JSON.
		in.submit("blog", submission("/p", nil), nil).must(t, http.StatusCreated)
		m := string(in.do(req{method: "GET", path: "/metrics"}).must(t, http.StatusOK).body)
		for _, want := range []string{`winnow_submissions_total{outcome="approved"} 3`, `winnow_submissions_total{outcome="replayed"} 2`,
			`winnow_submissions_total{outcome="invalid"} 2`} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if n := len(in.siteComments("blog")); n != 3 {
			t.Errorf("%d comments stored, want 3", n)
		}
	})
}

func TestJourneyThreadReadsAreTreesWithETags(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		root := in.submit("blog", submission("/p", map[string]any{"body": "root"}), nil).must(t, http.StatusCreated).json(t)
		rootID := num(root, "comment", "id")
		in.submit("blog", submission("/p", map[string]any{"body": "second"}), nil).must(t, http.StatusCreated)
		in.submit("blog", submission("/p", map[string]any{"body": "reply", "parent_id": rootID}), nil).must(t, http.StatusCreated)

		res := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK)
		page := res.json(t)
		cs := list(page, "comments")
		if len(cs) != 2 || num(page, "thread", "count") != 3 {
			t.Fatalf("tree: %s", res.body)
		}
		first := cs[0].(map[string]any)
		if first["body_html"] != "<p>root</p>" || len(first["replies"].([]any)) != 1 {
			t.Errorf("first root: %v", first)
		}
		newest := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p&sort=newest&limit=1"}).must(t, http.StatusOK).json(t)
		if c := list(newest, "comments"); len(c) != 1 || c[0].(map[string]any)["body_html"] != "<p>second</p>" || newest["next_cursor"] != "1" {
			t.Errorf("newest page: %v", newest)
		}

		etag := res.header.Get("ETag")
		in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p", headers: map[string]string{"If-None-Match": etag}}).must(t, http.StatusNotModified)
		in.submit("blog", submission("/p", map[string]any{"body": "news"}), nil).must(t, http.StatusCreated)
		in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p", headers: map[string]string{"If-None-Match": etag}}).must(t, http.StatusOK)

		// A reply must point at a published comment of the same thread.
		res = in.submit("blog", submission("/elsewhere", map[string]any{"parent_id": rootID}), nil).must(t, http.StatusUnprocessableEntity)
		if f := res.json(t)["error"].(map[string]any)["fields"].(map[string]any); f["parent_id"] == nil {
			t.Errorf("error fields: %v", f)
		}
	})
}

func TestJourneyIdempotencyKeyCannotFetchAnotherSubmission(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", nil)
		key := map[string]string{"Idempotency-Key": "shared-key"}
		in.submit("blog", submission("/p", map[string]any{"author_email": "ann@example.org"}), key).must(t, http.StatusAccepted)
		res := in.submit("blog", submission("/p", map[string]any{"author_email": "eve@example.org", "body": "hi"}), key)
		res.must(t, http.StatusUnprocessableEntity)
		if strings.Contains(string(res.body), "edit_token") {
			t.Errorf("the answer leaks the first submission: %s", res.body)
		}
	})
}

func TestJourneyHeldSubmissionsDoNotNameTheThread(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		in.submit("blog", submission("/new-post", map[string]any{"thread_title": "CHEAP PILLS", "website": "x"}), nil).must(t, http.StatusAccepted)
		page := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/new-post"}).must(t, http.StatusOK).json(t)
		if title := page["thread"].(map[string]any)["title"]; title != nil {
			t.Errorf("a spam submission titled the thread %q", title)
		}
		in.submit("blog", submission("/new-post", map[string]any{"thread_title": "The real title", "author_email": "real@example.org"}), nil).must(t, http.StatusCreated)
		page = in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/new-post"}).must(t, http.StatusOK).json(t)
		if title := page["thread"].(map[string]any)["title"]; title != "The real title" {
			t.Errorf("title = %v", title)
		}
		// Two threads without comments never share a cached page.
		a := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/empty-a"}).must(t, http.StatusOK)
		b := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/empty-b"}).must(t, http.StatusOK)
		if a.header.Get("ETag") == b.header.Get("ETag") || b.json(t)["thread"].(map[string]any)["key"] != "/empty-b" {
			t.Errorf("empty threads share a page: %s", b.body)
		}
	})
}

func TestJourneyFormTokensCatchFastAndReplayedPosts(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		in.do(req{method: "GET", path: "/api/v1/sites/blog/form"}).must(t, http.StatusBadRequest)
		form := in.do(req{method: "GET", path: "/api/v1/sites/blog/form?thread=/p"}).must(t, http.StatusOK).json(t)
		token, _ := form["form_token"].(string)
		if token == "" || form["honeypot"] != "website" {
			t.Fatalf("form: %v", form)
		}
		// Posted within a second of fetching the form: held, with the reason on record.
		a := in.submit("blog", submission("/p", map[string]any{"form_token": token}), nil).must(t, http.StatusAccepted).json(t)
		c := in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(int64(num(a, "comment", "id"))), token: in.token}).must(t, http.StatusOK).json(t)
		if r := fmt.Sprint(c["comment"].(map[string]any)["reasons"]); !strings.Contains(r, "form filled in") {
			t.Errorf("reasons %s", r)
		}
		// The same token again: replayed. A token for another page: forged.
		b := in.submit("blog", submission("/p", map[string]any{"form_token": token, "author_email": "b@example.org"}), nil).json(t)
		c = in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(int64(num(b, "comment", "id"))), token: in.token}).must(t, http.StatusOK).json(t)
		if r := fmt.Sprint(c["comment"].(map[string]any)["reasons"]); !strings.Contains(r, "used before") {
			t.Errorf("reasons %s", r)
		}
		other := in.do(req{method: "GET", path: "/api/v1/sites/blog/form?thread=/other"}).must(t, http.StatusOK).json(t)["form_token"]
		d := in.submit("blog", submission("/p", map[string]any{"form_token": other, "author_email": "d@example.org"}), nil).json(t)
		c = in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(int64(num(d, "comment", "id"))), token: in.token}).must(t, http.StatusOK).json(t)
		if r := fmt.Sprint(c["comment"].(map[string]any)["reasons"]); !strings.Contains(r, "does not match") {
			t.Errorf("reasons %s", r)
		}
	})
}

func TestJourneyBannedAuthorsLandInSpam(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		first := in.submit("blog", submission("/p", map[string]any{"author_email": "pest@annoying.example"}), nil).must(t, http.StatusCreated).json(t)
		id := int64(num(first, "comment", "id"))
		ban := in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token,
			body: map[string]any{"kind": "email", "comment_id": id, "duration": "720h", "note": "pest"}}).must(t, http.StatusCreated).json(t)
		b := ban["ban"].(map[string]any)
		if b["hint"] != "p***@annoying.example" || b["active"] != true || b["site"] != "blog" {
			t.Errorf("ban: %v", b)
		}
		res := in.submit("blog", submission("/p", map[string]any{"author_name": "New Name", "author_email": "PEST@annoying.example"}), nil)
		res.must(t, http.StatusAccepted) // the submitter is never told
		q := in.do(req{method: "GET", path: "/api/v1/admin/comments?status=spam", token: in.token}).must(t, http.StatusOK).json(t)
		if cs := list(q, "comments"); len(cs) != 1 || !strings.Contains(fmt.Sprint(cs[0].(map[string]any)["reasons"]), "banned email") {
			t.Errorf("spam queue: %v", q)
		}
		// A domain ban catches websites too; lifting a ban lets the author back.
		in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token,
			body: map[string]any{"site": "blog", "kind": "domain", "value": "seo.example"}}).must(t, http.StatusCreated)
		in.submit("blog", submission("/p", map[string]any{"author_email": "x@example.org", "author_url": "https://www.seo.example/"}), nil).must(t, http.StatusAccepted)
		in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token,
			body: map[string]any{"site": "blog", "kind": "ip", "value": "nonsense"}}).must(t, http.StatusUnprocessableEntity)
		in.do(req{method: "DELETE", path: "/api/v1/admin/bans/" + itoa(int64(num(b, "id"))), token: in.token}).must(t, http.StatusNoContent)
		in.submit("blog", submission("/p", map[string]any{"author_email": "pest@annoying.example", "body": "I am back"}), nil).must(t, http.StatusCreated)
		bans := in.do(req{method: "GET", path: "/api/v1/admin/bans?site=blog", token: in.token}).must(t, http.StatusOK).json(t)
		if n := len(list(bans, "bans")); n != 1 {
			t.Errorf("%d bans left, want 1", n)
		}
	})
}

func TestJourneyAuthorEditsAndDeletesInsideTheWindow(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		a := in.submit("blog", submission("/p", map[string]any{"body": "Frist!"}), nil).must(t, http.StatusCreated).json(t)
		id, token := itoa(int64(num(a, "comment", "id"))), a["edit_token"].(string)
		path := "/api/v1/comments/" + id
		before := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK)

		in.do(req{method: "PATCH", path: path, body: map[string]any{"body": "First!"}, headers: map[string]string{"X-Edit-Token": "wrong"}}).must(t, http.StatusNotFound)
		in.do(req{method: "PATCH", path: path, body: map[string]any{"body": ""}, headers: map[string]string{"X-Edit-Token": token}}).must(t, http.StatusUnprocessableEntity)
		e := in.do(req{method: "PATCH", path: path, body: map[string]any{"body": "First, *properly*."},
			headers: map[string]string{"X-Edit-Token": token, "Origin": "https://blog.example"}}).must(t, http.StatusOK)
		if e.json(t)["status"] != "approved" || e.header.Get("Access-Control-Allow-Origin") != "https://blog.example" {
			t.Errorf("edit answer: %v %s", e.header, e.body)
		}
		after := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p",
			headers: map[string]string{"If-None-Match": before.header.Get("ETag")}}).must(t, http.StatusOK).json(t)
		if got := list(after, "comments")[0].(map[string]any)["body_html"]; got != "<p>First, <em>properly</em>.</p>" {
			t.Errorf("published text after the edit: %v", got)
		}
		in.do(req{method: "PATCH", path: path, body: map[string]any{"body": "x"},
			headers: map[string]string{"X-Edit-Token": token, "Origin": "https://evil.example"}}).must(t, http.StatusForbidden)

		in.do(req{method: "DELETE", path: path, headers: map[string]string{"X-Edit-Token": token}}).must(t, http.StatusNoContent)
		gone := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK).json(t)
		if len(list(gone, "comments")) != 0 || num(gone, "thread", "count") != 0 {
			t.Errorf("after deletion: %v", gone)
		}
		in.do(req{method: "PATCH", path: path, body: map[string]any{"body": "again"}, headers: map[string]string{"X-Edit-Token": token}}).must(t, http.StatusNotFound)
		ev := in.do(req{method: "GET", path: "/api/v1/admin/events?comment=" + id, token: in.token}).must(t, http.StatusOK).json(t)
		// Newest first: the deletion, then the edit (every author edit is logged).
		es := list(ev, "events")
		if len(es) != 2 || es[0].(map[string]any)["action"] != "delete" || es[1].(map[string]any)["action"] != "edit" ||
			es[0].(map[string]any)["actor"] != "author" || es[1].(map[string]any)["actor"] != "author" {
			t.Errorf("audit: %v", ev)
		}
	})
}
