package sanitize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/winnow/winnow/internal/comment"
)

const link = ` rel="nofollow ugc noopener"`

var markdownTests = []struct {
	name, in, want string
}{
	{"empty input renders nothing", "", ""},
	{"plain text is a paragraph", "Hello, world.", "<p>Hello, world.</p>"},
	{"blank lines separate paragraphs", "one\n\n\ntwo", "<p>one</p>\n<p>two</p>"},
	{"single newline is a line break", "one\ntwo", "<p>one<br>\ntwo</p>"},
	{"CRLF line endings are newlines", "one\r\ntwo\r\n\r\nthree", "<p>one<br>\ntwo</p>\n<p>three</p>"},
	{"double stars are strong", "a **bold** word", "<p>a <strong>bold</strong> word</p>"},
	{"double underscores are strong", "a __bold__ word", "<p>a <strong>bold</strong> word</p>"},
	{"single star is emphasis", "an *em* word", "<p>an <em>em</em> word</p>"},
	{"single underscore is emphasis", "an _em_ word", "<p>an <em>em</em> word</p>"},
	{"emphasis nests in strong", "**bold *em* bold**", "<p><strong>bold <em>em</em> bold</strong></p>"},
	{"underscores inside words stay", "call snake_case_name now", "<p>call snake_case_name now</p>"},
	{"spaced stars stay", "a * b * c", "<p>a * b * c</p>"},
	{"unclosed delimiter stays", "**not closed", "<p>**not closed</p>"},
	{"crossing delimiters pair the inner ones", "*a _b* c_", "<p><em>a _b</em> c_</p>"},
	{"double tildes strike through", "~~gone~~ here", "<p><del>gone</del> here</p>"},
	{"code span is literal", "`<b>x</b> **y** a_b_`", "<p><code>&lt;b&gt;x&lt;/b&gt; **y** a_b_</code></p>"},
	{"unclosed backtick stays", "a ` b", "<p>a ` b</p>"},
	// CommonMark keeps the code block's last newline (the old parser dropped it).
	{"fenced block is literal", "```go\nif a < b && c {\n\n\t*p = 1\n}\n```\nafter",
		"<pre><code>if a &lt; b &amp;&amp; c {\n\n\t*p = 1\n}\n</code></pre>\n<p>after</p>"},
	{"unclosed fence runs to the end", "```\n<script>x</script>", "<pre><code>&lt;script&gt;x&lt;/script&gt;\n</code></pre>"},
	{"indented block is code", "    x = 1", "<pre><code>x = 1\n</code></pre>"},
	{"quote lines are a blockquote", "> quoted\n> lines\n\nreply",
		"<blockquote>\n<p>quoted<br>\nlines</p>\n</blockquote>\n<p>reply</p>"},
	// "> outer" continues the inner paragraph (CommonMark's laziness).
	{"quotes nest", "> > inner\n>\n> outer",
		"<blockquote>\n<blockquote>\n<p>inner</p>\n</blockquote>\n<p>outer</p>\n</blockquote>"},
	{"dash lines are a list", "- one\n- *two*", "<ul>\n<li>one</li>\n<li><em>two</em></li>\n</ul>"},
	// A different bullet starts a new list (CommonMark; the old parser joined them).
	{"star lines are another list", "- one\n* two", "<ul>\n<li>one</li>\n</ul>\n<ul>\n<li>two</li>\n</ul>"},
	{"list ends a paragraph", "intro\n- a\n- b", "<p>intro</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>"},
	{"numbered list keeps its start", "3. three\n4. four", "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>"},
	{"numbered list from one", "1. one", "<ol>\n<li>one</li>\n</ol>"},
	{"heading is a bold paragraph", "# Title\n\ntext", "<p><strong>Title</strong></p>\n<p>text</p>"},
	{"underlined heading is a bold paragraph", "Title\n===", "<p><strong>Title</strong></p>"},
	{"hash without space is text", "#hashtag", "<p>#hashtag</p>"},
	{"thematic break", "a\n\n***\n\nb", "<p>a</p>\n<hr>\n<p>b</p>"},
	{"link", "[winnow](https://example.com/docs)", `<p><a href="https://example.com/docs"` + link + `>winnow</a></p>`},
	{"link title is dropped", `[winnow](https://example.com/docs "the docs")`, `<p><a href="https://example.com/docs"` + link + `>winnow</a></p>`},
	{"link text keeps emphasis", "[**big** news](http://example.com)", `<p><a href="http://example.com"` + link + `><strong>big</strong> news</a></p>`},
	{"link URL keeps parentheses", "[Go](https://en.wikipedia.org/wiki/Go_(programming_language))",
		`<p><a href="https://en.wikipedia.org/wiki/Go_(programming_language)"` + link + `>Go</a></p>`},
	{"reference link", "[Go][1]\n\n[1]: https://go.dev", `<p><a href="https://go.dev"` + link + `>Go</a></p>`},
	{"angle autolink", "<https://example.com/a>", `<p><a href="https://example.com/a"` + link + `>https://example.com/a</a></p>`},
	{"mailto link", "[mail me](mailto:me@example.com)", `<p><a href="mailto:me@example.com"` + link + `>mail me</a></p>`},
	// goldmark reads it as a link and drops the unsafe URL, keeping its text.
	{"javascript link keeps only its text", "[x](javascript:alert(1))", "<p>x</p>"},
	{"image is a link to the image", "![a cat](https://img.example/cat.png)", `<p><a href="https://img.example/cat.png"` + link + `>a cat</a></p>`},
	{"image without alt shows its URL", "![](https://img.example/cat.png)",
		`<p><a href="https://img.example/cat.png"` + link + `>https://img.example/cat.png</a></p>`},
	{"image text resolves references and escapes", `![Tom &amp; Jerry \*1\*](https://img.example/c.png)`,
		`<p><a href="https://img.example/c.png"` + link + `>Tom &amp; Jerry *1*</a></p>`},
	{"image text keeps a code span literal", "![`a&amp;\\*`](https://img.example/c.png)",
		`<p><a href="https://img.example/c.png"` + link + `>a&amp;amp;\*</a></p>`},
	{"image URL shown resolved", "![](https://img.example/a&amp;b.png)",
		`<p><a href="https://img.example/a&amp;b.png"` + link + `>https://img.example/a&amp;b.png</a></p>`},
	{"image in a link is one link", "[![cat](https://img.example/c.png)](https://example.com)",
		`<p><a href="https://example.com"` + link + `>cat</a></p>`},
	{"bare URL is linked", "see https://example.com/a_b_c/", `<p>see <a href="https://example.com/a_b_c/"` + link + `>https://example.com/a_b_c/</a></p>`},
	{"autolink leaves trailing period", "at https://example.com/a.", `<p>at <a href="https://example.com/a"` + link + `>https://example.com/a</a>.</p>`},
	{"autolink leaves comma and closing parenthesis", "(at https://example.com/x), ok",
		`<p>(at <a href="https://example.com/x"` + link + `>https://example.com/x</a>), ok</p>`},
	{"autolink keeps balanced parentheses", "see https://en.wikipedia.org/wiki/Go_(programming_language).",
		`<p>see <a href="https://en.wikipedia.org/wiki/Go_(programming_language)"` + link + `>https://en.wikipedia.org/wiki/Go_(programming_language)</a>.</p>`},
	{"autolink keeps query", "https://example.com/?a=1&b=2",
		`<p><a href="https://example.com/?a=1&amp;b=2"` + link + `>https://example.com/?a=1&amp;b=2</a></p>`},
	{"autolink keeps letters of any script", "https://de.wikipedia.org/wiki/Müller!",
		`<p><a href="https://de.wikipedia.org/wiki/M%C3%BCller"` + link + `>https://de.wikipedia.org/wiki/Müller</a>!</p>`},
	{"autolink inside emphasis", "*https://example.com*", `<p><em><a href="https://example.com"` + link + `>https://example.com</a></em></p>`},
	{"autolink in capitals", "HTTPS://EXAMPLE.COM/X", `<p><a href="https://EXAMPLE.COM/X"` + link + `>HTTPS://EXAMPLE.COM/X</a></p>`},
	{"www name is linked", "at www.example.com.", `<p>at <a href="https://www.example.com"` + link + `>www.example.com</a>.</p>`},
	{"bare email stays text", "write to me@example.com", "<p>write to me@example.com</p>"},
	{"scheme alone is not a link", "http:// and https://", "<p>http:// and https://</p>"},
	{"BBCode link is text", "[url=http://pills.example]pain pills[/url]", "<p>[url=http://pills.example]pain pills[/url]</p>"},
	{"autolink ends at a bracket", "buy http://pills.example]pain pills",
		`<p>buy <a href="http://pills.example"` + link + `>http://pills.example</a>]pain pills</p>`},
	{"autolink ends at an angle bracket", "https://example.com/<script>",
		`<p><a href="https://example.com/"` + link + `>https://example.com/</a>&lt;script&gt;</p>`},
	{"comparison signs are text", "a < b > c", "<p>a &lt; b &gt; c</p>"},
	{"ampersand is text", "Tom & Jerry", "<p>Tom &amp; Jerry</p>"},
	{"entities stay entities", "&lt;b&gt; &amp;", "<p>&lt;b&gt; &amp;</p>"},
	// The reader's HTML is not parsed: it is shown as typed (the old parser
	// passed a few tags through and silently removed the rest).
	{"reader tags are text", "<b>b</b> List<T> of <foo>", "<p>&lt;b&gt;b&lt;/b&gt; List&lt;T&gt; of &lt;foo&gt;</p>"},
	{"reader link is text", `<a href="https://example.com" target="_blank">x</a>`,
		"<p>&lt;a href=&#34;https://example.com&#34; target=&#34;_blank&#34;&gt;x&lt;/a&gt;</p>"},
	{"reader HTML block is Markdown text", "<ul>\n<li>*b*</li>\n</ul>", "<p>&lt;ul&gt;<br>\n&lt;li&gt;<em>b</em>&lt;/li&gt;<br>\n&lt;/ul&gt;</p>"},
	{"reader comment is text", "<!-- hidden -->", "<p>&lt;!-- hidden --&gt;</p>"},
	{"script is text", "hi <script>alert(1)</script>there", "<p>hi &lt;script&gt;alert(1)&lt;/script&gt;there</p>"},
	{"encoded newlines make no blank line", "a&#10; &#10;b", "<p>a\nb</p>"},
	{"invalid UTF-8 is replaced", "caf\xe9 \x00", "<p>caf\uFFFD \uFFFD</p>"},
	// A body's source may not hold these; references must not bring them back.
	{"references make no direction controls", "see admin&#x202E;txt.exe &#x2067;x&#8297;", "<p>see admintxt.exe x</p>"},
	{"references make no control characters", "a&#7;b&#x1b;c&#127;d&#x85;e&#12;f", "<p>abcdef</p>"},
	{"references make no control characters in links", "[a&#x202e;b&#27;](https://x.example/)",
		`<p><a href="https://x.example/"` + link + `>ab</a></p>`},
}

