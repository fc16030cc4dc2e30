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

	"github.com/chromedp/chromedp"
)

// noRedirects is a client that shows a redirect instead of following it.
var noRedirects = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestDashboardPages checks who may open the settings, webhook and audit pages, on
// each storage engine: admins everything, moderators the audit log of their own sites
// and a 403 page elsewhere, a browser without a session the sign-in page, and an API
// token nothing. The audit log filters by moderator and never shows another site.
func TestDashboardPages(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
		in.createSite("a", map[string]any{"policy": "all", "rate_limits": map[string]any{"ip": lifted, "email": lifted, "thread": lifted, "site": lifted}})
		in.createSite("b", map[string]any{"policy": "all", "origins": []string{"https://secret-b.example"}})
		const adminPW, modPW = "administrator password qz7pg", "moderator password qz7pg"
		for _, u := range [][]string{{adminPW, "root@example.org", "admin"}, {modPW, "mod@example.org", "moderator", "a"}} {
			args := []string{"user", "add", "--email", u[1], "--role", u[2]}
			if len(u) > 3 {
				args = append(args, "--site", u[3])
			}
			if _, errOut, err := in.cli(u[0]+"\n", args...); err != nil {
				t.Fatalf("user add: %v\n%s", err, errOut)
			}
		}
		admin, mod := in.login(nil, "root@example.org", adminPW), in.login(nil, "mod@example.org", modPW)
		hookA, _ := in.addWebhook("a", "https://hooks.example/a-path?key=a-query", nil)
		hookB, _ := in.addWebhook("b", "https://hooks.example/b", nil)

		// Comments on both sites, acted on by the moderator, the admin and a token.
		var ids []int64
		for i, site := range []string{"a", "a", "a", "b"} {
			r := in.submit(site, submission("/p", map[string]any{"author_email": fmt.Sprintf("r%d@example.org", i)}), nil).must(t, http.StatusAccepted)
			ids = append(ids, int64(num(r.json(t), "comment", "id")))
		}
		act := func(id int64, action string, headers map[string]string, token string) {
			t.Helper()
			in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/%s", id, action), headers: headers, token: token}).must(t, http.StatusOK)
		}
		act(ids[0], "approve", mod.headers(true), "")
		act(ids[1], "reject", admin.headers(true), "")
		act(ids[2], "spam", nil, in.token)
		act(ids[3], "approve", admin.headers(true), "")

		pages := []string{"/admin/sites", "/admin/sites/a", fmt.Sprintf("/admin/sites/a/webhooks/%d", hookA), "/admin/users", "/admin/log",
			fmt.Sprintf("/admin/comments/%d", ids[0]), "/admin/bans"}
		get := func(path string, headers map[string]string, token string) response {
			t.Helper()
			return in.doWith(noRedirects, req{method: "GET", path: path, headers: headers, token: token})
		}
		// Without a session, and with an API token: the sign-in page.
		for _, p := range pages {
			for _, token := range []string{"", in.token} {
				if r := get(p, nil, token); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login?"+(url.Values{"next": {p}}).Encode() {
					t.Errorf("%s signed out (token %t): %d %q", p, token != "", r.status, r.header.Get("Location"))
				}
			}
		}
		// An admin opens every page; each has a strict policy, nothing inline and the nav.
		for _, p := range pages {
			r := get(p, admin.headers(false), "")
			if r.status != http.StatusOK {
				t.Errorf("admin %s: %d", p, r.status)
				continue
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s CSP %q", p, csp)
			}
			if bad := pageProblems(t, r.body); len(bad) > 0 {
				t.Errorf("%s has inline code: %q", p, bad)
			}
			if body := string(r.body); !strings.Contains(body, `href="/admin/sites"`) || !strings.Contains(body, `href="/admin/users"`) || !strings.Contains(body, `href="/admin/log"`) {
				t.Errorf("%s lacks the navigation", p)
			}
		}
		site := string(get("/admin/sites/a", admin.headers(false), "").body)
		if !strings.Contains(site, "https://hooks.example/a-path?key=a-query") || strings.Contains(site, "hooks.example/b") || strings.Contains(site, "whsec_") {
			t.Error("site a's page does not list its own endpoint alone, or shows a secret")
		}
		for _, p := range []string{"/admin/sites/nope", fmt.Sprintf("/admin/sites/a/webhooks/%d", hookB), "/admin/sites/a/webhooks/99999", "/admin/comments/99999"} {
			if r := get(p, admin.headers(false), ""); r.status != http.StatusNotFound {
				t.Errorf("admin %s: %d, want 404", p, r.status)
			}
		}
		// The home page of the queue has the navigation too.
		if q := string(get("/admin/", admin.headers(false), "").body); !strings.Contains(q, `href="/admin/sites"`) {
			t.Error("the queue has no Sites link for an admin")
		}

		// A moderator: the 403 page on admin pages, without their data or a Sites or Users link.
		for _, p := range pages[:4] {
			r := get(p, mod.headers(false), "")
			body := string(r.body)
			if r.status != http.StatusForbidden || !strings.Contains(body, `id="page-error"`) {
				t.Errorf("moderator %s: %d\n%s", p, r.status, body)
			}
			if strings.Contains(body, "hooks.example") || strings.Contains(body, "a.example") || strings.Contains(body, "root@example.org") ||
				strings.Contains(body, `href="/admin/sites"`) || strings.Contains(body, `href="/admin/users"`) {
				t.Errorf("moderator %s shows site data, accounts, or the Sites or Users link", p)
			}
		}
		for _, p := range []string{"/admin/", "/admin/log"} {
			if body := string(get(p, mod.headers(false), "").must(t, http.StatusOK).body); strings.Contains(body, `href="/admin/sites"`) || strings.Contains(body, `href="/admin/users"`) {
				t.Errorf("moderator %s shows the Sites or Users link", p)
			}
		}
		get("/admin/log?site=b", mod.headers(false), "").must(t, http.StatusNotFound)
		// Bans: each user sees their sites' bans only.
		for _, b := range []map[string]any{{"site": "a", "kind": "domain", "value": "spam-a.example"}, {"site": "b", "kind": "domain", "value": "spam-b.example"},
			{"site": "a", "kind": "ip", "value": "2001:db8:77:1::/64"}, {"site": "a", "kind": "ip", "value": "198.51.100.0/22"}} {
			in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token, body: b}).must(t, http.StatusCreated)
		}
		bans := string(get("/admin/bans", mod.headers(false), "").must(t, http.StatusOK).body)
		if !strings.Contains(bans, "spam-a.example") || strings.Contains(bans, "spam-b.example") {
			t.Error("the moderator's bans page does not show site a's ban alone")
		}
		// Networks: a wide one as it is, a narrow one masked to its /48 with its width.
		if !strings.Contains(bans, "198.51.100.0/22") || !strings.Contains(bans, "2001:db8:77::/48 (a /64 in it)") || strings.Contains(bans, "2001:db8:77:1") {
			t.Errorf("the bans page shows networks as:\n%s", bans)
		}
		get(fmt.Sprintf("/admin/comments/%d", ids[3]), mod.headers(false), "").must(t, http.StatusNotFound)
		own := string(get(fmt.Sprintf("/admin/comments/%d", ids[0]), mod.headers(false), "").must(t, http.StatusOK).body)
		if !strings.Contains(own, "r0@example.org") || !strings.Contains(own, "approve") {
			t.Errorf("the moderator's comment page lacks its email or its history:\n%s", own)
		}

		// The audit log: the moderator sees site a's three actions, not site b's.
		linked := func(body string) []string {
			var out []string
			for _, m := range regexp.MustCompile(`href="/admin/comments/(\d+)"`).FindAllStringSubmatch(body, -1) {
				out = append(out, m[1])
			}
			return out
		}
		str := func(ids ...int64) []string {
			var out []string
			for _, id := range ids {
				out = append(out, fmt.Sprint(id))
			}
			return out
		}
		modLog := string(get("/admin/log", mod.headers(false), "").body)
		if got, want := linked(modLog), str(ids[2], ids[1], ids[0]); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the moderator's log links %v, want %v (newest first)", got, want)
		}
		if strings.Contains(modLog, "Site b") || strings.Contains(modLog, `value="b"`) {
			t.Error("the moderator's log offers site b")
		}
		// The admin's log holds all four; filtered by the moderator, one.
		adminLog := string(get("/admin/log", admin.headers(false), "").body)
		if got := linked(adminLog); len(got) != 4 {
			t.Errorf("the admin's log links %v, want 4 comments", got)
		}
		actor := regexp.MustCompile(`<option value="(user:\d+:mod@example.org)"`).FindStringSubmatch(adminLog)
		if actor == nil {
			t.Fatalf("the moderator filter does not offer the moderator:\n%s", adminLog)
		}
		byMod := string(get("/admin/log?actor="+url.QueryEscape(actor[1]), admin.headers(false), "").must(t, http.StatusOK).body)
		if got := linked(byMod); fmt.Sprint(got) != fmt.Sprint(str(ids[0])) {
			t.Errorf("the log filtered by the moderator links %v, want %d", got, ids[0])
		}
		if !strings.Contains(byMod, `<option value="`+actor[1]+`" selected>mod@example.org</option>`) {
			t.Error("the moderator filter does not keep its choice")
		}
		if got := linked(string(get("/admin/log?site=b", admin.headers(false), "").body)); fmt.Sprint(got) != fmt.Sprint(str(ids[3])) {
			t.Errorf("the log of site b links %v", got)
		}

		// Paged by 50: 47 more actions make 51; the next page holds the oldest.
		var more []int64
		for i := range 47 {
			r := in.submit("a", submission("/q", map[string]any{"author_email": fmt.Sprintf("q%d@example.org", i)}), nil).must(t, http.StatusAccepted)
			more = append(more, int64(num(r.json(t), "comment", "id")))
		}
		in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token, body: map[string]any{"ids": more, "action": "approve"}}).
			must(t, http.StatusOK)
		first := string(get("/admin/log", admin.headers(false), "").body)
		next := regexp.MustCompile(`<a href="(/admin/log\?cursor=[^"]+)">Older actions</a>`).FindStringSubmatch(first)
		if n := len(linked(first)); n != 50 || next == nil {
			t.Fatalf("the log's first page links %d comments, next page %v", n, next)
		}
		last := string(get(html.UnescapeString(next[1]), admin.headers(false), "").must(t, http.StatusOK).body)
		if got := linked(last); fmt.Sprint(got) != fmt.Sprint(str(ids[0])) || strings.Contains(last, "Older actions") {
			t.Errorf("the log's last page links %v, want the oldest action's %d alone", got, ids[0])
		}
	})
}

