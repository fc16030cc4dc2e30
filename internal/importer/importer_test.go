package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

var (
	_ importer.Store       = (*sqlstore.Store)(nil)
	_ importer.ExportStore = (*sqlstore.Store)(nil)
)

// now is the clock of every import here: after the fixtures' dates, before 2099.
var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type env struct {
	st  *sqlstore.Store
	svc *importer.Service
}

func newEnv(t *testing.T, st *sqlstore.Store) env {
	t.Helper()
	ctx := context.Background()
	blog := site.NewSite("blog", "Blog")
	blog.Origins = []string{"https://blog.example"}
	if err := st.CreateSite(ctx, blog); err != nil {
		t.Fatal(err)
	}
	secret, err := st.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return env{st: st, svc: importer.New(st, nil, sanitize.New(), secret, 64, func() time.Time { return now })}
}

func sqliteEnv(t *testing.T) env {
	return newEnv(t, sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t)))
}

func fileOpener(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return os.Open(path) }
}

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func (e env) importFile(t *testing.T, format importer.Format, path string, strict bool) importer.Report {
	t.Helper()
	rep, err := e.svc.Import(context.Background(), importer.Request{Site: "blog", Format: format, Strict: strict, Open: fileOpener(path)})
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return rep
}

// comments returns the site's comments by their text's first words, for lookups.
func (e env) comments(t *testing.T) []comment.Comment {
	t.Helper()
	cs, err := e.st.SiteComments(context.Background(), "blog", 0, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func byText(t *testing.T, cs []comment.Comment, prefix string) comment.Comment {
	t.Helper()
	for _, c := range cs {
		if strings.HasPrefix(c.BodySource, prefix) {
			return c
		}
	}
	t.Fatalf("no comment starting %q", prefix)
	return comment.Comment{}
}

func problemAt(rep importer.Report, id, field string) (importer.Problem, bool) {
	for _, p := range rep.Problems {
		if p.ID == id && p.Field == field {
			return p, true
		}
	}
	return importer.Problem{}, false
}

func TestImportWXR(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) { importWXR(t, newEnv(t, st)) })
}