func TestHTMLMarkdown(t *testing.T) {
	s := New()
	for _, tt := range markdownTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.HTML(tt.in); got != tt.want {
				t.Errorf("HTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLConcurrentUse(t *testing.T) {
	s := New()
	want := s.HTML(realistic)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if got := s.HTML(realistic); got != want {
					t.Errorf("concurrent HTML = %q, want %q", got, want)
				}
			}
		})
	}
	wg.Wait()
}

// TestRenderIsBoundedByTheBody: link references repeat their URL at every
// use, so a body of the longest length could render to megabytes; past
// maxRendered it is shown as typed instead, while ordinary bodies, link-heavy
// or escape-heavy ones included, render as Markdown.
func TestRenderIsBoundedByTheBody(t *testing.T) {
	s := New()
	def := "[a]: http://x.example/" + strings.Repeat("a", 5000) + "\n\n"
	for name, in := range map[string]string{
		"references": def + strings.Repeat("[a]", (comment.MaxBodyLen-len(def))/3),
		"images":     def + strings.Repeat("![a]", (comment.MaxBodyLen-len(def))/4),
	} {
		r := s.Render(in)
		if len(r.HTML) > maxRendered(len(in)) || len(r.Links) != 0 {
			t.Errorf("%s: %d bytes of HTML from %d, %d links", name, len(r.HTML), len(in), len(r.Links))
		}
		if !strings.HasPrefix(r.HTML, "<p>[a]: http://x.example/aaaa") || !strings.Contains(r.HTML, "<br>\n<br>\n") {
			t.Errorf("%s: not shown as typed: %.80q", name, r.HTML)
		}
		for _, p := range problems(r.HTML) {
			t.Errorf("%s: %s", name, p)
		}
	}
	for _, tt := range []struct {
		name, in, want string // want: a tag only Markdown makes of it
	}{
		{"bare links", strings.Repeat("www.a.bc ", comment.MaxBodyLen/9), "<a "},
		{"long links", strings.Repeat("https://example.com/"+strings.Repeat("p", 80)+" ", comment.MaxBodyLen/101), "<a "},
		{"quotes and a link", strings.Repeat(`"`, comment.MaxBodyLen-20) + " https://x.example/", "<a "},
		{"short references", "[a]: https://x.example/\n\n" + strings.Repeat("[a] ", 200), "<a "},
		{"nested quotes", strings.Repeat("> ", comment.MaxBodyLen/2) + "x", "<blockquote>"},
		{"a long comment", strings.Repeat(realistic+"\n\n", comment.MaxBodyLen/(len(realistic)+2)), "<li>"},
	} {
		if r := s.Render(tt.in); !strings.Contains(r.HTML, tt.want) {
			t.Errorf("%s: shown as typed, %d bytes from %d", tt.name, len(r.HTML), len(tt.in))
		}
	}
}

