// Package sanitize turns what a reader typed into a comment form into HTML
// that is safe to insert into any page.
//
// A comment body is Markdown: CommonMark as goldmark parses it, with line
// breaks kept, bare URLs linked and ~~strikethrough~~, but without the
// reader's own HTML, which is shown as the text it is (see newMarkdown). The
// HTML goldmark renders is passed through a bluemonday allowlist, which alone
// decides what is safe, and finally re-serialised with balanced tags so that
// a comment can neither close nor reopen the elements of the page around it.
package sanitize

import (
	"bytes"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/winnow/winnow/internal/comment"
)

// rel goes on every link: nofollow and ugc tell search engines that a reader,
// not the site, chose the link; noopener keeps the target away from window.opener.
const rel = "nofollow ugc noopener"

// maxDepth bounds element nesting: deeper tags are dropped, which keeps the
// balancing pass linear and spares browsers absurd trees.
const maxDepth = 64

// allowedElements is the whole vocabulary of a rendered comment, what the
// renderer makes of Markdown: paragraphs and line breaks, strong and em,
// code spans and blocks, quotes, lists, strikethrough (del), thematic breaks
// (hr) and links. Headings come out as bold paragraphs and images as links,
// so neither h1-h6 nor img is here; nor is any attribute but a link's href
// and rel and an ordered list's start.
var allowedElements = []string{"p", "br", "strong", "em", "code", "pre", "blockquote",
	"ul", "ol", "li", "del", "hr", "a"}

var (
	relRe      = regexp.MustCompile(`^` + rel + `$`)
	startRe    = regexp.MustCompile(`^[0-9]{1,9}$`) // CommonMark's longest list number
	blankLines = regexp.MustCompile(`\n[ \t]*(?:\n[ \t]*)+`)

	newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "\uFFFD")
)

// Sanitizer renders comment bodies. A bluemonday policy and a goldmark
// instance are meant to be built once, not per request, so build one
// Sanitizer at start and share it: it is safe for concurrent use.
type Sanitizer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds the Markdown renderer and the allowlist: allowedElements, links
// to http, https and mailto URLs, and the start number of an ordered list.
func New() *Sanitizer {
	p := bluemonday.NewPolicy()
	p.AllowElements(allowedElements...)
	p.AllowAttrs("href").OnElements("a")
	// Only the rel that tidy writes, so that the output passes the policy unchanged.
	p.AllowAttrs("rel").Matching(relRe).OnElements("a")
	p.AllowAttrs("start").Matching(startRe).OnElements("ol")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	return &Sanitizer{md: newMarkdown(), policy: p}
}

// Rendered is a comment body rendered once: its safe HTML and what later
// steps would otherwise parse that HTML again to learn.
type Rendered struct {
	// HTML is safe to insert into any page.
	HTML string
	// Links are the href of every link in HTML, in order, as they are
	// written there (the spam rules count them; their hosts are features).
	Links []string
	// Text is what HTML shows a reader, its text without the markup and with
	// character references decoded, trimmed (the space between blocks is the
	// renderer's, not the reader's). A body's source can be visible while its
	// rendering is not ("&#8203;", "# ", "[](https://x.example)"), so the rule
	// that a comment shows something is checked on this too.
	Text string
}

// HTML renders a comment body to HTML that is safe to insert into any page.
// Everything outside the allowlist is removed; the result is valid UTF-8 and
// well formed.
func (s *Sanitizer) HTML(source string) string {
	return s.Render(source).HTML
}

// Render renders a comment body as HTML does and also lists the links in the
// result, so that a caller needs to parse the body only once.
//
// A body whose Markdown would render to more than maxRendered bytes is shown
// as typed instead, as plain text: a link reference repeats its URL at every
// use, so that ten thousand characters ("[a]: http://x/aaaa…" and "[a]"
// a thousand times) would otherwise render to megabytes of HTML, stored with
// the comment and sent with every read of its thread.
func (s *Sanitizer) Render(source string) Rendered {
	src := strings.ToValidUTF8(source, "\uFFFD")
	if strings.ContainsAny(src, "\r\x00") { // a Replacer copies even when nothing matches
		src = newlines.Replace(src)
	}
	limit := maxRendered(len(src))
	buf := &cappedBuffer{max: limit}
	buf.buf.Grow(len(src) + len(src)/2)
	if err := s.md.Convert([]byte(src), buf); errors.Is(err, errTooLong) {
		return s.plain(src)
	} else if err != nil {
		// Writing to a bytes.Buffer fails only if memory runs out; show
		// nothing rather than half a comment.
		return Rendered{}
	}
	h, text, links := tidy(s.policy.SanitizeReader(&buf.buf).Bytes())
	if len(h) > limit { // tidy's rel attributes, on a great many links
		return s.plain(src)
	}
	// goldmark ends every block with a newline; the last one is no content.
	return Rendered{HTML: strings.TrimRight(h, "\n"), Links: links, Text: strings.TrimSpace(text)}
}

// maxRendered bounds the HTML a body of n bytes may render to: generous for
// any comment (escaping makes at most five bytes of one, a bare link about
// three times its length and fifty bytes), far below what link references
// can make.
func maxRendered(n int) int { return 64<<10 + 8*n }

