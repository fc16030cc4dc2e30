package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
)

// dashboardLogin signs the browser in through /admin/login and waits for the queue.
func dashboardLogin(t *testing.T, ctx context.Context, in *instance, email, password string) {
	t.Helper()
	navigate(t, ctx, in.url+"/admin/")
	waitJS(t, ctx, "the sign-in page", `return location.pathname === "/admin/login" && document.querySelector("#login");`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#login input[name=email]`), email),
		chromedp.SetValue(chromedp.CSS(`#login input[name=password]`), password),
	); err != nil {
		t.Fatal(err)
	}
	clickAway(t, ctx, "#login button")
	waitJS(t, ctx, "the queue", `return location.pathname === "/admin/" && document.querySelector("#queue");`)
}

// clickAway clicks an element that makes the page go elsewhere, and waits for the next
// page to load.
func clickAway(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// press sends keys to the page one by one.
func press(t *testing.T, ctx context.Context, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := chromedp.Run(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatalf("key %q: %v", k, err)
		}
	}
}

// rowCount is the number of comments the queue shows.
const rowCount = `document.querySelectorAll("#queue li.comment").length`

// pageProblems parses a dashboard page and lists what a strict CSP would block or what
// must not be there: inline scripts and styles, on* attributes.
func pageProblems(t *testing.T, body []byte) []string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
				if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
					bad = append(bad, n.Data+" "+a.Key)
				}
			}
			if n.Data == "script" && attrs["src"] == "" || n.Data == "style" {
				bad = append(bad, "inline <"+n.Data+">")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return bad
}

// TestDashboard is a moderator's day in headless Chromium, on each storage engine: sign in, see only their
// site's queue, ban an author, bulk-approve a selection (kept across a refresh that
// brings a new comment), clear a queue of 20 with the keyboard, sign out.
func TestDashboard(t *testing.T) {
	engines(t, dashboardJourney)
}