func importWXR(t *testing.T, e env) {
	rep := e.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", false)
	if !rep.Complete || rep.Aborted {
		t.Fatalf("report: %+v", rep)
	}
	want := map[comment.Status]int{comment.StatusApproved: 12, comment.StatusPending: 2, comment.StatusSpam: 1, comment.StatusDeleted: 1}
	if rep.Read != 21 || rep.Imported != 16 || rep.Skipped != 5 || rep.Ignored != 1 || rep.Threads != 3 || rep.Replies != 4 || fmt.Sprint(rep.ByStatus) != fmt.Sprint(want) {
		t.Errorf("read %d imported %d skipped %d ignored %d threads %d replies %d by status %v", rep.Read, rep.Imported, rep.Skipped, rep.Ignored, rep.Threads, rep.Replies, rep.ByStatus)
		for _, p := range rep.Problems {
			t.Log(p)
		}
	}
	for _, c := range []struct {
		id, field string
		skipped   bool
		has       string
	}{
		{"9", "comment_date", true, `"yesterday" is not a date`},
		{"13", "date", true, "2099-01-01T00:00:00Z is in the future"},
		{"5", "id", true, "a second entry with this id (the first is at line"},
		{"14", "body", true, "required"},
		{"24", "comment_approved", true, `"maybe"`},
		{"10", "parent", false, "no comment 999 in the file"},
		{"23", "parent", false, "comment 1 is on another page"},
		{"12", "author_email", false, "not a valid email address: left out"},
		{"12", "author_url", false, "must be an http or https URL: left out"},
	} {
		p, ok := problemAt(rep, c.id, c.field)
		if !ok || p.Skipped != c.skipped || !strings.Contains(p.Message, c.has) || p.Line == 0 {
			t.Errorf("entry %s, %s: got %+v (found %v), want skipped %v and %q", c.id, c.field, p, ok, c.skipped, c.has)
		}
	}
	for _, p := range rep.Problems { // no private data in a report
		for _, private := range []string{"@example.org", "heidi at example", "192.0.2.", "not an address"} {
			if strings.Contains(p.String(), private) {
				t.Errorf("problem %q holds private data %q", p, private)
			}
		}
	}

	cs := e.comments(t)
	hello := byText(t, cs, "Hi, this is a comment.")
	if hello.ThreadKey != "/2023/06/hello-world/" || hello.Status != comment.StatusApproved || hello.AuthorEmail != "wapuu@wordpress.example" ||
		hello.IP != "203.0.113.7" || !hello.CreatedAt.Equal(time.Date(2023, 6, 2, 9, 0, 0, 0, time.UTC)) || !hello.PublishedAt.Equal(hello.CreatedAt) ||
		hello.Trained != "none" || hello.AddressKey == "" || hello.AuthorKey == "" {
		t.Errorf("first comment: %+v", hello)
	}
	if !strings.Contains(hello.BodyHTML, `<a href="https://en.gravatar.com/" rel="nofollow ugc noopener">Gravatar</a>`) || !strings.Contains(hello.BodyHTML, "<br>") {
		t.Errorf("first comment's HTML: %s", hello.BodyHTML)
	}
	alice := byText(t, cs, "Grüße aus Köln")
	bob := byText(t, cs, "I agree with Alice")
	carol := byText(t, cs, "A reply to a reply")
	if bob.ParentID != alice.ID || carol.ParentID != bob.ID || alice.ParentID != 0 {
		t.Errorf("nesting: alice %d (parent %d), bob parent %d, carol parent %d (bob %d)", alice.ID, alice.ParentID, bob.ParentID, carol.ParentID, bob.ID)
	}
	if alice.AuthorName != "Alice Ängström" || !strings.Contains(alice.BodySource, "“quotes” and emoji 🎉") ||
		strings.Contains(alice.BodyHTML, "javascript") || !strings.Contains(alice.BodyHTML, "<strong>bold</strong>") {
		t.Errorf("alice: %q %q %q", alice.AuthorName, alice.BodySource, alice.BodyHTML)
	}
	if !strings.Contains(bob.BodySource, "Alice — *mostly*") {
		t.Errorf("bob: %q", bob.BodySource)
	}
	if !strings.Contains(carol.BodyHTML, "2*3*4 = 24, snake_case stays") || strings.Contains(carol.BodyHTML, "alert") {
		t.Errorf("carol: %q -> %q", carol.BodySource, carol.BodyHTML)
	}
	if c := byText(t, cs, "Replying to a comment that was deleted"); c.ParentID != 0 {
		t.Errorf("a reply to a missing parent has parent %d", c.ParentID)
	}
	anon := byText(t, cs, "Anonymous thoughts.")
	if anon.AuthorName != importer.DefaultName || anon.AuthorEmail != "" || anon.IP != "" || anon.AuthorKey != "" ||
		!anon.CreatedAt.Equal(time.Date(2023, 6, 5, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("anonymous: %+v", anon)
	}
	heidi := byText(t, cs, "Line one")
	if heidi.AuthorEmail != "" || heidi.AuthorURL != "" || !strings.Contains(heidi.BodyHTML, "line two") ||
		strings.Contains(heidi.BodyHTML, "<blockquote>") || strings.Contains(heidi.BodyHTML, "<h1>") {
		t.Errorf("heidi: %+v", heidi)
	}
	kim := byText(t, cs, "No CDATA here")
	if kim.ThreadKey != "/?p=42" || kim.AuthorName != "Kim & Lee" || kim.AuthorURL != "https://kim.example/?a=1&b=2" ||
		!strings.Contains(kim.BodyHTML, "<strong>escaped</strong> markup &amp; an entity &amp; in text") {
		t.Errorf("kim: key %q name %q url %q html %q", kim.ThreadKey, kim.AuthorName, kim.AuthorURL, kim.BodyHTML)
	}
	liu := byText(t, cs, "很好的文章")
	if liu.ParentID != kim.ID || !strings.Contains(liu.BodyHTML, "<blockquote>") || !strings.Contains(liu.BodyHTML, "<code>x := 1</code>") {
		t.Errorf("liu: %+v", liu)
	}
	if c := byText(t, cs, "A CDATA section"); !strings.Contains(c.BodyHTML, "holds ]]&gt; its own end marker") {
		t.Errorf("CDATA: %q", c.BodyHTML)
	}
	if c := byText(t, cs, "Wrong post."); c.ParentID != 0 || c.Status != comment.StatusPending {
		t.Errorf("reply across posts: %+v", c)
	}
	if c := byText(t, cs, "Nice about page."); c.UserAgent != "Mozilla/5.0 (X11; Linux x86_64)" || c.ThreadKey != "/about/" {
		t.Errorf("about: %+v", c)
	}
	for prefix, status := range map[string]comment.Status{"Still waiting": comment.StatusPending, "Buy": comment.StatusSpam, "I changed my mind": comment.StatusDeleted} {
		if c := byText(t, cs, prefix); c.Status != status || !c.PublishedAt.IsZero() {
			t.Errorf("%q: status %s, published %v; want %s", prefix, c.Status, c.PublishedAt, status)
		}
	}

	// Threads: their counts, URLs and titles as the file named them.
	ctx := context.Background()
	th, err := e.st.ThreadByKey(ctx, "blog", "/2023/06/hello-world/")
	// Its version moved with every published comment and once more when replies were
	// linked, so caches of the thread miss.
	if err != nil || th.ApprovedCount != 7 || th.Version != 8 || th.URL != "https://blog.example/2023/06/hello-world/" || th.Title != "Hello world!" {
		t.Errorf("thread: %+v %v", th, err)
	}
	if counts, err := e.st.Counts(ctx, "blog", []string{"/?p=42", "/about/"}); err != nil || counts["/?p=42"] != 3 || counts["/about/"] != 2 {
		t.Errorf("counts %v %v", counts, err)
	}
	// An author's approved comments count towards being trusted, as WordPress's do.
	if a, err := e.st.Author(ctx, "blog", hello.AuthorKey); err != nil || a.Approved != 1 {
		t.Errorf("author: %+v %v", a, err)
	}

	// The same file again adds nothing.
	again := e.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", false)
	if again.Imported != 0 || again.Existing != 17 || again.Replies != 0 || len(e.comments(t)) != 16 {
		t.Errorf("second import: imported %d, existing %d, replies %d, comments %d", again.Imported, again.Existing, again.Replies, len(e.comments(t)))
	}
	if th2, _ := e.st.ThreadByKey(ctx, "blog", "/2023/06/hello-world/"); th2.ApprovedCount != 7 {
		t.Errorf("second import moved the count to %d", th2.ApprovedCount)
	}
}

func TestImportDisqus(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) { importDisqus(t, newEnv(t, st)) })
}

