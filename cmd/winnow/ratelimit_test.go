package main

import (
	"net/http"
	"strconv"
	"testing"
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
