package sanitize

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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
	{"code span is literal", "`<b>x</b> **y** a_b_`", "<p><code>&lt;b&gt;x&lt;/b&gt; **y** a_b_</code></p>"},
	{"unclosed backtick stays", "a ` b", "<p>a ` b</p>"},
	{"fenced block is literal", "```go\nif a < b && c {\n\n\t*p = 1\n}\n```\nafter",
		"<pre><code>if a &lt; b &amp;&amp; c {\n\n\t*p = 1\n}</code></pre>\n<p>after</p>"},
	{"unclosed fence runs to the end", "```\n<script>x</script>", "<pre><code>&lt;script&gt;x&lt;/script&gt;</code></pre>"},
	{"quote lines are a blockquote", "> quoted\n> lines\n\nreply",
		"<blockquote>\n<p>quoted<br>\nlines</p>\n</blockquote>\n<p>reply</p>"},
	{"quotes nest", "> > inner\n> outer",
		"<blockquote>\n<blockquote>\n<p>inner</p>\n</blockquote>\n<p>outer</p>\n</blockquote>"},
	{"dash and star lines are a list", "- one\n* *two*", "<ul>\n<li>one</li>\n<li><em>two</em></li>\n</ul>"},
	{"list ends a paragraph", "intro\n- a\n- b", "<p>intro</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>"},
	{"link", "[winnow](https://example.com/docs)", `<p><a href="https://example.com/docs"` + link + `>winnow</a></p>`},
	{"link text keeps emphasis", "[**big** news](http://example.com)", `<p><a href="http://example.com"` + link + `><strong>big</strong> news</a></p>`},
	{"link URL keeps parentheses", "[Go](https://en.wikipedia.org/wiki/Go_(programming_language))",
		`<p><a href="https://en.wikipedia.org/wiki/Go_(programming_language)"` + link + `>Go</a></p>`},
	{"mailto link", "[mail me](mailto:me@example.com)", `<p><a href="mailto:me@example.com"` + link + `>mail me</a></p>`},
	{"javascript link stays text", "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"},
	{"bare URL is linked", "see https://example.com/a_b_c/", `<p>see <a href="https://example.com/a_b_c/"` + link + `>https://example.com/a_b_c/</a></p>`},
	{"autolink leaves trailing period", "at https://example.com/a.", `<p>at <a href="https://example.com/a"` + link + `>https://example.com/a</a>.</p>`},
	{"autolink leaves comma and closing parenthesis", "(at https://example.com/x), ok",
		`<p>(at <a href="https://example.com/x"` + link + `>https://example.com/x</a>), ok</p>`},
	{"autolink keeps query", "https://example.com/?a=1&b=2",
		`<p><a href="https://example.com/?a=1&amp;b=2"` + link + `>https://example.com/?a=1&amp;b=2</a></p>`},
	{"autolink inside emphasis", "*https://example.com*", `<p><em><a href="https://example.com"` + link + `>https://example.com</a></em></p>`},
	{"scheme alone is not a link", "http:// and https://", "<p>http:// and https://</p>"},
	{"comparison signs are text", "a < b > c", "<p>a &lt; b &gt; c</p>"},
	{"ampersand is text", "Tom & Jerry", "<p>Tom &amp; Jerry</p>"},
	{"entities stay entities", "&lt;b&gt; &amp;", "<p>&lt;b&gt; &amp;</p>"},
	{"allowed inline HTML passes", "<b>b</b> <i>i</i> <del>d</del> <s>s</s> <strong>st</strong> <em>em</em>",
		"<p><b>b</b> <i>i</i> <del>d</del> <s>s</s> <strong>st</strong> <em>em</em></p>"},
	{"reader link gets rel and loses target", `<a href="https://example.com" target="_blank" rel="opener" title="t">x</a>`,
		`<p><a href="https://example.com"` + link + `>x</a></p>`},
	{"reader link is not linked twice", `<a href="https://example.com">https://example.com</a>`,
		`<p><a href="https://example.com"` + link + `>https://example.com</a></p>`},
	{"reader HTML block passes without Markdown", "<ul>\n<li>a_b_</li>\n<li>*b*</li>\n</ul>", "<ul>\n<li>a_b_</li>\n<li>*b*</li>\n</ul>"},
	{"reader pre keeps blank lines", "<pre>a\n\n*b*</pre>\nnext", "<pre>a\n\n*b*</pre>\nnext"},
	{"reader code is literal", "<code>**x** a_b_c</code> **y**", "<p><code>**x** a_b_c</code> <strong>y</strong></p>"},
	{"unclosed tag is closed", "<b>bold", "<p><b>bold</b></p>"},
	{"stray end tags are dropped", "text</p></ul></blockquote></b>", "<p>text</p>"},
	{"list item outside a list is dropped", "<li>x</li>", "<p>x</p>"},
	{"misnested tags are balanced", "<b><i>x</b></i>", "<p><b><i>x</i></b></p>"},
	{"block inside a paragraph ends it", "a <blockquote>q</blockquote> b", "<p>a </p><blockquote>q</blockquote> b"},
	{"link inside a link is dropped", `<a href="https://a.example">x <a href="https://b.example">y</a></a>`,
		`<p><a href="https://a.example"` + link + `>x y</a></p>`},
	{"unknown tags are removed", "List<T> of <foo>", "<p>List of </p>"},
	{"script is removed with its content", "hi <script>alert(1)</script>there", "<p>hi there</p>"},
	{"encoded newlines make no blank line", "a&#10; &#10;b", "<p>a\nb</p>"},
	{"invalid UTF-8 is replaced", "caf\xe9 \x00", "<p>caf\uFFFD \uFFFD</p>"},
}

