// Package sanitize turns what a reader typed into a comment form into HTML
// that is safe to insert into any page.
//
// A comment body is Markdown-lite or limited HTML. It is rendered to HTML,
// passed through a bluemonday allowlist, which alone decides what is safe,
// and finally re-serialised with balanced tags so that a comment can neither
// close nor reopen the elements of the page around it.
package sanitize

import (
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// rel goes on every link: nofollow and ugc tell search engines that a reader,
// not the site, chose the link; noopener keeps the target away from window.opener.
const rel = "nofollow ugc noopener"

// maxDepth bounds element nesting: deeper tags are dropped, which keeps the
// balancing pass linear and spares browsers absurd trees.
const maxDepth = 64

var (
	relRe      = regexp.MustCompile(`^` + rel + `$`)
	blankLines = regexp.MustCompile(`\n[ \t]*(?:\n[ \t]*)+`)
)

// Sanitizer renders comment bodies. A bluemonday policy is meant to be
// built once, not per request, so build one Sanitizer at start and share it:
// it is safe for concurrent use.
type Sanitizer struct {
	policy *bluemonday.Policy
}

// New builds the allowlist: a few inline and block elements without
// attributes, and links to http, https and mailto URLs.
func New() *Sanitizer {
	p := bluemonday.NewPolicy()
	p.AllowElements("b", "strong", "i", "em", "code", "pre", "blockquote",
		"p", "br", "ul", "ol", "li", "del", "s")
	p.AllowAttrs("href").OnElements("a")
	// Only the rel that tidy writes, so that the output passes the policy unchanged.
	p.AllowAttrs("rel").Matching(relRe).OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	return &Sanitizer{policy: p}
}

// HTML renders a comment body, Markdown-lite or limited HTML, to HTML that
// is safe to insert into any page. Everything outside the allowlist is
// removed; the result is valid UTF-8 and well formed.
func (s *Sanitizer) HTML(source string) string {
	return tidy(s.policy.Sanitize(render(source)))
}

// Links counts the links (<a> elements) in rendered HTML. The spam rules hold
// a comment with too many links, counted as WordPress's comment_max_links does.
func Links(h string) int {
	n := 0
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return n
		case html.StartTagToken, html.SelfClosingTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) == atom.A {
				n++
			}
		}
	}
}

// tidy re-serialises HTML that bluemonday has already sanitized, so that a
// browser builds exactly the tree it describes when it is inserted in a
// <div>, <article> or <li> of the page: every element is closed, stray end tags are dropped, and nothing relies on
// the parser's implied end tags (a block inside <p>, an <li> outside a list,
// a link inside a link). It sets rel on every link and writes nothing the
// policy does not allow: text is escaped again, and only href is kept.
func tidy(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	var open []atom.Atom
	var text []byte // unescaped, so that the text around a dropped tag is one
	flush := func() {
		t := html.EscapeString(string(text))
		text = text[:0]
		if strings.Count(t, "\n") > 1 && !slices.Contains(open, atom.Pre) {
			// Blank lines (from &#10; say) mean nothing outside <pre>;
			// without them the output stays one block if rendered again.
			t = blankLines.ReplaceAllString(t, "\n")
		}
		b.WriteString(t)
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

	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			closeTo(0)
			return b.String()
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
				continue
			case atom.Li:
				if top != atom.Ul && top != atom.Ol {
					continue
				}
			case atom.P, atom.Pre, atom.Blockquote, atom.Ul, atom.Ol:
				// A browser ends an open <p> here; do it explicitly.
				if i := slices.Index(open, atom.P); i >= 0 {
					closeTo(i)
				}
			case atom.B, atom.Strong, atom.I, atom.Em, atom.Code, atom.Del, atom.S:
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
