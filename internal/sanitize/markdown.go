package sanitize

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// The Markdown-lite renderer below is not a security boundary: the reader's
// own tags pass through it untouched and bluemonday decides what survives.
// It only has to make the common cases look right.

// maxQuoteDepth bounds nested "> > >" quotes; deeper markers stay text.
const maxQuoteDepth = 8

// maxTagLen bounds how far one "<" is looked at, keeping rendering linear;
// a longer tag is shown as text.
const maxTagLen = 2048

var (
	// tagRe matches one start or end tag at the start of a string, as
	// CommonMark defines raw HTML. A "<" that starts no tag is text.
	tagRe = regexp.MustCompile(`^(?:<([A-Za-z][A-Za-z0-9-]*)(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>` + "`" + `]+|'[^']*'|"[^"]*"))?)*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)`)
	// htmlBlockRe matches a line opening a block of the reader's own HTML,
	// which is passed on as it is, without Markdown.
	htmlBlockRe = regexp.MustCompile(`^(?i)<(?:p|pre|blockquote|ul|ol)[\s/>]`)
	preRe       = regexp.MustCompile(`(?i)<(/?)pre[\s/>]`)
	linkRe      = regexp.MustCompile(`^\[([^\[\]]+)\]\(((?i:https?://|mailto:)[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)\)`)
	urlRe       = regexp.MustCompile(`^(?i:https?://)[^\s<>"]+`)
	codeEndRe   = regexp.MustCompile(`(?i)</code\s*>`)
	preEndRe    = regexp.MustCompile(`(?i)</pre\s*>`)

	newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "\uFFFD")
)

// render turns Markdown-lite into HTML, not yet sanitized.
func render(source string) string {
	source = newlines.Replace(strings.ToValidUTF8(source, "\uFFFD"))
	return blocks(strings.Split(source, "\n"), 0)
}

// blocks renders lines as paragraphs, fenced code, quotes, lists and blocks
// of the reader's HTML, one block per line of output.
func blocks(lines []string, depth int) string {
	var out []string
	for i := 0; i < len(lines); {
		line := strings.TrimLeft(lines[i], " \t")
		j := i + 1
		switch {
		case blank(line):
		case strings.HasPrefix(line, "```"):
			for j < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[j], " \t"), "```") {
				j++
			}
			code := strings.Join(lines[i+1:min(j, len(lines))], "\n")
			out = append(out, "<pre><code>"+html.EscapeString(code)+"</code></pre>")
			j++ // the closing fence
		case quoted(line) && depth < maxQuoteDepth:
			var inner []string
			for j = i; j < len(lines) && quoted(strings.TrimLeft(lines[j], " \t")); j++ {
				l := strings.TrimLeft(lines[j], " \t")
				inner = append(inner, strings.TrimPrefix(l[1:], " "))
			}
			if in := blocks(inner, depth+1); in != "" {
				out = append(out, "<blockquote>\n"+in+"\n</blockquote>")
			}
		case item(line):
			var b strings.Builder
			b.WriteString("<ul>\n")
			for j = i; j < len(lines) && item(strings.TrimLeft(lines[j], " \t")); j++ {
				l := strings.TrimSpace(lines[j])
				b.WriteString("<li>" + inline(strings.TrimSpace(l[1:]), true) + "</li>\n")
			}
			b.WriteString("</ul>")
			out = append(out, b.String())
		case htmlBlockRe.MatchString(line) && tagLen(line) > 0:
			// Up to a blank line that is not inside <pre>.
			pre := preDepth(line)
			for ; j < len(lines) && (pre > 0 || !blank(lines[j])); j++ {
				pre += preDepth(lines[j])
			}
			out = append(out, raw(strings.Join(lines[i:j], "\n")))
		default:
			for j < len(lines) && !interrupts(strings.TrimLeft(lines[j], " \t"), depth) {
				j++
			}
			para := make([]string, 0, j-i)
			for _, l := range lines[i:j] {
				para = append(para, strings.TrimSpace(l))
			}
			out = append(out, "<p>"+inline(strings.Join(para, "\n"), true)+"</p>")
		}
		i = j
	}
	return strings.Join(out, "\n")
}

// blank reports whether a line separates blocks. Only spaces and tabs
// count, as in CommonMark: a line holding a no-break space is text.
func blank(line string) bool { return strings.Trim(line, " \t") == "" }

func quoted(line string) bool { return line == ">" || strings.HasPrefix(line, "> ") }

func item(line string) bool { return strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") }

// interrupts reports whether a line ends a paragraph.
func interrupts(line string, depth int) bool {
	return blank(line) || strings.HasPrefix(line, "```") ||
		(quoted(line) && depth < maxQuoteDepth) || item(line)
}

// preDepth is the number of <pre> a line opens minus those it closes.
func preDepth(line string) int {
	n := 0
	for _, m := range preRe.FindAllStringSubmatch(line, -1) {
		if m[1] == "" {
			n++
		} else {
			n--
		}
	}
	return n
}

// raw passes the reader's HTML on as it is, except that a "<" starting no
// tag is escaped, so "a < b" stays text.
func raw(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		if n := tagLen(s[i:]); n > 0 {
			b.WriteString(s[i : i+n])
			s = s[i+n:]
		} else {
			b.WriteString("&lt;")
			s = s[i+1:]
		}
	}
}

