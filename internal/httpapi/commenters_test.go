package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// TestCommenterRoutes exports and erases one commenter through the admin API: admins
// only, the address in the body (never the URL), a clear error naming the field.
func TestCommenterRoutes(t *testing.T) {
	e := httpapitest.New(t)
	const who = `{"email": "Reader@Example.org"}`

	// A moderator's token may not: the rule is the installation's, not a queue's.
	w := e.Do(httpapitest.Token, "POST", "/api/v1/admin/tokens", "", `{"name": "mod", "role": "moderator", "sites": ["blog"]}`)
	var tok struct {
		Token struct{ Token string } `json:"token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.Token.Token == "" {
		t.Fatalf("moderator token: %d %s", w.Code, w.Body)
	}
	admin := e.Token
	e.Token = tok.Token.Token
	for _, path := range []string{"/api/v1/admin/commenters/export", "/api/v1/admin/commenters/erase"} {
		if w := e.Do(httpapitest.Token, "POST", path, "", who); w.Code != http.StatusForbidden {
			t.Errorf("a moderator's %s: %d %s", path, w.Code, w.Body)
		}
		if w := e.Do(httpapitest.Nobody, "POST", path, "", who); w.Code != http.StatusUnauthorized {
			t.Errorf("nobody's %s: %d", path, w.Code)
		}
	}
	e.Token = admin

	for _, tt := range []struct{ body, field string }{
		{`{}`, "email"}, {`{"email": "nobody"}`, "email"}, {`{"email": "a@b.example", "sites": ["nosuch"]}`, "site"},
	} {
		w := e.Do(httpapitest.Token, "POST", "/api/v1/admin/commenters/erase", "", tt.body)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"`+tt.field+`"`) {
			t.Errorf("erase %s: %d %s, want 422 naming %s", tt.body, w.Code, w.Body, tt.field)
		}
	}

	w = e.Do(httpapitest.Token, "POST", "/api/v1/admin/commenters/export", "", who)
	var data struct {
		Email    string `json:"email"`
		Comments []struct {
			ID          int64  `json:"id"`
			AuthorEmail string `json:"author_email"`
			IP          string `json:"ip"`
		} `json:"comments"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &data); err != nil || w.Code != http.StatusOK || len(data.Comments) != 1 ||
		data.Comments[0].ID != e.Comment || data.Comments[0].AuthorEmail != "reader@example.org" || data.Comments[0].IP != "192.0.2.1" {
		t.Fatalf("export: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("export Cache-Control %q", w.Header().Get("Cache-Control"))
	}

	w = e.Do(httpapitest.Session, "POST", "/api/v1/admin/commenters/erase", "", who)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"comments":1`) || !strings.Contains(w.Body.String(), `"deleted":1`) {
		t.Fatalf("erase: %d %s", w.Code, w.Body)
	}
	if w := e.Do(httpapitest.Token, "GET", fmt.Sprintf("/api/v1/admin/comments/%d", e.Comment), "", ""); w.Code != http.StatusNotFound {
		t.Errorf("the erased comment: %d %s", w.Code, w.Body)
	}
	w = e.Do(httpapitest.Token, "POST", "/api/v1/admin/commenters/export", "", who)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"comments":[]`) {
		t.Errorf("export after the erasure: %d %s", w.Code, w.Body)
	}
}
