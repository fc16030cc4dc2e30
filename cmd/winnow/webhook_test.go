package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

// webhookEnv makes deliveries quick to observe: a short poll, timeout and retry
// schedule, and loopback consumers allowed.
func webhookEnv(env map[string]string) map[string]string {
	env["WINNOW_WEBHOOKS_ALLOW_PRIVATE_NETWORKS"] = "true"
	env["WINNOW_WEBHOOKS_POLL_INTERVAL"] = "20ms"
	env["WINNOW_WEBHOOKS_TIMEOUT"] = "500ms"
	env["WINNOW_WEBHOOKS_RETRY"] = "50ms,100ms,200ms,300ms,400ms,500ms"
	return env
}

// received is one delivery a consumer accepted, verified with the reference library.
type received struct {
	id      string
	typ     string
	comment int64
	body    string
	header  http.Header
}

// consumer is a webhook endpoint that verifies every request with the Standard
// Webhooks reference library against each of its secrets, answers what respond says
// for the nth request (1-based), and keeps what it accepted.
type consumer struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	secrets []string
	got     []received
	bad     []string
	n       atomic.Int64
	respond func(n int64, w http.ResponseWriter, r *http.Request) int
}

func newConsumer(t *testing.T, respond func(n int64, w http.ResponseWriter, r *http.Request) int) *consumer {
	c := &consumer{t: t, respond: respond}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *consumer) serve(w http.ResponseWriter, r *http.Request) {
	n := c.n.Add(1)
	body, _ := io.ReadAll(r.Body)
	status := http.StatusOK
	if c.respond != nil {
		status = c.respond(n, w, r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			c.bad = append(c.bad, fmt.Sprintf("request %d: %v", n, err))
		}
	}
	if status < 300 {
		var p struct {
			Type string `json:"type"`
			Data struct {
				Comment struct {
					ID int64 `json:"id"`
				} `json:"comment"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			c.bad = append(c.bad, "body is not JSON: "+string(body))
		}
		c.got = append(c.got, received{id: r.Header.Get("webhook-id"), typ: p.Type, comment: p.Data.Comment.ID,
			body: string(body), header: r.Header.Clone()})
	}
	w.WriteHeader(status)
}

func (c *consumer) trust(secret string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secrets = append(c.secrets, secret)
}

func (c *consumer) accepted() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.got...)
}

// check fails the test if any request failed verification.
func (c *consumer) check() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.bad {
		c.t.Error(b)
	}
}

// eventually waits for cond, failing after a generous deadline; it asserts that
// something happens, not how fast.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// addWebhook creates an endpoint for site and returns its id and secret.
func (in *instance) addWebhook(site, url string, extra map[string]any) (int64, string) {
	in.t.Helper()
	body := map[string]any{"site": site, "url": url, "description": "test consumer"}
	for k, v := range extra {
		body[k] = v
	}
	v := in.do(req{method: "POST", path: "/api/v1/admin/webhooks", body: body, token: in.token}).must(in.t, http.StatusCreated).json(in.t)
	hook, _ := v["webhook"].(map[string]any)
	secret, _ := hook["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		in.t.Fatalf("no secret in %v", v)
	}
	return int64(num(hook, "id")), secret
}

// deliveries reads an endpoint's delivery log.
func (in *instance) deliveries(id int64) []map[string]any {
	in.t.Helper()
	v := in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/webhooks/%d/deliveries", id), token: in.token}).must(in.t, http.StatusOK).json(in.t)
	var out []map[string]any
	for _, d := range list(v, "deliveries") {
		out = append(out, d.(map[string]any))
	}
	return out
}

// openSite creates a site that publishes everything and has no practical rate limits.
func (in *instance) openSite(id string) {
	in.t.Helper()
	lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
	in.createSite(id, map[string]any{"policy": "none", "max_links": 0,
		"rate_limits": map[string]any{"ip": lifted, "email": lifted, "thread": lifted, "site": lifted}})
}

func (in *instance) publish(site, thread string, i int) int64 {
	in.t.Helper()
	r := in.submit(site, submission(thread, map[string]any{"author_email": fmt.Sprintf("r%d@example.org", i),
		"author_name": fmt.Sprintf("Reader %d", i), "body": fmt.Sprintf("Comment %d, with its own words about item %d.", i, i*7+3)}), nil)
	return int64(num(r.must(in.t, http.StatusCreated).json(in.t), "comment", "id"))
}

func TestWebhooksAnnouncePublishAndUnpublishWithPublicFieldsOnly(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, webhookEnv(env))
		in.openSite("blog")
		c := newConsumer(t, nil)
		_, secret := in.addWebhook("blog", c.srv.URL, nil)
		c.trust(secret)
		const (
			email = "hidden.person.w3bh00k@example.org"
			ip    = "127.77.31.9"
			agent = "PrivateAgent/w3bh00k"
		)
		r := in.doWith(localClient(ip), req{method: "POST", path: "/api/v1/sites/blog/comments",
			headers: map[string]string{"User-Agent": agent},
			body: submission("/post", map[string]any{"author_email": email, "thread_url": "https://blog.example/post",
				"thread_title": "The post"})}).must(t, http.StatusCreated).json(t)
		id := int64(num(r, "comment", "id"))
		eventually(t, "comment.published", func() bool { return len(c.accepted()) == 1 })
		in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/reject", id), token: in.token}).must(t, http.StatusOK)
		eventually(t, "comment.unpublished", func() bool { return len(c.accepted()) == 2 })
		c.check()

		got := c.accepted()
		if got[0].typ != "comment.published" || got[1].typ != "comment.unpublished" || got[0].comment != id || got[1].comment != id {
			t.Fatalf("events %+v", got)
		}
		var p struct {
			Type string `json:"type"`
			Data struct {
				Site   string            `json:"site"`
				Thread map[string]string `json:"thread"`
				Comm   map[string]any    `json:"comment"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(got[0].body), &p); err != nil {
			t.Fatal(err)
		}
		if p.Data.Site != "blog" || p.Data.Thread["key"] != "/post" || p.Data.Thread["url"] != "https://blog.example/post" ||
			p.Data.Thread["title"] != "The post" || p.Data.Comm["author_name"] != "Reader" ||
			!strings.HasPrefix(fmt.Sprint(p.Data.Comm["avatar_url"]), in.url+"/api/v1/avatars/") {
			t.Errorf("payload %s", got[0].body)
		}
		for _, g := range got {
			seen := g.body + fmt.Sprint(g.header)
			for _, private := range []string{email, ip, agent, "w3bh00k"} {
				if strings.Contains(seen, private) {
					t.Errorf("a delivery carries private %q: %s", private, seen)
				}
			}
		}
		if logs := in.stderr.String(); strings.Contains(logs, email) || strings.Contains(logs, agent) {
			t.Error("the log names a private field")
		}
	})
}

