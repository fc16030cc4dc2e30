package main

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, the accessibility engine (testdata/axe-core/README.md).
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// axeViolation is what axe-core reports of one broken rule.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	Targets []any  `json:"targets"`
}

// axeCheck runs axe-core's WCAG 2.1 A and AA rules and its best practices on the page the browser shows now,
// the widget's open shadow root included, and fails the test for each violation.
func axeCheck(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if !js[bool](t, ctx, `typeof window.axe === "object"`) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			t.Fatalf("%s: inject axe-core: %v", what, err)
		}
	}
	got := js[[]axeViolation](t, ctx, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target)})))`)
	for _, v := range got {
		t.Errorf("%s: %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Targets)
	}
}

// TestAccessibility checks every page a person meets with axe-core in Chromium, for
// WCAG 2.1 A and AA and axe's best practices (landmarks): the setup page, the sign-in
// page, and at a desktop's and a phone's size the widget on the demo article, the
// thread page without JavaScript and each dashboard page, with comments to show.
func TestAccessibility(t *testing.T) {
	ctx := browser(t)
	env := map[string]string{"WINNOW_DATA_DIR": t.TempDir()}
	withMail(t, env) // so that the dashboard has its mail page
	in := start(t, env, "--demo")
	in.do(req{method: "PATCH", path: "/api/v1/admin/sites/demo", token: in.token,
		body: map[string]any{"policy": "none"}}).must(t, http.StatusOK)

	m := setupRe.FindStringSubmatch(in.stderr.String())
	if m == nil {
		t.Fatalf("no setup link printed:\n%s", in.stderr.String())
	}
	navigate(t, ctx, m[1])
	waitJS(t, ctx, "the setup form", `return document.querySelector("form[action='/admin/setup']");`)
	axeCheck(t, ctx, "setup page")

	// Comments to show: published ones with a reply, one held for review.
	for i, body := range []string{"A *first* comment, with a [link](https://docs.example/).", "A second one.", "Held: buy cheap pills at https://pills.example now"} {
		c := localClient(fmt.Sprintf("127.0.4.%d", i+1))
		r := in.doWith(c, req{method: "POST", path: "/api/v1/sites/demo/comments", body: submission("/demo/", map[string]any{
			"author_name": fmt.Sprintf("Reader %d", i+1), "author_email": fmt.Sprintf("reader%d@example.org", i+1), "body": body})})
		if r.status != http.StatusCreated && r.status != http.StatusAccepted {
			t.Fatalf("comment %d: %d %s", i, r.status, r.body)
		}
	}
	// The first admin, then every dashboard page.
	const pw = "accessibility admin password 7"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "a11y@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	navigate(t, ctx, in.url+"/admin/login")
	waitJS(t, ctx, "the sign-in page", `return document.querySelector("#login");`)
	axeCheck(t, ctx, "sign-in page")
	dashboardLogin(t, ctx, in, "a11y@example.org", pw)
	hook, _ := in.addWebhook("demo", "https://hooks.example/winnow", nil)
	queue := in.do(req{method: "GET", path: "/api/v1/admin/comments?site=demo&status=all", token: in.token}).must(t, http.StatusOK).json(t)
	comments := list(queue, "comments")
	if len(comments) == 0 {
		t.Fatalf("no comments listed: %v", queue)
	}
	first := int64(comments[0].(map[string]any)["id"].(float64))
	pages := []struct{ path, ready string }{
		{"/demo/", `const r = ` + shadow + `; return r && r.querySelector("form") && r.querySelectorAll(".wn-comment").length >= 1;`},
		{"/t/demo", `return document.querySelector("form");`},
		{"/admin/", `return document.querySelector("#queue");`},
		{fmt.Sprintf("/admin/comments/%d", first), `return document.querySelector("main");`},
		{"/admin/bans", `return document.querySelector("main");`},
		{"/admin/log", `return document.querySelector("main");`},
		{"/admin/sites", `return document.querySelector("main");`},
		{"/admin/sites/demo", `return document.querySelector("main");`},
		{fmt.Sprintf("/admin/sites/demo/webhooks/%d", hook), `return document.querySelector("main");`},
		{"/admin/users", `return document.querySelector("main");`},
		{"/admin/mail", `return document.querySelector("#mail-form");`},
	}
	// At a desktop's size and at a phone's, where the layouts differ.
	for _, size := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1200, 900, false}, {"phone", 390, 844, true}} {
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(size.width, size.height, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
			p.Mobile = size.mobile
		})); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			target := p.path
			if p.path == "/t/demo" {
				target += "?thread=" + url.QueryEscape("/demo/")
			}
			navigate(t, ctx, in.url+target)
			waitJS(t, ctx, p.path, fmt.Sprintf(`if (location.pathname !== %q) return false; `, p.path)+p.ready)
			axeCheck(t, ctx, size.name+" "+p.path)
		}
	}
}
