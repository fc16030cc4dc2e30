package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// langHost serves a page on another origin that embeds the widget; ?lang= sets the
// widget's data-lang and ?html= the page's own <html lang>.
func langHost(t *testing.T, in *instance, site, thread string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		attr := ""
		if l := q.Get("lang"); l != "" {
			attr = fmt.Sprintf(` data-lang="%s"`, l)
		}
		html := q.Get("html")
		if html == "" {
			html = "en"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/list" { // a listing page with counts in several languages
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>List</title></head><body>
<a id="en" href="/post" data-winnow-count="%[2]s">post</a>
<p lang="pl"><a id="pl" href="/post" data-winnow-count="%[2]s">post</a></p>
<p lang="ru-RU"><a id="ru" href="/post" data-winnow-count="%[2]s">post</a></p>
<p lang="ar"><a id="ar" href="/post" data-winnow-count="%[2]s">post</a></p>
<script src="%[3]s/count.js" data-winnow-site="%[1]s" async></script></body></html>`, site, thread, in.url)
			return
		}
		fmt.Fprintf(w, `<!doctype html><html lang="%s"><head><title>Host</title></head><body>
<div id="winnow-thread" data-site="%s" data-thread="%s"%s></div>
<script src="%s/embed.js" async></script></body></html>`, html, site, thread, attr, in.url)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestTheWidgetSpeaksTheReadersLanguage: the widget loads the catalog the page asks for
// (data-lang, else the page's <html lang>), counts with the language's plural forms
// (Polish, Russian, Arabic), says the form's errors in it, and in Arabic lays out right
// to left: replies indented from the right, the form aligned right. The thread page
// without JavaScript does the same.
func TestTheWidgetSpeaksTheReadersLanguage(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	host := langHost(t, in, "langs", "/post")
	in.createSite("langs", map[string]any{"policy": "none", "max_links": 0, "origins": []string{host}})
	var first int64
	for i, body := range []string{"The first thoughtful comment here.", "A second opinion, kindly put.", "Third: I agree with both of you.",
		"Fourth, and a question about the post.", "Fifth and last at the top level."} {
		res := in.submit("langs", submission("/post", map[string]any{"author_name": fmt.Sprintf("Reader %d", i+1),
			"author_email": fmt.Sprintf("reader%d@example.org", i+1), "body": body}), nil).must(t, http.StatusCreated)
		if i == 0 {
			first = int64(num(res.json(t), "comment", "id"))
		}
	}
	res := in.submit("langs", submission("/post", map[string]any{"author_name": "Replier", "author_email": "replier@example.org",
		"parent_id": first, "body": "A reply to the first comment, nested below it."}), nil)
	if res.status == http.StatusAccepted { // held by a rule: a moderator publishes it
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", int64(num(res.json(t), "comment", "id"))), token: in.token}).must(t, http.StatusOK)
	} else {
		res.must(t, http.StatusCreated)
	}

	section := shadow + `.querySelector("section.wn")`
	for _, tt := range []struct {
		query, lang, dir, count, name string
	}{
		{"?lang=en", "en", "ltr", "6 comments", "Name"},
		{"?lang=pl", "pl", "ltr", "6 komentarzy", "Imię"},
		{"?lang=ru-RU", "ru", "ltr", "6 комментариев", "Имя"},
		{"?lang=de", "de", "ltr", "6 Kommentare", "Name"},
		{"?html=ja", "ja", "ltr", "6 件のコメント", "名前"},
		{"?html=ar", "ar", "rtl", "6 تعليقات", "الاسم"},
	} {
		navigate(t, ctx, host+"/page"+tt.query)
		waitJS(t, ctx, "the count in "+tt.lang, `const s = `+shadow+`?.querySelector(".wn-count"); return s && s.textContent === `+fmt.Sprintf("%q", tt.count)+`;`)
		if got := js[string](t, ctx, `(() => { const s = `+section+`; return s.lang + " " + s.dir + " " + s.querySelector("label[for=wn-author_name]").firstChild.textContent; })()`); got != tt.lang+" "+tt.dir+" "+tt.name {
			t.Errorf("%s: the widget is %q, want %q", tt.query, got, tt.lang+" "+tt.dir+" "+tt.name)
		}
	}

	// A field error in Polish, from the widget's own check and from the server's.
	navigate(t, ctx, host+"/page?lang=pl&form=1")
	waitJS(t, ctx, "the Polish widget", `return `+shadow+`?.querySelector(".wn-submit");`)
	js[any](t, ctx, `(() => { const r = `+shadow+`; r.querySelector("#wn-body").value = ""; r.querySelector(".wn-submit").click(); })()`)
	waitJS(t, ctx, "the Polish field error", `const e = `+shadow+`.querySelector("#wn-body-error"); return e && e.textContent === "To pole jest wymagane.";`)

	// Arabic: right to left, mirrored.
	navigate(t, ctx, host+"/page?lang=ar")
	waitJS(t, ctx, "the Arabic thread", `const s = `+shadow+`?.querySelector(".wn-replies .wn-item"); return s && `+section+`.dir === "rtl";`)
	geometry := `(() => {
		const r = ` + shadow + `, reply = r.querySelector(".wn-replies"), parent = reply.closest(".wn-item").querySelector(".wn-comment");
		const child = reply.querySelector(".wn-comment").getBoundingClientRect(), top = parent.getBoundingClientRect();
		const form = r.querySelector(".wn-form").getBoundingClientRect(), text = document.createRange();
		text.selectNodeContents(r.querySelector("label[for=wn-author_name]"));
		const label = text.getBoundingClientRect(), button = r.querySelector(".wn-submit").getBoundingClientRect(), cs = getComputedStyle(reply);
		return { indentRight: top.right - child.right, indentLeft: child.left - top.left, borderRight: cs.borderRightWidth, borderLeft: cs.borderLeftWidth,
			labelRight: form.right - label.right, labelLeft: label.left - form.left, buttonRight: form.right - button.right, buttonLeft: button.left - form.left };
	})()`
	type box struct {
		IndentRight, IndentLeft float64
		BorderRight, BorderLeft string
		LabelRight, LabelLeft   float64
		ButtonRight, ButtonLeft float64
	}
	g := js[box](t, ctx, geometry)
	// Nothing of the widget reaches past the page's width (the hidden decoy field once did,
	// by 10,000 px, in right-to-left).
	if w := js[[]int](t, ctx, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		t.Errorf("the Arabic widget widens the page to %d px (viewport %d)", w[0], w[1])
	}
	// A comment written left to right reads left to right in a right-to-left widget.
	if d := js[string](t, ctx, shadow+`.querySelector(".wn-body").getAttribute("dir")`); d != "auto" {
		t.Errorf("a comment's body has dir %q, want auto", d)
	}
	if g.IndentRight < 20 || g.IndentLeft > 1 || g.BorderRight != "2px" || g.BorderLeft != "0px" {
		t.Errorf("in Arabic a reply is not indented from the right: %+v", g)
	}
	if g.LabelRight > 1 || g.LabelLeft < 100 || g.ButtonRight > 1 || g.ButtonLeft < 100 {
		t.Errorf("in Arabic the form is not aligned right: %+v", g)
	}
	// The same in English is the other way round.
	navigate(t, ctx, host+"/page?lang=en")
	waitJS(t, ctx, "the English thread", `const s = `+shadow+`?.querySelector(".wn-replies .wn-item"); return s && `+section+`.dir === "ltr";`)
	if g := js[box](t, ctx, geometry); g.IndentLeft < 20 || g.IndentRight > 1 || g.BorderLeft != "2px" || g.LabelLeft > 1 || g.ButtonLeft > 1 {
		t.Errorf("in English the layout is not left to right: %+v", g)
	}

	// Counts on a listing page, in each element's language.
	navigate(t, ctx, host+"/list")
	waitJS(t, ctx, "the counts", `return document.querySelector("#ar").textContent !== "post";`)
	if got := js[string](t, ctx, `["en", "pl", "ru", "ar"].map(id => document.querySelector("#" + id).textContent).join("|")`); got != "6 comments|6 komentarzy|6 комментариев|6 تعليقات" {
		t.Errorf("the counts read %q", got)
	}

	// The thread page without JavaScript, in Hebrew: right to left as well.
	navigate(t, ctx, in.url+"/t/langs?thread=/post&lang=he")
	waitJS(t, ctx, "the Hebrew page", `return document.documentElement.dir === "rtl" && document.querySelector(".wn-count").textContent === "6 תגובות";`)
	nojs := `(() => {
		const reply = document.querySelector(".wn-replies"), parent = reply.closest(".wn-item").querySelector(".wn-comment");
		const child = reply.querySelector(".wn-comment").getBoundingClientRect(), top = parent.getBoundingClientRect();
		const form = document.querySelector(".wn-form").getBoundingClientRect(), text = document.createRange();
		text.selectNodeContents(document.querySelector("label[for=wn-author_name]"));
		const label = text.getBoundingClientRect();
		return [top.right - child.right, child.left - top.left, form.right - label.right];
	})()`
	if got := js[[]float64](t, ctx, nojs); got[0] < 20 || got[1] > 1 || got[2] > 1 {
		t.Errorf("the Hebrew page is not laid out right to left (indent from right, from left, label from right): %v", got)
	}
}