func TestWebhookDeliveryRecoversFromConsumerFaults(t *testing.T) {
	type fault struct {
		name string
		// respond answers the nth request; nil is a consumer that is down at first.
		respond    func(n int64, w http.ResponseWriter, r *http.Request) int
		wantStatus string
		wantCalls  func(n int64) bool
	}
	cases := []fault{
		{name: "answering 500 then 200", wantStatus: "delivered",
			respond: func(n int64, w http.ResponseWriter, r *http.Request) int {
				if n == 1 {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			}, wantCalls: func(n int64) bool { return n == 2 }},
		{name: "slow beyond the timeout then fast", wantStatus: "delivered",
			respond: func(n int64, w http.ResponseWriter, r *http.Request) int {
				if n == 1 {
					select {
					case <-r.Context().Done():
					case <-time.After(3 * time.Second):
					}
				}
				return http.StatusOK
			}, wantCalls: func(n int64) bool { return n >= 2 }},
		{name: "429 then 200", wantStatus: "delivered",
			respond: func(n int64, w http.ResponseWriter, r *http.Request) int {
				if n == 1 {
					return http.StatusTooManyRequests
				}
				return http.StatusOK
			}, wantCalls: func(n int64) bool { return n == 2 }},
		{name: "4xx is dead at once", wantStatus: "dead",
			respond:   func(n int64, w http.ResponseWriter, r *http.Request) int { return http.StatusGone },
			wantCalls: func(n int64) bool { return n == 1 }},
		{name: "5xx forever is dead after the schedule", wantStatus: "dead",
			respond:   func(n int64, w http.ResponseWriter, r *http.Request) int { return http.StatusBadGateway },
			wantCalls: func(n int64) bool { return n == 7 }},
	}
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, webhookEnv(env))
		in.openSite("blog")
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in.t = t
				c := newConsumer(t, tc.respond)
				hook, secret := in.addWebhook("blog", c.srv.URL, nil)
				c.trust(secret)
				in.publish("blog", fmt.Sprintf("/fault-%d", i), i)
				eventually(t, tc.wantStatus, func() bool {
					ds := in.deliveries(hook)
					return len(ds) == 1 && ds[0]["status"] == tc.wantStatus
				})
				if n := c.n.Load(); !tc.wantCalls(n) {
					t.Errorf("consumer saw %d requests", n)
				}
				d := in.deliveries(hook)[0]
				if d["attempts"].(float64) != float64(c.n.Load()) || d["latency_ms"] == nil {
					t.Errorf("delivery log %v after %d requests", d, c.n.Load())
				}
				c.check()
				// Every other endpoint got this event too; delete it so later cases count their own.
				in.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/admin/webhooks/%d", hook), token: in.token}).must(t, http.StatusNoContent)
			})
		}
	})
}