func TestHTMLMarkdownLite(t *testing.T) {
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
	want := s.HTML(comment)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if got := s.HTML(comment); got != want {
					t.Errorf("concurrent HTML = %q, want %q", got, want)
				}
			}
		})
	}
	wg.Wait()
}

func TestLinks(t *testing.T) {
	s := New()
	tests := []struct {
		name, in string
		want     int
	}{
		{"no links", "just *text* and www.example.com", 0},
		{"markdown and bare links", "[a](https://a.example) and https://b.example.", 2},
		{"reader links", `<a href="http://a.example">a</a><A HREF="http://b.example">b</A>`, 2},
		{"unsafe links are not links", `<a href="javascript:alert(1)">a</a> [b](data:text/html,x)`, 0},
		{"link in a code span is text", "`<a href=\"http://a.example\">a</a>`", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Links(s.HTML(tt.in)); got != tt.want {
				t.Errorf("Links(HTML(%q)) = %d, want %d", tt.in, got, tt.want)
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

// TestHTMLPayloadLists runs every line of the public XSS payload lists.
func TestHTMLPayloadLists(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "xss")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		if os.Getenv("CI") != "true" && os.Getenv("WINNOW_TEST_REQUIRE") != "1" {
			t.Skip("no payload lists in " + dir)
		}
		t.Fatal("no payload lists in " + dir)
	}
	s := New()
	lines := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			lines++
			out := s.HTML(sc.Text())
			for _, p := range problems(out) {
				t.Errorf("%s:%d: HTML(%q) = %q: %s", filepath.Base(f), n, sc.Text(), out, p)
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		// The whole file as one comment, so payloads meet across lines.
		for _, p := range problems(s.HTML(string(data))) {
			t.Errorf("%s as one comment: %s", filepath.Base(f), p)
		}
	}
	t.Logf("%d payloads from %d files", lines, len(files))
}

func FuzzHTML(f *testing.F) {
	for _, tt := range markdownTests {
		f.Add(tt.in)
	}
	for _, tt := range hostileTests {
		f.Add(tt.in)
	}
	s := New()
	f.Fuzz(func(t *testing.T, in string) {
		out := s.HTML(in)
		for _, p := range problems(out) {
			t.Errorf("HTML(%q) = %q: %s", in, out, p)
		}
		// Rendering the output again adds no element.
		before, after := elements(out), elements(s.HTML(out))
		for name, n := range after {
			if n > before[name] {
				t.Errorf("HTML(%q) = %q, again %q: %d <%s> instead of %d", in, out, s.HTML(out), n, name, before[name])
			}
		}
		// bluemonday is the gate: the policy keeps every tag of the output.
		if again := s.policy.Sanitize(out); tags(again) != tags(out) {
			t.Errorf("HTML(%q) = %q, the policy changes its tags: %q", in, out, again)
		}
	})
}

// comment is a realistic comment: two links, some emphasis, a quote, ~600 bytes.
const comment = `> The cache has to hold the largest thread, or it holds nothing.

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
	b.SetBytes(int64(len(comment)))
	b.ReportAllocs()
	for b.Loop() {
		s.HTML(comment)
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New()
	}
}

var (
	onAttr  = regexp.MustCompile(`(?i)^on\w+$`)
	onInTag = regexp.MustCompile(`(?i)<[^>]*\son\w+\s*=`)
)

var allowed = []atom.Atom{atom.A, atom.B, atom.Strong, atom.I, atom.Em, atom.Code, atom.Pre,
	atom.Blockquote, atom.P, atom.Br, atom.Ul, atom.Ol, atom.Li, atom.Del, atom.S}

// problems lists what makes out unsafe to insert into a page, parsing it
// as a browser would rather than trusting substrings.
func problems(out string) []string {
	var ps []string
	if !utf8.ValidString(out) {
		ps = append(ps, "invalid UTF-8")
	}
	if strings.Contains(strings.ToLower(out), "<script") {
		ps = append(ps, "<script")
	}
	if m := onInTag.FindString(out); m != "" {
		ps = append(ps, "event handler in "+m)
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
		if !slices.Contains(allowed, n.DataAtom) || n.Namespace != "" {
			ps = append(ps, "element <"+n.Data+">")
		}
		for _, a := range n.Attr {
			v := strings.ToLower(strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, a.Val))
			switch {
			case onAttr.MatchString(a.Key):
				ps = append(ps, "event handler "+a.Key)
			case a.Key == "style" || a.Key == "srcdoc" || a.Key == "target":
				ps = append(ps, "attribute "+a.Key)
			case n.DataAtom == atom.A && a.Key == "rel":
				if a.Val != rel {
					ps = append(ps, "rel="+a.Val)
				}
			case n.DataAtom == atom.A && a.Key == "href":
				if !strings.HasPrefix(v, "http:") && !strings.HasPrefix(v, "https:") && !strings.HasPrefix(v, "mailto:") {
					ps = append(ps, "href="+a.Val) // javascript:, data:, vbscript: ...
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
		if n.Type == html.ElementNode && n.DataAtom != atom.Br {
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

// elements counts the elements in h by name.
func elements(h string) map[string]int {
	m := map[string]int{}
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return m
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			m[string(name)]++
		}
	}
}
