package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommenterJourney answers a commenter's requests end to end, on both engines:
// an admin exports her data through the API, the command line exports it to a file
// and erases it, and the thread keeps the reply to her comment under a stub while
// nothing of hers is served any more.
func TestCommenterJourney(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "all"})
		post := func(name, email, body string, parent float64) int64 {
			fields := map[string]any{"author_name": name, "author_email": email, "body": body}
			if parent != 0 {
				fields["parent_id"] = parent
			}
			r := in.submit("blog", submission("/p", fields), nil).must(t, http.StatusAccepted).json(t)
			id := int64(num(r, "comment", "id"))
			in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", id), token: in.token}).must(t, http.StatusOK)
			return id
		}
		hers := post("Yolanda Vex", "yolanda@vex.example", "Quixotic remarks about the article.", 0)
		reply := post("Reader", "reader@example.org", "A reply to Yolanda.", float64(hers))

		// Through the admin API: the address goes in the body.
		r := in.do(req{method: "POST", path: "/api/v1/admin/commenters/export", body: map[string]any{"email": "YOLANDA@vex.example"}, token: in.token}).must(t, http.StatusOK)
		if !strings.Contains(string(r.body), "Quixotic remarks") || !strings.Contains(string(r.body), `"author_email":"yolanda@vex.example"`) {
			t.Fatalf("API export %s", r.body)
		}

		// The command line: export to a file, then erase.
		getenv := func(k string) string { return env[k] }
		file := filepath.Join(t.TempDir(), "yolanda.json")
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"commenter", "erase", "--email", "yolanda@vex.example", "--export", file}, getenv, &out, &errb); err != nil {
			t.Fatalf("commenter erase: %v\n%s", err, errb.String())
		}
		if !strings.Contains(out.String(), "erased 1 comments on 1 sites: 0 deleted, 1 kept as [deleted]") {
			t.Errorf("commenter erase said %q", out.String())
		}
		b, err := os.ReadFile(file)
		var data struct {
			Comments []struct {
				Body string `json:"body"`
			} `json:"comments"`
		}
		if err != nil || json.Unmarshal(b, &data) != nil || len(data.Comments) != 1 || data.Comments[0].Body != "Quixotic remarks about the article." {
			t.Errorf("exported file (%v): %s", err, b)
		}
		if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("exported file mode %v (%v)", info.Mode(), err)
		}
		if err := run(context.Background(), []string{"commenter", "export", "--email", "yolanda@vex.example", "--out", file}, getenv, &out, &errb); err == nil {
			t.Error("an export overwrote an existing file")
		}
		if err := run(context.Background(), []string{"commenter", "erase"}, getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), "--email") {
			t.Errorf("erase without --email: %v", err)
		}

		// The thread: her comment is a stub, the reply is still under it.
		r = in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK)
		var th struct {
			Comments []struct {
				ID         int64  `json:"id"`
				AuthorName string `json:"author_name"`
				BodyHTML   string `json:"body_html"`
				Replies    []struct {
					ID int64 `json:"id"`
				} `json:"replies"`
			} `json:"comments"`
		}
		if err := json.Unmarshal(r.body, &th); err != nil || len(th.Comments) != 1 || th.Comments[0].ID != hers ||
			th.Comments[0].AuthorName != "[deleted]" || len(th.Comments[0].Replies) != 1 || th.Comments[0].Replies[0].ID != reply {
			t.Errorf("thread after the erasure: %s", r.body)
		}
		if strings.Contains(string(r.body), "Quixotic") || strings.Contains(string(r.body), "Yolanda Vex") {
			t.Errorf("the thread still shows her: %s", r.body)
		}
		r = in.do(req{method: "GET", path: "/t/blog?thread=/p"}).must(t, http.StatusOK)
		if strings.Contains(string(r.body), "Quixotic") || !strings.Contains(string(r.body), "A reply to Yolanda.") || !strings.Contains(string(r.body), "[deleted]") {
			t.Errorf("the thread page after the erasure:\n%s", r.body)
		}
		r = in.do(req{method: "POST", path: "/api/v1/admin/commenters/export", body: map[string]any{"email": "yolanda@vex.example"}, token: in.token}).must(t, http.StatusOK)
		if !strings.Contains(string(r.body), `"comments":[]`) {
			t.Errorf("export after the erasure %s", r.body)
		}
		r = in.do(req{method: "GET", path: "/api/v1/admin/events", token: in.token}).must(t, http.StatusOK)
		if strings.Contains(string(r.body), "yolanda") || !strings.Contains(string(r.body), `"erase"`) {
			t.Errorf("audit log %s", r.body)
		}
	})
}