func TestWebhookConsumerDownForAWhileGetsEverythingWhenBack(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, webhookEnv(env))
		in.openSite("blog")
		// Reserve an address, then close it: the consumer is down (connection refused).
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		hook, secret := in.addWebhook("blog", "http://"+addr+"/hook", nil)
		for i := range 5 {
			in.publish("blog", "/down", i)
		}
		eventually(t, "failed attempts", func() bool {
			ds := in.deliveries(hook)
			return len(ds) > 0 && ds[len(ds)-1]["attempts"].(float64) >= 2
		})
		c := &consumer{t: t}
		c.trust(secret)
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(c.serve)}}
		c.srv.Start()
		t.Cleanup(c.srv.Close)
		eventually(t, "5 deliveries", func() bool { return len(c.accepted()) == 5 })
		c.check()
	})
}

func TestWebhookEventsForOneCommentArriveInOrder(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, webhookEnv(env))
		in.openSite("blog")
		// The consumer fails every other request, so retries interleave with new events.
		c := newConsumer(t, func(n int64, w http.ResponseWriter, r *http.Request) int {
			if n%2 == 1 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		_, secret := in.addWebhook("blog", c.srv.URL, nil)
		c.trust(secret)
		id := in.publish("blog", "/order", 1)
		var want []string
		want = append(want, "comment.published")
		for _, action := range []string{"spam", "not-spam", "reject", "approve", "delete"} {
			in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/%s", id, action), token: in.token}).must(t, http.StatusOK)
			if action == "not-spam" || action == "approve" {
				want = append(want, "comment.published")
			} else {
				want = append(want, "comment.unpublished")
			}
		}
		eventually(t, "every event", func() bool { return len(c.accepted()) == len(want) })
		var got []string
		for _, r := range c.accepted() {
			got = append(got, r.typ)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("events arrived as\n%v, want\n%v", got, want)
		}
		c.check()
	})
}