func dashboardJourney(t *testing.T, env map[string]string) {
	ctx := browser(t)
	began := time.Now()
	in := start(t, env)
	in.createSite("a", map[string]any{"policy": "all"})
	in.createSite("b", map[string]any{"policy": "all"})
	const pw = "moderator password qz7dash"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "mod@example.org", "--role", "moderator", "--site", "a"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}

	// 24 held comments on site a, one on site b.
	names := []string{"Ann", "Bo", "Chidi", "Dana", "Eli", "Fatima", "Gus", "Hana"}
	bodies := []string{"Great write-up, **thanks**.", "I disagree with the second point.", "Is there a follow-up post?",
		"See https://docs.example/guide for more.", "Typo in the third paragraph.", "This worked for me on Debian too."}
	post := func(site string, i int, fields map[string]any) int64 {
		sub := submission(fmt.Sprintf("/2024/post-%d", i%3), map[string]any{
			"author_name": names[i%len(names)] + fmt.Sprint(i), "author_email": fmt.Sprintf("reader%d@example.org", i),
			"author_url": fmt.Sprintf("https://reader%d.example", i), "body": bodies[i%len(bodies)]})
		for k, v := range fields {
			sub[k] = v
		}
		c := localClient(fmt.Sprintf("127.0.3.%d", i+1))
		r := in.doWith(c, req{method: "POST", path: "/api/v1/sites/" + site + "/comments", body: sub}).must(t, http.StatusAccepted).json(t)
		return int64(num(r, "comment", "id"))
	}
	var ids []int64
	for i := range 24 {
		ids = append(ids, post("a", i, nil))
	}
	post("b", 99, map[string]any{"body": "Only site B may see this.", "author_email": "secret-b@example.org"})
	pending := func() []any {
		return list(in.do(req{method: "GET", path: "/api/v1/admin/comments?site=a&limit=200", token: in.token}).must(t, http.StatusOK).json(t), "comments")
	}
	if n := len(pending()); n != 24 {
		t.Fatalf("%d pending comments on site a, want 24", n)
	}

	// HTTP: the pages need a session, carry a strict policy and nothing inline.
	res := in.do(req{method: "GET", path: "/admin/"})
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `id="login"`) {
		t.Fatalf("/admin/ without a session: %d\n%s", res.status, res.body) // the client follows the redirect
	}
	mod := in.login(nil, "mod@example.org", pw)
	page := in.do(req{method: "GET", path: "/admin/", headers: mod.headers(false)}).must(t, http.StatusOK)
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("queue CSP %q", csp)
	}
	if bad := pageProblems(t, page.body); len(bad) > 0 {
		t.Errorf("the queue page has inline code: %q", bad)
	}
	if body := string(page.body); strings.Contains(body, "secret-b@example.org") || strings.Contains(body, "Only site B") || !strings.Contains(body, "reader3@example.org") {
		t.Error("the queue page shows another site's comment, or not its own site's emails")
	}
	in.do(req{method: "GET", path: "/admin/?site=b", headers: mod.headers(false)}).must(t, http.StatusNotFound)
	// A change without the CSRF token is refused; the comment stays pending.
	refused := in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", ids[0]), headers: mod.headers(false)}).
		must(t, http.StatusForbidden).json(t)
	if refused["error"].(map[string]any)["code"] != "csrf" {
		t.Errorf("a CSRF-less approve: %v", refused)
	}
	in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", headers: mod.headers(false),
		body: map[string]any{"ids": ids[:2], "action": "approve"}}).must(t, http.StatusForbidden)
	in.do(req{method: "POST", path: "/api/v1/admin/bans", headers: mod.headers(false),
		body: map[string]any{"kind": "email", "comment_id": ids[0]}}).must(t, http.StatusForbidden)

	// The browser: sign in; the queue shows site a only.
	dashboardLogin(t, ctx, in, "mod@example.org", pw)
	waitJS(t, ctx, "24 comments", `return `+rowCount+` === 24;`)
	if sites := js[[]string](t, ctx, `Array.from(document.querySelectorAll("select[name=site] option"), o => o.value)`); !slices.Equal(sites, []string{"", "a"}) {
		t.Errorf("site filter offers %q", sites)
	}
	if js[bool](t, ctx, `document.body.textContent.includes("secret-b@example.org") || document.body.textContent.includes("Only site B")`) {
		t.Error("site B's comment is on the page")
	}
	first := fmt.Sprintf("#c%d", ids[len(ids)-1]) // newest first
	if got := js[string](t, ctx, `document.querySelector("`+first+` .email").textContent + " " + document.querySelector("`+first+` .ip").textContent`); got != "reader23@example.org 127.0.3.24" {
		t.Errorf("the newest comment shows %q", got)
	}
	// WINNOW_SCREENSHOT_QUEUE=docs/queue.png go test -run TestDashboard/sqlite ./cmd/winnow
	// refreshes the README's picture.
	if shot := os.Getenv("WINNOW_SCREENSHOT_QUEUE"); shot != "" && strings.HasSuffix(t.Name(), "sqlite") {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil || os.WriteFile(shot, png, 0o644) != nil {
			t.Errorf("screenshot: %v", err)
		}
	}

	// Help overlay.
	press(t, ctx, "?")
	waitJS(t, ctx, "the help", `return !document.querySelector("#help").hidden;`)
	press(t, ctx, "\x1b") // Escape
	waitJS(t, ctx, "the help to close", `return document.querySelector("#help").hidden;`)

	// Ban the newest comment's author by email, from its row.
	js[chromedp.Void](t, ctx, `document.querySelector("`+first+` button[data-ban=email]").click()`)
	waitJS(t, ctx, "the ban", `return document.querySelector("#status").textContent.startsWith("Banned");`)
	bans := list(in.do(req{method: "GET", path: "/api/v1/admin/bans?site=a", token: in.token}).must(t, http.StatusOK).json(t), "bans")
	if len(bans) != 1 || bans[0].(map[string]any)["kind"] != "email" || bans[0].(map[string]any)["hint"] == "" {
		t.Fatalf("bans after the queue's ban button: %v", bans)
	}

	// Ban another author's email domain for a day, chosen in the row's ban menu.
	second := fmt.Sprintf("#c%d", ids[len(ids)-2])
	js[chromedp.Void](t, ctx, `document.querySelector("`+second+` details.ban").open = true;
		document.querySelector("`+second+` select.ban-period").value = "24h";
		document.querySelector("`+second+` button[data-ban=domain]").click()`)
	waitJS(t, ctx, "the domain ban", `return document.querySelector("#status").textContent === "Banned the email domain (example.org) for 1 day.";`)
	bans = list(in.do(req{method: "GET", path: "/api/v1/admin/bans?site=a", token: in.token}).must(t, http.StatusOK).json(t), "bans")
	var domainBan map[string]any
	for _, b := range bans {
		if b := b.(map[string]any); b["kind"] == "domain" {
			domainBan = b
		}
	}
	if domainBan == nil || domainBan["hint"] != "example.org" {
		t.Fatalf("bans after the domain ban: %v", bans)
	}
	if exp, err := time.Parse(time.RFC3339Nano, domainBan["expires_at"].(string)); err != nil || time.Until(exp) > 25*time.Hour || time.Until(exp) < 23*time.Hour {
		t.Errorf("a one-day ban expires at %v (%v)", domainBan["expires_at"], err)
	}
	// Lifted on the bans page, which lists both.
	navigate(t, ctx, in.url+"/admin/bans")
	waitJS(t, ctx, "the bans page", `return document.querySelectorAll("#bans li.ban").length === 2;`)
	js[chromedp.Void](t, ctx, fmt.Sprintf(`document.querySelector("button[data-lift='%v']").click()`, domainBan["id"]))
	waitJS(t, ctx, "the lifted ban", `return document.querySelectorAll("#bans li.ban").length === 1 && document.querySelector("#form-status").textContent === "Ban lifted.";`)
	if bans = list(in.do(req{method: "GET", path: "/api/v1/admin/bans?site=a", token: in.token}).must(t, http.StatusOK).json(t), "bans"); len(bans) != 1 {
		t.Fatalf("bans after lifting one: %v", bans)
	}
	navigate(t, ctx, in.url+"/admin/")
	waitJS(t, ctx, "24 comments again", `return `+rowCount+` === 24;`)

	// Select five with the keyboard; a refresh brings a new comment and keeps them.
	press(t, ctx, "x", "j", "x", "j", "x", "j", "x", "j", "x")
	selected := js[[]string](t, ctx, `Array.from(document.querySelectorAll("#queue li.selected"), li => li.dataset.id)`)
	if len(selected) != 5 || js[string](t, ctx, `document.querySelector("#selected-count").textContent`) != "5 selected" {
		t.Fatalf("selected %q", selected)
	}
	late := post("a", 24, map[string]any{"body": "A late comment, while the moderator works."})
	js[chromedp.Void](t, ctx, `document.querySelector("#refresh").click()`)
	waitJS(t, ctx, "the new comment", fmt.Sprintf(`return document.querySelector("#c%d") && %s === 25;`, late, rowCount))
	if again := js[[]string](t, ctx, `Array.from(document.querySelectorAll("#queue li.selected input.select:checked"), i => i.closest("li").dataset.id)`); !slices.Equal(again, selected) {
		t.Fatalf("selection after a refresh: %q, was %q", again, selected)
	}
	js[chromedp.Void](t, ctx, `document.querySelector("[data-bulk=approve]").click()`)
	waitJS(t, ctx, "the bulk approval", `return `+rowCount+` === 20 && document.querySelector("#selected-count").textContent === "0 selected";`)
	for _, id := range selected {
		c := in.do(req{method: "GET", path: "/api/v1/admin/comments/" + id, token: in.token}).must(t, http.StatusOK).json(t)
		if s := c["comment"].(map[string]any)["status"]; s != "approved" {
			t.Errorf("bulk-approved comment %s is %v", id, s)
		}
	}

	// Clear the 20 left with the keyboard alone.
	want := map[string]string{}
	keys := []string{"a", "a", "r", "k", "s", "a", "j", "a", "r", "a", "s", "a", "a", "j", "j", "a", "r", "k", "a", "s", "a", "a", "a", "r", "a", "a"}
	acted := 0
	for _, k := range keys {
		if acted == 20 {
			break
		}
		cur := js[string](t, ctx, `document.querySelector("#queue li.current")?.dataset.id || ""`)
		press(t, ctx, k)
		if k == "j" || k == "k" {
			continue
		}
		if cur == "" {
			t.Fatal("no current comment to act on")
		}
		want[cur] = map[string]string{"a": "approved", "r": "rejected", "s": "spam"}[k]
		acted++
		waitJS(t, ctx, "comment "+cur+" to leave the queue", fmt.Sprintf(`return !document.querySelector("#c%s") && %s === %d;`, cur, rowCount, 20-acted))
	}
	if acted != 20 {
		t.Fatalf("%d acted on with the keyboard", acted)
	}
	waitJS(t, ctx, "the empty queue", `return document.querySelector("#queue li.empty");`)
	if n := len(pending()); n != 0 {
		t.Errorf("%d comments still pending", n)
	}
	for id, status := range want {
		c := in.do(req{method: "GET", path: "/api/v1/admin/comments/" + id, token: in.token}).must(t, http.StatusOK).json(t)
		if s := c["comment"].(map[string]any)["status"]; s != status {
			t.Errorf("comment %s is %v, want %s", id, s, status)
		}
	}
	events := in.do(req{method: "GET", path: "/api/v1/admin/events?site=a&limit=200", token: in.token}).must(t, http.StatusOK).json(t)
	if actor, _ := list(events, "events")[0].(map[string]any)["actor"].(string); !strings.HasSuffix(actor, ":mod@example.org") {
		t.Errorf("audit actor %q", actor)
	}

	// Public pages never show what the queue showed.
	thread := in.do(req{method: "GET", path: "/t/a?thread=" + url.QueryEscape("/2024/post-0")}).must(t, http.StatusOK)
	if strings.Contains(string(thread.body), "@example.org") || strings.Contains(string(thread.body), "127.0.3.") {
		t.Error("the public thread page shows an email or an address")
	}

	// Sign out: back to the sign-in page, and the queue is closed.
	clickAway(t, ctx, "#logout button")
	waitJS(t, ctx, "the sign-in page", `return location.pathname === "/admin/login" && document.querySelector("#login");`)
	navigate(t, ctx, in.url+"/admin/")
	waitJS(t, ctx, "the redirect to sign-in", `return location.pathname === "/admin/login";`)
	if n := js[int](t, ctx, `window.__winnowRan`); n != 0 {
		t.Fatalf("%d trapped calls (alert, confirm, prompt) on the dashboard", n)
	}
	t.Logf("dashboard journey in %v", time.Since(began).Round(time.Millisecond))
}