func importDisqus(t *testing.T, e env) {
	rep := e.importFile(t, importer.FormatDisqus, "testdata/disqus.xml", false)
	want := map[comment.Status]int{comment.StatusApproved: 8, comment.StatusPending: 1, comment.StatusSpam: 2, comment.StatusDeleted: 1}
	if !rep.Complete || rep.Read != 14 || rep.Imported != 12 || rep.Skipped != 2 || rep.Threads != 3 || rep.Replies != 4 || fmt.Sprint(rep.ByStatus) != fmt.Sprint(want) {
		t.Errorf("report: %+v", rep)
	}
	for _, c := range []struct{ id, field, has string }{
		{"9008", "createdAt", `"last Tuesday" is not a date`},
		{"9009", "thread", `no <thread dsq:id="7777">`},
		{"9012", "parent", "no comment 8888"},
		{"9013", "thread_url", "not a page on one of the site's origins"},
	} {
		if p, ok := problemAt(rep, c.id, c.field); !ok || !strings.Contains(p.Message, c.has) || p.Line == 0 {
			t.Errorf("entry %s, %s: %+v (found %v), want %q", c.id, c.field, p, ok, c.has)
		}
	}
	cs := e.comments(t)
	first := byText(t, cs, "First! Loving the **new** design.")
	bob := byText(t, cs, "Replying to Alice")
	carol := byText(t, cs, "Replying to Bob.")
	deep := byText(t, cs, "Deeper")
	if bob.ParentID != first.ID || carol.ParentID != bob.ID || deep.ParentID != carol.ID || byText(t, cs, "I wrote this").ParentID != first.ID {
		t.Errorf("nesting: first %d, bob %d->%d, carol %d->%d, deep ->%d", first.ID, bob.ID, bob.ParentID, carol.ID, carol.ParentID, deep.ParentID)
	}
	if !strings.Contains(bob.BodyHTML, `<a href="https://bob.example/notes" rel="nofollow ugc noopener">https://bob.example/notes</a>`) {
		t.Errorf("bob's link: %s", bob.BodyHTML)
	}
	if first.ThreadKey != "/2023/06/hello-world/" || first.AuthorEmail != "alice@example.org" || first.IP != "198.51.100.23" {
		t.Errorf("first: %+v", first)
	}
	guest := byText(t, cs, "Guest here — no email given. Ünïcödé ✓")
	if guest.AuthorEmail != "" || guest.AuthorName != "Guest Person" || guest.Status != comment.StatusApproved {
		t.Errorf("guest: %+v", guest)
	}
	for prefix, status := range map[string]comment.Status{"Visit": comment.StatusSpam, "Spam that was deleted": comment.StatusSpam,
		"I wrote this": comment.StatusDeleted, "Held for review": comment.StatusPending} {
		if c := byText(t, cs, prefix); c.Status != status {
			t.Errorf("%q: %s, want %s", prefix, c.Status, status)
		}
	}
	th, err := e.st.ThreadByKey(context.Background(), "blog", "/old/")
	if err != nil || th.URL != "" || th.Title != "On another domain" {
		t.Errorf("off-origin thread: %+v %v", th, err)
	}
}

