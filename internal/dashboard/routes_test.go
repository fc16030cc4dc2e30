package dashboard_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// TestRoutes answers every page the dashboard owns, as mounted by the one route table,
// for a signed-out browser, an admin's session and an admin API token: pages open to
// a session only (a token is sent to the sign-in page like a stranger, since API
// tokens do not open pages), and every answer is HTML.
func TestRoutes(t *testing.T) {
	e := httpapitest.New(t)
	const html = "text/html; charset=utf-8"
	type want struct{ nobody, session, token int }
	page := want{http.StatusSeeOther, http.StatusOK, http.StatusSeeOther}
	tests := []struct {
		path string
		want want
	}{
		{"/admin", want{http.StatusMovedPermanently, http.StatusMovedPermanently, http.StatusMovedPermanently}},
		{"/admin/", page},
		{"/admin/?status=all&site=blog", page},
		{"/admin/login", want{http.StatusOK, http.StatusSeeOther, http.StatusOK}},
		{"/admin/log", page},
		{"/admin/bans", page},
		{fmt.Sprintf("/admin/comments/%d", e.Comment), page},
		{"/admin/sites", page},
		{"/admin/sites/blog", page},
		{fmt.Sprintf("/admin/sites/blog/webhooks/%d", e.Webhook), page},
		{"/admin/users", page},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			caller httpapitest.Caller
			status int
		}{{httpapitest.Nobody, tt.want.nobody}, {httpapitest.Session, tt.want.session}, {httpapitest.Token, tt.want.token}} {
			w := e.Do(c.caller, "GET", tt.path, "", "")
			if w.Code != c.status || w.Header().Get("Content-Type") != html {
				t.Errorf("GET %s (%v): %d %q, want %d %q", tt.path, c.caller, w.Code, w.Header().Get("Content-Type"), c.status, html)
			}
			if w.Code == http.StatusSeeOther && c.caller != httpapitest.Session && !strings.HasPrefix(w.Header().Get("Location"), "/admin/login") {
				t.Errorf("GET %s (%v) goes to %q, not the sign-in page", tt.path, c.caller, w.Header().Get("Location"))
			}
			if w.Code == http.StatusOK && c.caller == httpapitest.Session && w.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("GET %s: no Content-Security-Policy", tt.path)
			}
		}
	}
	// The queue shows a moderator the commenter's private fields, and only a moderator.
	if body := e.Do(httpapitest.Session, "GET", "/admin/?status=all", "", "").Body.String(); !strings.Contains(body, "reader@example.org") {
		t.Error("the queue does not show the comment's author email to a signed-in admin")
	}
	// A page that is not the dashboard's is not answered as one.
	if w := e.Do(httpapitest.Session, "GET", "/admin/nothing", "", ""); w.Code != http.StatusNotFound {
		t.Errorf("GET /admin/nothing: %d", w.Code)
	}
}