// plain renders src as typed, without Markdown: escaped text in one
// paragraph, its line breaks kept. It grows by at most six times.
func (s *Sanitizer) plain(src string) Rendered {
	h := "<p>" + strings.ReplaceAll(html.EscapeString(strings.TrimSpace(src)), "\n", "<br>\n") + "</p>"
	h, text, links := tidy([]byte(h))
	return Rendered{HTML: h, Links: links, Text: strings.TrimSpace(text)}
}

// errTooLong stops a rendering that has grown past its bound.
var errTooLong = errors.New("sanitize: rendered body too long")

// cappedBuffer is a buffer that refuses to grow past max bytes, so that
// goldmark stops writing (and allocating) as soon as a body renders too long.
// It is an io.Writer and nothing more: a WriteString or ReadFrom that writers
// like bufio.Writer prefer would bypass the cap.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		return 0, errTooLong
	}
	return b.buf.Write(p)
}

// tidy re-serialises HTML that bluemonday has already sanitized, so that a
// browser builds exactly the tree it describes when it is inserted in a
// <div>, <article> or <li> of the page: every element is closed, stray end tags are dropped, and nothing relies on
// the parser's implied end tags (a block inside <p>, an <li> outside a list,
// a link inside a link). It sets rel on every link and writes nothing the
// policy does not allow: text is escaped again, and only href (and an ordered
// list's start) is kept. It returns the text it wrote, unescaped, and the hrefs
// of the links it wrote.
func tidy(s []byte) (string, string, []string) {
	var links []string
	var b, shown strings.Builder
	b.Grow(len(s) + len(s)/4)
	shown.Grow(len(s))
	var open []atom.Atom
	text := make([]byte, 0, 256) // unescaped, so that the text around a dropped tag is one
	flush := func() {
		if bytes.IndexFunc(text, comment.RemovedFromBody) >= 0 {
			// Only a character reference can have made them: the source has none.
			text = bytes.Map(func(r rune) rune {
				if comment.RemovedFromBody(r) {
					return -1
				}
				return r
			}, text)
		}
		shown.Write(text)
		if bytes.Count(text, []byte("\n")) > 1 && !slices.Contains(open, atom.Pre) {
			// Blank lines (from &#10; say) mean nothing outside <pre>;
			// without them the output stays one block if rendered again.
			b.WriteString(blankLines.ReplaceAllString(html.EscapeString(string(text)), "\n"))
		} else {
			escapeText(&b, text)
		}
		text = text[:0]
	}
	closeTo := func(n int) {
		flush()
		for len(open) > n {
			b.WriteString("</")
			b.WriteString(open[len(open)-1].String())
			b.WriteByte('>')
			open = open[:len(open)-1]
		}
	}

	z := html.NewTokenizer(bytes.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			closeTo(0)
			return b.String(), shown.String(), links
		case html.TextToken:
			text = append(text, z.Text()...)
		case html.EndTagToken:
			name, _ := z.TagName()
			// The innermost element of that name, as a browser would.
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == atom.Lookup(name) {
					closeTo(i)
					break
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			a := atom.Lookup(name)
			if len(open) >= maxDepth {
				continue
			}
			var top atom.Atom
			if len(open) > 0 {
				top = open[len(open)-1]
			}
			switch a {
			case atom.Br:
				flush()
				b.WriteString("<br>")
				continue
			case atom.Hr:
				if i := slices.Index(open, atom.P); i >= 0 {
					closeTo(i)
				}
				flush()
				b.WriteString("<hr>")
				continue
			case atom.A:
				var href string
				for more {
					var k, v []byte
					k, v, more = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
				if href == "" || slices.Contains(open, atom.A) {
					continue
				}
				flush()
				b.WriteString(`<a href="`)
				b.WriteString(html.EscapeString(href))
				b.WriteString(`" rel="` + rel + `">`)
				open = append(open, a)
				links = append(links, href)
				continue
			case atom.Ol:
				var start string
				for more {
					var k, v []byte
					k, v, more = z.TagAttr()
					if string(k) == "start" && startRe.Match(v) {
						start = string(v)
					}
				}
				if i := slices.Index(open, atom.P); i >= 0 {
					closeTo(i)
				}
				flush()
				b.WriteString("<ol")
				if start != "" {
					b.WriteString(` start="` + start + `"`)
				}
				b.WriteByte('>')
				open = append(open, a)
				continue
			case atom.Li:
				if top != atom.Ul && top != atom.Ol {
					continue
				}
			case atom.P, atom.Pre, atom.Blockquote, atom.Ul:
				// A browser ends an open <p> here; do it explicitly.
				if i := slices.Index(open, atom.P); i >= 0 {
					closeTo(i)
				}
			case atom.Strong, atom.Em, atom.Code, atom.Del:
			default:
				continue
			}
			flush()
			b.WriteByte('<')
			b.WriteString(a.String())
			b.WriteByte('>')
			open = append(open, a)
		}
	}
}

// escapeText writes text to b escaped as html.EscapeString escapes it (the same five
// characters and CR), without the copies EscapeString makes: tidy writes every text
// of every comment.
func escapeText(b *strings.Builder, text []byte) {
	last := 0
	for i, c := range text {
		var esc string
		switch c {
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\r':
			esc = "&#13;"
		default:
			continue
		}
		b.Write(text[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.Write(text[last:])
}