func TestThreadKeyChoices(t *testing.T) {
	for _, c := range []struct {
		format      importer.Format
		file        string
		choice      importer.ThreadKey
		wantKeys    []string
		wantSkipped int
	}{
		{importer.FormatWXR, "testdata/wordpress.xml", importer.KeyURL, []string{"https://blog.example/2023/06/hello-world/", "https://blog.example/?p=42", "https://blog.example/about/"}, 5},
		{importer.FormatWXR, "testdata/wordpress.xml", importer.KeyID, []string{"1", "42", "2"}, 5},
		{importer.FormatDisqus, "testdata/disqus.xml", importer.KeyID, []string{"post-1", "5002", "post-3"}, 2},
		{importer.FormatWXR, "testdata/latin1.xml", importer.KeyPath, []string{"/caf%C3%A9/"}, 0},
	} {
		t.Run(string(c.format)+"-"+string(c.choice), func(t *testing.T) {
			e := sqliteEnv(t)
			rep, err := e.svc.Import(context.Background(), importer.Request{Site: "blog", Format: c.format, ThreadKey: c.choice, Open: fileOpener(c.file)})
			if err != nil || rep.Skipped != c.wantSkipped {
				t.Fatalf("%+v %v", rep, err)
			}
			for _, k := range c.wantKeys {
				if _, err := e.st.ThreadByKey(context.Background(), "blog", k); err != nil {
					t.Errorf("thread %q: %v", k, err)
				}
			}
		})
	}
}

func TestImportLatin1(t *testing.T) {
	e := sqliteEnv(t)
	rep := e.importFile(t, importer.FormatWXR, "testdata/latin1.xml", false)
	cs := e.comments(t)
	if rep.Imported != 1 || len(cs) != 1 || cs[0].AuthorName != "Jürgen Müller" || cs[0].BodySource != "Schöne Grüße, © 2012" {
		t.Fatalf("%+v %+v", rep, cs)
	}
}

func TestStrictWritesNothing(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) { strictWritesNothing(t, newEnv(t, st)) })
}

func strictWritesNothing(t *testing.T, e env) {
	rep := e.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", true)
	if !rep.Aborted || rep.Skipped != 5 || len(e.comments(t)) != 0 {
		t.Fatalf("strict: aborted %v, skipped %d, stored %d", rep.Aborted, rep.Skipped, len(e.comments(t)))
	}
	// A clean file imports under --strict.
	rep = e.importFile(t, importer.FormatWXR, "testdata/latin1.xml", true)
	if rep.Aborted || rep.Imported != 1 || len(e.comments(t)) != 1 {
		t.Fatalf("strict, clean file: %+v", rep)
	}
}

