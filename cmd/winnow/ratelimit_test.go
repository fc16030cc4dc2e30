package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

func TestSubmissionsOverTheLimitGet429AndAreNotStored(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"rate_limits": map[string]any{"ip": map[string]any{"count": 1, "period": "1h", "burst": 2}}})
		for i := range 2 {
			in.submit("blog", submission("/p", map[string]any{"author_email": "a" + strconv.Itoa(i) + "@example.org"}), nil).must(t, http.StatusAccepted)
		}
		res := in.submit("blog", submission("/p", map[string]any{"author_email": "c@example.org"}), nil).must(t, http.StatusTooManyRequests)
		h := res.header
		if res.json(t)["error"].(map[string]any)["code"] != "rate_limited" || h.Get("Retry-After") == "" ||
			h.Get("RateLimit-Limit") != "2" || h.Get("RateLimit-Remaining") != "0" || h.Get("RateLimit-Reset") == "" {
			t.Errorf("429 answer: %v %s", h, res.body)
		}
		if retry, _ := strconv.Atoi(h.Get("Retry-After")); retry < 1000 {
			t.Errorf("Retry-After = %s, want about half an hour", h.Get("Retry-After"))
		}
		q := in.do(req{method: "GET", path: "/api/v1/admin/comments?status=all", token: in.token}).must(t, http.StatusOK).json(t)
		if n := len(list(q, "comments")); n != 2 {
			t.Errorf("%d comments stored, want 2", n)
		}
		// Another address is not limited by this one.
		other := localClient("127.0.0.2")
		in.doWith(other, req{method: "POST", path: "/api/v1/sites/blog/comments", body: submission("/p", map[string]any{"author_email": "d@example.org"})}).must(t, http.StatusAccepted)
	})
}

// TestRepeatedBadTokensAreRefusedForAWhile: wrong API tokens from one address are
// refused (429) past ten a minute; requests with no credential count nothing (ten
// <img> tags on any page must not lock anyone out), and a valid token or session is
// never refused, whatever else came from its address.
func TestRepeatedBadTokensAreRefusedForAWhile(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		const pw = "moderator password 12345"
		if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "ann@example.org", "--role", "admin"); err != nil {
			t.Fatalf("user add: %v\n%s", err, errOut)
		}
		s := in.login(nil, "ann@example.org", pw)
		get := func(r req) response { r.method, r.path = "GET", "/api/v1/admin/comments"; return in.do(r) }

		for range 20 { // no credential at all, or a cookie that is not a session
			get(req{}).must(t, http.StatusUnauthorized)
			get(req{headers: map[string]string{"Cookie": "winnow_session=wns_stale"}}).must(t, http.StatusUnauthorized)
		}
		get(req{token: in.token}).must(t, http.StatusOK)
		get(req{headers: s.headers(false)}).must(t, http.StatusOK)

		for range 10 {
			get(req{token: "wnw_guess"}).must(t, http.StatusUnauthorized)
		}
		get(req{token: in.token}).must(t, http.StatusOK) // never refused
		get(req{headers: s.headers(false)}).must(t, http.StatusOK)
		res := get(req{token: "wnw_guess"}).must(t, http.StatusTooManyRequests)
		if res.header.Get("Retry-After") == "" || res.json(t)["error"].(map[string]any)["code"] != "rate_limited" {
			t.Errorf("429 answer: %v %s", res.header, res.body)
		}
		get(req{token: in.token}).must(t, http.StatusOK)
		get(req{}).must(t, http.StatusUnauthorized) // still nothing to count
		other := localClient("127.0.0.3")
		in.doWith(other, req{method: "GET", path: "/api/v1/admin/comments", token: "wnw_guess"}).must(t, http.StatusUnauthorized)
	})
}

