package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPrivateFieldsNeverReachPublicOutputLogsOrMetrics submits comments with a unique
// email, client IP and user agent, publishes one, then reads every public endpoint, the
// server's whole log and its metrics, and finds none of the three.
func TestPrivateFieldsNeverReachPublicOutputLogsOrMetrics(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		const (
			email = "private.person.qz7wkx@example.org"
			ip    = "127.83.41.29"
			agent = "SecretAgent/qz7wkx (unique)"
		)
		client := localClient(ip)
		headers := map[string]string{"User-Agent": agent, "Origin": "https://blog.example"}
		var public []response
		post := func(body map[string]any, extra map[string]string) response {
			h := map[string]string{}
			for k, v := range headers {
				h[k] = v
			}
			for k, v := range extra {
				h[k] = v
			}
			r := in.doWith(client, req{method: "POST", path: "/api/v1/sites/blog/comments", body: body, headers: h})
			public = append(public, r)
			return r
		}
		ok := post(submission("/p", map[string]any{"author_email": email}), nil).must(t, http.StatusCreated).json(t)
		post(submission("/p", map[string]any{"author_email": email, "website": "bot"}), nil)            // spam
		post(submission("/p", map[string]any{"author_email": strings.ToUpper(email), "body": ""}), nil) // invalid
		post(submission("/p", map[string]any{"author_email": email}), map[string]string{"Idempotency-Key": "k"})
		post(submission("/p", map[string]any{"author_email": email}), map[string]string{"Idempotency-Key": "k"})
		id := int64(num(ok, "comment", "id"))

		for _, path := range []string{
			"/api/v1/sites/blog/comments?thread=/p",
			"/api/v1/sites/blog/comments?thread=/p&sort=newest",
			"/api/v1/sites/blog/counts?thread=/p",
			"/healthz", "/readyz", "/metrics",
		} {
			public = append(public, in.doWith(client, req{method: "GET", path: path, headers: headers}).must(t, http.StatusOK))
		}
		page := public[len(public)-6].json(t)
		avatar := list(page, "comments")[0].(map[string]any)["avatar_url"].(string)
		public = append(public, in.do(req{method: "GET", path: strings.TrimPrefix(avatar, in.url)}).must(t, http.StatusOK))

		// The moderator view has them, so the test would notice if they were never captured.
		admin := in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/comments/%d", id), token: in.token}).must(t, http.StatusOK)
		for _, secret := range []string{email, ip, agent} {
			if !strings.Contains(string(admin.body), secret) {
				t.Errorf("the moderator view lacks %q", secret)
			}
		}
		in.do(req{method: "GET", path: "/api/v1/admin/comments?q=" + email, token: in.token}).must(t, http.StatusOK)

		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
		logs := in.stderr.String()
		for _, secret := range []string{email, strings.ToUpper(email), ip, agent, "qz7wkx"} {
			for i, r := range public {
				if strings.Contains(string(r.body), secret) || strings.Contains(fmt.Sprint(r.header), secret) {
					t.Errorf("public response %d contains %q: %s", i, secret, r.body)
				}
			}
			if strings.Contains(logs, secret) {
				t.Errorf("the log contains %q", secret)
			}
		}
	})
}