// TestRenderText: Text is what the HTML shows a reader, with references
// decoded and no markup, so that a body whose source is visible but whose
// rendering is not can be told (comment.ValidateShown).
func TestRenderText(t *testing.T) {
	s := New()
	for in, want := range map[string]string{
		"Hello, *world*.":                   "Hello, world.",
		"&#8203;":                           "\u200b",
		"&#x3164;&nbsp;":                    "\u3164",
		"# ":                                "",
		">":                                 "",
		"- \n- ":                            "",
		"***":                               "",
		"```\n```":                          "",
		"[](https://spam.example/)":         "",
		"[ ](https://spam.example/)":        "",
		"one\n\n> two":                      "one\n\ntwo",
		"[x](javascript:alert(1))":          "x",
		"![cat](https://img.example/c.png)": "cat",
		"<b>&amp;</b>":                      "<b>&</b>",
		"a  \nb":                            "a\nb",
	} {
		if got := s.Render(in).Text; got != want {
			t.Errorf("Render(%q).Text = %q, want %q", in, got, want)
		}
	}
}

func TestLinks(t *testing.T) {
	s := New()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"no links", "just *text* and me@example.com", nil},
		{"markdown and bare links", "[a](https://a.example) and https://b.example.", []string{"https://a.example", "https://b.example"}},
		{"www names are links", "visit www.pills.example today", []string{"https://www.pills.example"}},
		{"images are links", "![x](https://img.example/x.png)", []string{"https://img.example/x.png"}},
		{"reference and angle links", "[a][r] <https://b.example>\n\n[r]: https://a.example", []string{"https://a.example", "https://b.example"}},
		{"reader links are text", `<a href="http://a.example">a</a><A HREF="http://b.example">b</A>`, nil},
		{"BBCode links are text", "[url=http://a.example]a[/url] [url]http://b.example[/url]", nil},
		{"unsafe links are not links", "[a](javascript:alert(1)) [b](data:text/html,x) ![c](vbscript:x)", nil},
		{"link in a code span is text", "`https://a.example`", nil},
		{"a link in a link counts once", "[![i](https://img.example/i.png)](https://a.example)", []string{"https://a.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Render(tt.in)
			if !slices.Equal(r.Links, tt.want) {
				t.Errorf("Render(%q).Links = %q, want %q (HTML %q)", tt.in, r.Links, tt.want, r.HTML)
			}
			if n := countAnchors(r.HTML); n != len(tt.want) {
				t.Errorf("countAnchors(%q) = %d, want %d", r.HTML, n, len(tt.want))
			}
		})
	}
}

