package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// generatedWXR is a WordPress export of n comments on n/perPost posts, written as it
// is read (never held, never on disk). Every tenth comment is a reply to the one
// after it (a reply before its parent, linked by the second pass), every fifth a reply
// to the one before, and every hundredth is spam.
type generatedWXR struct {
	n, perPost, i int
	buf           bytes.Buffer
	done          bool
}

const perPost = 1000

func newGeneratedWXR(n int) *generatedWXR {
	g := &generatedWXR{n: n, perPost: perPost}
	g.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>` + "\n")
	return g
}

func (g *generatedWXR) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && !g.done {
		g.next()
	}
	if g.buf.Len() == 0 && g.done {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

func (g *generatedWXR) Close() error { return nil }

func (g *generatedWXR) next() {
	if g.i == g.n {
		g.buf.WriteString("</item></channel></rss>\n")
		g.done = true
		return
	}
	id := g.i + 1
	if g.i%g.perPost == 0 {
		if g.i > 0 {
			g.buf.WriteString("</item>\n")
		}
		post := g.i/g.perPost + 1
		fmt.Fprintf(&g.buf, "<item><title>Post %d</title><link>https://blog.example/%d/</link><wp:post_id>%d</wp:post_id>\n", post, post, post)
	}
	parent, status := 0, "1"
	switch {
	case id%10 == 0 && id%g.perPost != 0:
		parent = id + 1
	case id%5 == 0 && id%g.perPost != 1:
		parent = id - 1
	}
	if id%100 == 0 {
		status = "spam"
	}
	fmt.Fprintf(&g.buf, "<wp:comment><wp:comment_id>%d</wp:comment_id><wp:comment_author><![CDATA[Reader %d]]></wp:comment_author>"+
		"<wp:comment_author_email>reader%d@example.org</wp:comment_author_email><wp:comment_author_IP>192.0.2.%d</wp:comment_author_IP>"+
		"<wp:comment_date_gmt>2020-01-01 %02d:%02d:%02d</wp:comment_date_gmt><wp:comment_content><![CDATA[Comment number %d, "+
		"with <em>a little</em> markup and a <a href=\"https://example.org/%d\">link</a>.]]></wp:comment_content>"+
		"<wp:comment_approved>%s</wp:comment_approved><wp:comment_parent>%d</wp:comment_parent></wp:comment>\n",
		id, id%5000, id%5000, id%250, (id/3600)%24, (id/60)%60, id%60, id, id, status, parent)
	g.i++
}

// TestImportLarge imports a generated WordPress export in bounded memory, on both
// engines: the heap in use stays far below the file's size, whatever the number of
// comments. It imports 5,000 comments by default (several batches, and replies linked
// across them); WINNOW_TEST_IMPORT_COMMENTS=1000000 imports a million (on SQLite alone:
// -run 'TestImportLarge/sqlite'; some minutes).
func TestImportLarge(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) { importLarge(t, newEnv(t, st)) })
}

func importLarge(t *testing.T, e env) {
	n := 5000
	if v := os.Getenv("WINNOW_TEST_IMPORT_COMMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("WINNOW_TEST_IMPORT_COMMENTS=%q", v)
		}
	} else if testing.Short() {
		n = 2000
	}
	size := int64(0)
	if b, err := io.Copy(io.Discard, newGeneratedWXR(n)); err == nil {
		size = b
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() { // samples the heap in use while the import runs
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	rep, err := e.svc.Import(context.Background(), importer.Request{Site: "blog", Format: importer.FormatWXR,
		Open: func() (io.ReadCloser, error) { return newGeneratedWXR(n), nil }})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	replies := n / 5 // every fifth comment is a reply, to the one before or after it
	if rep.Imported != n || rep.Skipped != 0 || !rep.Complete || rep.Replies != replies || rep.ByStatus["spam"] != n/100 {
		t.Fatalf("imported %d of %d, skipped %d, replies %d of %d, spam %d: %v", rep.Imported, n, rep.Skipped, rep.Replies, replies, rep.ByStatus["spam"], rep.Problems)
	}
	t.Logf("%s: %d comments (a %.0f MiB file) imported in %s; heap in use at most %.1f MiB (%.1f MiB before)",
		e.st.Dialect(), n, float64(size)/(1<<20), time.Since(start).Round(time.Second), float64(peak)/(1<<20), float64(base.HeapInuse)/(1<<20))
	// Bounded: nothing in the import grows with the number of comments. 64 MiB is
	// ample for the batch, the XML decoder, the sanitizer and SQLite's own cache.
	if limit := uint64(64 << 20); peak-min(peak, base.HeapInuse) > limit {
		t.Errorf("the import's heap grew by %d MiB, more than %d MiB", (peak-base.HeapInuse)>>20, limit>>20)
	}
}