func TestWebhookRotationSignsWithBothSecrets(t *testing.T) {
	in := start(t, webhookEnv(map[string]string{"WINNOW_DATA_DIR": t.TempDir()}))
	in.openSite("blog")
	c := newConsumer(t, nil)
	hook, old := in.addWebhook("blog", c.srv.URL, nil)
	v := in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/webhooks/%d/rotate", hook), token: in.token}).must(t, http.StatusOK).json(t)
	w := v["webhook"].(map[string]any)
	secret, _ := w["secret"].(string)
	if secret == old || !strings.HasPrefix(secret, "whsec_") || w["previous_secret_expires_at"] == nil {
		t.Fatalf("rotate answered %v", v)
	}
	c.trust(old)
	c.trust(secret)
	in.publish("blog", "/rot", 1)
	eventually(t, "a delivery", func() bool { return len(c.accepted()) == 1 })
	c.check()
	if sigs := strings.Fields(c.accepted()[0].header.Get("webhook-signature")); len(sigs) != 2 {
		t.Errorf("signatures %v, want one per secret", sigs)
	}
	got := in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/webhooks/%d", hook), token: in.token}).must(t, http.StatusOK)
	if strings.Contains(string(got.body), "whsec_") {
		t.Error("a read shows a secret")
	}
}

// TestWebhooksRefusePrivateAddressesByDefault: a URL naming a private address is
// refused at registration (422, url), through the API and the CLI alike; a name that
// resolves to one is registered and refused at delivery.
func TestWebhooksRefusePrivateAddressesByDefault(t *testing.T) {
	env := map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_WEBHOOKS_POLL_INTERVAL": "20ms"}
	in := start(t, env)
	in.openSite("blog")
	c := newConsumer(t, nil)
	for _, u := range []string{c.srv.URL, "http://[::1]:9/x", "http://169.254.169.254/latest"} {
		r := in.do(req{method: "POST", path: "/api/v1/admin/webhooks", token: in.token,
			body: map[string]any{"site": "blog", "url": u}}).must(t, http.StatusUnprocessableEntity).json(t)
		if msg, _ := r["error"].(map[string]any)["fields"].(map[string]any)["url"].(string); !strings.Contains(msg, "allow_private_networks") {
			t.Errorf("%s: %v", u, r)
		}
	}
	var out strings.Builder
	err := run(t.Context(), []string{"webhook", "add", "--site", "blog", "--url", "http://10.0.0.8/hook"},
		func(k string) string { return env[k] }, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "url") || out.Len() != 0 {
		t.Errorf("the CLI added a private endpoint: %v, %q", err, out.String())
	}
	// One registered while allowed can still be disabled, but not moved to another private address.
	allowed := map[string]string{"WINNOW_WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true"}
	for k, v := range env {
		allowed[k] = v
	}
	if err := run(t.Context(), []string{"webhook", "add", "--site", "blog", "--url", "http://10.0.0.9/hook"},
		func(k string) string { return allowed[k] }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	ws := list(in.do(req{method: "GET", path: "/api/v1/admin/webhooks?site=blog", token: in.token}).must(t, http.StatusOK).json(t), "webhooks")
	if len(ws) != 1 {
		t.Fatalf("webhooks %v", ws)
	}
	old := fmt.Sprintf("/api/v1/admin/webhooks/%d", int64(num(ws[0].(map[string]any), "id")))
	in.do(req{method: "PATCH", path: old, token: in.token, body: map[string]any{"disabled": true}}).must(t, http.StatusOK)
	in.do(req{method: "PATCH", path: old, token: in.token, body: map[string]any{"url": "http://10.0.0.10/hook"}}).must(t, http.StatusUnprocessableEntity)
	hook, _ := in.addWebhook("blog", strings.Replace(c.srv.URL, "127.0.0.1", "localhost", 1), nil)
	in.do(req{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/webhooks/%d", hook), token: in.token,
		body: map[string]any{"url": c.srv.URL}}).must(t, http.StatusUnprocessableEntity)
	in.publish("blog", "/ssrf", 1)
	eventually(t, "a dead delivery", func() bool {
		ds := in.deliveries(hook)
		return len(ds) == 1 && ds[0]["status"] == "dead"
	})
	if d := in.deliveries(hook)[0]; !strings.Contains(fmt.Sprint(d["last_error"]), "not allowed") {
		t.Errorf("delivery %v", d)
	}
	if n := c.n.Load(); n != 0 {
		t.Errorf("the private consumer got %d requests", n)
	}
}

func TestWebhookAdminAPIRejectsBadInputWithFields(t *testing.T) {
	in := start(t, webhookEnv(map[string]string{"WINNOW_DATA_DIR": t.TempDir()}))
	in.openSite("blog")
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"ftp URL", map[string]any{"site": "blog", "url": "ftp://example.org/x"}, "url"},
		{"missing URL", map[string]any{"site": "blog"}, "url"},
		{"unknown event", map[string]any{"site": "blog", "url": "https://example.org", "events": []string{"comment.eaten"}}, "events"},
		{"unknown site", map[string]any{"site": "nope", "url": "https://example.org"}, "site"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := in.do(req{method: "POST", path: "/api/v1/admin/webhooks", body: tc.body, token: in.token}).must(t, http.StatusUnprocessableEntity).json(t)
			if _, ok := r["error"].(map[string]any)["fields"].(map[string]any)[tc.field]; !ok {
				t.Errorf("error %v lacks field %s", r, tc.field)
			}
		})
	}
	v := in.do(req{method: "GET", path: "/api/v1/admin/webhooks?site=blog", token: in.token}).must(t, http.StatusOK).json(t)
	if len(list(v, "webhooks")) != 0 {
		t.Errorf("bad input stored an endpoint: %v", v)
	}
}