// tagLen is the length of the tag at the start of s, or 0.
func tagLen(s string) int {
	m := tagRe.FindStringIndex(s[:min(len(s), maxTagLen)])
	if m == nil {
		return 0
	}
	return m[1]
}

// piece is a bit of inline output: HTML, or an emphasis delimiter run
// ("*", "**", "_", "__") waiting to be paired.
type piece struct {
	text        string
	delim       byte
	open, close bool
}

// inline renders the text of one paragraph or list item: code spans, links,
// autolinks (when links is set), emphasis and line breaks. The reader's tags
// are kept as they are.
func inline(s string, links bool) string {
	var ps []piece
	start := 0 // of the text not yet in ps
	// emit adds the text before s[i:next], then p standing for s[i:next].
	emit := func(i, next int, p piece) {
		if start < i {
			t := strings.ReplaceAll(s[start:i], "<", "&lt;")
			ps = append(ps, piece{text: strings.ReplaceAll(t, "\n", "<br>\n")})
		}
		ps = append(ps, p)
		start = next
	}

	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '`':
			n := len(s[i:]) - len(strings.TrimLeft(s[i:], "`"))
			end := strings.Index(s[i+n:], s[i:i+n])
			if end < 0 {
				i += n
				continue
			}
			code := s[i+n : i+n+end]
			emit(i, i+n+end+n, piece{text: "<code>" + html.EscapeString(code) + "</code>"})
			i += n + end + n
		case c == '<':
			m := tagRe.FindStringSubmatchIndex(s[i:min(len(s), i+maxTagLen)])
			if m == nil {
				i++
				continue
			}
			end := i + m[1]
			// The reader's <code> and <pre> hold literal text: no Markdown inside.
			if m[2] >= 0 {
				var endRe *regexp.Regexp
				switch strings.ToLower(s[i+m[2] : i+m[3]]) {
				case "code":
					endRe = codeEndRe
				case "pre":
					endRe = preEndRe
				}
				if endRe != nil {
					if e := endRe.FindStringIndex(s[end:]); e != nil {
						end += e[1]
					}
				}
			}
			emit(i, end, piece{text: raw(s[i:end])})
			i = end
		case c == '[':
			m := linkRe.FindStringSubmatchIndex(s[i:])
			if m == nil {
				i++
				continue
			}
			text, href := s[i+m[2]:i+m[3]], s[i+m[4]:i+m[5]]
			emit(i, i+m[1], piece{text: `<a href="` + html.EscapeString(href) + `">` + inline(text, false) + "</a>"})
			i += m[1]
		case links && (c == 'h' || c == 'H') && !wordBefore(s, i):
			u := trimURL(urlRe.FindString(s[i:]))
			if !strings.Contains(u, "://") || strings.HasSuffix(u, "://") {
				i++
				continue
			}
			emit(i, i+len(u), piece{text: `<a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + "</a>"})
			i += len(u)
		case c == '*' || c == '_':
			n := len(s[i:]) - len(strings.TrimLeft(s[i:], s[i:i+1]))
			before, _ := utf8.DecodeLastRuneInString(s[:i])
			after, _ := utf8.DecodeRuneInString(s[i+n:])
			p := piece{text: s[i : i+n], delim: c}
			p.open = i+n < len(s) && !unicode.IsSpace(after)
			p.close = i > 0 && !unicode.IsSpace(before)
			if c == '_' { // not inside words: snake_case_name stays
				p.open = p.open && (i == 0 || !alnum(before))
				p.close = p.close && (i+n == len(s) || !alnum(after))
			}
			if n > 2 || !(p.open || p.close) {
				i += n
				continue
			}
			emit(i, i+n, p)
			i += n
		default:
			i++
		}
	}
	emit(len(s), len(s), piece{})
	return emphasis(ps)
}

// emphasis pairs delimiter runs, each closer with the nearest opener of the
// same kind; runs left between a pair, and unpaired runs, stay text. One
// stack per kind (*, **, _, __) keeps it linear.
func emphasis(ps []piece) string {
	var stacks [4][]int
	for i := range ps {
		p := &ps[i]
		if p.delim == 0 {
			continue
		}
		k := len(p.text) - 1
		if p.delim == '_' {
			k += 2
		}
		if st := stacks[k]; p.close && len(st) > 0 {
			o := st[len(st)-1]
			tag := "em>"
			if len(p.text) == 2 {
				tag = "strong>"
			}
			ps[o].text, p.text = "<"+tag, "</"+tag
			for k := range stacks {
				for len(stacks[k]) > 0 && stacks[k][len(stacks[k])-1] >= o {
					stacks[k] = stacks[k][:len(stacks[k])-1]
				}
			}
			continue
		}
		if p.open {
			stacks[k] = append(stacks[k], i)
		}
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.text)
	}
	return b.String()
}

func alnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordBefore reports whether s[i] continues a word, as in "xhttp://".
func wordBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return i > 0 && alnum(r)
}

// trimURL drops trailing punctuation that ends the sentence rather than the
// URL, and a ")" that closes a parenthesis opened before the URL.
func trimURL(u string) string {
	for u != "" {
		switch c := u[len(u)-1]; {
		case strings.IndexByte(".,:;!?'\"*_~]", c) >= 0:
		case c == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
		default:
			return u
		}
		u = u[:len(u)-1]
	}
	return u
}
