package main

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOperationsEndpoints(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		if in.token == "" {
			t.Fatalf("first start made no admin token:\n%s", in.stderr.String())
		}
		if m := tokenRe.FindStringSubmatch(in.stderr.String()); m == nil || m[1] != in.token {
			t.Fatalf("first start did not print its admin token for the operator:\n%s", in.stderr.String())
		}
		in.do(req{method: "GET", path: "/healthz"}).must(t, http.StatusOK)
		ready := in.do(req{method: "GET", path: "/readyz"}).must(t, http.StatusOK).json(t)
		if ready["database"] != "ok" {
			t.Errorf("readyz = %v", ready)
		}
		in.createSite("blog", nil)
		in.submit("blog", submission("/p", nil), nil).must(t, http.StatusAccepted)
		m := string(in.do(req{method: "GET", path: "/metrics"}).must(t, http.StatusOK).body)
		for _, want := range []string{
			`winnow_http_requests_total{code="202",method="POST",route="/api/v1/sites/{site}/comments"} 1`,
			`winnow_submissions_total{outcome="pending"} 1`,
			`winnow_moderation_queue 1`,
			`winnow_http_request_duration_seconds_bucket`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if !strings.Contains(in.stderr.String(), `"request_id":`) {
			t.Error("the access log carries no request ids")
		}
	})
}

func TestRestartKeepsDataAndPrintsNoSecondToken(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		in.submit("blog", submission("/p", nil), nil).must(t, http.StatusCreated)
		if err := in.stop(); err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
		again := start(t, env)
		if again.token != "" || tokenRe.MatchString(again.stderr.String()) {
			t.Error("a second start printed a new admin token")
		}
		page := again.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK).json(t)
		if len(list(page, "comments")) != 1 {
			t.Errorf("after restart: %v", page)
		}
		again.do(req{method: "GET", path: "/api/v1/admin/sites", token: in.token}).must(t, http.StatusOK)
	})
}

func TestCLISetsUpASiteAndATokenOnTheServersDatabase(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		ctx := context.Background()
		getenv := func(k string) string { return env[k] }
		cli := func(args ...string) string {
			t.Helper()
			var out, errb bytes.Buffer
			if err := run(ctx, args, getenv, &out, &errb); err != nil {
				t.Fatalf("winnow %s: %v\n%s", strings.Join(args, " "), err, errb.String())
			}
			return out.String()
		}
		cli("migrate")
		if got := cli("site", "create", "--id", "blog", "--name", "My blog", "--origin", "https://blog.example", "--policy", "none"); got != "blog\n" {
			t.Errorf("site create printed %q", got)
		}
		token := strings.TrimSpace(cli("token", "create", "--name", "ci"))
		if !strings.HasPrefix(token, "wnw_") || strings.Contains(token, "\n") {
			t.Fatalf("token create printed %q, want the token alone", token)
		}
		if !strings.Contains(cli("site", "list"), "https://blog.example") {
			t.Error("site list does not show the site")
		}
		var errb bytes.Buffer
		if err := run(ctx, []string{"site", "create", "--id", "Bad Id", "--name", "x"}, getenv, &bytes.Buffer{}, &errb); err == nil {
			t.Error("an invalid site id was accepted")
		}

		in := start(t, env)
		in.do(req{method: "GET", path: "/api/v1/admin/sites/blog", token: token}).must(t, http.StatusOK)
		in.submit("blog", submission("/p", nil), nil).must(t, http.StatusCreated)
	})
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("blog", map[string]any{"policy": "none"})
	done := make(chan int, 20)
	for i := 0; i < 20; i++ {
		go func() {
			resp, err := http.Post(in.url+"/api/v1/sites/blog/comments", "application/json",
				strings.NewReader(`{"thread":"/p","author_name":"A","author_email":"a@example.org","body":"b"}`))
			if err != nil {
				done <- 0 // refused once the listener closed: allowed
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	// Every request either completed or was refused at connect; none may be cut off
	// with a 5xx.
	for i := 0; i < 20; i++ {
		select {
		case s := <-done:
			if s >= 500 {
				t.Errorf("an in-flight request got %d", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a request hung through shutdown")
		}
	}
}

// TestRetentionSweeps: a comment judged spam waits in the spam queue and is then
// deleted with its private fields; a held comment of the same age stays, but loses its
// address and user agent, after which its author can no longer be banned by address.
func TestRetentionSweeps(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["WINNOW_SPAM_DISCARD_AFTER"] = "2s"
		env["WINNOW_FORGET_ADDRESSES_AFTER"] = "2s"
		in := start(t, env)
		in.createSite("blog", nil)
		trap := in.submit("blog", submission("/p", map[string]any{"website": "http://bot.example"}), nil).must(t, http.StatusAccepted).json(t)
		held := in.submit("blog", submission("/p", map[string]any{"author_email": "reader@example.org"}),
			map[string]string{"User-Agent": "RetentionTest/1.0"}).must(t, http.StatusAccepted).json(t)
		spamPath, heldPath := "/api/v1/admin/comments/"+fmtID(trap), "/api/v1/admin/comments/"+fmtID(held)
		if c := in.do(req{method: "GET", path: spamPath, token: in.token}).must(t, http.StatusOK).json(t); c["comment"].(map[string]any)["status"] != "spam" {
			t.Fatalf("the honeypot submission is %v, want spam", c["comment"].(map[string]any)["status"])
		}
		if c := in.do(req{method: "GET", path: heldPath, token: in.token}).must(t, http.StatusOK).json(t)["comment"].(map[string]any); c["ip"] == "" || c["user_agent"] != "RetentionTest/1.0" {
			t.Fatalf("a new comment has no address or user agent: %v %v", c["ip"], c["user_agent"])
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			gone := in.do(req{method: "GET", path: spamPath, token: in.token}).status == http.StatusNotFound
			c := in.do(req{method: "GET", path: heldPath, token: in.token}).must(t, http.StatusOK).json(t)["comment"].(map[string]any)
			if gone && c["ip"] == "" && c["user_agent"] == "" && c["author_email"] == "reader@example.org" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the retention periods: spam gone %v, held comment %v", gone, c)
			}
			time.Sleep(200 * time.Millisecond)
		}
		ban := in.do(req{method: "POST", path: "/api/v1/admin/bans", token: in.token,
			body: map[string]any{"kind": "ip", "comment_id": num(held, "comment", "id")}}).must(t, http.StatusUnprocessableEntity).json(t)
		if ban["error"].(map[string]any)["fields"].(map[string]any)["comment_id"] == nil {
			t.Errorf("an address ban from a comment without one: %v", ban)
		}
		for _, msg := range []string{`"msg":"discarded old spam","comments":1`, `"msg":"forgot old comments' addresses","comments":`} {
			if !strings.Contains(in.stderr.String(), msg) {
				t.Errorf("no log line %s", msg)
			}
		}
	})
}

// fmtID is the id of the comment in a submission's answer, as a path segment.
func fmtID(answer map[string]any) string {
	return strconv.FormatInt(int64(num(answer, "comment", "id")), 10)
}