// TestDashboardXSS shows payloads from the XSS lists (xssDir) as bodies, names and websites
// in the queue, first as rendered by the server, then as read again by the poll:
// nothing runs and nothing active is in the DOM.
func TestDashboardXSS(t *testing.T) {
	all := xssPayloads(t)
	ctx := browser(t)
	began := time.Now()
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
	in.createSite("xss", map[string]any{"policy": "all", "max_links": 0,
		"rate_limits": map[string]any{"ip": lifted, "email": lifted, "thread": lifted, "site": lifted}})
	const pw = "administrator password qz7x"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "root@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	// A handful spread over the lists, and every line that names a script or a handler
	// in its first few: 60 in all.
	var payloads []string
	for i := 0; i < len(all) && len(payloads) < 60; i += max(1, len(all)/60) {
		payloads = append(payloads, all[i])
	}
	used := map[string]int{}
	names := map[string]bool{}
	for i, p := range payloads {
		sub := xssSubmission("/xss", i, p, used)
		body, _ := json.Marshal(sub)
		r := in.do(req{method: "POST", path: "/api/v1/sites/xss/comments", body: string(body), ctype: "application/json"})
		if r.status != http.StatusAccepted {
			t.Fatalf("payload %d: %d %s", i, r.status, r.body)
		}
		sub.Normalize()
		names[strings.TrimSpace(sub.AuthorName)] = true
	}

	dashboardLogin(t, ctx, in, "root@example.org", pw)
	navigate(t, ctx, in.url+"/admin/?site=xss&status=all")
	waitJS(t, ctx, "every payload", fmt.Sprintf(`return %s === %d;`, rowCount, len(payloads)))
	check := func(when string) {
		js[any](t, ctx, `new Promise(r => setTimeout(r, 300))`) // let loads and errors fire
		if bad := js[[]string](t, ctx, `(`+domCheck+`)(document.querySelector("#queue"))`); len(bad) > 0 {
			t.Errorf("%s: %d active things in the queue, e.g. %q", when, len(bad), bad[:min(5, len(bad))])
		}
		if n := js[int](t, ctx, `document.querySelectorAll("script").length`); n != 1 {
			t.Errorf("%s: %d script elements, want admin.js alone", when, n)
		}
		shown := js[[]string](t, ctx, `Array.from(document.querySelectorAll("#queue .name"), e => e.textContent.trim())`)
		for _, n := range shown {
			if !names[n] {
				t.Errorf("%s: a name shown as %q is not one that was posted", when, n)
			}
		}
		if n := js[int](t, ctx, `window.__winnowRan`); n != 0 {
			t.Fatalf("%s: %d payloads ran", when, n)
		}
	}
	check("as served")
	js[chromedp.Void](t, ctx, `document.querySelector("#queue li.comment").classList.add("marker"); document.querySelector("#refresh").click()`)
	waitJS(t, ctx, "the refreshed list", fmt.Sprintf(`return !document.querySelector("#queue li.marker") && %s === %d;`, rowCount, len(payloads)))
	check("after a refresh")
	t.Logf("dashboard XSS: %d payloads (as body %d, name %d, website %d) in %v", len(payloads), used["body"], used["name"], used["website"],
		time.Since(began).Round(time.Millisecond))
}