func TestWebhookPingRedeliverAndMetrics(t *testing.T) {
	in := start(t, webhookEnv(map[string]string{"WINNOW_DATA_DIR": t.TempDir()}))
	in.openSite("blog")
	c := newConsumer(t, nil)
	hook, secret := in.addWebhook("blog", c.srv.URL, nil)
	c.trust(secret)
	in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/webhooks/%d/ping", hook), token: in.token}).must(t, http.StatusAccepted)
	eventually(t, "the ping", func() bool { return len(c.accepted()) == 1 })
	first := in.deliveries(hook)[0]
	in.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/webhooks/%d/deliveries/%d/redeliver", hook, int64(first["id"].(float64))), token: in.token}).must(t, http.StatusAccepted)
	eventually(t, "the redelivery", func() bool { return len(c.accepted()) == 2 })
	got := c.accepted()
	if got[0].typ != "webhook.ping" || got[1].id != got[0].id {
		t.Errorf("deliveries %+v: a redelivery keeps the event id", got)
	}
	c.check()
	// The consumer has both; the dispatcher records an attempt after its answer.
	for _, want := range []string{`winnow_webhook_deliveries_total{outcome="delivered"} 2`, "winnow_webhook_oldest_pending_seconds 0"} {
		eventually(t, "metrics with "+want, func() bool {
			return strings.Contains(string(in.do(req{method: "GET", path: "/metrics"}).must(t, http.StatusOK).body), want)
		})
	}
}

func TestCLIAddsListsAndRemovesWebhooks(t *testing.T) {
	env := map[string]string{"WINNOW_DATA_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	cli := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), args, getenv, &out, io.Discard)
		return out.String(), err
	}
	if _, err := cli("site", "create", "--id", "blog", "--name", "Blog"); err != nil {
		t.Fatal(err)
	}
	secret, err := cli("webhook", "add", "--site", "blog", "--url", "https://hooks.example/x", "--event", "comment.published")
	if err != nil || !strings.HasPrefix(secret, "whsec_") || strings.Count(secret, "\n") != 1 {
		t.Fatalf("add printed %q, %v", secret, err)
	}
	if _, err := cli("webhook", "add", "--site", "blog", "--url", "gopher://x"); err == nil {
		t.Error("a gopher URL was accepted")
	}
	env["WINNOW_WEBHOOKS_ALLOW_PRIVATE_NETWORKS"] = "true" // a private address, allowed
	if _, err := cli("webhook", "add", "--site", "blog", "--url", "http://10.0.0.8/hook"); err != nil {
		t.Errorf("a private endpoint, allowed: %v", err)
	}
	delete(env, "WINNOW_WEBHOOKS_ALLOW_PRIVATE_NETWORKS")
	out, err := cli("webhook", "list")
	if err != nil || !strings.Contains(out, "https://hooks.example/x") || strings.Contains(out, "whsec_") {
		t.Fatalf("list printed %q, %v", out, err)
	}
	if _, err := cli("webhook", "remove", "--id", "1"); err != nil {
		t.Fatal(err)
	}
	if out, _ := cli("webhook", "list"); strings.Contains(out, "hooks.example") || !strings.Contains(out, "10.0.0.8") {
		t.Errorf("removed endpoint still listed: %q", out)
	}
}

