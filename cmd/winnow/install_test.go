package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestInstallationPanel is a site owner's first hour: the site page shows the snippet to
// copy, and after the widget ran on the blog and on a mirror the site does not list, it
// shows where it runs, which build, and that the mirror is not an origin of the site.
func TestInstallationPanel(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	blog := hostPage(t, in, "inst", "/2024/post", "")
	mirror := hostPage(t, in, "inst", "/2024/post", "")
	in.createSite("inst", map[string]any{"origins": []string{blog}})
	const pw = "installation owner password 5"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "owner@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}

	// The widget on the blog (a page with a query the panel must not keep) and on the mirror.
	navigate(t, ctx, blog+"/2024/post?utm_source=feed&token=secret")
	waitJS(t, ctx, "the widget on the blog", `return `+shadow+` && `+shadow+`.querySelector(".wn-count").textContent === "No comments yet";`)
	navigate(t, ctx, mirror+"/2024/post")
	waitJS(t, ctx, "the widget failing on the mirror", `return `+shadow+` && `+shadow+`.querySelector(".wn-count").textContent.includes("could not be loaded");`)

	dashboardLogin(t, ctx, in, "owner@example.org", pw)
	navigate(t, ctx, in.url+"/admin/sites/inst")
	snippet := js[string](t, ctx, `document.querySelector("#embed-snippet").textContent`)
	for _, want := range []string{`data-site="inst"`, in.url + `/embed.js`, in.url + `/t/inst?thread=`} {
		if !strings.Contains(snippet, want) {
			t.Errorf("the snippet lacks %s:\n%s", want, snippet)
		}
	}
	// Beacons are asynchronous: reload until both have arrived.
	waitJS(t, ctx, "both origins in the panel", `if (document.querySelectorAll("table.installs tbody tr").length < 2) { location.reload(); return false; } return true;`)
	rows := js[[]string](t, ctx, `Array.from(document.querySelectorAll("table.installs tbody tr"), r => r.textContent.replace(/\s+/g, " "))`)
	text := strings.Join(rows, "\n")
	for _, want := range []string{blog + " /2024/post", mirror + " not an origin of this site", "this origin is not one of the site's origins"} {
		if !strings.Contains(text, want) {
			t.Errorf("the panel lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "token=secret") || strings.Contains(text, "utm_source") {
		t.Errorf("the panel keeps the page's query:\n%s", text)
	}
	if href := js[string](t, ctx, `document.querySelector("table.installs tbody a").href`); href != blog+"/2024/post" {
		t.Errorf("the listed origin's page links to %q", href)
	}
	if n := js[int](t, ctx, `document.querySelectorAll("table.installs tbody a").length`); n != 1 {
		t.Errorf("%d links in the panel: an origin the site does not list gets none", n)
	}
	// Listing the mirror clears its error at once: it was the fix.
	in.do(req{method: "PATCH", path: "/api/v1/admin/sites/inst", token: in.token,
		body: map[string]any{"origins": []string{blog, mirror}}}).must(t, http.StatusOK)
	navigate(t, ctx, in.url+"/admin/sites/inst")
	if text := js[string](t, ctx, `document.querySelector("table.installs").textContent`); strings.Contains(text, "not one of the site's origins") {
		t.Errorf("the fixed error is still shown:\n%s", text)
	}
	// The panel is the owner's: a reader's report carries no private data back.
	in.do(req{method: "POST", path: "/api/v1/sites/inst/widget-reports", ctype: "text/plain;charset=UTF-8",
		headers: map[string]string{"Origin": blog}, body: `{"page": "` + blog + `/p", "version": "abc"}`}).must(t, http.StatusNoContent)
	in.do(req{method: "POST", path: "/api/v1/sites/inst/widget-reports", ctype: "text/plain",
		headers: map[string]string{"Origin": blog}, body: `{"page": 7}`}).must(t, http.StatusBadRequest)
	in.do(req{method: "POST", path: "/api/v1/sites/nosuch/widget-reports", ctype: "text/plain",
		headers: map[string]string{"Origin": blog}, body: `{}`}).must(t, http.StatusNotFound)
}

// TestTheDemoShowsSampleComments: a fresh demo's article has published comments, each
// marked as a sample, with a reply; a restart does not add them again.
func TestTheDemoShowsSampleComments(t *testing.T) {
	env := map[string]string{"WINNOW_DATA_DIR": t.TempDir()}
	for run := range 2 {
		in := start(t, env, "--demo")
		got := in.do(req{method: "GET", path: "/api/v1/sites/demo/comments?thread=/demo/"}).must(t, http.StatusOK).json(t)
		top := list(got, "comments")
		if n := num(got, "thread", "count"); n != 4 || len(top) != 2 {
			t.Fatalf("run %d: %v comments, %d at the top: %v", run, n, len(top), got)
		}
		for _, c := range top {
			c := c.(map[string]any)
			if !strings.Contains(c["author_name"].(string), "(sample)") || !strings.Contains(c["body_html"].(string), "sample") {
				t.Errorf("not marked as a sample: %v", c)
			}
		}
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
	}
}