// TestQueueShowsHistoryAndParent checks what the queue tells a moderator about a reply:
// its author's record on the site, the text it answers, and links to everything from
// the author and to comments with the same opening.
func TestQueueShowsHistoryAndParent(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("h", map[string]any{"policy": "all"})
	// A form fetched now is posted at the end, once a person could have written it.
	formAt := time.Now()
	formToken, _ := in.do(req{method: "GET", path: "/api/v1/sites/h/form?thread=/calm"}).must(t, http.StatusOK).json(t)["form_token"].(string)
	first := in.submit("h", submission("/p", map[string]any{"author_name": "Uma", "author_email": "uma@example.org",
		"body": "The first comment, on how the build cache works."}), nil).must(t, http.StatusAccepted).json(t)
	parent := int64(num(first, "comment", "id"))
	in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", parent), token: in.token}).must(t, http.StatusOK)
	in.submit("h", submission("/p", map[string]any{"author_name": "Uma", "author_email": "uma@example.org",
		"parent_id": parent, "body": "Answering myself: it also needs a clean checkout."}), nil).must(t, http.StatusAccepted)

	out, errOut, err := in.cli("history password 42\n", "user", "add", "--email", "adm@example.org", "--role", "admin")
	if err != nil {
		t.Fatalf("user add: %v\n%s%s", err, out, errOut)
	}
	adm := in.login(nil, "adm@example.org", "history password 42")
	body := html.UnescapeString(string(in.do(req{method: "GET", path: "/admin/?site=h", headers: adm.headers(false)}).must(t, http.StatusOK).body))
	for _, want := range []string{
		"1 approved · 0 spam",
		"In reply to Uma:</span> The first comment, on how the build cache works.",
		`href="/admin/?q=uma%40example.org&site=h&status=all"`,
		`href="/admin/?q=Answering+myself%3A+it+also+needs+a&site=h&status=all"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the queue page lacks %q\n%s", want, body)
		}
	}
	// A thread's link narrows the queue to it.
	in.submit("h", submission("/other", map[string]any{"author_email": "vic@example.org", "body": "Elsewhere entirely."}), nil).must(t, http.StatusAccepted)
	thread := html.UnescapeString(string(in.do(req{method: "GET", path: "/admin/?status=all&thread=%2Fp", headers: adm.headers(false)}).must(t, http.StatusOK).body))
	if strings.Contains(thread, "Elsewhere entirely") || !strings.Contains(thread, "Answering myself") || !strings.Contains(thread, `href="/admin/?q=Answering+myself%3A+it+also+needs+a&site=h&status=all"`) {
		t.Errorf("the queue filtered to thread /p shows another thread's comment or not its own")
	}
	if !strings.Contains(thread, `<a class="thread" href="/admin/?site=h&status=all&thread=%2Fp"`) {
		t.Error("a comment's thread does not link to the queue filtered to it")
	}
	// A held comment that would name its thread shows the name it would give.
	in.submit("h", submission("/unnamed", map[string]any{"author_email": "wes@example.org", "body": "First on this page.",
		"thread_title": "Cheap pills here", "thread_url": "https://h.example/unnamed"}), nil).must(t, http.StatusAccepted)
	claims := html.UnescapeString(string(in.do(req{method: "GET", path: "/admin/?site=h&thread=%2Funnamed", headers: adm.headers(false)}).must(t, http.StatusOK).body))
	if !strings.Contains(claims, `Names the page <q>Cheap pills here</q> <span class="claim-url">https://h.example/unnamed</span>`) {
		t.Error("the queue does not show the page a held comment would name")
	}
	// A deleted comment offers no actions that would fail.
	in.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/admin/comments/%d", parent), token: in.token}).must(t, http.StatusOK)
	deleted := string(in.do(req{method: "GET", path: "/admin/?site=h&status=deleted", headers: adm.headers(false)}).must(t, http.StatusOK).body)
	if !strings.Contains(deleted, "Deleted comments cannot be changed.") || strings.Contains(deleted, "data-action=") {
		t.Error("the deleted list offers actions")
	}
	// Spam says when it will be discarded (30 days by default).
	in.submit("h", submission("/p", map[string]any{"website": "http://bot.example"}), nil).must(t, http.StatusAccepted)
	spamPage := string(in.do(req{method: "GET", path: "/admin/?site=h&status=spam", headers: adm.headers(false)}).must(t, http.StatusOK).body)
	if want := "to be discarded <time datetime=\"" + time.Now().UTC().Add(30*24*time.Hour).Format("2006-01-02"); !strings.Contains(spamPage, want) {
		t.Errorf("the spam queue lacks %q", want)
	}
	// A comment held with no reasons says the site's policy holds it; one with reasons
	// (no form token) does not claim that.
	time.Sleep(time.Until(formAt.Add(3200 * time.Millisecond)))
	calm := in.submit("h", submission("/calm", map[string]any{"author_email": "yan@example.org", "form_token": formToken,
		"body": "The second diagram helped me understand the build cache."}), nil).must(t, http.StatusAccepted).json(t)
	const policyNote = "No spam signals. Held because the site holds every comment (policy all)."
	calmID := int64(num(calm, "comment", "id"))
	queue := html.UnescapeString(string(in.do(req{method: "GET", path: "/admin/?site=h&thread=%2Fcalm", headers: adm.headers(false)}).must(t, http.StatusOK).body))
	page := html.UnescapeString(string(in.do(req{method: "GET", path: fmt.Sprintf("/admin/comments/%d", calmID), headers: adm.headers(false)}).must(t, http.StatusOK).body))
	if !strings.Contains(queue, policyNote) || !strings.Contains(page, policyNote) {
		t.Errorf("a comment held by the policy alone does not say so (reasons %v)\n%s", calm, queue)
	}
	if other := html.UnescapeString(string(in.do(req{method: "GET", path: "/admin/?site=h&thread=%2Fp", headers: adm.headers(false)}).must(t, http.StatusOK).body)); strings.Contains(other, policyNote) {
		t.Error("a comment with reasons is said to be held by the policy alone")
	}
}

