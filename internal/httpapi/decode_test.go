package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/winnow/winnow/internal/comment"
)

// answer writes a decoding error through the server's one error table, as a handler
// would, and returns the status and the error's fields.
func answer(t *testing.T, err error) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	(&server{}).writeError(rec, httptest.NewRequest("POST", "/", nil), err)
	var body struct {
		Error struct {
			Code, Message string
			Fields        map[string]string
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("not a JSON error (%v): %s", err, rec.Body)
	}
	return rec.Code, body.Error.Fields
}

func TestDecodeJSONNamesTheProblem(t *testing.T) {
	submission := func() any { return &comment.Submission{} }
	site := func() any { return &siteBody{} }
	user := func() any { return &newUserBody{} }
	text := func() any { return &textBody{} }
	tests := []struct {
		name    string
		into    func() any
		body    string
		status  int
		field   string // the field named, if any
		message string // its message, if given
	}{
		{"syntax error", submission, `{"thread":`, 400, "", ""},
		{"wrong type names the field", submission, `{"parent_id":"x"}`, 400, "parent_id", "must be a number"},
		{"a fraction for an id", submission, `{"parent_id":1.5}`, 400, "parent_id", "must be a number"},
		{"array instead of object", submission, `[1]`, 400, "", ""},
		{"a string instead of an object", submission, `"\ud800"`, 400, "", ""},
		{"trailing garbage", submission, `{} x`, 400, "", ""},
		{"two objects", submission, `{} {}`, 400, "", ""},
		{"empty", submission, ``, 400, "", ""},
		{"only space", submission, "  \n", 400, "", ""},
		{"too large", submission, `{"body":"` + strings.Repeat("a", 2000) + `"}`, 413, "", ""},
		{"a bad escape", submission, `{"body":"\x41"}`, 400, "", ""},

		// Text that is not Unicode is refused, naming the field, as the form path does.
		{"invalid UTF-8 in a name", submission, "{\"author_name\":\"Ann\xff\"}", 422, "author_name", "must be valid UTF-8"},
		{"a cut multi-byte character", submission, "{\"body\":\"caf\xc3\"}", 422, "body", "must be valid UTF-8"},
		{"an overlong encoding", submission, "{\"body\":\"\xc0\xaf\"}", 422, "body", "must be valid UTF-8"},
		{"an encoded surrogate", submission, "{\"body\":\"\xed\xa0\x80\"}", 422, "body", "must be valid UTF-8"},
		{"a lone high surrogate escape", submission, `{"body":"a\ud800b"}`, 422, "body", "must be valid UTF-8"},
		{"a lone high surrogate at the end", submission, `{"body":"\ud83d"}`, 422, "body", "must be valid UTF-8"},
		{"a lone low surrogate escape", submission, `{"author_name":"\udc00"}`, 422, "author_name", "must be valid UTF-8"},
		{"a reversed surrogate pair", submission, `{"body":"\ude00\ud83d"}`, 422, "body", "must be valid UTF-8"},
		{"a high surrogate before a letter", submission, `{"body":"\ud83d\u0041"}`, 422, "body", "must be valid UTF-8"},
		{"in an unknown member", submission, `{"nickname":"\udfff"}`, 422, "nickname", "must be valid UTF-8"},
		{"in a member name", submission, "{\"body\xff\":\"x\"}", 400, "", ""},
		{"nested: a rate limit's period", site, `{"rate_limits":{"ip":{"period":"\udfff"}}}`, 422, "rate_limits.ip.period", "must be valid UTF-8"},
		{"in an array: one of the origins", site, "{\"origins\":[\"https://a.example\",\"\xfe\"]}", 422, "origins", "must be valid UTF-8"},
		{"a user's email", user, `{"email":"a\ud800@example.org"}`, 422, "email", "must be valid UTF-8"},
		{"a moderator's edit", text, "{\"body\":\"\x80\"}", 422, "body", "must be valid UTF-8"},

		// A member given twice is refused rather than resolved silently to one of them.
		{"a member named twice", submission, `{"body":"kind words","body":"spam"}`, 400, "body", "given more than once"},
		{"a member named twice in two cases", submission, `{"body":"kind words","BODY":"spam"}`, 400, "BODY", "given more than once"},
		{"nested wrong type", site, `{"rate_limits":{"ip":5}}`, 400, "rate_limits.ip", "must be an object"},
		{"an array of the wrong type", site, `{"origins":[1]}`, 400, "origins", "must be a string"},
		{"a number for a list", user, `{"sites":7}`, 400, "sites", "must be an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			r.Body = http.MaxBytesReader(rec, r.Body, 1024)
			err := decodeJSON(r, tt.into())
			if err == nil {
				t.Fatalf("accepted, want %d", tt.status)
			}
			status, fields := answer(t, err)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%v)", status, tt.status, err)
			}
			if tt.field == "" && len(fields) != 0 {
				t.Errorf("fields %v, want none", fields)
			}
			if tt.field != "" && (fields[tt.field] == "" || tt.message != "" && fields[tt.field] != tt.message) {
				t.Errorf("fields %v, want %s: %s", fields, tt.field, tt.message)
			}
		})
	}
}

