package sanitize

import (
	"bufio"
	"bytes"
	"regexp"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// The Markdown renderer is not the security boundary: bluemonday after it
// decides what survives. It only has to read comments as CommonMark does.

// urlPath is what may follow the host of a bare URL: anything but spaces,
// controls, quotes, angle brackets and the brackets of BBCode and Markdown,
// so that "[url]http://a.example/x[/url]" or a URL before "<" ends where it
// should. goldmark then trims trailing punctuation and unbalanced ")".
const urlPath = `(?:[/?#][^\s\p{Z}\p{C}<>"` + "`" + `\[\]{}|\\^]*)?`

// urlHost is a host name of two or more labels, in any script (IDN) or an
// IPv4 address, and an optional port.
const urlHost = `[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)+(?::[0-9]{1,5})?`

var (
	bareURLRe = regexp.MustCompile(`^(?i:https?)://` + urlHost + urlPath)
	wwwURLRe  = regexp.MustCompile(`^www\.` + urlHost + urlPath)
	// noMatchRe matches nothing: a bare email address stays text. It is not
	// a link a reader needs, and counting it as one would hold comments that
	// merely mention an address.
	noMatchRe = regexp.MustCompile(`^[^\x00-\x{10FFFF}]`)
)

// newMarkdown builds the comment dialect: CommonMark, with line breaks kept
// (a comment is typed, not typeset), bare URLs and www. names linked, and
// ~~strikethrough~~. The reader's own HTML is not parsed at all: "<b>" or
// "List<T>" is text and is shown as typed, so no tag of theirs ever reaches
// the output and nothing they write silently disappears. goldmark's default of
// not rendering raw HTML stays on besides, in case a parser ever makes some.
//
// A heading is rendered as a paragraph in bold, since a comment is a part of
// someone else's page and must not compete with its headings; an image as a
// link to the image, since an <img> would make every reader's browser fetch
// whatever a stranger chose (a tracker, a huge or offensive picture).
func newMarkdown() goldmark.Markdown {
	p := parser.NewParser(
		parser.WithBlockParsers( // parser.DefaultBlockParsers without the HTML block
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(parser.NewListParser(), 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(parser.NewBlockquoteParser(), 800),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers( // parser.DefaultInlineParsers without raw HTML
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(parser.NewLinkParser(), 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			util.Prioritized(parser.NewEmphasisParser(), 500),
		),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		// Linkify's parser, at the priority its extension gives it, so that "www."
		// links can be made https (httpsWWW).
		parser.WithInlineParsers(util.Prioritized(httpsWWW{extension.NewLinkifyParser(
			extension.WithLinkifyAllowedProtocols([]string{"http:", "https:", "HTTP:", "HTTPS:"}),
			extension.WithLinkifyURLRegexp(bareURLRe),
			extension.WithLinkifyWWWRegexp(wwwURLRe),
			extension.WithLinkifyEmailRegexp(noMatchRe),
		)}, 999)),
	)
	return goldmark.New(
		goldmark.WithParser(p),
		goldmark.WithExtensions(extension.Strikethrough),
		goldmark.WithRendererOptions(
			gmhtml.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(commentRenderer{}, 100)),
		),
	)
}

// httpsWWW is goldmark's linkify parser, but a bare "www." name links to https://, not
// http://: the web is https now, and an http link sends the reader's first request in
// the clear (where a network may rewrite it) before the site redirects.
type httpsWWW struct{ parser.InlineParser }

var httpsProtocol = []byte("https")

// Parse implements parser.InlineParser.
func (p httpsWWW) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	n := p.InlineParser.Parse(parent, block, pc)
	if l, ok := n.(*ast.AutoLink); ok && l.Protocol != nil {
		l.Protocol = httpsProtocol // set by linkify for www. names only
	}
	return n
}

// commentRenderer overrides goldmark's HTML for the nodes a comment shows
// differently from a document (see newMarkdown).
type commentRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (commentRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, renderHeading)
	reg.Register(ast.KindImage, renderImage)
}

func renderHeading(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString("<p><strong>")
	} else {
		_, _ = w.WriteString("</strong></p>\n")
	}
	return ast.WalkContinue, nil
}

// renderImage writes ![alt](src) as a link to src whose text is the alt
// text, plain as an alt attribute would hold it, or the URL when there is none.
func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	dest := util.URLEscape(n.Destination, true)
	_, _ = w.WriteString(`<a href="`)
	if !gmhtml.IsDangerousURL(dest) {
		_, _ = w.Write(util.EscapeHTML(dest))
	}
	_, _ = w.WriteString(`">`)
	var alt bytes.Buffer
	bw := bufio.NewWriter(&alt)
	writePlain(bw, source, n)
	_ = bw.Flush()
	if alt.Len() > 0 {
		_, _ = w.Write(alt.Bytes())
	} else {
		gmhtml.DefaultWriter.Write(w, n.Destination)
	}
	_, _ = w.WriteString("</a>")
	return ast.WalkSkipChildren, nil
}

// writePlain writes the text of n's descendants without their markup, as
// goldmark writes text: character references resolved and backslash escapes
// removed (but in code spans), HTML escaped; a line break is a space.
func writePlain(w util.BufWriter, source []byte, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			if c.IsRaw() { // a code span's text
				gmhtml.DefaultWriter.RawWrite(w, c.Segment.Value(source))
			} else {
				gmhtml.DefaultWriter.Write(w, c.Segment.Value(source))
			}
			if c.SoftLineBreak() || c.HardLineBreak() {
				_ = w.WriteByte(' ')
			}
		case *ast.String:
			switch {
			case c.IsCode():
				_, _ = w.Write(c.Value)
			case c.IsRaw():
				gmhtml.DefaultWriter.RawWrite(w, c.Value)
			default:
				gmhtml.DefaultWriter.Write(w, c.Value)
			}
		case *ast.AutoLink:
			_, _ = w.Write(util.EscapeHTML(c.Label(source)))
		default:
			writePlain(w, source, c)
		}
	}
}