// TestQueueUndoEditReply is the queue's second-thoughts journey in Chromium: approve
// with the keyboard and undo it, fix a comment's text, and answer a held comment as
// the site, which approves it and publishes the reply under the site's name.
func TestQueueUndoEditReply(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("u", map[string]any{"name": "Hedge Notes", "policy": "all"})
	const pw = "undo password qz7undo"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "ed@example.org", "--role", "moderator", "--site", "u"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	var ids []int64
	for i, body := range []string{"Teh hedge was lovely.", "Which hawthorn is this?"} {
		r := in.submit("u", submission("/hedges", map[string]any{"author_email": fmt.Sprintf("r%d@example.org", i), "body": body}), nil).
			must(t, http.StatusAccepted).json(t)
		ids = append(ids, int64(num(r, "comment", "id")))
	}
	status := func(id int64) string {
		c := in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/comments/%d", id), token: in.token}).must(t, http.StatusOK).json(t)
		return c["comment"].(map[string]any)["status"].(string) + " " + c["comment"].(map[string]any)["body_source"].(string)
	}
	// A page asked for before signing in is where the sign-in lands; a sign-in link
	// cannot send the browser off the dashboard.
	r := in.doWith(noRedirects, req{method: "GET", path: "/admin/log?site=u"})
	if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/admin/login?next=%2Fadmin%2Flog%3Fsite%3Du" {
		t.Fatalf("signed out /admin/log: %d %q", r.status, loc)
	}
	if body := string(in.do(req{method: "GET", path: "/admin/login?next=//evil.example/"}).must(t, http.StatusOK).body); !strings.Contains(body, `data-next="/admin/"`) {
		t.Error("the sign-in page accepted an off-site next")
	}
	navigate(t, ctx, in.url+"/admin/log?site=u")
	waitJS(t, ctx, "the sign-in page", `return location.pathname === "/admin/login" && document.querySelector("#login");`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#login input[name=email]`), "ed@example.org"),
		chromedp.SetValue(chromedp.CSS(`#login input[name=password]`), pw),
	); err != nil {
		t.Fatal(err)
	}
	clickAway(t, ctx, "#login button")
	waitJS(t, ctx, "the audit log", `return location.pathname === "/admin/log" && location.search === "?site=u";`)
	navigate(t, ctx, in.url+"/admin/")
	waitJS(t, ctx, "2 comments", `return `+rowCount+` === 2;`)
	first, second := fmt.Sprintf("c%d", ids[0]), fmt.Sprintf("c%d", ids[1])

	// Newest first: the current comment is the question. Approve it, then undo.
	press(t, ctx, "a")
	waitJS(t, ctx, "the approval", `return !document.getElementById("`+second+`") && !document.querySelector("#undo").disabled;`)
	press(t, ctx, "u")
	waitJS(t, ctx, "the undone comment back", `return document.getElementById("`+second+`") && document.querySelector("#status").textContent.startsWith("Undone");`)
	if got := status(ids[1]); got != "pending Which hawthorn is this?" {
		t.Fatalf("after undo: %q", got)
	}

	// Fix the typo in the other comment.
	js[chromedp.Void](t, ctx, `document.querySelector("#`+first+` button[data-edit]").click()`)
	waitJS(t, ctx, "the editor", `const a = document.querySelector("#`+first+` .composer textarea"); return a && a.value === "Teh hedge was lovely.";`)
	// The list's refresh waits while a text box is open: the moderator's typing stays.
	js[chromedp.Void](t, ctx, `document.querySelector("#`+first+` .composer textarea").value = "The hedge was *lovely*.";
		document.querySelector("#refresh").click()`)
	time.Sleep(300 * time.Millisecond)
	if got := js[string](t, ctx, `document.querySelector("#`+first+` .composer textarea")?.value || ""`); got != "The hedge was *lovely*." {
		t.Fatalf("after a refresh the editor holds %q", got)
	}
	// Text that shows nothing is refused, and the editor says why, not only that a
	// field was wrong; the moderator's text stays to be fixed.
	js[chromedp.Void](t, ctx, `document.querySelector("#`+first+` .composer textarea").value = "\u200b\u2800";
		document.querySelector("#`+first+` .composer button[type=submit]").click()`)
	waitJS(t, ctx, "the editor's error", `const e = document.querySelector("#`+first+` .composer .error"); return e && e.textContent === "The text: must contain a visible character";`)
	js[chromedp.Void](t, ctx, `document.querySelector("#`+first+` .composer textarea").value = "The hedge was *lovely*.";
		document.querySelector("#`+first+` .composer button[type=submit]").click()`)
	waitJS(t, ctx, "the edited text", `const li = document.querySelector("#`+first+`"); return !li.querySelector(".composer") && li.querySelector(".body em")?.textContent === "lovely";`)
	if got := status(ids[0]); got != "pending The hedge was *lovely*." {
		t.Fatalf("after the edit: %q", got)
	}

	// Answer the question as the site: it is approved, and the reply is published.
	js[chromedp.Void](t, ctx, `document.querySelector("#`+second+` button[data-reply]").click()`)
	waitJS(t, ctx, "the reply box", `return document.querySelector("#`+second+` .composer textarea") === document.activeElement;`)
	js[chromedp.Void](t, ctx, `document.querySelector("#`+second+` .composer textarea").value = "It is the midland hawthorn.";
		document.querySelector("#`+second+` .composer button[type=submit]").click()`)
	waitJS(t, ctx, "the published reply", `return document.querySelector("#status").textContent.startsWith("Reply published");`)
	thread := in.do(req{method: "GET", path: "/api/v1/sites/u/comments?thread=/hedges"}).must(t, http.StatusOK)
	v := thread.json(t)
	cs := list(v, "comments")
	if len(cs) != 1 {
		t.Fatalf("public thread: %s", thread.body)
	}
	replies, _ := cs[0].(map[string]any)["replies"].([]any)
	if len(replies) != 1 || replies[0].(map[string]any)["author_name"] != "Hedge Notes" ||
		!strings.Contains(replies[0].(map[string]any)["body_html"].(string), "midland hawthorn") {
		t.Fatalf("the reply is not published under the site's name: %s", thread.body)
	}
	if strings.Contains(string(thread.body), "ed@example.org") {
		t.Error("the moderator's email is in the public thread")
	}
	if n := js[int](t, ctx, `window.__winnowRan`); n != 0 {
		t.Fatalf("%d trapped calls (alert, confirm, prompt) on the dashboard", n)
	}

	// The session ends while the moderator works on a filtered list: the next action
	// goes to the sign-in page, which will bring the browser back to the same list.
	navigate(t, ctx, in.url+"/admin/?status=approved&site=u")
	waitJS(t, ctx, "the approved list", `return document.querySelector("#queue li.current");`)
	in.ageSessions(13 * time.Hour)
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent("r"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the sign-in page with the way back", `return location.pathname === "/admin/login" &&
		new URLSearchParams(location.search).get("next") === "/admin/?status=approved&site=u";`)
}
