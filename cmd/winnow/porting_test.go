package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	wxrFixture    = "../../internal/importer/testdata/wordpress.xml"
	disqusFixture = "../../internal/importer/testdata/disqus.xml"
)

// TestImportExportJourney: an admin brings a WordPress blog's comments in through the
// API and the command line, readers see the published ones in their threads, and the
// site's export, imported into a fresh install, gives the same threads back.
func TestImportExportJourney(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["WINNOW_IMPORT_MAX_UPLOAD_BYTES"] = "100000"
		in := start(t, env)
		in.createSite("blog", map[string]any{"origins": []string{"https://blog.example"}})
		wxr, err := os.ReadFile(wxrFixture)
		if err != nil {
			t.Fatal(err)
		}
		upload := func(query, body, token string) response {
			return in.do(req{method: "POST", path: "/api/v1/admin/sites/blog/import?" + query, body: body, ctype: "application/xml", token: token})
		}

		// Bad requests first: each answer names what is wrong, and nothing is written.
		for _, c := range []struct {
			name, path, body, token string
			status                  int
			has                     string
		}{
			{"no token", "format=wxr", string(wxr), "", 401, "unauthorized"},
			{"wrong format flag", "format=blogger", string(wxr), in.token, 422, `"format":"\"blogger\" is not a format winnow imports`},
			{"wrong thread key", "format=wxr&thread_key=slug", string(wxr), in.token, 422, `"thread_key"`},
			{"bad strict", "format=wxr&strict=maybe", string(wxr), in.token, 400, `"strict":"must be true or false"`},
			{"a Disqus file as WXR", "format=wxr", readFile(t, disqusFixture), in.token, 422, "its root element is \\u003cdisqus\\u003e, not \\u003crss\\u003e"},
			{"no file", "format=wxr", "", in.token, 422, `"file":"required`},
			{"too large", "format=wxr", strings.Repeat("<!-- padding -->", 10000) + string(wxr), in.token, 413, "import.max_upload_bytes (100000 bytes)"},
			{"strict with broken entries", "format=wxr&strict=true", string(wxr), in.token, 422, `"aborted":true`},
		} {
			r := upload(c.path, c.body, c.token)
			if r.status != c.status || !strings.Contains(string(r.body), c.has) {
				t.Errorf("%s: %d %s, want %d and %s", c.name, r.status, r.body, c.status, c.has)
			}
		}
		// A moderator of the site may neither import nor export: an export holds every
		// author's email and address.
		created := in.do(req{method: "POST", path: "/api/v1/admin/tokens", token: in.token,
			body: map[string]any{"name": "mod", "role": "moderator", "sites": []string{"blog"}}}).must(t, http.StatusCreated).json(t)
		mod := created["token"].(map[string]any)["token"].(string)
		upload("format=wxr", string(wxr), mod).must(t, http.StatusForbidden)
		in.do(req{method: "GET", path: "/api/v1/admin/sites/blog/export", token: mod}).must(t, http.StatusForbidden)
		if r := in.do(req{method: "POST", path: "/api/v1/admin/sites/nope/import?format=wxr", body: string(wxr), token: in.token}); r.status != 404 {
			t.Errorf("unknown site: %d %s", r.status, r.body)
		}
		if r := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/2023/06/hello-world/"}).must(t, 200); len(list(r.json(t), "comments")) != 0 {
			t.Fatalf("a refused upload wrote: %s", r.body)
		}

		// The WordPress file, through the API.
		rep := upload("format=wxr", string(wxr), in.token).must(t, http.StatusOK).json(t)["report"].(map[string]any)
		if rep["imported"] != 16.0 || rep["skipped"] != 5.0 || rep["replies_linked"] != 4.0 || rep["complete"] != true {
			t.Errorf("report: %v", rep)
		}
		thread := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/2023/06/hello-world/"}).must(t, 200)
		for _, want := range []string{"Alice Ängström", "Grüße aus Köln", "I agree with Alice"} {
			if !strings.Contains(string(thread.body), want) {
				t.Errorf("thread lacks %q: %s", want, thread.body)
			}
		}
		for _, private := range []string{"@example.org", "198.51.100.23", "Still waiting", "cheap pills"} {
			if strings.Contains(string(thread.body), private) {
				t.Errorf("the public thread shows %q", private)
			}
		}
		again := upload("format=wxr", string(wxr), in.token).must(t, 200).json(t)["report"].(map[string]any)
		if again["imported"] != 0.0 || again["already_imported"] != 17.0 {
			t.Errorf("second upload: %v", again)
		}

		// The Disqus file, through the command line, into the same site.
		getenv := func(k string) string { return env[k] }
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"import", "--site", "blog", "--format", "disqus", disqusFixture}, getenv, &out, &errb); err != nil {
			t.Fatalf("winnow import: %v\n%s%s", err, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), "read 14 comments, imported 12 (8 published, 1 pending, 2 spam, 0 rejected, 1 deleted) on 3 threads, 4 replies linked") ||
			!strings.Contains(out.String(), `line 120: entry 9008: createdAt: "last Tuesday" is not a date (want 2006-01-02T15:04:05Z) (skipped)`) {
			t.Errorf("winnow import said:\n%s", out.String())
		}
		err = run(context.Background(), []string{"import", "--site", "blog", "--format", "disqus", "--strict", disqusFixture}, getenv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "--strict: nothing imported (2 entries refused") {
			t.Errorf("strict: %v", err)
		}
		for _, c := range []struct {
			args []string
			has  string
		}{
			{[]string{"import", "--site", "blog", "--format", "csv", disqusFixture}, `"csv" is not a format winnow imports`},
			{[]string{"import", "--site", "nope", "--format", "disqus", disqusFixture}, `no site "nope"`},
			{[]string{"import", "--site", "blog", "--format", "disqus", "missing.xml"}, "no such file"},
			{[]string{"import", "--site", "blog", "--format", "disqus"}, "give one file"},
		} {
			if err := run(context.Background(), c.args, getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), c.has) {
				t.Errorf("%v: %v, want %q", c.args, err, c.has)
			}
		}

		// The export: the API's and the command line's are the same file.
		api := in.do(req{method: "GET", path: "/api/v1/admin/sites/blog/export", token: in.token}).must(t, 200)
		if ct := api.header.Get("Content-Type"); ct != "application/jsonl; charset=utf-8" || !bytes.Contains(api.body, []byte("alice@example.org")) {
			t.Errorf("export: %s\n%s", ct, api.body)
		}
		public := in.do(req{method: "GET", path: "/api/v1/admin/sites/blog/export?private=false&format=wxr", token: in.token}).must(t, 200)
		if bytes.Contains(public.body, []byte("@example.org")) || !bytes.Contains(public.body, []byte("<wp:comment_approved>spam</wp:comment_approved>")) {
			t.Errorf("export without private data:\n%s", public.body)
		}
		in.do(req{method: "GET", path: "/api/v1/admin/sites/blog/export?format=csv", token: in.token}).must(t, 422)
		in.do(req{method: "GET", path: "/api/v1/admin/sites/nope/export", token: in.token}).must(t, 404)
		file := filepath.Join(t.TempDir(), "blog.jsonl")
		if err := run(context.Background(), []string{"export", "--site", "blog", "--output", file}, getenv, &out, &errb); err != nil {
			t.Fatal(err)
		}
		cli := []byte(readFile(t, file))
		if _, a, _ := bytes.Cut(api.body, []byte("\n")); !bytes.HasSuffix(cli, a) {
			t.Errorf("the command line's export differs from the API's")
		}

		// Into a fresh install, from standard input: the same threads.
		fresh := map[string]string{"WINNOW_DATA_DIR": t.TempDir()}
		if env["WINNOW_DATABASE_URL"] != "" {
			fresh["WINNOW_DATABASE_URL"] = postgresDSN(t)
		}
		in2 := start(t, fresh)
		in2.createSite("blog", map[string]any{"origins": []string{"https://blog.example"}})
		ctx := withStdin(context.Background(), bytes.NewReader(cli))
		out.Reset()
		if err := run(ctx, []string{"import", "--site", "blog", "--format", "winnow", "--strict", "-"}, func(k string) string { return fresh[k] }, &out, &errb); err != nil {
			t.Fatalf("import of the export: %v\n%s", err, out.String())
		}
		// (Not the thread read above: the server's thread cache, on SQLite, learns of
		// another process's import within 30 s.)
		for _, key := range []string{"/?p=42", "/about/", "/2023/07/second/"} {
			a := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=" + key}).must(t, 200)
			b := in2.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=" + key}).must(t, 200)
			if !sameThread(t, a.body, b.body) {
				t.Errorf("thread %s differs:\n%s\n%s", key, a.body, b.body)
			}
		}
		for _, log := range []string{in.stderr.String(), in2.stderr.String(), errb.String()} {
			for _, private := range []string{"@example.org", "198.51.100.23"} {
				if strings.Contains(log, private) {
					t.Errorf("a log holds %q", private)
				}
			}
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameThread compares two public thread answers by what readers see: the comments'
// authors, texts, dates and nesting (ids and avatars belong to each install).
func sameThread(t *testing.T, a, b []byte) bool {
	t.Helper()
	type view struct {
		Author, HTML, Created string
		Replies               []view
	}
	var read func(v any) []view
	read = func(v any) []view {
		var out []view
		list, _ := v.([]any)
		for _, c := range list {
			m, _ := c.(map[string]any)
			out = append(out, view{Author: m["author_name"].(string), HTML: m["body_html"].(string), Created: m["created_at"].(string), Replies: read(m["replies"])})
		}
		return out
	}
	var x, y map[string]any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	vx, vy := read(x["comments"]), read(y["comments"])
	jx, _ := json.Marshal(vx)
	jy, _ := json.Marshal(vy)
	return len(vx) > 0 && bytes.Equal(jx, jy)
}
