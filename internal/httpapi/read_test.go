package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// TestThreadReadHeaders pins every header of the public thread read, field by field
// and value by value, for a browser on the site (gzip, CORS), a client that refuses
// gzip, a revalidation (304), a page on another origin, and refused reads. The read
// is the hottest route and its handler sets its headers by hand for speed; whatever
// that saves must not change a byte a client or a CDN sees.
func TestThreadReadHeaders(t *testing.T) {
	e := httpapitest.New(t)
	const (
		path         = "/api/v1/sites/blog/comments?thread=/p"
		origin       = "https://blog.example"
		cacheControl = "public, max-age=0, s-maxage=5, stale-while-revalidate=30"
		expose       = "ETag, Retry-After, Idempotent-Replayed, X-Request-Id"
		jsonType     = "application/json; charset=utf-8"
		requestID    = "req-1.a_B"
	)
	read := func(p string, h map[string]string) *http.Response {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, p, nil)
		r.Header.Set("X-Request-Id", requestID)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		e.Handler.ServeHTTP(w, r)
		return w.Result()
	}
	body := func(res *http.Response) []byte {
		t.Helper()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// The first read renders the page; the ones below are served from the cache.
	first := read(path, nil)
	plain := body(first)
	etag := first.Header.Get("ETag")
	zipped := read(path, map[string]string{"Accept-Encoding": "gzip"})
	gz := body(zipped)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, err := io.ReadAll(zr); err != nil || !bytes.Equal(unzipped, plain) {
		t.Fatalf("the gzip body is not the plain body: %v", err)
	}

	cors := http.Header{"Access-Control-Allow-Origin": {origin}, "Access-Control-Expose-Headers": {expose}}
	page := func(length int, encoding string, extra http.Header) http.Header {
		h := http.Header{
			"Cache-Control": {cacheControl}, "Content-Length": {strconv.Itoa(length)}, "Content-Type": {jsonType},
			"Etag": {etag}, "Vary": {"Origin", "Accept-Encoding"}, "X-Content-Type-Options": {"nosniff"},
			"X-Request-Id": {requestID},
		}
		if encoding != "" {
			h["Content-Encoding"] = []string{encoding}
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	notModified := func(extra http.Header) http.Header {
		h := http.Header{"Cache-Control": {cacheControl}, "Etag": {etag}, "Vary": {"Origin", "Accept-Encoding"}, "X-Request-Id": {requestID}}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	refused := func(extra http.Header) http.Header {
		h := http.Header{"Content-Type": {jsonType}, "Vary": {"Origin"}, "X-Content-Type-Options": {"nosniff"}, "X-Request-Id": {requestID}}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		status  int
		want    http.Header
		body    []byte // nil: not compared
	}{
		{"browser on the site", path, map[string]string{"Accept-Encoding": "gzip, deflate, br", "Origin": origin},
			http.StatusOK, page(len(gz), "gzip", cors), gz},
		{"browser elsewhere", path, map[string]string{"Accept-Encoding": "gzip", "Origin": "https://other.example"},
			http.StatusOK, page(len(gz), "gzip", nil), gz},
		{"refuses gzip", path, map[string]string{"Accept-Encoding": "gzip;q=0, identity", "Origin": origin},
			http.StatusOK, page(len(plain), "", cors), plain},
		{"no Accept-Encoding", path, nil, http.StatusOK, page(len(plain), "", nil), plain},
		{"revalidation", path, map[string]string{"Accept-Encoding": "gzip", "Origin": origin, "If-None-Match": etag},
			http.StatusNotModified, notModified(cors), []byte{}},
		{"revalidation, strong tag, no origin", path, map[string]string{"If-None-Match": `"x", ` + etag[2:]},
			http.StatusNotModified, notModified(nil), []byte{}},
		{"stale tag", path, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": `W/"stale"`},
			http.StatusOK, page(len(gz), "gzip", nil), gz},
		{"no thread", "/api/v1/sites/blog/comments", map[string]string{"Origin": origin},
			http.StatusBadRequest, refused(cors), nil},
		{"no such site", "/api/v1/sites/nosuch/comments?thread=/p", map[string]string{"Origin": origin},
			http.StatusNotFound, http.Header{"Content-Type": {jsonType}, "X-Content-Type-Options": {"nosniff"}, "X-Request-Id": {requestID}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := read(tt.path, tt.headers)
			got := body(res)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, got)
			}
			if !reflect.DeepEqual(res.Header, tt.want) {
				t.Errorf("headers\n got %q\nwant %q", res.Header, tt.want)
			}
			if tt.body != nil && !bytes.Equal(got, tt.body) {
				t.Errorf("body of %d bytes differs from the expected %d", len(got), len(tt.body))
			}
		})
	}

	// A request without a usable id gets a fresh one, of 16 hex digits.
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("X-Request-Id", "not allowed!")
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, r)
	if id := w.Header().Get("X-Request-Id"); len(id) != 16 || id == "not allowed!" {
		t.Errorf("X-Request-Id %q, want 16 fresh hex digits", id)
	}
}

