package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// freshStore opens another empty store on the engine of s.
func freshStore(t *testing.T, s *sqlstore.Store) *sqlstore.Store {
	if s.Dialect() == "postgres" {
		return sqlstoretest.Open(t, sqlstoretest.PostgresDSN(t))
	}
	return sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t))
}

func export(t *testing.T, st *sqlstore.Store, format importer.Format, private bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := importer.NewExporter(st, func() time.Time { return now }).Export(context.Background(),
		importer.ExportRequest{Site: "blog", Format: format, Private: private}, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRoundTrip exports a site and imports the export into a fresh install: the same
// threads, comments, statuses, nesting and dates, on both engines.
func TestRoundTrip(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a := newEnv(t, st)
		a.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", false)
		a.importFile(t, importer.FormatDisqus, "testdata/disqus.xml", false)
		out := export(t, a.st, importer.FormatWinnow, true)

		b := newEnv(t, freshStore(t, st))
		rep, err := b.svc.Import(context.Background(), importer.Request{Site: "blog", Format: importer.FormatWinnow, Strict: true, Open: bytesOpener(out)})
		if err != nil || rep.Aborted || !rep.Complete || rep.Imported != 28 || rep.Skipped != 0 {
			t.Fatalf("import of the export: %+v %v", rep, err)
		}
		// Apart from its header (the time), the new install's export is the old one's.
		again := export(t, b.st, importer.FormatWinnow, true)
		_, body, _ := bytes.Cut(out, []byte("\n"))
		_, body2, _ := bytes.Cut(again, []byte("\n"))
		if !bytes.Equal(body, body2) {
			t.Errorf("exports differ:\n%s\n---\n%s", body, body2)
		}
		for _, key := range []string{"/2023/06/hello-world/", "/?p=42", "/about/", "/2023/07/second/", "/old/"} {
			ta, err1 := a.st.ThreadByKey(context.Background(), "blog", key)
			tb, err2 := b.st.ThreadByKey(context.Background(), "blog", key)
			if err1 != nil || err2 != nil || ta.URL != tb.URL || ta.Title != tb.Title || ta.ApprovedCount != tb.ApprovedCount || !ta.CreatedAt.Equal(tb.CreatedAt) {
				t.Errorf("thread %s: %+v %v / %+v %v", key, ta, err1, tb, err2)
			}
		}
		ca, cb := a.comments(t), b.comments(t)
		for i := range ca {
			x, y := ca[i], cb[i]
			if x.ThreadKey != y.ThreadKey || x.ParentID != y.ParentID || x.BodyHTML != y.BodyHTML || x.Status != y.Status ||
				!x.CreatedAt.Equal(y.CreatedAt) || !x.PublishedAt.Equal(y.PublishedAt) || x.AuthorKey != "" && x.AuthorEmail != y.AuthorEmail || x.IP != y.IP {
				t.Errorf("comment %d: %+v\n != %+v", x.ID, x, y)
			}
		}
		// Importing the export again adds nothing.
		if rep, err := b.svc.Import(context.Background(), importer.Request{Site: "blog", Format: importer.FormatWinnow, Open: bytesOpener(out)}); err != nil || rep.Imported != 0 || rep.Existing != 28 {
			t.Errorf("again: %+v %v", rep, err)
		}

		// A WordPress export of the site reads back as the same threads and statuses.
		c := newEnv(t, freshStore(t, st))
		rep, err = c.svc.Import(context.Background(), importer.Request{Site: "blog", Format: importer.FormatWXR, Open: bytesOpener(export(t, a.st, importer.FormatWXR, true))})
		if err != nil || rep.Imported != 28 || rep.Skipped != 0 || rep.Replies != 8 || rep.Threads != 5 {
			t.Fatalf("wxr round trip: %+v %v", rep, err)
		}
		for _, key := range []string{"/2023/06/hello-world/", "/?p=42", "/about/", "/2023/07/second/"} {
			ta, _ := a.st.ThreadByKey(context.Background(), "blog", key)
			tc, err := c.st.ThreadByKey(context.Background(), "blog", key)
			if err != nil || ta.ApprovedCount != tc.ApprovedCount || ta.Title != tc.Title {
				t.Errorf("wxr thread %s: %+v / %+v %v", key, ta, tc, err)
			}
		}
	})
}

func TestExportPrivateData(t *testing.T) {
	e := sqliteEnv(t)
	e.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", false)
	for _, format := range []importer.Format{importer.FormatWinnow, importer.FormatWXR} {
		with, without := string(export(t, e.st, format, true)), string(export(t, e.st, format, false))
		for _, private := range []string{"alice@example.org", "198.51.100.23", "Mozilla/5.0 (X11; Linux x86_64)"} {
			if !strings.Contains(with, private) || strings.Contains(without, private) {
				t.Errorf("%s: %q in the admin export %v, in the other %v", format, private, strings.Contains(with, private), strings.Contains(without, private))
			}
		}
	}
	// The winnow format: a header, one line per thread and per comment, an end.
	lines := strings.Split(strings.TrimSpace(string(export(t, e.st, importer.FormatWinnow, false))), "\n")
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
		Site    string `json:"site"`
		Private bool   `json:"private"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &head); err != nil || head.Format != "winnow" || head.Version != 1 || head.Site != "blog" || head.Private {
		t.Errorf("header %s: %v", lines[0], err)
	}
	if len(lines) != 1+3+16+1 || lines[len(lines)-1] != `{"type":"end","threads":3,"comments":16}` {
		t.Errorf("%d lines, last %s", len(lines), lines[len(lines)-1])
	}
}

func TestExportCutShort(t *testing.T) {
	e := sqliteEnv(t)
	e.importFile(t, importer.FormatWXR, "testdata/wordpress.xml", false)
	out := export(t, e.st, importer.FormatWinnow, true)
	cut := out[:bytes.LastIndex(out, []byte(`{"type":"end"`))]
	f := newEnv(t, sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t)))
	rep, err := f.svc.Import(context.Background(), importer.Request{Site: "blog", Format: importer.FormatWinnow, Open: bytesOpener(cut)})
	if err != nil || rep.Complete || !strings.Contains(rep.Stopped, "cut short") || rep.Imported != 16 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := importer.NewExporter(e.st, nil).Prepare(context.Background(), importer.ExportRequest{Site: "nope", Format: importer.FormatWinnow}); err == nil {
		t.Error("exported an unknown site")
	}
	_, err = importer.NewExporter(e.st, nil).Prepare(context.Background(), importer.ExportRequest{Site: "blog", Format: "csv"})
	if ve := (*comment.ValidationError)(nil); err == nil || !strings.Contains(fmt.Sprint(err), "winnow exports winnow or wxr") {
		t.Errorf("%v %v", err, ve)
	}
}
