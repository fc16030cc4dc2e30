package pages

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAssets(t *testing.T) {
	a, err := newAssets(catalogs(t))
	if err != nil {
		t.Fatal(err)
	}
	js := a.byName["embed.js"]
	if bytes.Contains(js.body, []byte(cssPlaceholder)) || !bytes.Contains(js.body, []byte("--winnow-accent")) {
		t.Fatal("embed.js does not carry embed.css")
	}
	if !strings.HasPrefix(a.url("embed.js"), "/static/embed.") || !strings.HasSuffix(a.url("embed.js"), ".js") {
		t.Fatalf("hashed URL %q", a.url("embed.js"))
	}
	if total := len(js.gz); total > 15*1024 {
		t.Errorf("embed.js (with embed.css) is %d bytes gzipped, over 15 KB", total)
	}
	t.Logf("gzipped: embed.js %d bytes (embed.css inside), embed.css %d, count.js %d", len(js.gz), len(a.byName["embed.css"].gz), len(a.byName["count.js"].gz))

	r := httptest.NewRequest("GET", "/embed.js", nil)
	r.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
	w := httptest.NewRecorder()
	a.plain("embed.js")(w, r)
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" ||
		w.Header().Get("Cache-Control") != plainCache || !strings.Contains(w.Header().Get("Link"), a.url("embed.js")) {
		t.Fatalf("headers %v", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, js.body) {
		t.Fatal("gzipped body differs")
	}
	r = httptest.NewRequest("GET", "/embed.css", nil)
	r.Header.Set("If-None-Match", a.byName["embed.css"].etag)
	w = httptest.NewRecorder()
	a.plain("embed.css")(w, r)
	if w.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", w.Code)
	}
}

func TestTheFaviconIsServed(t *testing.T) {
	p, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	p.Asset("favicon.svg")(w, httptest.NewRequest("GET", "/favicon.ico", nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(w.Body.String(), "<svg") {
		t.Errorf("favicon: %d %q %.40q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}