// TestDashboardSettings is an admin changing a site's settings in headless Chromium:
// the link limit and a blocked word are saved and read back through the API, a wrong
// rate-limit period is shown next to its field, an endpoint is added with its secret
// shown once; then a moderator finds no Sites link and a 403 page at the settings.
func TestDashboardSettings(t *testing.T) {
	ctx := browser(t)
	began := time.Now()
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("a", map[string]any{"policy": "all", "blocked_words": []string{"viagra"}})
	const adminPW, modPW = "administrator password qz7set", "moderator password qz7set"
	if _, errOut, err := in.cli(adminPW+"\n", "user", "add", "--email", "root@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	if _, errOut, err := in.cli(modPW+"\n", "user", "add", "--email", "mod@example.org", "--role", "moderator", "--site", "a"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	readSite := func() map[string]any {
		t.Helper()
		return in.do(req{method: "GET", path: "/api/v1/admin/sites/a", token: in.token}).must(t, http.StatusOK).json(t)["site"].(map[string]any)
	}

	dashboardLogin(t, ctx, in, "root@example.org", adminPW)
	clickAway(t, ctx, "#nav-sites")
	// A new site: an id in use is refused by the id field; a new one opens its settings.
	js[chromedp.Void](t, ctx, `{ const f = document.querySelector("#site-create");
		f.elements.id.value = "a"; f.elements.name.value = "Blog B"; f.elements.origins.value = "https://B.example/\n";
		f.querySelector("button").click(); }`)
	waitJS(t, ctx, "the id's error", `return !document.querySelector('[data-error-for="id"]').hidden;`)
	js[chromedp.Void](t, ctx, `document.querySelector("#site-create").elements.id.value = "b"`)
	clickAway(t, ctx, "#site-create button")
	waitJS(t, ctx, "the new site's settings", `return location.pathname === "/admin/sites/b" && document.querySelector("#f-origins")?.value === "https://b.example";`)
	navigate(t, ctx, in.url+"/admin/sites")
	clickAway(t, ctx, `#sites a[href="/admin/sites/a"]`)
	waitJS(t, ctx, "the settings form", `return document.querySelector("#site-form");`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#f-max-links`), "5"),
		chromedp.SetValue(chromedp.CSS(`#f-words`), "viagra\nCasino Bonus\n"),
		chromedp.SetValue(chromedp.CSS(`#f-spam-seed`), "hold"),
	); err != nil {
		t.Fatal(err)
	}
	js[chromedp.Void](t, ctx, `document.querySelector("#site-form button[type=submit]").click()`)
	waitJS(t, ctx, "the saved message", `return document.querySelector("#form-status").textContent === "Saved.";`)
	s := readSite()
	if s["max_links"] != float64(5) || fmt.Sprint(s["blocked_words"]) != "[viagra casino bonus]" || s["spam_seed"] != "hold" {
		t.Errorf("after saving: max_links %v, blocked_words %v, spam_seed %v", s["max_links"], s["blocked_words"], s["spam_seed"])
	}
	if got := js[string](t, ctx, `document.querySelector("#f-words").value`); got != "viagra\ncasino bonus" {
		t.Errorf("the form shows the words as %q, not as stored", got)
	}

	// An own IP limit with a wrong period: its error shows by the IP limit, nothing saved.
	js[chromedp.Void](t, ctx, `{ const box = document.querySelector(".limit[data-scope=ip] .use-default");
		box.checked = false; box.dispatchEvent(new Event("change")); }
		document.querySelector("input[name=period_ip]").value = "soon";
		document.querySelector("#f-max-links").value = "7";
		document.querySelector("#site-form button[type=submit]").click();`)
	waitJS(t, ctx, "the period's error", `const e = document.querySelector('[data-error-for="rate_limits.ip"]');
		return !e.hidden && e.textContent.includes("period") && document.querySelector("input[name=period_ip]").getAttribute("aria-invalid") === "true";`)
	if others := js[int](t, ctx, `document.querySelectorAll(".field-error:not([hidden])").length`); others != 1 {
		t.Errorf("%d field errors shown, want the period's alone", others)
	}
	if s := readSite(); s["max_links"] != float64(5) {
		t.Errorf("a refused save changed max_links to %v", s["max_links"])
	}
	// Fixed, it saves; back to the default, the default is in force again.
	js[chromedp.Void](t, ctx, `document.querySelector("input[name=period_ip]").value = "2m";
		document.querySelector("#site-form button[type=submit]").click();`)
	waitJS(t, ctx, "the second save", `return document.querySelector("#form-status").textContent === "Saved." &&
		document.querySelector('[data-error-for="rate_limits.ip"]').hidden;`)
	if ip := readSite()["rate_limits"].(map[string]any)["ip"].(map[string]any); ip["period"] != "2m0s" || readSite()["max_links"] != float64(7) {
		t.Errorf("after the second save: ip %v", ip)
	}
	js[chromedp.Void](t, ctx, `{ const box = document.querySelector(".limit[data-scope=ip] .use-default");
		box.checked = true; box.dispatchEvent(new Event("change")); }
		document.querySelector("#form-status").textContent = "";
		document.querySelector("#site-form button[type=submit]").click();`)
	waitJS(t, ctx, "the third save", `return document.querySelector("#form-status").textContent === "Saved.";`)
	if ip := readSite()["rate_limits"].(map[string]any)["ip"].(map[string]any); ip["period"] != "1m0s" || ip["count"] != float64(6) {
		t.Errorf("back to the default: ip %v", ip)
	}
	// The CDN lifetimes: the site's own, then the server's again.
	js[chromedp.Void](t, ctx, `{ const box = document.querySelector("#f-cdn-default");
		box.checked = false; box.dispatchEvent(new Event("change"));
		document.querySelector("input[name=cdn_s_maxage]").value = "2s";
		document.querySelector("input[name=cdn_stale_while_revalidate]").value = "1m";
		document.querySelector("#form-status").textContent = "";
		document.querySelector("#site-form button[type=submit]").click(); }`)
	waitJS(t, ctx, "the CDN save", `return document.querySelector("#form-status").textContent === "Saved.";`)
	if c, _ := readSite()["cdn_cache"].(map[string]any); c["s_maxage"] != "2s" || c["stale_while_revalidate"] != "1m0s" {
		t.Errorf("after saving the CDN lifetimes: %v", readSite()["cdn_cache"])
	}
	js[chromedp.Void](t, ctx, `{ const box = document.querySelector("#f-cdn-default");
		box.checked = true; box.dispatchEvent(new Event("change"));
		document.querySelector("#form-status").textContent = "";
		document.querySelector("#site-form button[type=submit]").click(); }`)
	waitJS(t, ctx, "the CDN default save", `return document.querySelector("#form-status").textContent === "Saved." &&
		document.querySelector("input[name=cdn_s_maxage]").disabled;`)
	if c := readSite()["cdn_cache"]; c != nil {
		t.Errorf("back to the server's CDN lifetimes: %v", c)
	}

	// An endpoint: its secret is shown once, and its log page pings it.
	js[chromedp.Void](t, ctx, `document.querySelector("#w-url").value = "https://hooks.example/ci";
		document.querySelector("#webhook-form button[type=submit]").click();`)
	waitJS(t, ctx, "the secret", `return !document.querySelector("#secret").hidden &&
		document.querySelector("#secret-value").textContent.startsWith("whsec_") && document.querySelectorAll("#webhooks li.webhook").length === 1;`)
	clickAway(t, ctx, "#webhooks a.log")
	js[chromedp.Void](t, ctx, `document.querySelector("#ping").click()`)
	waitJS(t, ctx, "the ping's delivery", `return document.querySelectorAll("#deliveries li.delivery").length === 1 &&
		document.querySelector("#form-status").textContent.startsWith("Ping queued");`)
	if n := js[int](t, ctx, `document.querySelectorAll("script").length`); n != 1 {
		t.Errorf("%d script elements on the webhook page", n)
	}
	// A pending delivery is not offered for redelivery (it is on its way); the secret
	// can be rotated, shown once; the endpoint can be disabled and enabled again.
	if js[bool](t, ctx, `!!document.querySelector("#deliveries li[data-status=pending] button[data-redeliver]")`) {
		t.Error("a pending delivery offers Redeliver")
	}
	js[chromedp.Void](t, ctx, `document.querySelector("#rotate").click()`)
	waitJS(t, ctx, "the new secret", `return !document.querySelector("#new-secret").hidden && document.querySelector("#new-secret-value").textContent.startsWith("whsec_");`)
	clickAway(t, ctx, "#toggle")
	waitJS(t, ctx, "the disabled endpoint", `return document.querySelector("#endpoint").dataset.disabled === "true" && document.querySelector("#toggle").textContent === "Enable";`)
	hooks := list(in.do(req{method: "GET", path: "/api/v1/admin/webhooks?site=a", token: in.token}).must(t, http.StatusOK).json(t), "webhooks")
	if len(hooks) != 1 || hooks[0].(map[string]any)["disabled"] != true {
		t.Errorf("after Disable: %v", hooks)
	}
	clickAway(t, ctx, "#toggle")
	waitJS(t, ctx, "the enabled endpoint", `return document.querySelector("#endpoint").dataset.disabled === "false";`)

	// Sign out; a moderator has no Sites link and meets the 403 page.
	clickAway(t, ctx, "#logout button")
	waitJS(t, ctx, "the sign-in page", `return location.pathname === "/admin/login" && document.querySelector("#login");`)
	dashboardLogin(t, ctx, in, "mod@example.org", modPW)
	if js[bool](t, ctx, `!!document.querySelector("#nav-sites") || !document.querySelector('.nav a[href="/admin/log"]')`) {
		t.Error("the moderator's header has a Sites link, or no audit log")
	}
	navigate(t, ctx, in.url+"/admin/sites/a")
	waitJS(t, ctx, "the 403 page", `return document.querySelector("#page-error")?.dataset.status === "403";`)
	if js[bool](t, ctx, `!!document.querySelector("#site-form") || document.body.textContent.includes("casino")`) {
		t.Error("the moderator sees the settings")
	}
	if n := js[int](t, ctx, `window.__winnowRan`); n != 0 {
		t.Fatalf("%d trapped calls (alert, confirm, prompt) on the settings pages", n)
	}
	t.Logf("settings journey in %v", time.Since(began).Round(time.Millisecond))
}
