package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestJourneyTextThatIsNotWhatItShows is the attack test of issue 10 (items 5 and 6)
// through every way text comes in: JSON and form submissions, the author's edit, a
// moderator's edit and reply, a site's settings. Text that is not Unicode, shows
// nothing, or hides a direction override is refused naming the field; what is stored
// is in NFC, with the overrides gone from bodies.
func TestJourneyTextThatIsNotWhatItShows(t *testing.T) {
	const jsonType, formType = "application/json", "application/x-www-form-urlencoded"
	raw := func(name, body string) string {
		return `{"thread":"/p","author_name":"` + name + `","author_email":"ann@example.org","body":"` + body + `"}`
	}
	refused := []struct {
		name, body, ctype, field, message string
	}{
		{"invalid UTF-8 in a JSON name", raw("Ann\xff", "hi"), jsonType, "author_name", "must be valid UTF-8"},
		{"a cut character in a JSON body", raw("Ann", "caf\xc3"), jsonType, "body", "must be valid UTF-8"},
		{"a lone surrogate in a JSON body", raw("Ann", `\ud800`), jsonType, "body", "must be valid UTF-8"},
		{"a lone low surrogate in a JSON name", raw(`\udc00`, "hi"), jsonType, "author_name", "must be valid UTF-8"},
		{"a name of a zero-width space", raw(`\u200b`, "hi"), jsonType, "author_name", "must contain a visible character"},
		{"a name of Hangul fillers", raw("\u3164\u3164", "hi"), jsonType, "author_name", "must contain a visible character"},
		{"a name of a zero-width joiner", raw(`\u200d`, "hi"), jsonType, "author_name", "must contain a visible character"},
		{"a name with a right-to-left override", raw(`admin\u202etxt.exe`, "hi"), jsonType, "author_name",
			"must not contain text direction controls (U+202A-U+202E, U+2066-U+2069)"},
		{"a body of a byte order mark", raw("Ann", `\ufeff`), jsonType, "body", "must contain a visible character"},
		{"a body of blank Braille", raw("Ann", "\u2800"), jsonType, "body", "must contain a visible character"},
		{"a body of an override alone", raw("Ann", `\u202e`), jsonType, "body", "required"},
		{"a name of a combining mark alone", raw(`\u0301\u0336`, "hi"), jsonType, "author_name", "must contain a visible character"},
		// Visible source, invisible rendering: character references and empty markup.
		{"a body of a zero-width space by reference", raw("Ann", "&#8203;"), jsonType, "body", "must contain a visible character"},
		{"a body of an empty heading and quote", raw("Ann", `#\n\n>`), jsonType, "body", "must contain a visible character"},
		{"a body of a link without text", raw("Ann", "[](https://spam.example/)"), jsonType, "body", "must contain a visible character"},
		{"a form body of a Hangul filler by reference", "thread=%2Fp&author_name=Ann&author_email=ann%40example.org&body=%26%23x3164%3B", formType,
			"body", "must contain a visible character"},
		{"a form name of a Hangul filler", "thread=%2Fp&author_name=%E3%85%A4&author_email=ann%40example.org&body=hi", formType,
			"author_name", "must contain a visible character"},
		{"a form name with an override", "thread=%2Fp&author_name=a%E2%80%AEb&author_email=ann%40example.org&body=hi", formType,
			"author_name", "must not contain text direction controls (U+202A-U+202E, U+2066-U+2069)"},
		{"a form body of a zero-width space", "thread=%2Fp&author_name=Ann&author_email=ann%40example.org&body=%E2%80%8B", formType,
			"body", "must contain a visible character"},
		{"a form body with an encoded surrogate", "thread=%2Fp&author_name=Ann&author_email=ann%40example.org&body=%ED%A0%80", formType,
			"body", "must be valid UTF-8"},
	}
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		fieldError := func(t *testing.T, r response, status int, field, message string) {
			t.Helper()
			r.must(t, status)
			e, _ := r.json(t)["error"].(map[string]any)
			if f, _ := e["fields"].(map[string]any); f[field] != message {
				t.Errorf("error %v, want %s: %s", e, field, message)
			}
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				r := in.do(req{method: "POST", path: "/api/v1/sites/blog/comments", body: tt.body, ctype: tt.ctype})
				fieldError(t, r, http.StatusUnprocessableEntity, tt.field, tt.message)
			})
		}
		q := in.do(req{method: "GET", path: "/api/v1/admin/comments?status=all", token: in.token}).must(t, http.StatusOK).json(t)
		if n := len(list(q, "comments")); n != 0 {
			t.Fatalf("refused text stored %d comments", n)
		}

		// Accepted: decomposed text is stored composed; overrides leave the body, the
		// right-to-left mark Arabic needs stays.
		a := in.submit("blog", submission("/p", map[string]any{"author_name": "Rene\u0301e",
			"body": "Cafe\u0301: see \u202eadmin txt.exe\u202c and \u2067مرحبا\u200f!\u2069"}), nil).must(t, http.StatusCreated).json(t)
		id, token := int64(num(a, "comment", "id")), a["edit_token"].(string)
		published := func() map[string]any {
			t.Helper()
			th := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK).json(t)
			cs := list(th, "comments")
			if len(cs) != 1 {
				t.Fatalf("thread %v", th)
			}
			return cs[0].(map[string]any)
		}
		c := published()
		if c["author_name"] != "Renée" || c["body_html"] != "<p>Café: see admin txt.exe and مرحبا\u200f!</p>" {
			t.Errorf("published %+q / %+q", c["author_name"], c["body_html"])
		}

		// The author's edit: the same refusals, the same stripping.
		edit := fmt.Sprintf("/api/v1/comments/%d", id)
		authorEdit := func(body string) response {
			return in.do(req{method: "PATCH", path: edit, body: body, ctype: jsonType, headers: map[string]string{"X-Edit-Token": token}})
		}
		fieldError(t, authorEdit(`{"body":"\udfff"}`), http.StatusUnprocessableEntity, "body", "must be valid UTF-8")
		fieldError(t, authorEdit("{\"body\":\"\x80\"}"), http.StatusUnprocessableEntity, "body", "must be valid UTF-8")
		fieldError(t, authorEdit(`{"body":"\u2800\u200b"}`), http.StatusUnprocessableEntity, "body", "must contain a visible character")
		fieldError(t, authorEdit(`{"body":"&nbsp;&#x200b;"}`), http.StatusUnprocessableEntity, "body", "must contain a visible character")
		fieldError(t, authorEdit(`{"body":"a","body":"b"}`), http.StatusBadRequest, "body", "given more than once")
		// A character reference does not bring back what the body rules take out.
		authorEdit(`{"body":"fixed \u2066it\u2069&#x202E;&#8294;&#27;"}`).must(t, http.StatusOK)
		if got := published()["body_html"]; got != "<p>fixed it</p>" {
			t.Errorf("after the author's edit: %+q", got)
		}

		// A moderator's edit and reply, with the admin token.
		admin := fmt.Sprintf("/api/v1/admin/comments/%d", id)
		asAdmin := func(method, path, body string) response {
			return in.do(req{method: method, path: path, body: body, ctype: jsonType, token: in.token})
		}
		fieldError(t, asAdmin("PATCH", admin, "{\"body\":\"ok \xc3\"}"), http.StatusUnprocessableEntity, "body", "must be valid UTF-8")
		fieldError(t, asAdmin("PATCH", admin, `{"body":"\ud83d"}`), http.StatusUnprocessableEntity, "body", "must be valid UTF-8")
		fieldError(t, asAdmin("PATCH", admin, `{"body":"\u200d\ufeff"}`), http.StatusUnprocessableEntity, "body", "must contain a visible character")
		fieldError(t, asAdmin("POST", admin+"/reply", `{"body":"\u3164"}`), http.StatusUnprocessableEntity, "body", "must contain a visible character")
		fieldError(t, asAdmin("PATCH", admin, `{"body":"- \n\n***"}`), http.StatusUnprocessableEntity, "body", "must contain a visible character")
		fieldError(t, asAdmin("POST", admin+"/reply", `{"body":"[ ](https://x.example/)"}`), http.StatusUnprocessableEntity, "body", "must contain a visible character")
		fieldError(t, asAdmin("POST", admin+"/reply", `{"body":"hi","note":"\ud800"}`), http.StatusUnprocessableEntity, "note", "must be valid UTF-8")
		edited, _ := asAdmin("PATCH", admin, `{"body":"Cafe\u0301 \u202eredacted"}`).must(t, http.StatusOK).json(t)["comment"].(map[string]any)
		if edited["body_source"] != "Café redacted" || published()["body_html"] != "<p>Café redacted</p>" {
			t.Errorf("after the moderator's edit: %+q, published %+q", edited["body_source"], published()["body_html"])
		}

		// A site's settings: its name signs the moderators' replies.
		site := "/api/v1/admin/sites/blog"
		fieldError(t, asAdmin("PATCH", site, `{"name":"\ud800"}`), http.StatusUnprocessableEntity, "name", "must be valid UTF-8")
		fieldError(t, asAdmin("PATCH", site, `{"name":"\u200b"}`), http.StatusUnprocessableEntity, "name", "must contain a visible character")
		fieldError(t, asAdmin("PATCH", site, `{"rate_limits":{"ip":{"count":1,"period":"1m\udc00","burst":1}}}`),
			http.StatusUnprocessableEntity, "rate_limits.ip.period", "must be valid UTF-8")
		fieldError(t, asAdmin("POST", "/api/v1/admin/users", "{\"email\":\"x\xff@example.org\",\"role\":\"admin\"}"),
			http.StatusUnprocessableEntity, "email", "must be valid UTF-8")

		if strings.Contains(in.stderr.String(), `"level":"ERROR"`) {
			t.Errorf("bad text made the server log an error:\n%s", in.stderr.String())
		}
	})
}
