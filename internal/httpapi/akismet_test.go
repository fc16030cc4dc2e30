package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// akismetCall posts an Akismet form to path on host, from the address the test
// clients use.
func akismetCall(e *httpapitest.Env, host, path string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://"+host+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = "198.51.100.7:4321"
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, r)
	return w
}

// comment is an Akismet comment-check form on the test site "blog".
func akismetComment(author, content string) url.Values {
	return url.Values{
		"blog": {"https://blog.example/"}, "user_ip": {"203.0.113.5"}, "user_agent": {"Mozilla/5.0 (X11; Linux x86_64)"},
		"referrer": {"https://blog.example/"}, "permalink": {"https://blog.example/2024/hello/"}, "comment_type": {"comment"},
		"comment_author": {author}, "comment_author_email": {"reader@example.org"}, "comment_content": {content},
	}
}

// TestAkismetAPI answers the Akismet-compatible API as Akismet's clients expect, on
// both engines: a key issued for a site (through the admin API) verifies with the
// site's own blog URL, in a form field or in the host's first label; comment-check
// says "false" for a reader's comment and "true" with the pro tip "discard" for
// Akismet's guaranteed-spam author, storing nothing; reports teach the site's
// classifier once per author and text, and a contrary report moves the lesson;
// wrong keys answer "invalid", are counted per address and refused past the guard's
// limit, while the right key still works; a revoked key is invalid.
func TestAkismetAPI(t *testing.T) {
	for _, engine := range sqlstoretest.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			e := httpapitest.NewOn(t, engine.DSN(t))
			body := func(w *httptest.ResponseRecorder) string { return w.Body.String() }
			help := func(w *httptest.ResponseRecorder) string { return w.Header().Get("X-akismet-debug-help") }

			// No key yet: a key-shaped guess is invalid.
			w := akismetCall(e, "winnow.test", "/1.1/verify-key", url.Values{"key": {"abcdef012345"}, "blog": {"https://blog.example/"}})
			if w.Code != http.StatusOK || body(w) != "invalid" || help(w) == "" {
				t.Fatalf("verify-key before any key: %d %q %q", w.Code, body(w), help(w))
			}

			issued := e.Do(httpapitest.Token, "POST", "/api/v1/admin/sites/blog/akismet-key", "", "")
			if issued.Code != http.StatusCreated {
				t.Fatalf("issue key: %d %s", issued.Code, issued.Body)
			}
			var got struct{ Key string }
			if err := json.Unmarshal(issued.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			key := got.Key
			if len(key) != 12 || strings.Trim(key, "0123456789abcdef") != "" {
				t.Fatalf("key %q: want 12 lowercase hexadecimal digits", key)
			}
			if w := e.Do(httpapitest.Nobody, "POST", "/api/v1/admin/sites/blog/akismet-key", "", ""); w.Code != http.StatusUnauthorized {
				t.Errorf("issue key signed out: %d", w.Code)
			}

			for _, tt := range []struct {
				name, host string
				form       url.Values
				want, help string
			}{
				{"key field", "winnow.test", url.Values{"key": {key}, "blog": {"https://blog.example/"}}, "valid", ""},
				{"api_key field", "winnow.test", url.Values{"api_key": {key}, "blog": {"https://blog.example"}}, "valid", ""},
				{"key in the host", key + ".rest.winnow.test:8080", url.Values{"blog": {"https://blog.example/"}}, "valid", ""},
				{"another blog", "winnow.test", url.Values{"key": {key}, "blog": {"https://other.example/"}}, "invalid", "blog"},
				{"no blog", "winnow.test", url.Values{"key": {key}}, "invalid", "blog: required"},
				{"no key", "winnow.test", url.Values{"blog": {"https://blog.example/"}}, "invalid", "api_key: required"},
			} {
				w := akismetCall(e, tt.host, "/1.1/verify-key", tt.form)
				if w.Code != http.StatusOK || body(w) != tt.want || !strings.Contains(help(w), tt.help) {
					t.Errorf("verify-key, %s: %d %q %q, want %q %q", tt.name, w.Code, body(w), help(w), tt.want, tt.help)
				}
			}

			before := e.Do(httpapitest.Token, "GET", "/api/v1/admin/comments?status=all", "", "").Body.String()
			host := key + ".rest.winnow.test"
			ham := akismetCall(e, host, "/1.1/comment-check", akismetComment("Ann Reader", "Thanks for the clear explanation of the migration steps."))
			if body(ham) != "false" || ham.Header().Get("X-akismet-pro-tip") != "" || len(ham.Header().Get("X-akismet-guid")) != 36 {
				t.Errorf("comment-check of a reader's comment: %q, headers %v", body(ham), ham.Header())
			}
			spamCheck := akismetCall(e, host, "/1.1/comment-check", akismetComment("viagra-test-123", "Hello there."))
			if body(spamCheck) != "true" || spamCheck.Header().Get("X-akismet-pro-tip") != "discard" {
				t.Errorf("comment-check of the guaranteed-spam author: %q, headers %v", body(spamCheck), spamCheck.Header())
			}
			admin := akismetComment("viagra-test-123", "Hello there.")
			admin.Set("user_role", "administrator")
			if w := akismetCall(e, host, "/1.1/comment-check", admin); body(w) != "false" {
				t.Errorf("comment-check of an administrator: %q", body(w))
			}
			noIP := akismetComment("Ann Reader", "Hi.")
			noIP.Del("user_ip")
			if w := akismetCall(e, host, "/1.1/comment-check", noIP); body(w) != "invalid" || !strings.Contains(help(w), "user_ip") {
				t.Errorf("comment-check without user_ip: %q %q", body(w), help(w))
			}
			// WordPress takes longer comments than winnow: the check reads the first part,
			// and answers.
			long := akismetComment("Ann Reader", strings.Repeat("A long and thoughtful comment about the post. ", 400))
			if w := akismetCall(e, host, "/1.1/comment-check", long); body(w) != "false" && body(w) != "true" {
				t.Errorf("comment-check of a text over winnow's limit: %q %q", body(w), help(w))
			}
			if after := e.Do(httpapitest.Token, "GET", "/api/v1/admin/comments?status=all", "", "").Body.String(); after != before {
				t.Errorf("comment-check stored something:\nbefore %s\nafter  %s", before, after)
			}

			// Reports teach the site's classifier once per author and text.
			docs := func() (int, int) { return e.Model.Classifier("blog").Documents() }
			s0, h0 := docs()
			report := akismetComment("Pill Seller", "Cheap pills without prescription, order now at our shop")
			for range 2 {
				if w := akismetCall(e, host, "/1.1/submit-spam", report); w.Code != http.StatusOK || body(w) != "Thanks for making the web a better place." {
					t.Fatalf("submit-spam: %d %q %q", w.Code, body(w), help(w))
				}
			}
			if s, h := docs(); s != s0+1 || h != h0 {
				t.Errorf("after submit-spam twice: %d spam %d ham, want %d %d", s, h, s0+1, h0)
			}
			if w := akismetCall(e, host, "/1.1/submit-ham", report); body(w) != "Thanks for making the web a better place." {
				t.Fatalf("submit-ham: %q %q", body(w), help(w))
			}
			if s, h := docs(); s != s0 || h != h0+1 {
				t.Errorf("after submit-ham of the same text: %d spam %d ham, want %d %d", s, h, s0, h0+1)
			}
			test := akismetComment("Someone Else", "Another text entirely, sent as a test")
			test.Set("is_test", "1")
			if w := akismetCall(e, host, "/1.1/submit-spam", test); body(w) != "Thanks for making the web a better place." {
				t.Errorf("submit-spam, test: %q", body(w))
			}
			if s, h := docs(); s != s0 || h != h0+1 {
				t.Errorf("a test report taught: %d spam %d ham", s, h)
			}
			empty := akismetComment("Someone", "")
			if w := akismetCall(e, host, "/1.1/submit-spam", empty); body(w) != "invalid" || !strings.Contains(help(w), "comment_content") {
				t.Errorf("submit-spam without text: %q %q", body(w), help(w))
			}

			// Wrong keys are counted per address, then refused; the right key is not.
			limited := false
			for i := range 30 {
				w := akismetCall(e, fmt.Sprintf("%012x.rest.winnow.test", i), "/1.1/comment-check", akismetComment("Ann", "Hi."))
				if w.Code == http.StatusTooManyRequests {
					if w.Header().Get("Retry-After") == "" {
						t.Errorf("429 without Retry-After")
					}
					limited = true
					break
				}
				if body(w) != "invalid" {
					t.Fatalf("comment-check with a wrong key: %d %q", w.Code, body(w))
				}
			}
			if !limited {
				t.Errorf("30 wrong keys from one address were never refused")
			}
			if w := akismetCall(e, host, "/1.1/comment-check", akismetComment("Ann Reader", "Still here.")); body(w) != "false" {
				t.Errorf("the right key after wrong ones: %d %q", w.Code, body(w))
			}

			if w := e.Do(httpapitest.Token, "DELETE", "/api/v1/admin/sites/blog/akismet-key", "", ""); w.Code != http.StatusNoContent {
				t.Fatalf("revoke: %d %s", w.Code, w.Body)
			}
			if w := akismetCall(e, "winnow.test", "/1.1/verify-key", url.Values{"key": {key}, "blog": {"https://blog.example/"}}); body(w) != "invalid" && w.Code != http.StatusTooManyRequests {
				t.Errorf("verify-key with a revoked key: %d %q", w.Code, body(w))
			}
			if w := e.Do(httpapitest.Token, "DELETE", "/api/v1/admin/sites/blog/akismet-key", "", ""); w.Code != http.StatusNotFound {
				t.Errorf("revoke twice: %d", w.Code)
			}
			if w := akismetCall(e, "winnow.test", "/1.1/comment-check", url.Values{}); w.Code != http.StatusOK && w.Code != http.StatusTooManyRequests {
				t.Errorf("empty form: %d", w.Code)
			}
		})
	}
}
