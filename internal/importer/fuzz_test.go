package importer

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReaders feeds any bytes to every format's reader: none may panic, each entry it
// emits is on a line of the file, and a reader stops with a *StopError or nothing.
func FuzzReaders(f *testing.F) {
	for _, name := range []string{"wordpress.xml", "disqus.xml", "latin1.xml", "remark42.json", "commento.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"winnow","version":1,"site":"blog"}` + "\n" + `{"type":"comment","id":1,"thread":"/p","body":"x"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines := bytes.Count(b, []byte("\n")) + 1
		for _, format := range Formats {
			open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
			err := read(context.Background(), format, open, func(_ context.Context, e Entry) error {
				if e.Line < 0 || e.Line > lines {
					t.Errorf("%s: entry on line %d of %d", format, e.Line, lines)
				}
				return nil
			})
			if _, ok := err.(*StopError); err != nil && !ok {
				t.Errorf("%s: %T %v", format, err, err)
			}
		}
	})
}

// FuzzHTMLToText: any HTML becomes valid text that keeps no tag of its own.
func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>a <b>b</b></p>", `<a href="https://x.example">x</a>`, "<blockquote><blockquote>q</blockquote>",
		"<pre><code>x := `1`</code></pre>", "a & b &amp; <script>alert(1)</script>", "*_[]`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlToText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Errorf("%q -> invalid UTF-8 %q", s, out)
		}
		if strings.Contains(strings.ToLower(out), "<script") && !strings.Contains(strings.ToLower(s), "&lt;script") {
			t.Errorf("%q -> %q keeps a script tag", s, out)
		}
	})
}