// TestDecodeJSONKeepsEncodingJSONRules: apart from the refusals above, bodies decode as
// encoding/json decoded them: names match without regard to case, unknown members are
// ignored, null leaves a field alone, escapes and valid pairs are text.
func TestDecodeJSONKeepsEncodingJSONRules(t *testing.T) {
	tests := []struct {
		body string
		want comment.Submission
	}{
		{`{"author_name":"Ann","body":"hi"}`, comment.Submission{AuthorName: "Ann", Body: "hi"}},
		{`{"Author_Name":"Ann","BODY":"hi"}`, comment.Submission{AuthorName: "Ann", Body: "hi"}},
		{`{"authorname":"Ann","author-name":"Bo"}`, comment.Submission{}}, // "_" is not folded away, as in encoding/json
		{`{"nickname":"x","extra":{"a":[1,2]},"body":"hi"}`, comment.Submission{Body: "hi"}},
		{`{"body":null,"parent_id":null}`, comment.Submission{}},
		{`{"parent_id":12}`, comment.Submission{ParentID: 12}},
		{`{"body":"\ud83e\udd8a \u00e9\n\"q\""}`, comment.Submission{Body: "🦊 é\n\"q\""}},
		{"{\"body\":\"caf\u00e9 \u202e\"} \n", comment.Submission{Body: "café \u202e"}},
		{` {"body":"a"}`, comment.Submission{Body: "a"}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		var got comment.Submission
		if err := decodeJSON(r, &got); err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.body, got, tt.want)
		}
	}
	var site siteBody
	r := httptest.NewRequest("PATCH", "/", strings.NewReader(`{"name":"Blog","rate_limits":{"ip":null,"thread":{"count":2,"period":"1m","burst":1}},"max_links":0}`))
	r.Header.Set("Content-Type", "application/json")
	if err := decodeJSON(r, &site); err != nil {
		t.Fatal(err)
	}
	if ip, ok := site.RateLimits["ip"]; !ok || ip != nil || site.RateLimits["thread"].Count != 2 || site.MaxLinks == nil || *site.MaxLinks != 0 || *site.Name != "Blog" || site.Origins != nil {
		t.Errorf("site body %+v", site)
	}
}

// TestDecodeSubmissionRefusesRepeatedFields: a form field given twice is a 400
// naming it, as a JSON member named twice is, not silently its first copy.
func TestDecodeSubmissionRefusesRepeatedFields(t *testing.T) {
	for body, field := range map[string]string{
		`{"body":"ham","body":"spam"}`:                "body",
		"body=ham&body=spam":                          "body",
		"thread=%2Fp&author_name=a&author_name=b":     "author_name",
		"website=&website=x":                          "website",
		"thread=%2Fp&body=hi&parent_id=1&parent_id=2": "parent_id",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if strings.HasPrefix(body, "{") {
			r.Header.Set("Content-Type", "application/json")
		}
		_, _, err := decodeSubmission(r)
		if err == nil {
			t.Errorf("%s: accepted", body)
			continue
		}
		if status, fields := answer(t, err); status != http.StatusBadRequest || fields[field] != "given more than once" {
			t.Errorf("%s: %d %v, want 400 naming %s", body, status, fields, field)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader("thread=%2Fp&body=hi&unknown=1&unknown=2"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, _, err := decodeSubmission(r); err != nil {
		t.Errorf("a repeated field that is not a submission's: %v", err)
	}
}

func TestRequestKindRefusesOtherMediaTypes(t *testing.T) {
	for ct, want := range map[string]int{
		"application/json; charset=utf-8":   0,
		"application/x-www-form-urlencoded": 0,
		"text/plain":                        415,
		"":                                  415,
		"multipart/form-data; boundary=x":   415,
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Content-Type", ct)
		_, err := requestKind(r, true)
		var he *httpError
		if (want == 0) != (err == nil) || err != nil && (!errors.As(err, &he) || he.Status != want) {
			t.Errorf("%q: %v", ct, err)
		}
	}
}

// FuzzDecodeSubmission feeds arbitrary bodies to the submission decoder: it must never
// panic and must answer every failure with a 4xx the client can read.
func FuzzDecodeSubmission(f *testing.F) {
	for _, s := range []string{`{}`, `{"thread":"/p","parent_id":1}`, `{"parent_id":1e99}`, `[`, `"\ud800"`, `{"body":"\u0000"}`,
		"{\"author_name\":\"\xff\"}", "{\"body\":\"caf\xc3\"}", `{"body":"\ud800"}`, `{"body":"\udc00\ud800"}`,
		`{"author_name":"\ud83d\u0041"}`, `{"body":"a","BODY":"b"}`, "author_name=%FF&body=%ED%A0%80",
		`{"author_name":"\u200b","body":"\u202e\u2800"}`} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, body string, asJSON bool) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		if asJSON {
			r.Header.Set("Content-Type", "application/json")
		} else {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		r.Body = http.MaxBytesReader(rec, r.Body, 4096)
		sub, _, err := decodeSubmission(r)
		if err != nil {
			if status, _ := answer(t, err); status < 400 || status > 499 {
				t.Fatalf("decode error %v is answered %d, not as a client error", err, status)
			}
			return
		}
		if asJSON {
			// Whatever the JSON decoder lets through is Unicode text: never a string
			// mended to U+FFFD behind the client's back, nor bytes left as they came.
			for _, v := range []string{sub.Thread, sub.ThreadURL, sub.ThreadTitle, sub.AuthorName, sub.AuthorEmail,
				sub.AuthorURL, sub.Body, sub.Honeypot, sub.FormToken} {
				if !utf8.ValidString(v) {
					t.Fatalf("decoded invalid UTF-8 %+q from %+q", v, body)
				}
				if strings.ContainsRune(v, utf8.RuneError) && !strings.Contains(body, "\uFFFD") &&
					!strings.Contains(strings.ToLower(body), `\ufffd`) {
					t.Fatalf("decoded U+FFFD in %+q from %+q, which holds none", v, body)
				}
			}
		}
		sub.Normalize()
		_ = sub.Validate() // must not panic on anything decoded
	})
}
