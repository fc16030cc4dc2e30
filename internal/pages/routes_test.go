package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// TestRoutes answers every route the reader's pages own, as mounted by the one route
// table, for a signed-out browser, an admin's session and an admin API token: the
// pages are public and answer all three alike.
func TestRoutes(t *testing.T) {
	e := httpapitest.New(t)
	hashed := strings.TrimSuffix(strings.TrimPrefix(e.Do(httpapitest.Nobody, "GET", "/embed.js", "", "").Header().Get("Link"), "<"), ">; rel=canonical")
	if !strings.HasPrefix(hashed, "/static/embed.") {
		t.Fatalf("/embed.js names no hashed URL: %q", hashed)
	}
	const (
		js   = "text/javascript; charset=utf-8"
		css  = "text/css; charset=utf-8"
		html = "text/html; charset=utf-8"
		json = "application/json; charset=utf-8"
	)
	form := url.Values{"thread": {"/p"}, "author_name": {"Reader"}, "author_email": {"reader@example.org"},
		"body": {"Another thoughtful comment."}}.Encode()
	tests := []struct {
		method, path, ctype, body string
		status                    int
		want                      string // the answer's Content-Type
	}{
		{"GET", "/embed.js", "", "", http.StatusOK, js},
		{"HEAD", "/embed.js", "", "", http.StatusOK, js},
		{"GET", "/embed.css", "", "", http.StatusOK, css},
		{"GET", "/count.js", "", "", http.StatusOK, js},
		{"GET", hashed, "", "", http.StatusOK, js},
		{"GET", "/static/embed.000000000000.js", "", "", http.StatusNotFound, json},
		{"GET", "/t/blog?thread=/p", "", "", http.StatusOK, html},
		{"GET", "/t/blog?thread=/p&sort=newest&reply=1", "", "", http.StatusOK, html},
		{"GET", "/t/blog", "", "", http.StatusBadRequest, html},
		{"GET", "/t/nosuch?thread=/p", "", "", http.StatusNotFound, html},
		{"POST", "/t/blog", "application/x-www-form-urlencoded", form, http.StatusSeeOther, ""},
		{"POST", "/t/blog", "application/x-www-form-urlencoded", "thread=/p", http.StatusUnprocessableEntity, html},
		{"POST", "/t/blog", "application/json", `{"thread": "/p"}`, http.StatusUnsupportedMediaType, json},
		{"DELETE", "/t/blog", "", "", http.StatusMethodNotAllowed, json},
		// The pages of mails' links, on a server that sends no mail: a page saying so.
		{"GET", "/mail/moderate?t=x", "", "", http.StatusNotFound, html},
		{"POST", "/mail/moderate", "application/x-www-form-urlencoded", "t=x", http.StatusNotFound, html},
		{"GET", "/mail/confirm?t=x", "", "", http.StatusNotFound, html},
		{"POST", "/mail/unsubscribe?t=x", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", http.StatusNotFound, html},
		{"GET", "/mail/reset", "", "", http.StatusNotFound, html},
		{"POST", "/mail/password", "application/x-www-form-urlencoded", "t=x&password=y", http.StatusNotFound, html},
		{"DELETE", "/mail/moderate", "", "", http.StatusMethodNotAllowed, json},
	}
	for _, tt := range tests {
		for _, caller := range []httpapitest.Caller{httpapitest.Nobody, httpapitest.Session, httpapitest.Token} {
			w := e.Do(caller, tt.method, tt.path, tt.ctype, tt.body)
			if w.Code != tt.status || tt.want != "" && w.Header().Get("Content-Type") != tt.want {
				t.Errorf("%s %s (%v): %d %q, want %d %q\n%s", tt.method, tt.path, caller, w.Code, w.Header().Get("Content-Type"), tt.status, tt.want, w.Body)
			}
			if w.Code == http.StatusSeeOther && !strings.HasPrefix(w.Header().Get("Location"), "/t/blog?") {
				t.Errorf("%s %s (%v) goes back to %q, not the thread page", tt.method, tt.path, caller, w.Header().Get("Location"))
			}
		}
	}
	// The thread page shows the published thread's comments and never an author's email.
	if body := e.Do(httpapitest.Nobody, "GET", "/t/blog?thread=/p", "", "").Body.String(); strings.Contains(body, "reader@example.org") {
		t.Error("the thread page shows an author's email")
	}
}
