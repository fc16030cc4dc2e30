package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// discardWriter is the cheapest http.ResponseWriter: the handler's header map is
// cleared between requests and the body dropped, so a benchmark's allocations are the
// handler chain's own, not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkThreadRead measures the public read of a 100-comment thread through the
// whole handler chain (request id, observation, routing, CORS, thread and page
// caches, ETag, headers) as a browser sends it, with the page already cached: the
// per-request cost that is left once nothing is read or encoded. The requests are
// built once, so the allocations counted are the handler's.
func BenchmarkThreadRead(b *testing.B) {
	e := httpapitest.New(b)
	if w := e.Do(httpapitest.Token, http.MethodPatch, "/api/v1/admin/sites/blog", "", `{"policy": "none", "max_links": 0}`); w.Code != http.StatusOK {
		b.Fatalf("site: %d %s", w.Code, w.Body)
	}
	for i := range 100 {
		body := fmt.Sprintf(`{"thread": "/big", "author_name": "Reader %d", "author_email": "r%d@example.org", "body": "Comment %d says something of its own about the post, number %d."}`, i, i, i, i*7919)
		if w := e.Do(httpapitest.Nobody, http.MethodPost, "/api/v1/sites/blog/comments", "", body); w.Code != http.StatusCreated {
			b.Fatalf("seed %d: %d %s", i, w.Code, w.Body)
		}
	}
	const path = "/api/v1/sites/blog/comments?thread=/big&sort=oldest&limit=100"
	first := e.Do(httpapitest.Nobody, http.MethodGet, path, "", "")
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" {
		b.Fatalf("first read: %d %q", first.Code, etag)
	}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"gzip", map[string]string{"Accept-Encoding": "gzip, deflate, br", "Origin": "https://blog.example"}, http.StatusOK},
		{"not-modified", map[string]string{"Accept-Encoding": "gzip, deflate, br", "Origin": "https://blog.example", "If-None-Match": etag}, http.StatusNotModified},
		{"plain", map[string]string{"Origin": "https://blog.example"}, http.StatusOK},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest(http.MethodGet, path, nil)
				r.RemoteAddr = "192.0.2.9:1234"
				for k, v := range tc.headers {
					r.Header.Set(k, v)
				}
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					clear(w.h)
					w.status = 0
					e.Handler.ServeHTTP(w, r)
					if w.status != tc.want {
						b.Fatalf("status %d, want %d", w.status, tc.want)
					}
				}
			})
		})
	}
}
