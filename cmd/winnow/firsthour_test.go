package main

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWebsiteWithoutScheme: a reader types janes-blog.example in the Website field, of
// the API or of the page without JavaScript, and the comment links to
// https://janes-blog.example.
func TestWebsiteWithoutScheme(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("blog", map[string]any{"policy": "none"})
	got := in.submit("blog", submission("/p", map[string]any{"author_url": "janes-blog.example"}), nil).must(t, http.StatusCreated).json(t)
	if u := got["comment"].(map[string]any)["author_url"]; u != "https://janes-blog.example" {
		t.Errorf("stored website %v", u)
	}
	bad := in.submit("blog", submission("/p", map[string]any{"author_url": "Jane's blog"}), nil).must(t, http.StatusUnprocessableEntity).json(t)
	if fields, _ := bad["error"].(map[string]any)["fields"].(map[string]any); fields["author_url"] == nil {
		t.Errorf("a website that is no address: %v", bad)
	}

	// The page without JavaScript: the browser must not refuse the address before the
	// server completes it, so the field is text with a URL keyboard, not type=url.
	page := string(in.do(req{method: "GET", path: "/t/blog?thread=/nojs"}).must(t, http.StatusOK).body)
	input := regexp.MustCompile(`<input [^>]*name="author_url"[^>]*>`).FindString(page)
	if !strings.Contains(input, `type="text"`) || !strings.Contains(input, `inputmode="url"`) {
		t.Errorf("the Website field: %s", input)
	}
	token := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(page)
	if token == nil {
		t.Fatalf("no form token on the page")
	}
	form := url.Values{"thread": {"/nojs"}, "author_name": {"Jane"}, "author_email": {"jane@example.org"},
		"author_url": {"janes-blog.example"}, "body": {"Posted without JavaScript."}, "form_token": {html.UnescapeString(token[1])}}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	in.doWith(noRedirect, req{method: "POST", path: "/t/blog", body: form.Encode(), ctype: "application/x-www-form-urlencoded"}).must(t, http.StatusSeeOther)
	// (Held or not: a form posted at once counts as filled in too fast.)
	held := in.do(req{method: "GET", path: "/api/v1/admin/comments?site=blog&status=all&q=" + url.QueryEscape("without JavaScript"), token: in.token}).
		must(t, http.StatusOK).json(t)
	cs := list(held, "comments")
	if len(cs) != 1 || cs[0].(map[string]any)["author_url"] != "https://janes-blog.example" {
		t.Errorf("posted from the page without JavaScript: %v", cs)
	}
}

// TestThreadNamedBeforeFirstApproval: a new page's first comment is held; until one is
// approved the page without JavaScript and the queue name the page by the title the
// comment claimed, not by its key, and the page's <title> names it. A held comment
// with a spam signal names nothing.
func TestThreadNamedBeforeFirstApproval(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("blog", map[string]any{"blocked_words": []string{"pills"}})
	// Comments come from the widget's form: a signed form token, older than the few
	// seconds under which a form counts as filled in too fast.
	formAt := time.Now()
	tokens := map[string]string{}
	for _, thread := range []string{"/hedges", "/offer"} {
		tokens[thread], _ = in.do(req{method: "GET", path: "/api/v1/sites/blog/form?thread=" + thread}).must(t, http.StatusOK).json(t)["form_token"].(string)
	}
	time.Sleep(time.Until(formAt.Add(3200 * time.Millisecond)))
	claim := func(thread, title, body string) int64 {
		r := in.submit("blog", submission(thread, map[string]any{"thread_title": title, "form_token": tokens[thread],
			"thread_url": "https://blog.example" + thread, "body": body, "author_email": thread[1:] + "@example.org"}), nil)
		return int64(num(r.must(t, http.StatusAccepted).json(t), "comment", "id"))
	}
	heading := regexp.MustCompile(`<h1>([^<]*)</h1>`)
	titleTag := regexp.MustCompile(`<title>([^<]*)</title>`)
	nojs := func(thread string) (h1, title, page string) {
		t.Helper()
		page = string(in.do(req{method: "GET", path: "/t/blog?thread=" + url.QueryEscape(thread)}).must(t, http.StatusOK).body)
		return html.UnescapeString(heading.FindStringSubmatch(page)[1]), html.UnescapeString(titleTag.FindStringSubmatch(page)[1]), page
	}

	id := claim("/hedges", "A walk in the hedges", "Lovely hawthorn.")
	h1, title, page := nojs("/hedges")
	if h1 != "A walk in the hedges" || title != "Comments on A walk in the hedges" {
		t.Errorf("held claim: <h1> %q, <title> %q", h1, title)
	}
	// Shown, not claimed again: the form carries no title and no address of a held comment.
	if strings.Contains(page, `name="thread_title"`) || strings.Contains(page, `name="thread_url"`) || strings.Contains(page, "Back to the page") {
		t.Errorf("the page passes on a held comment's claim:\n%s", page)
	}

	// A held comment with a spam signal does not name its page.
	claim("/offer", "Cheap pills here", "Buy pills today.")
	if h1, title, _ := nojs("/offer"); h1 != "/offer" || title != "Comments on /offer" {
		t.Errorf("a spam-signalled claim named the page: <h1> %q, <title> %q", h1, title)
	}
	// A page nobody commented on is named by its key.
	if h1, title, _ := nojs("/empty"); h1 != "/empty" || title != "Comments on /empty" {
		t.Errorf("empty thread: <h1> %q, <title> %q", h1, title)
	}

	// The queue names the thread by the claimed title, with the key in the tooltip.
	out, errOut, err := in.cli("a long first-hour passphrase\n", "user", "add", "--email", "owner@example.org", "--role", "admin")
	if err != nil {
		t.Fatalf("user add: %v\n%s%s", err, out, errOut)
	}
	adm := in.login(nil, "owner@example.org", "a long first-hour passphrase")
	queue := html.UnescapeString(string(in.do(req{method: "GET", path: "/admin/?site=blog", headers: adm.headers(false)}).must(t, http.StatusOK).body))
	for _, want := range []string{
		`title="Every comment on this thread (/hedges)">A walk in the hedges</a>`,
		`title="Every comment on this thread (/offer)">Cheap pills here</a>`,
	} {
		if !strings.Contains(queue, want) {
			t.Errorf("the queue lacks %s", want)
		}
	}

	// Once approved, the published claim names the page, with its address.
	in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", id), token: in.token}).must(t, http.StatusOK)
	h1, title, page = nojs("/hedges")
	if h1 != "A walk in the hedges" || title != "Comments on A walk in the hedges" || !strings.Contains(page, `name="thread_title" value="A walk in the hedges"`) {
		t.Errorf("after approval: <h1> %q, <title> %q", h1, title)
	}
}
