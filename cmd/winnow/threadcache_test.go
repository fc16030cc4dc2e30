package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestThreadReadGzipAndCacheHeaders reads a thread as a browser (gzip) and as a client
// that refuses gzip: both get the same JSON under one weak ETag, stored compressed once
// (the same bytes on every read), with the configured CDN lifetimes, Vary on the
// encoding, and a 304 from either encoding's tag.
func TestThreadReadGzipAndCacheHeaders(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["WINNOW_CDN_S_MAXAGE"] = "7s"
		env["WINNOW_CDN_STALE_WHILE_REVALIDATE"] = "11s"
		const cacheControl = "public, max-age=0, s-maxage=7, stale-while-revalidate=11"
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		for i := range 12 { // under the thread limit's burst of 20
			in.submit("blog", submission("/p", map[string]any{"author_email": "r" + strconv.Itoa(i) + "@example.org",
				"body": "Comment number " + strconv.Itoa(i) + ", which says something of its own."}), nil).must(t, http.StatusCreated)
		}
		const path = "/api/v1/sites/blog/comments?thread=/p"
		read := func(encoding, etag string, status int) response {
			t.Helper()
			h := map[string]string{"Accept-Encoding": encoding, "Origin": "https://blog.example"}
			if etag != "" {
				h["If-None-Match"] = etag
			}
			res := in.do(req{method: "GET", path: path, headers: h}).must(t, status)
			if got := res.header.Get("Cache-Control"); got != cacheControl {
				t.Errorf("%s %d: Cache-Control %q, want %q", encoding, status, got, cacheControl)
			}
			if vary := strings.Join(res.header.Values("Vary"), ","); !strings.Contains(vary, "Accept-Encoding") || !strings.Contains(vary, "Origin") {
				t.Errorf("%s %d: Vary %q", encoding, status, vary)
			}
			if tag := res.header.Get("ETag"); !strings.HasPrefix(tag, `W/"`) {
				t.Errorf("%s %d: ETag %q is not weak", encoding, status, tag)
			}
			return res
		}

		// The first read fills the cache (plain), the next ones are served from it.
		plain := read("identity", "", http.StatusOK)
		zipped := read("gzip, deflate, br", "", http.StatusOK)
		again := read("gzip", "", http.StatusOK)
		plainAgain := read("gzip;q=0, identity", "", http.StatusOK)
		if enc := plain.header.Get("Content-Encoding") + plainAgain.header.Get("Content-Encoding"); enc != "" {
			t.Errorf("a client that refuses gzip got Content-Encoding %q", enc)
		}
		if zipped.header.Get("Content-Encoding") != "gzip" || again.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("a browser's read is not gzipped: %q", zipped.header.Get("Content-Encoding"))
		}
		if !bytes.Equal(zipped.body, again.body) {
			t.Error("two reads of one version got different gzip bytes: the page was compressed again")
		}
		if zipped.header.Get("Content-Length") != strconv.Itoa(len(zipped.body)) || plain.header.Get("Content-Length") != strconv.Itoa(len(plain.body)) {
			t.Errorf("Content-Length %s for %d gzip bytes, %s for %d plain", zipped.header.Get("Content-Length"), len(zipped.body),
				plain.header.Get("Content-Length"), len(plain.body))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(unzipped, plain.body) || !bytes.Equal(plainAgain.body, plain.body) {
			t.Error("the gzip body, or the plain body from the cache, differs from the plain body")
		}
		var a, b map[string]any
		if json.Unmarshal(unzipped, &a) != nil || json.Unmarshal(plain.body, &b) != nil || !reflect.DeepEqual(a, b) || len(list(b, "comments")) != 12 {
			t.Fatalf("the two encodings are not the same thread: %.200s", plain.body)
		}
		if len(zipped.body)*2 > len(plain.body) {
			t.Errorf("gzip %d bytes of %d plain", len(zipped.body), len(plain.body))
		}
		t.Logf("thread of 12 comments: %d bytes plain, %d gzipped", len(plain.body), len(zipped.body))

		// One tag for both encodings, and a 304 for either encoding from either's tag.
		etag := plain.header.Get("ETag")
		if zipped.header.Get("ETag") != etag {
			t.Errorf("ETag %q plain, %q gzipped", etag, zipped.header.Get("ETag"))
		}
		for _, enc := range []string{"gzip", "identity"} {
			for _, tag := range []string{etag, strings.TrimPrefix(etag, "W/")} {
				if res := read(enc, tag, http.StatusNotModified); len(res.body) != 0 || res.header.Get("ETag") != etag {
					t.Errorf("304 %s for %s: body %q, ETag %q", enc, tag, res.body, res.header.Get("ETag"))
				}
			}
		}

		// A new comment is a new version: a new tag, a new page in both encodings.
		in.submit("blog", submission("/p", map[string]any{"body": "The newest comment."}), nil).must(t, http.StatusCreated)
		fresh := read("gzip", etag, http.StatusOK)
		if fresh.header.Get("ETag") == etag || bytes.Equal(fresh.body, zipped.body) {
			t.Error("the thread changed but its tag or page did not")
		}

		counts := in.do(req{method: "GET", path: "/api/v1/sites/blog/counts?thread=/p"}).must(t, http.StatusOK)
		if got := counts.header.Get("Cache-Control"); got != cacheControl {
			t.Errorf("counts: Cache-Control %q, want %q", got, cacheControl)
		}
	})
}