// TestObserveLabels counts requests by route template, method and status, and
// times them by route, as /metrics shows them: a route's series appear once it has
// been asked, requests no route took count as "unmatched", and an unknown method as
// OTHER.
func TestObserveLabels(t *testing.T) {
	e := httpapitest.New(t)
	for range 2 {
		e.Do(httpapitest.Nobody, http.MethodGet, "/api/v1/sites/blog/comments?thread=/p", "", "")
	}
	e.Do(httpapitest.Nobody, http.MethodGet, "/api/v1/sites/blog/comments", "", "")
	e.Do(httpapitest.Nobody, http.MethodGet, "/api/v1/nothing", "", "")
	e.Do(httpapitest.Token, http.MethodPut, "/api/v1/admin/sites", "", "")
	e.Do(httpapitest.Token, "BREW", "/api/v1/admin/sites", "", "")
	w := e.Do(httpapitest.Nobody, http.MethodGet, "/metrics", "", "")
	got := w.Body.String()
	for _, want := range []string{
		`winnow_http_requests_total{code="200",method="GET",route="/api/v1/sites/{site}/comments"} 2`,
		`winnow_http_requests_total{code="400",method="GET",route="/api/v1/sites/{site}/comments"} 1`,
		`winnow_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`winnow_http_requests_total{code="405",method="PUT",route="unmatched"} 1`,
		`winnow_http_requests_total{code="405",method="OTHER",route="unmatched"} 1`,
		`winnow_http_request_duration_seconds_count{route="/api/v1/sites/{site}/comments"} 3`,
		`winnow_http_request_duration_seconds_count{route="unmatched"} 3`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(got, `route="/api/v1/admin/bans"`) {
		t.Error("/metrics lists a route nobody asked")
	}
}

// TestThreadReadQuery names every parameter at fault in one answer, and reads the
// query as url.ParseQuery does (the first well-formed value of each name).
func TestThreadReadQuery(t *testing.T) {
	e := httpapitest.New(t)
	tests := []struct {
		query  string
		status int
		fields string // the error's fields, as JSON
	}{
		{"thread=/p", http.StatusOK, ""},
		{"thread=/p&sort=newest&limit=200&cursor=0", http.StatusOK, ""},
		{"thread=%2Fp&limit=%zz&limit=5&sort=oldest;x", http.StatusOK, ""},
		{"", http.StatusBadRequest, `{"thread":"required, at most 512 characters"}`},
		{"thread=/p&sort=up&limit=0&cursor=x", http.StatusBadRequest,
			`{"cursor":"not a cursor from a previous page","limit":"must be a whole number from 1 to 200","sort":"must be oldest or newest"}`},
	}
	for _, tt := range tests {
		w := e.Do(httpapitest.Nobody, http.MethodGet, "/api/v1/sites/blog/comments?"+tt.query, "", "")
		if w.Code != tt.status {
			t.Errorf("?%s: %d, want %d: %s", tt.query, w.Code, tt.status, w.Body)
			continue
		}
		if tt.fields == "" {
			continue
		}
		var got struct {
			Error struct {
				Fields json.RawMessage `json:"fields"`
			} `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || string(got.Error.Fields) != tt.fields {
			t.Errorf("?%s: fields %s, want %s (%v)", tt.query, got.Error.Fields, tt.fields, err)
		}
	}
}