// wxrOf wraps comments (the inside of <wp:comment> elements) in a WXR document.
func wxrOf(comments ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>` + "\n")
	b.WriteString("<item><title>T</title><link>https://blog.example/t/</link><wp:post_id>1</wp:post_id>\n")
	for _, c := range comments {
		b.WriteString("<wp:comment>" + c + "</wp:comment>\n")
	}
	b.WriteString("</item></channel></rss>\n")
	return []byte(b.String())
}

func wxrComment(id, parent, body string) string {
	return fmt.Sprintf(`<wp:comment_id>%s</wp:comment_id><wp:comment_author>A</wp:comment_author><wp:comment_author_email>a@example.org</wp:comment_author_email>`+
		`<wp:comment_date_gmt>2024-01-01 00:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[%s]]></wp:comment_content>`+
		`<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>%s</wp:comment_parent>`, id, body, parent)
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	good := wxrOf(wxrComment("1", "0", "fine"))
	for _, c := range []struct {
		name    string
		req     importer.Request
		field   string // of the *comment.ValidationError
		has     string
		notSite bool
	}{
		{"wrong format flag", importer.Request{Site: "blog", Format: "blogger", Open: bytesOpener(good)}, "format", `"blogger" is not a format winnow imports`, false},
		{"wrong thread key", importer.Request{Site: "blog", Format: importer.FormatWXR, ThreadKey: "slug", Open: bytesOpener(good)}, "thread_key", "use url, path or id", false},
		{"unknown site", importer.Request{Site: "nope", Format: importer.FormatWXR, Open: bytesOpener(good)}, "", `no site "nope"`, true},
		{"a Disqus file as WXR", importer.Request{Site: "blog", Format: importer.FormatWXR, Open: fileOpener("testdata/disqus.xml")}, "file", "its root element is <disqus>, not <rss>", false},
		{"a WXR file as Disqus", importer.Request{Site: "blog", Format: importer.FormatDisqus, Open: fileOpener("testdata/wordpress.xml")}, "file", "root element is <rss>", false},
		{"not XML", importer.Request{Site: "blog", Format: importer.FormatWXR, Open: bytesOpener([]byte("hello, world"))}, "file", "not a WordPress export", false},
		{"empty", importer.Request{Site: "blog", Format: importer.FormatDisqus, Open: bytesOpener(nil)}, "file", "holds no XML element", false},
		{"a WXR file as winnow", importer.Request{Site: "blog", Format: importer.FormatWinnow, Open: fileOpener("testdata/wordpress.xml")}, "file", "not a winnow export", false},
		{"no comments", importer.Request{Site: "blog", Format: importer.FormatWXR, Open: bytesOpener(wxrOf())}, "file", "no comments found", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := sqliteEnv(t)
			_, err := e.svc.Import(ctx, c.req)
			var ve *comment.ValidationError
			switch {
			case c.notSite:
				if !errors.Is(err, comment.ErrNotFound) || !strings.Contains(err.Error(), c.has) {
					t.Errorf("got %v", err)
				}
			case !errors.As(err, &ve) || !strings.Contains(ve.Fields[c.field], c.has):
				t.Errorf("got %v, want %s: %q", err, c.field, c.has)
			}
		})
	}

	t.Run("malformed XML midway", func(t *testing.T) {
		e := sqliteEnv(t)
		doc := string(wxrOf(wxrComment("1", "0", "before"), wxrComment("2", "0", "after")))
		doc = strings.Replace(doc, "<wp:comment_id>2</wp:comment_id>", "<wp:comment_id>2</wp:comment_idd>", 1)
		rep, err := e.svc.Import(ctx, importer.Request{Site: "blog", Format: importer.FormatWXR, Open: bytesOpener([]byte(doc))})
		if err != nil || rep.Complete || rep.Imported != 1 || !strings.Contains(rep.Stopped, "line 5: malformed XML") {
			t.Fatalf("%+v %v", rep, err)
		}
		// With --strict, nothing.
		e2 := sqliteEnv(t)
		rep, err = e2.svc.Import(ctx, importer.Request{Site: "blog", Format: importer.FormatWXR, Strict: true, Open: bytesOpener([]byte(doc))})
		if err != nil || !rep.Aborted || len(e2.comments(t)) != 0 {
			t.Fatalf("strict: %+v %v", rep, err)
		}
	})

	t.Run("cut short", func(t *testing.T) {
		e := sqliteEnv(t)
		doc := wxrOf(wxrComment("1", "0", "before"), wxrComment("2", "0", "after"))
		rep, err := e.svc.Import(ctx, importer.Request{Site: "blog", Format: importer.FormatWXR, Open: bytesOpener(doc[:len(doc)-60])})
		if err != nil || rep.Complete || rep.Imported != 1 || rep.Stopped == "" {
			t.Fatalf("%+v %v", rep, err)
		}
	})

	t.Run("oversize body", func(t *testing.T) {
		e := sqliteEnv(t)
		doc := wxrOf(wxrComment("1", "0", strings.Repeat("long ", comment.MaxBodyLen/5+1)), wxrComment("2", "0", "short"))
		rep, err := e.svc.Import(ctx, importer.Request{Site: "blog", Format: importer.FormatWXR, Open: bytesOpener(doc)})
		p, ok := problemAt(rep, "1", "body")
		if err != nil || rep.Imported != 1 || !ok || !p.Skipped || p.Message != "at most 10000 characters" {
			t.Fatalf("%+v %v", rep, err)
		}
	})

	t.Run("one endless element", func(t *testing.T) {
		e := sqliteEnv(t)
		// 40 MiB of text in one element: refused without holding it.
		r := io.MultiReader(strings.NewReader(`<?xml version="1.0"?><rss><channel><item><link>https://blog.example/x</link><wp:comment xmlns:wp="w"><wp:comment_id>1</wp:comment_id><wp:comment_content>`),
			io.LimitReader(repeatReader('a'), 40<<20))
		rep, err := e.svc.Import(ctx, importer.Request{Site: "blog", Format: importer.FormatWXR, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }})
		var ve *comment.ValidationError
		if !errors.As(err, &ve) && !strings.Contains(rep.Stopped, "more than 32 MiB") {
			t.Fatalf("%+v %v", rep, err)
		}
	})

	t.Run("duplicate ids across the batch boundary", func(t *testing.T) {
		e := sqliteEnv(t)
		var cs []string
		for i := 1; i <= 600; i++ {
			cs = append(cs, wxrComment(fmt.Sprint(i), "0", fmt.Sprint("comment ", i)))
		}
		cs = append(cs, wxrComment("3", "0", "three again"))
		rep, err := e.svc.Import(ctx, importer.Request{Site: "blog", Format: importer.FormatWXR, Open: bytesOpener(wxrOf(cs...))})
		if p, ok := problemAt(rep, "3", "id"); err != nil || rep.Imported != 600 || !ok || !p.Skipped || !strings.Contains(p.Message, "the first is at line 6") {
			t.Fatalf("%+v %v", rep.Problems, err)
		}
	})
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestLearn(t *testing.T) {
	e := sqliteEnv(t)
	var got []string
	secret, _ := e.st.Secret(context.Background())
	svc := importer.New(e.st, learnerFunc(func(c comment.Comment, label string) { got = append(got, label+":"+c.AuthorName) }), sanitize.New(), secret, 64, func() time.Time { return now })
	rep, err := svc.Import(context.Background(), importer.Request{Site: "blog", Format: importer.FormatDisqus, Learn: true, Open: fileOpener("testdata/disqus.xml")})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if rep.Learned != 10 || !slices.Contains(got, "spam:Lucky") || !slices.Contains(got, "ham:Alice") || slices.Contains(got, "ham:Erin") {
		t.Errorf("learned %d: %v", rep.Learned, got)
	}
	// Without --learn nothing is taught, and the stored label keeps the published
	// comments out of the sweep that learns from what stays up.
	e2 := sqliteEnv(t)
	got = nil
	svc2 := importer.New(e2.st, learnerFunc(func(c comment.Comment, label string) { got = append(got, label) }), sanitize.New(), secret, 64, func() time.Time { return now })
	if rep, err := svc2.Import(context.Background(), importer.Request{Site: "blog", Format: importer.FormatDisqus, Open: fileOpener("testdata/disqus.xml")}); err != nil || rep.Learned != 0 || len(got) != 0 {
		t.Errorf("learned without --learn: %v %v", got, err)
	}
	untaught, err := e2.st.UntaughtPublished(context.Background(), time.Time{}, now.Add(time.Hour), 100)
	if err != nil || len(untaught) != 0 {
		t.Errorf("imported comments the sweep would learn from: %d %v", len(untaught), err)
	}
}

