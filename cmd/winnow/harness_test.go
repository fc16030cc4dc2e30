package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// syncBuffer collects a process's stderr while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is one winnow started through run(), as an operator would start it.
type instance struct {
	t      *testing.T
	url    string
	token  string // the admin token printed on first start
	env    map[string]string
	stderr *syncBuffer
	stop   func() error
	client *http.Client
}

// The log lines a person reads to learn the address and the first admin token: the
// tests of a separate process (process_test.go) read them there; start learns both
// from run() through withReady.
var (
	listeningRe = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	tokenRe     = regexp.MustCompile(`(?m)^    (wnw_[A-Za-z0-9_-]+)$`)
)

// engines runs fn once per storage engine with a fresh database.
func engines(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, map[string]string{"WINNOW_DATABASE_URL": postgresDSN(t), "WINNOW_DATA_DIR": t.TempDir()})
	})
}

// postgresDSN is a fresh schema on the test PostgreSQL server (a skip without one on a
// developer's machine, a failure in CI).
func postgresDSN(t *testing.T) string { return sqlstoretest.PostgresDSN(t) }

// start runs `winnow serve` (with any extra flags) on a free port with env and waits
// until it listens; run() hands over its address and first admin token through the
// hook of withReady.
func start(t *testing.T, env map[string]string, flags ...string) *instance {
	t.Helper()
	env["WINNOW_ADDR"] = "127.0.0.1:0"
	getenv := func(k string) string { return env[k] }
	type listening struct{ addr, token string }
	readyc := make(chan listening, 1)
	ctx, cancel := context.WithCancel(withReady(context.Background(), func(addr, token string) {
		readyc <- listening{addr, token}
	}))
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, flags...), getenv, io.Discard, stderr) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = context.DeadlineExceeded
			}
		})
		return stopErr
	}
	t.Cleanup(func() { stop() })
	select {
	case l := <-readyc:
		return &instance{t: t, url: "http://" + l.addr, token: l.token, env: env, stderr: stderr, stop: stop,
			client: &http.Client{Timeout: 30 * time.Second}}
	case err := <-done:
		t.Fatalf("winnow exited before listening: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("winnow did not start:\n%s", stderr.String())
	}
	return nil
}

// response is an answer with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value for assertions.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// req is a request to send; zero fields are left out.
type req struct {
	method  string
	path    string
	body    any // string sent as is, anything else as JSON
	ctype   string
	token   string
	headers map[string]string
}

func (in *instance) do(r req) response {
	in.t.Helper()
	return in.doWith(in.client, r)
}

func (in *instance) doWith(c *http.Client, r req) response {
	in.t.Helper()
	var body io.Reader
	ctype := r.ctype
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			in.t.Fatal(err)
		}
		body = bytes.NewReader(js)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	hr, err := http.NewRequest(r.method, in.url+r.path, body)
	if err != nil {
		in.t.Fatal(err)
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	resp, err := c.Do(hr)
	if err != nil {
		in.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		in.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// must fails the test unless the answer has the wanted status.
func (r response) must(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// createSite makes a site through the admin API. Its rate limits are lifted, since
// every test client posts from one address; the rate-limit tests set their own.
func (in *instance) createSite(id string, fields map[string]any) {
	in.t.Helper()
	lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
	body := map[string]any{"id": id, "name": "Site " + id, "origins": []string{"https://" + id + ".example"},
		"rate_limits": map[string]any{"ip": lifted, "email": lifted}}
	for k, v := range fields {
		body[k] = v
	}
	in.do(req{method: "POST", path: "/api/v1/admin/sites", body: body, token: in.token}).must(in.t, http.StatusCreated)
}

// submission returns a valid comment for thread, changed by the given fields.
func submission(thread string, fields map[string]any) map[string]any {
	s := map[string]any{
		"thread": thread, "thread_title": "A post", "author_name": "Reader",
		"author_email": "reader@example.org", "body": "A thoughtful comment.",
	}
	for k, v := range fields {
		s[k] = v
	}
	return s
}

// submit posts a comment to site and returns the answer.
func (in *instance) submit(site string, body any, headers map[string]string) response {
	in.t.Helper()
	return in.do(req{method: "POST", path: "/api/v1/sites/" + site + "/comments", body: body, headers: headers})
}

// localClient sends requests from a chosen loopback address, so a test can give the
// server a unique client IP to look for.
func localClient(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// num reads a JSON number at a path of keys.
func num(v map[string]any, keys ...string) float64 {
	var cur any = v
	for _, k := range keys {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	f, _ := cur.(float64)
	return f
}

// list reads a JSON array under key.
func list(v map[string]any, key string) []any {
	l, _ := v[key].([]any)
	return l
}
