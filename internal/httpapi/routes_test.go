package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// TestRoutes answers the JSON API's routes, as mounted by the one route table, for a
// signed-out caller, an admin's session (cookie and CSRF token) and an admin API
// token: the public and operational routes answer all three alike, the moderators'
// routes only a session or a token, and every answer has the content type it names.
func TestRoutes(t *testing.T) {
	e := httpapitest.New(t)
	const json = "application/json"
	type want struct{ nobody, session, token int }
	all := func(status int) want { return want{status, status, status} }
	signedIn := want{http.StatusUnauthorized, http.StatusOK, http.StatusOK}
	id := func(format string) string { return fmt.Sprintf(format, e.Comment) }
	hook := func(format string) string { return fmt.Sprintf(format, e.Webhook) }
	wxr := `<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><link>https://blog.example/w</link>` +
		`<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>A</wp:comment_author><wp:comment_date_gmt>2024-01-01 00:00:00</wp:comment_date_gmt>` +
		`<wp:comment_content>Imported.</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment></item></channel></rss>`
	submit := `{"thread": "/q", "author_name": "Reader", "author_email": "reader@example.org", "body": "Yet another comment."}`
	tests := []struct {
		method, path, body string
		want               want
		ctype              string // the answer's, by prefix
	}{
		{"GET", "/healthz", "", all(http.StatusOK), json},
		{"GET", "/readyz", "", all(http.StatusOK), json},
		{"GET", "/metrics", "", all(http.StatusOK), "text/plain"},
		{"GET", "/api/v1/sites/blog/comments?thread=/p", "", all(http.StatusOK), json},
		{"GET", "/api/v1/sites/blog/comments", "", all(http.StatusBadRequest), json},
		{"GET", "/api/v1/sites/nosuch/comments?thread=/p", "", all(http.StatusNotFound), json},
		{"POST", "/api/v1/sites/blog/comments", submit, all(http.StatusAccepted), json},
		{"POST", "/api/v1/sites/blog/comments", `{"thread": "/q"}`, all(http.StatusUnprocessableEntity), json},
		{"GET", "/api/v1/sites/blog/counts?thread=/p&thread=/q", "", all(http.StatusOK), json},
		{"GET", "/api/v1/sites/blog/form?thread=/p", "", all(http.StatusOK), json},
		{"OPTIONS", "/api/v1/sites/blog/comments", "", all(http.StatusForbidden), json},
		{"PATCH", id("/api/v1/comments/%d"), `{"edit_token": "wrong", "body": "x"}`, all(http.StatusNotFound), json},
		{"GET", "/api/v1/avatars/0123456789abcdef0123456789abcdef.svg", "", all(http.StatusOK), "image/svg+xml"},
		{"POST", "/api/v1/auth/login", `{"email": "admin@example.org", "password": "wrong"}`, all(http.StatusUnauthorized), json},
		{"GET", "/api/v1/auth/session", "", signedIn, json},
		{"GET", "/admin/setup?token=wrong", "", all(http.StatusNotFound), "text/html"},
		{"GET", "/api/v1/admin/comments?status=all", "", signedIn, json},
		{"GET", id("/api/v1/admin/comments/%d"), "", signedIn, json},
		{"POST", "/api/v1/admin/comments/undo", `{"ids": []}`, want{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}, json},
		{"GET", "/api/v1/admin/events", "", signedIn, json},
		{"POST", "/api/v1/admin/commenters/export", `{"email": "nobody@example.org"}`, signedIn, json},
		{"GET", "/api/openapi.json", "", all(http.StatusOK), json},
		{"GET", "/api/v1/admin/bans", "", signedIn, json},
		{"GET", "/api/v1/admin/sites", "", signedIn, json},
		{"GET", "/api/v1/admin/sites/blog", "", signedIn, json},
		{"POST", "/api/v1/admin/sites/blog/import?format=wxr", wxr, signedIn, json},
		{"GET", "/api/v1/admin/sites/blog/export", "", signedIn, json}, // application/jsonl for the file
		{"GET", "/api/v1/admin/tokens", "", signedIn, json},
		{"GET", "/api/v1/admin/users", "", signedIn, json},
		{"GET", "/api/v1/admin/webhooks", "", signedIn, json},
		{"GET", hook("/api/v1/admin/webhooks/%d"), "", signedIn, json},
		{"GET", hook("/api/v1/admin/webhooks/%d/deliveries"), "", signedIn, json},
		{"GET", "/api/v1/nothing", "", all(http.StatusNotFound), json},
		{"PUT", "/api/v1/admin/sites", "", all(http.StatusMethodNotAllowed), json},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			caller httpapitest.Caller
			status int
		}{{httpapitest.Nobody, tt.want.nobody}, {httpapitest.Session, tt.want.session}, {httpapitest.Token, tt.want.token}} {
			w := e.Do(c.caller, tt.method, tt.path, "", tt.body)
			if w.Code != c.status || !strings.HasPrefix(w.Header().Get("Content-Type"), tt.ctype) {
				t.Errorf("%s %s (%v): %d %q, want %d %s\n%s", tt.method, tt.path, c.caller, w.Code, w.Header().Get("Content-Type"), c.status, tt.ctype, w.Body)
			}
		}
	}
	// A session's change needs its CSRF token; a token's does not.
	w := e.Do(httpapitest.Session, "POST", "/api/v1/admin/comments/undo", "", `{"ids": []}`)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("undo with the session's CSRF token: %d", w.Code)
	}
	e.CSRF = "wrong"
	if w := e.Do(httpapitest.Session, "POST", "/api/v1/admin/comments/undo", "", `{"ids": []}`); w.Code != http.StatusForbidden {
		t.Errorf("a session's change with a wrong CSRF token: %d, want 403", w.Code)
	}
}
