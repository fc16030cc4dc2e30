package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// chromiumPath finds a Chromium or Chrome binary, or "".
func chromiumPath() string {
	if p := os.Getenv("WINNOW_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// trapScript runs before any page script: it counts every call of alert, confirm,
// prompt and print, and exposes a sentinel a payload would have to reach, so a test
// can tell whether anything ran.
const trapScript = `(() => {
  let ran = 0;
  const trap = () => { ran++; };
  for (const f of ["alert", "confirm", "prompt", "print"]) {
    Object.defineProperty(window, f, { value: trap, writable: false, configurable: false });
  }
  Object.defineProperty(window, "__winnowRan", { get: () => ran + (window.__winnowSentinel ? 1 : 0) });
})();`

// browser starts a headless Chromium for one test, with the traps installed on every
// page. Without Chromium the test skips, except in CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if sqlstoretest.Required() {
			t.Fatal("Chromium is required (CI=true or WINNOW_TEST_REQUIRE=1): apt-get install chromium")
		}
		t.Skip("no Chromium; apt-get install chromium")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if _, err := chromedp.Run(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: trapScript})
		return err
	})); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// js evaluates an expression in the page and decodes its value.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until a function body returns a truthy value.
func waitJS(t *testing.T, ctx context.Context, what, body string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.PollFunction[chromedp.Void]("() => { "+body+" }",
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#winnow-thread")?.shadowRoot?.innerHTML || document.body.innerHTML).slice(0, 3000)`))
		t.Fatalf("waiting for %s: %v\n%s", what, err, html)
	}
}

func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
}

// shadow is the JavaScript for the widget's shadow root.
const shadow = `document.querySelector("#winnow-thread").shadowRoot`

