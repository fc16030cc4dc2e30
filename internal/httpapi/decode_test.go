package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/comment"
)

func TestDecodeJSONNamesTheProblem(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"syntax error", `{"thread":`, 400, ""},
		{"wrong type names the field", `{"parent_id":"x"}`, 400, "parent_id"},
		{"array instead of object", `[1]`, 400, ""},
		{"trailing garbage", `{} x`, 400, ""},
		{"empty", ``, 400, ""},
		{"too large", `{"body":"` + strings.Repeat("a", 2000) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			r.Body = http.MaxBytesReader(rec, r.Body, 1024)
			var sub comment.Submission
			err := decodeJSON(r, &sub)
			var he *httpError
			if !errors.As(err, &he) || he.status != tt.status {
				t.Fatalf("err = %v, want status %d", err, tt.status)
			}
			if tt.field != "" && he.fields[tt.field] == "" {
				t.Errorf("fields %v do not name %s", he.fields, tt.field)
			}
		})
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
		if (want == 0) != (err == nil) || err != nil && (!errors.As(err, &he) || he.status != want) {
			t.Errorf("%q: %v", ct, err)
		}
	}
}

// FuzzDecodeSubmission feeds arbitrary bodies to the submission decoder: it must never
// panic and must answer every failure with a 4xx the client can read.
func FuzzDecodeSubmission(f *testing.F) {
	for _, s := range []string{`{}`, `{"thread":"/p","parent_id":1}`, `{"parent_id":1e99}`, `[`, `"\ud800"`, `{"body":"\u0000"}`} {
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
			var he *httpError
			if !errors.As(err, &he) || he.status < 400 || he.status > 499 {
				t.Fatalf("decode error %v is not a client error", err)
			}
			return
		}
		sub.Normalize()
		_ = sub.Validate() // must not panic on anything decoded
	})
}