type learnerFunc func(c comment.Comment, label string)

func (f learnerFunc) LearnComment(_ context.Context, c comment.Comment, label string) error {
	f(c, label)
	return nil
}

func TestNoWebhookEvents(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) { noWebhookEvents(t, newEnv(t, st)) })
}

func noWebhookEvents(t *testing.T, e env) {
	ctx := context.Background()
	if err := e.st.CreateWebhook(ctx, &webhook.Endpoint{SiteID: "blog", URL: "https://hooks.example/x", Secret: webhook.NewSecret(),
		Events: []comment.EventType{comment.EventPublished}, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", false)
	hooks, err := e.st.Webhooks(ctx, nil, "blog")
	if err != nil || len(hooks) != 1 {
		t.Fatal(hooks, err)
	}
	ds, _, err := e.st.Deliveries(ctx, hooks[0].ID, "", "", 100)
	if err != nil || len(ds) != 0 {
		t.Errorf("an import queued %d webhook deliveries (%v)", len(ds), err)
	}
}

func TestRemark42AndCommento(t *testing.T) {
	for _, c := range []struct {
		format  importer.Format
		file    string
		want    map[comment.Status]int
		replies int
		check   func(t *testing.T, cs []comment.Comment)
	}{
		{importer.FormatRemark42, "testdata/remark42.json", map[comment.Status]int{comment.StatusApproved: 4, comment.StatusDeleted: 1}, 2, func(t *testing.T, cs []comment.Comment) {
			md := byText(t, cs, "Markdown **as typed**")
			reply := byText(t, cs, "A reply")
			if reply.ParentID != md.ID || md.ThreadKey != "/2021/01/remark/" || md.AuthorName != "Reader One" || md.AuthorEmail != "" || md.IP != "" {
				t.Errorf("remark42: %+v %+v", md, reply)
			}
			if c := byText(t, cs, "From HTML"); !strings.Contains(c.BodyHTML, "<em>only</em>") {
				t.Errorf("remark42 html: %q", c.BodyHTML)
			}
		}},
		{importer.FormatCommento, "testdata/commento.json", map[comment.Status]int{comment.StatusApproved: 3, comment.StatusPending: 1, comment.StatusSpam: 1, comment.StatusDeleted: 1}, 2, func(t *testing.T, cs []comment.Comment) {
			top := byText(t, cs, "Commento **top**")
			middle := byText(t, cs, "Middle")
			reply := byText(t, cs, "Reply before")
			if reply.ParentID != middle.ID || middle.ParentID != top.ID || middle.Status != comment.StatusPending || top.AuthorEmail != "ann@example.org" || top.AuthorName != "Ann" || top.ThreadKey != "/posts/one" {
				t.Errorf("commento: %+v %+v", top, reply)
			}
			if c := byText(t, cs, "Nobody"); c.AuthorName != importer.DefaultName || c.AuthorEmail != "" {
				t.Errorf("anonymous: %+v", c)
			}
		}},
	} {
		t.Run(string(c.format), func(t *testing.T) {
			e := sqliteEnv(t)
			rep := e.importFile(t, c.format, c.file, false)
			if !rep.Complete || fmt.Sprint(rep.ByStatus) != fmt.Sprint(c.want) || rep.Replies != c.replies || rep.Skipped != 1 {
				t.Errorf("%+v", rep)
			}
			c.check(t, e.comments(t))
			if again := e.importFile(t, c.format, c.file, false); again.Imported != 0 {
				t.Errorf("second import: %+v", again)
			}
		})
	}
}

func TestGzip(t *testing.T) {
	e := sqliteEnv(t)
	path := filepath.Join(t.TempDir(), "wordpress.xml.gz")
	b, err := os.ReadFile("testdata/wordpress.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, gzipped(t, b), 0o600); err != nil {
		t.Fatal(err)
	}
	if rep := e.importFile(t, importer.FormatWXR, path, false); rep.Imported != 16 {
		t.Fatalf("%+v", rep)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportedCommentsAreKeyed checks what an imported comment is stored with beside
// its text: the key of its email, by which an erasure finds it, and the classifier's
// label that keeps it from teaching (without --learn), on both engines.
func TestImportedCommentsAreKeyed(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		e := newEnv(t, st)
		e.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", false)
		secret, err := st.Secret(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		keyed := 0
		for _, c := range e.comments(t) {
			if c.Trained != spam.LabelNone {
				t.Errorf("comment %d: trained %q, want %q", c.ID, c.Trained, spam.LabelNone)
			}
			if c.AuthorEmail == "" {
				continue
			}
			if want := comment.EmailKey(secret, c.AuthorEmail); c.EmailKey != want {
				t.Errorf("comment %d: email key %q, want %q", c.ID, c.EmailKey, want)
			}
			keyed++
		}
		if keyed == 0 {
			t.Fatal("no imported comment has an email: the test cannot fail")
		}
	})
}
