package importer

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// htmlToText turns the HTML of a comment as WordPress and Disqus store it into
// winnow's comment dialect, which shows HTML as typed: links become Markdown links,
// bold, italics, code and quotes their Markdown, paragraphs and line breaks new
// lines, and every other tag goes with its text kept. Characters Markdown would read
// as markup are escaped, so the text shows as it did. The result is then held to the
// submit path's rules and rendered by the one sanitizer like any body.
func htmlToText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return escapeMarkdown(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	out := []*strings.Builder{{}}
	var links []string // the href of each open <a>, "" for one not kept
	skip := 0          // inside <script> or <style>
	pre := 0           // inside <pre>: text as it is, in a fenced block
	code := 0          // inside <code>: text as it is, in a code span
	w := func() *strings.Builder { return out[len(out)-1] }
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for len(out) > 1 { // an unclosed <blockquote>
				closeQuote(&out)
			}
			return tidyText(out[0].String())
		case html.TextToken:
			switch {
			case skip > 0:
			case pre > 0:
				w().WriteString(strings.ReplaceAll(string(z.Text()), "```", "` ` `"))
			case code > 0:
				w().WriteString(strings.ReplaceAll(string(z.Text()), "`", "'"))
			default:
				w().WriteString(escapeMarkdown(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			switch tag {
			case "script", "style":
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
			case "br":
				w().WriteString("\n")
			case "pre":
				switch {
				case tt == html.StartTagToken:
					pre++
					w().WriteString("\n\n```\n")
				case end && pre > 0:
					pre--
					w().WriteString("\n```\n\n")
				}
			case "p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6":
				w().WriteString("\n\n")
			case "li":
				if !end {
					w().WriteString("\n- ")
				}
			case "b", "strong":
				w().WriteString("**")
			case "i", "em":
				w().WriteString("*")
			case "del", "s", "strike":
				w().WriteString("~~")
			case "code":
				switch {
				case pre > 0 || tt == html.SelfClosingTagToken:
				case end && code > 0:
					code--
					w().WriteString("`")
				case !end:
					code++
					w().WriteString("`")
				}
			case "blockquote":
				if end {
					if len(out) > 1 {
						closeQuote(&out)
					}
				} else {
					out = append(out, &strings.Builder{})
				}
			case "a":
				if end {
					if n := len(links); n > 0 {
						if href := links[n-1]; href != "" {
							w().WriteString("](" + href + ")")
						}
						links = links[:n-1]
					}
					continue
				}
				href := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = linkTarget(string(v))
					}
				}
				if tt == html.SelfClosingTagToken {
					continue
				}
				links = append(links, href)
				if href != "" {
					w().WriteString("[")
				}
			}
		}
	}
}

// closeQuote ends the innermost quote: its lines, each with "> ", go to the text
// around it as a paragraph of their own.
func closeQuote(out *[]*strings.Builder) {
	inner := strings.TrimSpace(tidyText((*out)[len(*out)-1].String()))
	*out = (*out)[:len(*out)-1]
	w := (*out)[len(*out)-1]
	w.WriteString("\n\n")
	for _, l := range strings.Split(inner, "\n") {
		w.WriteString("> " + l + "\n")
	}
	w.WriteString("\n")
}

// linkTarget keeps a link to the web or to an address, written so that Markdown's
// link syntax holds it; any other scheme (javascript:) is no link.
func linkTarget(href string) string {
	href = strings.TrimSpace(href)
	l := strings.ToLower(href)
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "mailto:") {
		return ""
	}
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(href)
}

// markdownSpecial are the characters escaped in text: those that make emphasis,
// code, links and references, and "&" before a name or "#", which Markdown would
// read as a character reference the HTML had already decoded.
var markdownSpecial = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "~", `\~`)

var entityLike = regexp.MustCompile(`&([#A-Za-z])`)

// lineStart are the line starts Markdown reads as a heading or a quote.
var lineStart = regexp.MustCompile(`(?m)^([ \t]*)([#>])`)

func escapeMarkdown(s string) string {
	s = markdownSpecial.Replace(s)
	s = entityLike.ReplaceAllString(s, `\&$1`)
	return lineStart.ReplaceAllString(s, `$1\$2`)
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)

// tidyText trims each line's end and folds runs of blank lines into one.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}
