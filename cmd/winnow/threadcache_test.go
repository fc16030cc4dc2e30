package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
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

		// A site sets its own lifetimes, and null gives it the server's again.
		cc := func() (thread, counts string) {
			t.Helper()
			th := in.do(req{method: "GET", path: path}).must(t, http.StatusOK)
			co := in.do(req{method: "GET", path: "/api/v1/sites/blog/counts?thread=/p"}).must(t, http.StatusOK)
			return th.header.Get("Cache-Control"), co.header.Get("Cache-Control")
		}
		site := func(body map[string]any, status int) response {
			t.Helper()
			return in.do(req{method: "PATCH", path: "/api/v1/admin/sites/blog", token: in.token, body: body}).must(t, status)
		}
		if v := site(map[string]any{"name": "Blog"}, http.StatusOK).json(t)["site"].(map[string]any); v["cdn_cache"] != nil {
			t.Errorf("a site on the server's lifetimes shows cdn_cache %v", v["cdn_cache"])
		}
		v := site(map[string]any{"cdn_cache": map[string]any{"s_maxage": "1m", "stale_while_revalidate": "0s"}}, http.StatusOK).json(t)
		if c := v["site"].(map[string]any)["cdn_cache"]; fmt.Sprint(c) != "map[s_maxage:1m0s stale_while_revalidate:0s]" {
			t.Errorf("cdn_cache after the change: %v", c)
		}
		const own = "public, max-age=0, s-maxage=60, stale-while-revalidate=0"
		if th, co := cc(); th != own || co != own {
			t.Errorf("with the site's own lifetimes: thread %q, counts %q; want %q", th, co, own)
		}
		site(map[string]any{"name": "Blog again"}, http.StatusOK) // left out: kept
		if th, _ := cc(); th != own {
			t.Errorf("an update without cdn_cache changed the lifetimes: %q", th)
		}
		site(map[string]any{"cdn_cache": map[string]any{"s_maxage": "0s", "stale_while_revalidate": "0s"}}, http.StatusOK)
		if th, co := cc(); th != "public, no-cache" || co != "public, no-cache" {
			t.Errorf("with no CDN lifetimes: thread %q, counts %q", th, co)
		}
		for body, field := range map[string]string{
			`{"s_maxage": "1.5s", "stale_while_revalidate": "0s"}`: "cdn_cache.s_maxage",
			`{"s_maxage": "5s", "stale_while_revalidate": "48h"}`:  "cdn_cache.stale_while_revalidate",
			`{"s_maxage": "5s"}`: "cdn_cache.stale_while_revalidate",
			`{"s_maxage": "soon", "stale_while_revalidate": "1s"}`: "cdn_cache.s_maxage",
			`"5s"`: "cdn_cache",
		} {
			res := in.do(req{method: "PATCH", path: "/api/v1/admin/sites/blog", token: in.token, ctype: "application/json",
				body: `{"cdn_cache": ` + body + `}`})
			if res.status != http.StatusUnprocessableEntity && res.status != http.StatusBadRequest {
				t.Errorf("cdn_cache %s: %d %s", body, res.status, res.body)
				continue
			}
			if f, _ := res.json(t)["error"].(map[string]any)["fields"].(map[string]any); f[field] == nil {
				t.Errorf("cdn_cache %s: %s does not name %s", body, res.body, field)
			}
		}
		site(map[string]any{"cdn_cache": nil}, http.StatusOK)
		if th, co := cc(); th != cacheControl || co != cacheControl {
			t.Errorf("back on the server's lifetimes: thread %q, counts %q", th, co)
		}

		// The command line sets them when it creates a site.
		getenv := func(k string) string { return env[k] }
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"site", "create", "--id", "cli", "--name", "CLI",
			"--cdn-s-maxage", "2m", "--cdn-stale-while-revalidate", "1h"}, getenv, &out, &errb); err != nil {
			t.Fatalf("site create --cdn-s-maxage: %v\n%s", err, errb.String())
		}
		got := in.do(req{method: "GET", path: "/api/v1/admin/sites/cli", token: in.token}).must(t, http.StatusOK).json(t)
		if c := got["site"].(map[string]any)["cdn_cache"]; fmt.Sprint(c) != "map[s_maxage:2m0s stale_while_revalidate:1h0m0s]" {
			t.Errorf("site created by the CLI: cdn_cache %v", c)
		}
		for _, args := range [][]string{{"--cdn-s-maxage", "5s"}, {"--cdn-s-maxage", "5s", "--cdn-stale-while-revalidate", "2.5s"}} {
			err := run(context.Background(), append([]string{"site", "create", "--id", "cli2", "--name", "CLI"}, args...), getenv, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), "cdn_cache.") {
				t.Errorf("site create %v: %v, want an error naming the lifetime", args, err)
			}
		}
	})
}