// TestWebhookDeliveryRate measures how many events per second one dispatcher (as
// serve runs it) delivers to a fast local consumer: the events are committed first,
// then the dispatcher starts. The rate is logged, not asserted.
func TestWebhookDeliveryRate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures a rate")
	}
	run := func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			n.Add(1)
		}))
		t.Cleanup(srv.Close)
		blog := site.NewSite("blog", "Blog")
		if err := st.CreateSite(ctx, blog); err != nil {
			t.Fatal(err)
		}
		hook := webhook.Endpoint{SiteID: "blog", URL: srv.URL, Secret: webhook.NewSecret()}
		hook.Normalize()
		if err := st.CreateWebhook(ctx, &hook); err != nil {
			t.Fatal(err)
		}
		const events = 3000
		for i := range events {
			at := time.Now().UTC()
			c := comment.Comment{SiteID: "blog", ThreadKey: fmt.Sprintf("/r-%d", i%50), AuthorName: "Reader", AuthorEmail: "r@example.org",
				BodySource: "hi", BodyHTML: "<p>hi</p>", Status: comment.StatusApproved, CreatedAt: at, PublishedAt: at}
			notify := comment.CommentNotice(comment.EventPublished, at, c, "")
			if err := st.CreateComment(ctx, &c, comment.Thread{Key: c.ThreadKey}, notify); err != nil {
				t.Fatal(err)
			}
		}
		cfg := config.Default().Webhooks
		cfg.Workers, cfg.PollInterval, cfg.AllowPrivateNetworks = 32, 20*time.Millisecond, true
		d := newDispatcher(st, cfg, slog.New(slog.DiscardHandler))
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		began := time.Now()
		go func() { defer close(done); d.Run(runCtx) }()
		eventually(t, "every event", func() bool { return n.Load() >= events })
		took := time.Since(began)
		stop()
		<-done
		t.Logf("webhook delivery rate (%s, 32 workers): %d events in %s = %.0f events/s",
			st.Dialect(), events, took.Round(time.Millisecond), float64(events)/took.Seconds())
	}
	t.Run("sqlite", func(t *testing.T) { run(t, sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t))) })
	t.Run("postgres", func(t *testing.T) { run(t, sqlstoretest.Open(t, postgresDSN(t))) })
}

func TestWebhooksAnnounceAnAuthorsEditAndDeletion(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, webhookEnv(env))
		in.openSite("blog")
		c := newConsumer(t, nil)
		_, secret := in.addWebhook("blog", c.srv.URL, nil)
		c.trust(secret)
		a := in.submit("blog", submission("/p", map[string]any{"body": "Frist"}), nil).must(t, http.StatusCreated).json(t)
		path, token := fmt.Sprintf("/api/v1/comments/%d", int64(num(a, "comment", "id"))), a["edit_token"].(string)
		in.do(req{method: "PATCH", path: path, body: map[string]any{"body": "First, fixed"}, headers: map[string]string{"X-Edit-Token": token}}).must(t, http.StatusOK)
		in.do(req{method: "DELETE", path: path, headers: map[string]string{"X-Edit-Token": token}}).must(t, http.StatusNoContent)
		eventually(t, "three events", func() bool { return len(c.accepted()) == 3 })
		c.check()
		got := c.accepted()
		if got[0].typ != "comment.published" || got[1].typ != "comment.updated" || got[2].typ != "comment.unpublished" {
			t.Fatalf("events %s, %s, %s", got[0].typ, got[1].typ, got[2].typ)
		}
		if !strings.Contains(got[1].body, "First, fixed") {
			t.Errorf("the update carries the old text: %s", got[1].body)
		}
	})
}