// hostileTests are XSS filter evasions, mostly from the OWASP cheat sheet.
var hostileTests = []struct{ name, in string }{
	{"script tag", `<script>alert('XSS')</script>`},
	{"script with src", `<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>`},
	{"script split by script", `<scr<script>ipt>alert(1)</scr</script>ipt>`},
	{"script with odd attributes", `<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>`},
	{"unclosed script", `<SCRIPT SRC=//xss.rocks/.j>`},
	{"extra open bracket", `<<SCRIPT>alert("XSS");//<</SCRIPT>`},
	{"script in fenced code", "```\n<script>alert(1)</script>\n```"},
	{"javascript href", `<a href="javascript:alert(1)">x</a>`},
	{"javascript href mixed case", `<a href="JaVaScRiPt:alert(1)">x</a>`},
	{"javascript href with tab", "<a href=\"jav\tascript:alert(1)\">x</a>"},
	{"javascript href with newline", "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>"},
	{"javascript href with leading space and control", "<a href=\" &#14;  javascript:alert(1)\">x</a>"},
	{"javascript href decimal entities", `<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`},
	{"javascript href padded decimal entities", `<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>`},
	{"javascript href hex entities", `<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>`},
	{"javascript href named entity colon", `<a href="javascript&colon;alert(1)">x</a>`},
	{"javascript in markdown link", "[x](javascript:alert(1))"},
	{"javascript in markdown link with entity", "[x](javascript&#58;alert(1))"},
	{"data href", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`},
	{"vbscript href", `<a href="vbscript:msgbox(1)">x</a>`},
	{"protocol relative href", `<a href="//evil.example/x">x</a>`},
	{"img onerror", `<img src=x onerror=alert(1)>`},
	{"img javascript src", `<IMG SRC="javascript:alert('XSS');">`},
	{"img with grave accents", "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>"},
	{"malformed img", `<IMG """><SCRIPT>alert("XSS")</SCRIPT>">`},
	{"event handler on allowed element", `<b onmouseover="alert(1)">x</b>`},
	{"event handler after slash", `<b/onclick=alert(1)>x</b>`},
	{"event handler in link", `<a href="https://example.com" onclick="alert(1)">x</a>`},
	{"style attribute", `<p style="background:url(javascript:alert(1))">x</p>`},
	{"style element", `<style>@import 'http://xss.rocks/xss.css';</style>`},
	{"svg onload", `<svg onload=alert(1)>`},
	{"svg script", `<svg><script>alert(1)</script></svg>`},
	{"math with link", `<math><mtext><a xlink:href="javascript:alert(1)">x</a></mtext></math>`},
	{"iframe", `<iframe src="javascript:alert(1)"></iframe>`},
	{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>`},
	{"object", `<object data="javascript:alert(1)"></object>`},
	{"embed", `<embed src="data:image/svg+xml;base64,PHN2Zz4=">`},
	{"form action", `<form action="javascript:alert(1)"><button>x</button></form>`},
	{"input autofocus", `<input autofocus onfocus=alert(1)>`},
	{"body onload", `<body onload=alert(1)>`},
	{"meta refresh", `<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(1);">`},
	{"base href", `<BASE HREF="javascript:alert('XSS');//">`},
	{"link stylesheet", `<LINK REL="stylesheet" HREF="javascript:alert('XSS');">`},
	{"table background", `<TABLE BACKGROUND="javascript:alert('XSS')">`},
	{"div style expression", `<DIV STYLE="width: expression(alert('XSS'));">`},
	{"html comment hiding script", `<!--<script>alert(1)</script>-->`},
	{"conditional comment", `<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->`},
	{"cdata", `<![CDATA[<script>alert(1)</script>]]>`},
	{"textarea breakout", `<textarea></textarea><script>alert(1)</script>`},
	{"title breakout", `</title><script>alert(1)</script>`},
	{"plaintext", `<plaintext><script>alert(1)</script>`},
	{"noscript breakout", `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`},
	{"attribute breakout", `"><script>alert(1)</script>`},
	{"attribute breakout in markdown link", `[x](https://example.com/"onmouseover="alert(1))`},
	{"autolink with quote", `https://example.com/"onmouseover="alert(1)`},
	{"autolink with angle bracket", `https://example.com/<script>alert(1)</script>`},
	{"null byte in tag", "<scr\x00ipt>alert(1)</script>"},
	{"invalid UTF-8 in tag", "<scr\xffipt>alert(1)</script>"},
	{"emphasis around tag", `*<img src=x onerror=alert(1)>*`},
	{"code span around closing quote", "<b title=\"`\">`<script>alert(1)</script>"},
	{"javascript in angle autolink", "<javascript:alert(1)>"},
	{"javascript in angle link destination", "[x](<javascript:alert(1)>)"},
	{"javascript in markdown image", "![x](javascript:alert(1))"},
	{"javascript in reference definition", "[x][a]\n\n[a]: javascript:alert(1)"},
	{"javascript with spaces in markdown link", "[x]( JaVaScRiPt:alert(1) )"},
	{"javascript with entity in markdown link", "[x](java&#115;cript:alert(1))"},
	{"javascript with hex entity in markdown link", "[x](&#x6A;avascript:alert(1))"},
	{"javascript with escape in markdown link", "[x](javascript\\:alert(1))"},
	{"data in markdown link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"},
	{"vbscript in markdown link", "[x](vbscript:msgbox(1))"},
	{"markdown link title breakout", `[x](https://example.com "a\" onmouseover=\"alert(1))`},
	{"autolink with single quotes", `https://example.com/x'onmouseover='alert(1)'`},
	{"www name with quote", `www.example.com/"onmouseover="alert(1)`},
	{"fence info string", "```\" onmouseover=\"alert(1)\n<script>x</script>\n```"},
	{"html block of script", "<script>\nalert(1)\n</script>"},
	{"html block of style", "<style>\nbody{background:url(javascript:alert(1))}\n</style>"},
	{"heading with script", "# <script>alert(1)</script>"},
	{"deep quotes", strings.Repeat("> ", 5000) + "x"},
	{"deep lists", strings.Repeat("- ", 5000) + "x"},
	{"deep brackets", strings.Repeat("[", 5000) + "x" + strings.Repeat("](javascript:alert(1))", 5000)},
	{"many delimiters", strings.Repeat("*_~`", 2500)},
	{"deep nesting", strings.Repeat("<b>", 5000) + "x" + strings.Repeat("> ", 5000)},
}

func TestHTMLRemovesHostileHTML(t *testing.T) {
	s := New()
	for _, tt := range hostileTests {
		t.Run(tt.name, func(t *testing.T) {
			out := s.HTML(tt.in)
			for _, p := range problems(out) {
				t.Errorf("HTML(%q) = %q: %s", tt.in, out, p)
			}
		})
	}
}

// payloadFiles reads the XSS payload lists in testdata/xss (credits in its
// README): a file name and its content, for each list.
func payloadFiles() (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join("testdata", "xss", "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no payload lists in testdata/xss")
	}
	m := make(map[string]string, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m[filepath.Base(f)] = string(data)
	}
	return m, nil
}

// TestHTMLPayloadLists renders every line of the public XSS payload lists,
// and every list as one comment, and checks the parsed result.
func TestHTMLPayloadLists(t *testing.T) {
	files, err := payloadFiles()
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	lines := 0
	for name, data := range files {
		for n, line := range strings.Split(data, "\n") {
			lines++
			out := s.HTML(line)
			for _, p := range problems(out) {
				t.Errorf("%s:%d: HTML(%q) = %q: %s", name, n+1, line, out, p)
			}
		}
		// The whole file as one comment, so payloads meet across lines.
		for _, p := range problems(s.HTML(data)) {
			t.Errorf("%s as one comment: %s", name, p)
		}
	}
	if lines < 7000 {
		t.Errorf("only %d payloads in %d files", lines, len(files))
	}
	t.Logf("%d payloads from %d files", lines, len(files))
}

// FuzzHTML checks what holds for any body: the output is safe and well
// formed, the policy would keep all of it, and Render lists exactly the
// links in it. The seeds are the tests above, the XSS lists and the
// CommonMark spec examples.
func FuzzHTML(f *testing.F) {
	for _, tt := range markdownTests {
		f.Add(tt.in)
	}
	for _, tt := range hostileTests {
		f.Add(tt.in)
	}
	files, err := payloadFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, data := range files {
		for line := range strings.SplitSeq(data, "\n") {
			f.Add(line)
		}
	}
	examples, err := specExamples()
	if err != nil {
		f.Fatal(err)
	}
	for _, ex := range examples {
		f.Add(ex.Markdown)
	}
	s := New()
	f.Fuzz(func(t *testing.T, in string) {
		r := s.Render(in)
		out := r.HTML
		for _, p := range problems(out) {
			t.Errorf("HTML(%q) = %q: %s", in, out, p)
		}
		// bluemonday is the gate: the policy keeps every tag of the output.
		if again := s.policy.Sanitize(out); tags(again) != tags(out) {
			t.Errorf("HTML(%q) = %q, the policy changes its tags: %q", in, out, again)
		}
		if src := newlines.Replace(strings.ToValidUTF8(in, "\uFFFD")); len(out) > maxRendered(len(src)) {
			t.Errorf("HTML(%q) is %d bytes, more than %d", in, len(out), maxRendered(len(src)))
		}
		if hrefs := hrefs(out); !slices.Equal(hrefs, r.Links) {
			t.Errorf("Render(%q).Links = %q, the HTML %q links to %q", in, r.Links, out, hrefs)
		}
	})
}

// realistic is a realistic comment: two links, some emphasis, a quote, ~600 bytes.
const realistic = `> The cache has to hold the largest thread, or it holds nothing.

Agreed, and that matches what we saw in production. We moved to *keyed by thread version* and
the hit rate went from 40% to **97%** overnight; invalidation is one UPDATE per write.

The write-up is at https://example.com/blog/2024/03/thread-cache.html, and the benchmark
script is [on GitHub](https://github.com/example/bench). Two caveats:

- ETag must change when a comment is *edited*, not just added
- watch the memory on threads with 5k+ comments

Thanks for writing this up, it saved us a week of guessing. Happy to share numbers if useful.
`

func BenchmarkHTML(b *testing.B) {
	s := New()
	b.SetBytes(int64(len(realistic)))
	b.ReportAllocs()
	for b.Loop() {
		s.HTML(realistic)
	}
}

// BenchmarkHTMLPathological renders the inputs known to make CommonMark parsers
// superlinear, each as long as a body may be (comment.MaxBodyLen characters),
// beside plain text of that length: compare their ns/op to "plain". goldmark is
// quadratic on the five after plain (a review measured 14-22 ms each at this length on
// a loaded 2-core machine, 45-70 times plain text, and about four times as much
// per doubling of the length); the body limit, checked before anything is
// rendered, is what bounds them.
func BenchmarkHTMLPathological(b *testing.B) {
	s := New()
	for _, p := range []struct{ name, unit string }{
		{"plain", "Lorem ipsum dolor sit amet, consectetur. "},
		{"nested-ordered-lists", "1. "},
		{"nested-quotes", "> "},
		{"unclosed-links", "[]("},
		{"unclosed-link-destinations", "[a](b"},
		{"unclosed-angle-destinations", "[a](<b"},
		{"mixed-emphasis", "*a_b*c_d**e_f*g**h*i_j**"},
		{"brackets", "["},
		{"stars", "a*"},
		{"reference-amplification", "[a]: http://x.example/" + strings.Repeat("a", 5000) + "\n\n" + strings.Repeat("[a]", 1600)},
	} {
		in := strings.Repeat(p.unit, comment.MaxBodyLen/len(p.unit))
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				s.HTML(in)
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New()
	}
}

// allowed is the vocabulary of a comment, spelled out again here so that a
// change to the policy has to change this test too.
var allowed = []atom.Atom{atom.A, atom.Strong, atom.Em, atom.Code, atom.Pre, atom.Blockquote,
	atom.P, atom.Br, atom.Ul, atom.Ol, atom.Li, atom.Del, atom.Hr}

// problems lists what makes out unsafe to insert into a page, on the tree a
// browser parses from it (inserted in a <div>) rather than on substrings: an
// element or attribute outside the allowlist (so no <script>, <style>,
// <iframe> or event handler), a link to anything but http, https or mailto
// (so no javascript:, data: or vbscript:), invalid UTF-8, or a tree that
// differs from the tags as written; nor a direction control or a control
// character but newline and tab, in the text as a browser decodes it.
func problems(out string) []string {
	var ps []string
	if !utf8.ValidString(out) {
		ps = append(ps, "invalid UTF-8")
	}
	if i := strings.IndexFunc(html.UnescapeString(out), func(r rune) bool {
		return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' ||
			unicode.IsControl(r) && r != '\n' && r != '\t'
	}); i >= 0 {
		ps = append(ps, fmt.Sprintf("a direction control or control character at %d", i))
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
	if err != nil {
		return append(ps, err.Error())
	}
	var tree strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch {
		case n.DataAtom == atom.Script || n.DataAtom == atom.Style || n.DataAtom == atom.Iframe:
			ps = append(ps, "active element <"+n.Data+">")
		case !slices.Contains(allowed, n.DataAtom) || n.Namespace != "":
			ps = append(ps, "element <"+n.Data+">")
		}
		for _, a := range n.Attr {
			// What a browser would make of the URL: no spaces or controls, any case.
			v := strings.ToLower(strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, a.Val))
			switch {
			case strings.HasPrefix(strings.ToLower(a.Key), "on"):
				ps = append(ps, "event handler "+a.Key)
			case n.DataAtom == atom.A && a.Key == "rel":
				if a.Val != rel {
					ps = append(ps, "rel="+a.Val)
				}
			case n.DataAtom == atom.A && a.Key == "href":
				if !strings.HasPrefix(v, "http:") && !strings.HasPrefix(v, "https:") && !strings.HasPrefix(v, "mailto:") {
					ps = append(ps, "href="+a.Val) // javascript:, data:, vbscript:, relative ...
				}
			case n.DataAtom == atom.Ol && a.Key == "start":
				if !startRe.MatchString(a.Val) {
					ps = append(ps, "start="+a.Val)
				}
			default:
				ps = append(ps, "attribute "+a.Key)
			}
		}
		if n.DataAtom == atom.A && len(n.Attr) != 2 {
			ps = append(ps, "link without href and rel")
		}
	}
	var render func(*html.Node)
	render = func(n *html.Node) {
		walk(n)
		if n.Type == html.ElementNode {
			tree.WriteString("<" + n.Data + ">")
		}
		for c := range n.ChildNodes() {
			render(c)
		}
		if n.Type == html.ElementNode && n.DataAtom != atom.Br && n.DataAtom != atom.Hr {
			tree.WriteString("</" + n.Data + ">")
		}
	}
	for _, n := range nodes {
		render(n)
	}
	// Well formed: a browser builds the tree the tags spell out.
	if t := tags(out); tree.String() != t {
		ps = append(ps, "browser tree "+tree.String()+" differs from "+t)
	}
	return ps
}

// hrefs lists the href of every link in h, in order.
func hrefs(h string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			if name, more := z.TagName(); atom.Lookup(name) == atom.A {
				for more {
					var k, v []byte
					k, v, more = z.TagAttr()
					if string(k) == "href" {
						out = append(out, string(v))
					}
				}
			}
		}
	}
}

// tags is the sequence of tags in h, without attributes or text.
func tags(h string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			b.WriteString("<" + string(name) + ">")
		case html.EndTagToken:
			name, _ := z.TagName()
			b.WriteString("</" + string(name) + ">")
		}
	}
}

// TestProblems shows that the safety check used everywhere above fails on
// what it must catch.
func TestProblems(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<style>*{}</style>`,
		`<iframe src="https://a.example"></iframe>`,
		`<img src="https://a.example/x.png">`,
		`<p onclick="alert(1)">x</p>`,
		`<p style="color:red">x</p>`,
		`<a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a>`,
		`<a href=" JaVa&#09;script:alert(1)" rel="nofollow ugc noopener">x</a>`,
		`<a href="data:text/html,x" rel="nofollow ugc noopener">x</a>`,
		`<a href="vbscript:x" rel="nofollow ugc noopener">x</a>`,
		`<a href="https://a.example">no rel</a>`,
		`<a href="https://a.example" rel="nofollow ugc noopener" target="_blank">x</a>`,
		`<ol start="x">`,
		`<svg><a href="https://a.example" rel="nofollow ugc noopener">x</a></svg>`,
		`<p><blockquote>x</blockquote></p>`,
		"caf\xe9",
	}
	for _, h := range bad {
		if len(problems(h)) == 0 {
			t.Errorf("problems(%q) found nothing", h)
		}
	}
	good := `<p>a <strong>b</strong> <a href="https://a.example/" rel="nofollow ugc noopener">c</a></p><ol start="2"><li>x</li></ol><hr>`
	if ps := problems(good); len(ps) != 0 {
		t.Errorf("problems(%q) = %q", good, ps)
	}
}

// countAnchors counts the <a> elements in rendered HTML by tokenizing it, apart
// from the renderer, to cross-check the links Render reports.
func countAnchors(h string) int {
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

// TestEscapeTextIsEscapeString: tidy's escaping writes what html.EscapeString returns.
func TestEscapeTextIsEscapeString(t *testing.T) {
	for _, s := range []string{"", "plain", `a & b < c > d "e" 'f'`, "line\r\nend", "&&&", "ünïcode & ‘quotes’", "<>", "\x00\xff&"} {
		var b strings.Builder
		escapeText(&b, []byte(s))
		if got, want := b.String(), html.EscapeString(s); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", s, got, want)
		}
	}
}