func TestTrustedProxyForwardedAddressIsTheClient(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_TRUSTED_PROXIES": "127.0.0.1"})
	in.createSite("blog", nil)
	fwd := map[string]string{"X-Forwarded-For": "203.0.113.50, 198.51.100.9"}
	a := in.submit("blog", submission("/p", nil), fwd).must(t, http.StatusAccepted).json(t)
	c := in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(int64(num(a, "comment", "id"))), token: in.token}).must(t, http.StatusOK).json(t)
	if ip := c["comment"].(map[string]any)["ip"]; ip != "198.51.100.9" {
		t.Errorf("ip = %v, want the address the proxy saw", ip)
	}
	// From a peer that is no trusted proxy the header is a claim, and ignored.
	b := in.doWith(localClient("127.0.0.4"), req{method: "POST", path: "/api/v1/sites/blog/comments", body: submission("/p", nil), headers: fwd}).must(t, http.StatusAccepted).json(t)
	c = in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(int64(num(b, "comment", "id"))), token: in.token}).must(t, http.StatusOK).json(t)
	if ip := c["comment"].(map[string]any)["ip"]; ip != "127.0.0.4" {
		t.Errorf("ip = %v, want the peer", ip)
	}
}

// TestAnIPv6NetworkIsOneClient: addresses of one /64 (http.ipv6_prefix) share the
// submission limit, the limit on wrong tokens and bans, whichever of them is used;
// the next /64 is another client. A ban may name a network, shown masked.
func TestAnIPv6NetworkIsOneClient(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["WINNOW_TRUSTED_PROXIES"] = "127.0.0.1"
		in := start(t, env)
		in.createSite("blog", map[string]any{"rate_limits": map[string]any{"ip": map[string]any{"count": 1, "period": "1h", "burst": 2}}})
		from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
		post := func(ip, email string) response {
			return in.submit("blog", submission("/p", map[string]any{"author_email": email}), from(ip))
		}
		post("2001:db8:1:2::1", "a@example.org").must(t, http.StatusAccepted)
		post("2001:db8:1:2:ffff::9", "b@example.org").must(t, http.StatusAccepted)
		post("2001:db8:1:2:1234:5678:9abc:def0", "c@example.org").must(t, http.StatusTooManyRequests)
		post("2001:db8:1:3::1", "d@example.org").must(t, http.StatusAccepted) // the next /64

		// Wrong tokens: ten from ten addresses of one /64 spend its allowance.
		for i := range 10 {
			in.do(req{method: "GET", path: "/api/v1/admin/comments", token: "wnw_guess", headers: from(fmt.Sprintf("2001:db8:9:9::%x", i+1))}).
				must(t, http.StatusUnauthorized)
		}
		in.do(req{method: "GET", path: "/api/v1/admin/comments", token: "wnw_guess", headers: from("2001:db8:9:9::abcd")}).must(t, http.StatusTooManyRequests)
		in.do(req{method: "GET", path: "/api/v1/admin/comments", token: in.token, headers: from("2001:db8:9:9::abcd")}).must(t, http.StatusOK) // a valid token is never refused
		in.do(req{method: "GET", path: "/api/v1/admin/comments", token: "wnw_guess", headers: from("2001:db8:9:a::1")}).must(t, http.StatusUnauthorized)

		// Bans by network: a /48 bans every address in it; a single IPv6 address bans its /64.
		in.createSite("ban", nil)
		for _, v := range []string{"2001:db8:5::/48", "2001:db8:6:1::42"} {
			b := in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token,
				body: map[string]any{"site": "ban", "kind": "ip", "value": v}}).must(t, http.StatusCreated).json(t)
			if hint := b["ban"].(map[string]any)["hint"].(string); strings.Contains(hint, "42") || !strings.HasPrefix(hint, "2001:db8:") {
				t.Errorf("ban of %s shows %q", v, hint)
			}
		}
		for ip, banned := range map[string]bool{"2001:db8:5:77::1": true, "2001:db8:6:1:9::9": true, "2001:db8:6:2::1": false} {
			a := in.submit("ban", submission("/p", map[string]any{"author_email": "e" + strconv.Itoa(len(ip)) + "@example.org"}), from(ip)).
				must(t, http.StatusAccepted).json(t)
			c := in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(int64(num(a, "comment", "id"))), token: in.token}).
				must(t, http.StatusOK).json(t)["comment"].(map[string]any)
			if got := c["status"] == "spam" && strings.Contains(fmt.Sprint(c["reasons"]), "ban"); got != banned {
				t.Errorf("%s: %v %v, banned %v", ip, c["status"], c["reasons"], banned)
			}
		}
		for value, reason := range map[string]string{"10.0.0.0/8": "/16", "2001:db8::/20": "/32", "2001:db8::/200": "CIDR"} {
			r := in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token,
				body: map[string]any{"site": "ban", "kind": "ip", "value": value}}).must(t, http.StatusUnprocessableEntity).json(t)
			if msg, _ := r["error"].(map[string]any)["fields"].(map[string]any)["ip"].(string); !strings.Contains(msg, reason) {
				t.Errorf("a ban of %s: %v", value, r)
			}
		}
	})
}

