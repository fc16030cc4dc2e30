package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/sqlstore"
)

// TestPublishedCommentsTeachHam is a site that publishes without review: a reader's
// comment left published for spam.learn_published_after teaches the site ham, once;
// the site's own reply teaches nothing; a moderator who then marks the comment spam
// moves its lesson.
func TestPublishedCommentsTeachHam(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["WINNOW_SPAM_LEARN_PUBLISHED_AFTER"] = "1s"
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		// A moderator's decision first: a site's implicit lessons may not outnumber
		// half its decisions, and one decision leaves room for one.
		unwanted := in.submit("blog", submission("/q", map[string]any{"author_name": "Shop", "author_email": "shop@example.net", "body": "Cheap watches, best replicas, order today from our shop."}), nil).must(t, http.StatusCreated).json(t)
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/spam", int64(num(unwanted, "comment", "id"))), token: in.token}).must(t, http.StatusOK)
		posted := in.submit("blog", submission("/p", map[string]any{"body": "The second diagram cleared up how the cache is invalidated."}), nil).must(t, http.StatusCreated).json(t)
		id := int64(num(posted, "comment", "id"))
		reply := in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/reply", id), token: in.token,
			body: map[string]any{"body": "Glad it helped, thanks for reading."}}).must(t, http.StatusCreated).json(t)
		replyID := int64(num(reply, "comment", "id"))

		dsn := env["WINNOW_DATABASE_URL"]
		if dsn == "" {
			dsn = "sqlite:" + filepath.Join(env["WINNOW_DATA_DIR"], "winnow.db")
		}
		st, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		trained := func(id int64) string {
			t.Helper()
			c, err := st.Comment(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return c.Trained
		}
		eventually(t, "the published comment to teach ham", func() bool { return trained(id) == "left" && trained(replyID) == "none" })
		eventually(t, "the sweep to log what it did", func() bool {
			return strings.Contains(in.stderr.String(), `"msg":"learned from comments left published"`)
		})
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/spam", id), token: in.token}).must(t, http.StatusOK)
		if got := trained(id); got != "spam" {
			t.Errorf("after the moderator marked it spam: trained %q", got)
		}
	})
}
