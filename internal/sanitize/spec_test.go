package sanitize

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// specExample is one example of the CommonMark spec (testdata/commonmark).
type specExample struct {
	Markdown string `json:"markdown"`
	HTML     string `json:"html"`
	Example  int    `json:"example"`
	Section  string `json:"section"`
}

func specExamples() ([]specExample, error) {
	data, err := os.ReadFile(filepath.Join("testdata", "commonmark", "spec.json"))
	if err != nil {
		return nil, err
	}
	var exs []specExample
	if err := json.Unmarshal(data, &exs); err != nil {
		return nil, fmt.Errorf("spec.json: %w", err)
	}
	return exs, nil
}

// TestCommonMarkSpec renders every example of the CommonMark spec. Every
// output must be safe (problems). Every example without the reader's HTML
// and without the extensions (linkify, strikethrough) must render as the spec
// says, once both are normalised (normHTML) and the spec's HTML is given
// winnow's deliberate differences (winnowise): a heading is a bold
// paragraph, an image a link to it, and a link the policy refuses (relative,
// unparseable, or not http, https or mailto) is its text alone.
func TestCommonMarkSpec(t *testing.T) {
	exs, err := specExamples()
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 652 {
		t.Fatalf("%d examples, want the 652 of CommonMark 0.31.2", len(exs))
	}
	s := New()
	plain := goldmark.DefaultParser() // CommonMark itself, to find the reader's HTML
	excluded, differences := map[string]int{}, map[string]int{}
	compared, failed, asWritten := 0, 0, 0
	for _, ex := range exs {
		out := s.HTML(ex.Markdown)
		for _, p := range problems(out) {
			t.Errorf("example %d (%s): HTML(%q) = %q: %s", ex.Example, ex.Section, ex.Markdown, out, p)
		}
		if why := specExclusion(s, plain, ex); why != "" {
			excluded[why]++
			continue
		}
		compared++
		want, changes := winnowise(ex.HTML)
		if got := normHTML(out); got != want {
			failed++
			t.Errorf("example %d (%s): %q\n got %q\nwant %q\n(raw %q)", ex.Example, ex.Section, ex.Markdown, got, want, out)
			continue
		}
		if len(changes) == 0 {
			asWritten++
		}
		for _, c := range changes {
			differences[c]++
		}
	}
	t.Logf("%d CommonMark 0.31.2 examples, all safe; %d compared, %d equal (%d as the spec writes them); excluded:",
		len(exs), compared, compared-failed, asWritten)
	for _, why := range slices.Sorted(maps.Keys(excluded)) {
		t.Logf("  %3d %s", excluded[why], why)
	}
	t.Logf("compared with winnow's differences:")
	for _, c := range slices.Sorted(maps.Keys(differences)) {
		t.Logf("  %3d %s", differences[c], c)
	}
	if compared < len(exs)*3/4 {
		t.Errorf("only %d of %d examples compared", compared, len(exs))
	}
}

// specExclusion says why an example is not compared with the spec's HTML,
// or "" if it is.
func specExclusion(s *Sanitizer, plain parser.Parser, ex specExample) string {
	src := []byte(ex.Markdown)
	var why string
	_ = ast.Walk(plain.Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == ast.KindRawHTML || n.Kind() == ast.KindHTMLBlock) {
			why = "raw HTML: the reader's HTML is shown as text"
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	if why != "" {
		return why
	}
	_ = ast.Walk(s.md.Parser().Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case extast.KindStrikethrough:
			why = "~strikethrough~ (an extension)"
		case ast.KindAutoLink:
			if n.(*ast.AutoLink).Protocol != nil || !autolinkInAngles(src, n.(*ast.AutoLink)) {
				why = "bare URL linked (linkify, an extension)"
			}
		}
		if why != "" {
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return why
}

// winnowise normalises the spec's HTML for an example (normHTML) after
// making winnow's deliberate differences in it: a heading becomes a bold
// paragraph, an image a link to it, and a link the policy refuses, or one
// inside another link, its text alone. It lists what it changed.
func winnowise(h string) (string, []string) {
	nodes, err := html.ParseFragment(strings.NewReader(h), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return "unparseable: " + err.Error(), nil
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	changed := map[string]bool{}
	var walk func(parent *html.Node, inLink bool)
	walk = func(parent *html.Node, inLink bool) {
		for c := parent.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type != html.ElementNode {
				c = next
				continue
			}
			switch {
			case len(c.Data) == 2 && c.Data[0] == 'h' && c.Data[1] >= '1' && c.Data[1] <= '6':
				changed["heading as a bold paragraph"] = true
				p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
				strong := &html.Node{Type: html.ElementNode, Data: "strong", DataAtom: atom.Strong}
				p.AppendChild(strong)
				adopt(strong, c)
				parent.InsertBefore(p, c)
				parent.RemoveChild(c)
				c = p
			case c.DataAtom == atom.Img:
				changed["image as a link"] = true
				src, alt := attr(c, "src"), attr(c, "alt")
				if alt == "" {
					alt = src
				}
				a := &html.Node{Type: html.ElementNode, Data: "a", DataAtom: atom.A, Attr: []html.Attribute{{Key: "href", Val: src}}}
				a.AppendChild(&html.Node{Type: html.TextNode, Data: alt})
				parent.InsertBefore(a, c)
				parent.RemoveChild(c)
				c = a
			}
			if c.DataAtom == atom.A && (inLink || !policyKeeps(attr(c, "href"))) {
				if inLink {
					changed["link in a link as its text"] = true
				} else {
					changed["link the policy refuses as its text"] = true
				}
				first := c.FirstChild
				for c.FirstChild != nil {
					k := c.FirstChild
					c.RemoveChild(k)
					parent.InsertBefore(k, c)
				}
				parent.RemoveChild(c)
				if first != nil {
					next = first
				}
				c = next
				continue
			}
			walk(c, inLink || c.DataAtom == atom.A)
			c = next
		}
	}
	walk(root, false)
	var out []*html.Node
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, c)
	}
	return normNodes(out), slices.Sorted(maps.Keys(changed))
}