// TestUpgradeKeysOldCommentsAddresses: comments stored before address keys existed
// get theirs at the next start, so addresses keep their reputation across the upgrade.
func TestUpgradeKeysOldCommentsAddresses(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["WINNOW_TRUSTED_PROXIES"] = "127.0.0.1"
		in := start(t, env)
		in.createSite("blog", nil)
		in.submit("blog", submission("/p", nil), map[string]string{"X-Forwarded-For": "2001:db8:1:2::5"}).must(t, http.StatusAccepted)
		db := in.database()
		keyOf := func() string {
			var k string
			if err := db.QueryRow(`SELECT ip_key FROM comments`).Scan(&k); err != nil {
				t.Fatal(err)
			}
			return k
		}
		written := keyOf()
		if written == "" {
			t.Fatal("a new comment has no address key")
		}
		// As a comment of an older version, on an installation not yet keyed.
		if _, err := db.Exec(`UPDATE comments SET ip_key = ''`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`DELETE FROM settings WHERE key = 'address_keys_backfilled'`); err != nil {
			t.Fatal(err)
		}
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
		start(t, env)
		eventually(t, "the old comment's address key", func() bool { return keyOf() == written })
	})
}

// TestAChangedLimitHoldsAtOnce: a client keeps the share of its burst it had used when
// a site's limit changes, in the process and in Redis: raised, a refused client waits
// one new interval, not an old one; lowered, nobody gets a fresh burst.
func TestAChangedLimitHoldsAtOnce(t *testing.T) {
	run := func(t *testing.T, env map[string]string) {
		in := start(t, env)
		site := fmt.Sprintf("change%d", time.Now().UnixNano()) // fresh keys in a shared Redis
		limit := func(count int) {
			t.Helper()
			in.do(req{method: "PATCH", path: "/api/v1/admin/sites/" + site, token: in.token, body: map[string]any{
				"rate_limits": map[string]any{"ip": map[string]any{"count": count, "period": "1h", "burst": 4}}}}).must(t, http.StatusOK)
		}
		n := 0
		post := func(ip string, status int) response {
			t.Helper()
			n++
			return in.doWith(localClient(ip), req{method: "POST", path: "/api/v1/sites/" + site + "/comments",
				body: submission("/p", map[string]any{"author_email": fmt.Sprintf("r%d@example.org", n)})}).must(t, status)
		}
		in.createSite(site, map[string]any{"policy": "none"})
		limit(1) // one an hour, burst 4
		for range 4 {
			post("127.0.0.21", http.StatusCreated)
		}
		if retry, _ := strconv.Atoi(post("127.0.0.21", http.StatusTooManyRequests).header.Get("Retry-After")); retry < 3000 {
			t.Errorf("Retry-After %d s at one an hour, want about an hour", retry)
		}
		limit(360) // one in ten seconds: the spent burst stays spent, for ten seconds, not an hour
		if retry, _ := strconv.Atoi(post("127.0.0.21", http.StatusTooManyRequests).header.Get("Retry-After")); retry > 10 {
			t.Errorf("raised to one in ten seconds, Retry-After is %d s", retry)
		}
		for range 3 { // three quarters of the burst, thirty seconds' worth
			post("127.0.0.22", http.StatusCreated)
		}
		limit(1) // lowered: still three quarters used, so one more, not a fresh burst
		post("127.0.0.22", http.StatusCreated)
		post("127.0.0.22", http.StatusTooManyRequests)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()}) })
	t.Run("postgres+redis", func(t *testing.T) {
		u := sqlstoretest.RedisURL(t)
		run(t, map[string]string{"WINNOW_DATABASE_URL": postgresDSN(t), "WINNOW_REDIS_URL": u, "WINNOW_DATA_DIR": t.TempDir()})
	})
}