// fill sets the widget's form fields.
func fill(t *testing.T, ctx context.Context, fields map[string]string) {
	t.Helper()
	for k, v := range fields {
		js[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const e = %s.querySelector("#wn-%s"); e.value = %q; })()`, shadow, k, v))
	}
}

// TestWidgetJourney walks a reader through the demo, on each storage engine: post, see
// it held, edit it, get it approved, see it published, reply; and an invalid field
// shown inline.
func TestWidgetJourney(t *testing.T) {
	engines(t, widgetJourney)
}

func widgetJourney(t *testing.T, env map[string]string) {
	ctx := browser(t)
	start0 := time.Now()
	in := start(t, env, "--demo", "--demo-samples=false")
	lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
	in.do(req{method: "PATCH", path: "/api/v1/admin/sites/demo", token: in.token,
		body: map[string]any{"rate_limits": map[string]any{"ip": lifted, "email": lifted}}}).must(t, http.StatusOK)

	// The reader arrives from a newsletter link: the tracking parameters stay out of
	// the address the thread is given when the comment is published; others stay in.
	navigate(t, ctx, in.url+"/demo/?utm_source=news&p=7&fbclid=abc#comments")
	waitJS(t, ctx, "the empty thread", `return `+shadow+`.querySelector(".wn-count").textContent === "No comments yet";`)

	// Client-side validation mirrors the server: a bad email is shown next to its field
	// and gets the focus; nothing is posted.
	fill(t, ctx, map[string]string{"author_name": "Hedge Fan", "author_email": "not-an-email", "body": "Lovely hawthorn."})
	js[chromedp.Void](t, ctx, shadow+`.querySelector(".wn-submit").click()`)
	waitJS(t, ctx, "the inline email error", `const r = `+shadow+`; return r.querySelector("#wn-author_email-error").textContent !== "" && r.activeElement && r.activeElement.id === "wn-author_email" && r.querySelector("#wn-author_email").getAttribute("aria-invalid") === "true";`)
	if n := js[int](t, ctx, shadow+`.querySelectorAll(".wn-item").length`); n != 0 {
		t.Fatalf("%d comments after an invalid submit", n)
	}
	// The form says what formatting works, tied to the text area for screen readers.
	if hint := js[string](t, ctx, `(() => { const r = `+shadow+`, h = r.querySelector("#wn-body-hint");
		return h && r.querySelector("#wn-body").getAttribute("aria-describedby").includes("wn-body-hint") ? h.textContent : ""; })()`); !strings.Contains(hint, "Markdown") || !strings.Contains(hint, "HTML is shown as typed") {
		t.Fatalf("formatting hint %q", hint)
	}
	// What only the server catches (a name of a zero-width space) comes back next to
	// its field in the form's own words, not the API's.
	fill(t, ctx, map[string]string{"author_name": "\u200b", "author_email": "fan@example.org"})
	js[chromedp.Void](t, ctx, shadow+`.querySelector(".wn-submit").click()`)
	waitJS(t, ctx, "the server's name error in the form's words", `const r = `+shadow+`; return r.querySelector("#wn-author_name-error").textContent === "Please write something visible: spaces and invisible characters alone do not count." && r.activeElement && r.activeElement.id === "wn-author_name";`)
	fill(t, ctx, map[string]string{"author_name": "Hedge Fan", "author_email": "not-an-email"})

	// A valid comment is held (first-time author) and shown to its author only.
	// The website typed as people type it: the widget completes it as the server does.
	fill(t, ctx, map[string]string{"author_email": "fan@example.org", "author_url": "fan.example"})
	js[chromedp.Void](t, ctx, shadow+`.querySelector("#wn-save").checked = true; `+shadow+`.querySelector(".wn-submit").click()`)
	waitJS(t, ctx, "the held comment", `const r = `+shadow+`; return r.querySelector(".wn-pending .wn-awaiting") && r.querySelector("#wn-author_email-error").textContent === "";`)
	id := js[int](t, ctx, shadow+`.querySelector(".wn-pending").dataset.id * 1`)
	if got := js[string](t, ctx, shadow+`.querySelector(".wn-status").textContent`); !strings.Contains(got, "awaiting moderation") {
		t.Fatalf("status line %q", got)
	}
	if !js[bool](t, ctx, `!!localStorage.getItem("winnow:own:demo") && JSON.parse(localStorage.getItem("winnow:author")).name === "Hedge Fan"`) {
		t.Fatal("the held comment or the saved author is not in localStorage")
	}
	// Another reader does not see it.
	pub := in.do(req{method: "GET", path: "/api/v1/sites/demo/comments?thread=/demo/"}).must(t, http.StatusOK).json(t)
	if len(list(pub, "comments")) != 0 {
		t.Fatalf("a held comment is public: %v", pub)
	}

	// Edit inside the window.
	js[chromedp.Void](t, ctx, shadow+`.querySelector(".wn-edit").click()`)
	waitJS(t, ctx, "the editor", `return `+shadow+`.querySelector(".wn-editor-text");`)
	if hint := js[string](t, ctx, `(() => { const r = `+shadow+`, ta = r.querySelector(".wn-editor-text"); return r.getElementById(ta.getAttribute("aria-describedby")).textContent; })()`); !strings.HasPrefix(hint, "Markdown works") {
		t.Errorf("the edit box's hint: %q", hint)
	}
	js[chromedp.Void](t, ctx, shadow+`.querySelector(".wn-editor-text").value = "Lovely hawthorn, and blackthorn too."; `+shadow+`.querySelector(".wn-save-edit").click()`)
	waitJS(t, ctx, "the edited text", `const r = `+shadow+`; return !r.querySelector(".wn-editor") && r.querySelector(".wn-pending .wn-body").textContent.includes("blackthorn");`)

	// Once the edit window has passed, the edit token leaves the browser; the held
	// comment is still shown to its author, without an edit button.
	js[chromedp.Void](t, ctx, `const k = "winnow:own:demo", all = JSON.parse(localStorage.getItem(k));
		for (const id in all) all[id].at -= 16 * 60 * 1000;
		localStorage.setItem(k, JSON.stringify(all))`)
	navigate(t, ctx, in.url+"/demo/")
	waitJS(t, ctx, "the held comment without its edit button", `const r = `+shadow+`; return r.querySelector(".wn-pending .wn-awaiting") && !r.querySelector(".wn-edit");`)
	if js[bool](t, ctx, `Object.values(JSON.parse(localStorage.getItem("winnow:own:demo"))).some(o => "token" in o)`) {
		t.Error("an edit token is kept in localStorage after the edit window")
	}
	// A moderator approves it; after a reload it is published and no longer marked.
	in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", id), token: in.token}).must(t, http.StatusOK)
	navigate(t, ctx, in.url+"/demo/")
	waitJS(t, ctx, "the published comment", `const r = `+shadow+`; return r.querySelector(".wn-count").textContent === "1 comment" && r.querySelector("#winnow-comment-`+fmt.Sprint(id)+`") && !r.querySelector(".wn-pending");`)
	if got := js[string](t, ctx, shadow+`.querySelector(".wn-author").getAttribute("rel")`); got != "nofollow ugc noopener" {
		t.Fatalf("author link rel %q", got)
	}
	if got := js[string](t, ctx, shadow+`.querySelector(".wn-author").getAttribute("href")`); got != "https://fan.example/" {
		t.Errorf("author link %q, want https://fan.example/", got)
	}
	if got := js[string](t, ctx, shadow+`.querySelector("#wn-author_name").value`); got != "Hedge Fan" {
		t.Fatalf("saved name not filled in: %q", got)
	}
	if js[bool](t, ctx, shadow+`.querySelector(".wn-list").innerHTML.includes("fan@example.org") || document.documentElement.outerHTML.includes("fan@example.org")`) {
		t.Fatal("the email is on the page outside the reader's own form")
	}

	// Reply: the form moves under the comment and takes the focus.
	js[chromedp.Void](t, ctx, shadow+`.querySelector(".wn-reply").click()`)
	waitJS(t, ctx, "the reply form", `const r = `+shadow+`; return r.querySelector("#winnow-comment-`+fmt.Sprint(id)+` form") && r.activeElement && r.activeElement.id === "wn-body";`)
	fill(t, ctx, map[string]string{"body": "Replying to myself: the hedgehogs came back."})
	js[chromedp.Void](t, ctx, shadow+`.querySelector(".wn-submit").click()`)
	waitJS(t, ctx, "the reply under its parent", `const r = `+shadow+`; const p = r.querySelector("li[data-id='`+fmt.Sprint(id)+`'] .wn-replies .wn-item"); return p && p.textContent.includes("hedgehogs") && !r.querySelector("#winnow-comment-`+fmt.Sprint(id)+` form");`)
	var threadURL string
	if err := in.database().QueryRowContext(ctx, `SELECT url FROM threads WHERE site_id = 'demo'`).Scan(&threadURL); err != nil || threadURL != in.url+"/demo/?p=7" {
		t.Errorf("thread url %q (%v), want %s/demo/?p=7", threadURL, err, in.url)
	}
	if n := js[int](t, ctx, `window.__winnowRan`); n != 0 {
		t.Fatalf("%d trapped calls on the demo page", n)
	}
	t.Logf("widget journey in %v", time.Since(start0).Round(time.Millisecond))
}

// TestNoJSPage posts through the thread page that needs no JavaScript: an invalid field
// comes back inline with the text kept, a valid comment comes back with a 303.
func TestNoJSPage(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("nojs", map[string]any{"policy": "none", "max_links": 0})
	in.submit("nojs", submission("/post", map[string]any{"author_name": "First", "body": "First!"}), nil).must(t, http.StatusCreated)

	res := in.do(req{method: "GET", path: "/t/nojs?thread=/post"}).must(t, http.StatusOK)
	csp := res.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(string(res.body), "<script") {
		t.Fatalf("CSP %q; the page must carry no script", csp)
	}
	if strings.Contains(string(res.body), "reader@example.org") {
		t.Fatal("the page shows an email")
	}
	// A link that names no site, or no thread, is answered with a page, not JSON.
	for path, want := range map[string]struct {
		status int
		text   string
	}{
		"/t/nosuch?thread=/post": {http.StatusNotFound, "the link names a site that does not exist"},
		"/t/nojs":                {http.StatusBadRequest, "the link does not name a page&#39;s thread"},
	} {
		r := in.do(req{method: "GET", path: path}).must(t, want.status)
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), want.text) ||
			!strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") || strings.Contains(string(r.body), "<script") {
			t.Errorf("GET %s: %s %q\n%s", path, r.header.Get("Content-Type"), r.header.Get("Content-Security-Policy"), r.body)
		}
	}

	navigate(t, ctx, in.url+"/t/nojs?thread=/post")
	// The browser's own checks would stop a bad email; the server's must show too.
	set := func(sel, v string) {
		if _, err := chromedp.Run(ctx, chromedp.SetValue(chromedp.CSS(sel), v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.SetAttributeValue(chromedp.CSS("form.wn-form"), "novalidate", "")); err != nil {
		t.Fatal(err)
	}
	set("#wn-author_name", "\u2800")
	set("#wn-author_email", "plain@")
	set("#wn-body", "No scripts were harmed.")
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(".wn-submit")))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the server's inline errors", `const e = document.querySelector("#wn-author_email-error"), n = document.querySelector("#wn-author_name-error");
		return e && e.textContent === "Please enter a valid email address." && n && n.textContent === "Please write something visible: spaces and invisible characters alone do not count." &&
			document.querySelector("#wn-body").value === "No scripts were harmed.";`)
	if !js[bool](t, ctx, `document.querySelector("#wn-body-hint").textContent.includes("Markdown") && document.querySelector("#wn-body").getAttribute("aria-describedby") === "wn-body-hint"`) {
		t.Fatal("the form does not say what formatting works")
	}
	set("#wn-author_name", "Plain Reader")
	set("#wn-author_email", "plain@example.org")
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(".wn-submit")))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the answer", `return document.querySelector(".wn-status");`)
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	_, frag, _ := strings.Cut(loc, "#winnow-comment-")
	if !strings.Contains(loc, "/t/nojs?") || frag == "" {
		t.Fatalf("after posting at %s", loc)
	}
	// Filled in faster than a person types, it may be held: a moderator approves it.
	if js[bool](t, ctx, `document.querySelector(".wn-status").textContent.includes("awaiting moderation")`) {
		in.do(req{method: "POST", path: "/api/v1/admin/comments/" + frag + "/approve", token: in.token}).must(t, http.StatusOK)
		navigate(t, ctx, in.url+"/t/nojs?thread=/post")
	}
	waitJS(t, ctx, "the published comment", `return document.querySelector(".wn-count").textContent === "2 comments" && document.querySelector("#winnow-comment-`+frag+`").textContent.includes("No scripts were harmed.");`)
}

// TestHostileHostCSS: the host page's CSS cannot hide or restyle the widget.
func TestHostileHostCSS(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	host := hostPage(t, in, "css", "/post", `
		html { font-size: 60px; } body { font-size: 72px; color: red; }
		div, section, form, ol, li, p, button, input, textarea, label, h2, article { display: none !important; font-size: 90px !important; }
		.wn, .wn-form, .wn-list, .wn-comment, .wn-submit, .wn-body, [class^=wn] { display: none !important; color: red !important; }
		* { font-family: "Comic Sans MS", cursive !important; letter-spacing: 12px !important; }`)
	in.createSite("css", map[string]any{"policy": "none", "max_links": 0, "origins": []string{host}})
	in.submit("css", submission("/post", map[string]any{"body": "Still readable."}), nil).must(t, http.StatusCreated)
	navigate(t, ctx, host+"/page")
	waitJS(t, ctx, "the widget", `return `+shadow+` && `+shadow+`.querySelector(".wn-comment");`)
	got := js[map[string]any](t, ctx, `(() => { const r = `+shadow+`; const ta = r.querySelector("#wn-body"), c = r.querySelector(".wn-comment");
		return { form: r.querySelector(".wn-form").offsetHeight, comment: c.offsetHeight, size: getComputedStyle(ta).fontSize,
			color: getComputedStyle(c).color, spacing: getComputedStyle(ta).letterSpacing, host: document.querySelector("#winnow-thread").offsetHeight }; })()`)
	if got["form"].(float64) <= 0 || got["comment"].(float64) <= 0 || got["host"].(float64) <= 0 {
		t.Fatalf("hidden by the host's CSS: %v", got)
	}
	if got["size"] != "16px" || got["color"] == "rgb(255, 0, 0)" || got["spacing"] == "12px" {
		t.Fatalf("restyled by the host's CSS: %v", got)
	}
	// And the widget's CSS does not reach the host page.
	if js[string](t, ctx, `getComputedStyle(document.querySelector("#outside")).fontWeight`) == "600" {
		t.Fatal("widget CSS leaked")
	}
}

// hostPage serves a page on another origin that embeds the widget for site and
// thread, with the given CSS; it returns the page's origin.
func hostPage(t *testing.T, in *instance, site, thread, css string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		th := r.URL.Query().Get("thread")
		if th == "" {
			th = thread
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Host</title><style>%s</style></head><body>
<h1 id="outside" class="wn-author">A host page</h1>
<div id="winnow-thread" data-site="%s" data-thread="%s" data-lang="en"></div>
<script src="%s/embed.js" async></script></body></html>`, css, site, th, in.url)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestWidgetFollowsThePagesTheme: by default the widget is dark on a dark page and light
// on a light one, whatever the reader's system prefers, and switches when the page does;
// data-theme="auto" still follows the reader's system.
func TestWidgetFollowsThePagesTheme(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	host := hostPage(t, in, "theme", "/post", `body { background: #fdfdf8; } body.night { background: rgb(20, 22, 30); }`)
	in.createSite("theme", map[string]any{"origins": []string{host}})
	// The reader's system prefers dark; the page is light.
	if _, err := chromedp.Run(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	const theme = `(() => { const r = ` + shadow + `; const s = r && r.querySelector("section.wn"); return s ? s.className + " " + getComputedStyle(s).backgroundColor : ""; })()`
	navigate(t, ctx, host+"/page")
	waitJS(t, ctx, "the light widget", `return `+theme+`.includes("wn-light");`)
	if got := js[string](t, ctx, theme); !strings.Contains(got, "rgb(255, 255, 255)") {
		t.Errorf("on a light page with a dark system the widget shows %q", got)
	}
	js[chromedp.Void](t, ctx, `document.body.classList.add("night")`)
	waitJS(t, ctx, "the widget turning dark with the page", `return `+theme+`.includes("wn-dark");`)
	if got := js[string](t, ctx, theme); !strings.Contains(got, "rgb(23, 25, 28)") {
		t.Errorf("on a dark page the widget shows %q", got)
	}
	// data-theme="auto" is the reader's system: dark, on the light page too.
	js[chromedp.Void](t, ctx, `document.body.classList.remove("night")`)
	navigate(t, ctx, host+"/page?thread=/auto")
	waitJS(t, ctx, "the widget", `return `+shadow+` && `+shadow+`.querySelector("section.wn");`)
	js[chromedp.Void](t, ctx, `(() => { const h = document.querySelector("#winnow-thread"); const c = h.cloneNode(false); c.dataset.theme = "auto"; h.replaceWith(c);
		const s = document.createElement("script"); s.src = document.querySelector("script[src$='embed.js']").src + "?again"; document.body.append(s); })()`)
	waitJS(t, ctx, "the auto widget", `const s = document.querySelector("#winnow-thread").shadowRoot?.querySelector("section.wn"); return s && s.classList.contains("wn-auto") && getComputedStyle(s).backgroundColor === "rgb(23, 25, 28)";`)
}