// adopt moves the children of from to to.
func adopt(to, from *html.Node) {
	for from.FirstChild != nil {
		k := from.FirstChild
		from.RemoveChild(k)
		to.AppendChild(k)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// policyKeeps reports whether the policy keeps a link to href: an absolute
// http, https or mailto URL that net/url parses.
func policyKeeps(href string) bool {
	u, err := url.Parse(href)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "mailto")
}

// autolinkInAngles reports whether an autolink was written <like this>,
// which CommonMark itself links, rather than found bare by linkify.
func autolinkInAngles(src []byte, n *ast.AutoLink) bool {
	return strings.Contains(string(src), "<"+string(n.Label(src))+">")
}

var (
	spaceRe = regexp.MustCompile(`\s+`)
	blockRe = regexp.MustCompile(`\s*(</?(?:p|blockquote|ul|ol|li|pre|hr)\b[^>]*>)\s*`)
)

// normHTML writes HTML as a canonical string to compare the spec's HTML with
// winnow's: it parses it as a browser would, so escaping and <br> against
// <br /> do not matter; drops the attributes winnow adds (rel) or removes on
// purpose (class on code for the language, title on links); makes every line
// break (<br>) a plain newline, since a comment keeps the reader's line
// breaks where CommonMark joins lines; and, outside <pre>, collapses white
// space and drops it around block tags, where it means nothing.
func normHTML(h string) string {
	nodes, err := html.ParseFragment(strings.NewReader(h), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return "unparseable: " + err.Error()
	}
	return normNodes(nodes)
}

// normNodes is normHTML on parsed nodes. A link's href is written as net/url
// writes it again, as the policy does (a scheme in capitals, say).
func normNodes(nodes []*html.Node) string {
	var b strings.Builder
	var pending strings.Builder // text outside <pre>, collapsed when a tag comes
	flush := func() {
		b.WriteString(spaceRe.ReplaceAllString(pending.String(), " "))
		pending.Reset()
	}
	var write func(n *html.Node, pre bool)
	write = func(n *html.Node, pre bool) {
		switch n.Type {
		case html.TextNode:
			if pre {
				b.WriteString(html.EscapeString(n.Data))
			} else {
				pending.WriteString(html.EscapeString(n.Data))
			}
			return
		case html.ElementNode:
		default:
			return
		}
		if n.DataAtom == atom.Br {
			pending.WriteString("\n")
			return
		}
		flush()
		b.WriteString("<" + n.Data)
		var attrs []string
		for _, a := range n.Attr {
			switch a.Key {
			case "rel", "target", "class", "title":
			case "href":
				v := a.Val
				if u, err := url.Parse(v); err == nil {
					v = u.String()
				}
				attrs = append(attrs, fmt.Sprintf(" href=%q", v))
			default:
				attrs = append(attrs, fmt.Sprintf(" %s=%q", a.Key, a.Val))
			}
		}
		slices.Sort(attrs)
		b.WriteString(strings.Join(attrs, "") + ">")
		for c := range n.ChildNodes() {
			write(c, pre || n.DataAtom == atom.Pre)
		}
		flush()
		if n.DataAtom != atom.Hr {
			b.WriteString("</" + n.Data + ">")
		}
	}
	for _, n := range nodes {
		write(n, false)
	}
	flush()
	return strings.TrimSpace(blockRe.ReplaceAllString(b.String(), "$1"))
}
