package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestHelpListsOnlyTheCommandsOwnFlags: `winnow COMMAND --help` answers on stdout with
// success, and names exactly the flags that command reads: --addr only where a server
// listens on it or is asked there, nothing about the database for spam eval.
func TestHelpListsOnlyTheCommandsOwnFlags(t *testing.T) {
	db := []string{"config", "data"}
	tests := []struct {
		args  []string
		flags []string
	}{
		{[]string{"serve"}, append([]string{"addr", "demo", "demo-samples"}, db...)},
		{[]string{"migrate"}, db},
		{[]string{"backup"}, append([]string{"to"}, db...)},
		{[]string{"healthcheck"}, []string{"addr", "config", "ready", "timeout", "url"}},
		{[]string{"version"}, nil},
		{[]string{"site", "create"}, append([]string{"blocked-word", "cdn-s-maxage", "cdn-stale-while-revalidate", "id", "max-links",
			"name", "origin", "policy", "script", "spam-seed"}, db...)},
		{[]string{"site", "list"}, db},
		{[]string{"site", "akismet-key"}, append([]string{"revoke", "site"}, db...)},
		{[]string{"token", "create"}, append([]string{"name", "role", "site"}, db...)},
		{[]string{"token", "list"}, db},
		{[]string{"token", "revoke"}, append([]string{"id"}, db...)},
		{[]string{"user", "add"}, append([]string{"email", "role", "site"}, db...)},
		{[]string{"user", "list"}, db},
		{[]string{"user", "passwd"}, append([]string{"email"}, db...)},
		{[]string{"webhook", "add"}, append([]string{"description", "event", "site", "url"}, db...)},
		{[]string{"webhook", "list"}, append([]string{"site"}, db...)},
		{[]string{"webhook", "remove"}, append([]string{"id"}, db...)},
		{[]string{"spam", "eval"}, []string{"folds", "from-seed", "json", "leave-one-out", "policy", "prequential", "seed", "test", "train", "warm-up"}},
		{[]string{"spam", "train"}, append([]string{"site"}, db...)},
		{[]string{"spam", "reset"}, append([]string{"shared", "site"}, db...)},
		{[]string{"import"}, append([]string{"format", "json", "learn", "site", "strict", "thread-key"}, db...)},
		{[]string{"export"}, append([]string{"format", "output", "site", "without-private"}, db...)},
		{[]string{"commenter", "export"}, append([]string{"email", "out", "site"}, db...)},
		{[]string{"commenter", "erase"}, append([]string{"email", "export", "site"}, db...)},
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	seen := map[string]bool{}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		seen[name] = true
		for _, help := range []string{"--help", "-h"} {
			t.Run(name+" "+help, func(t *testing.T) {
				var out, errb bytes.Buffer
				// An empty environment: help must not need a database, nor touch one.
				if err := run(t.Context(), append(slices.Clone(tt.args), help), func(string) string { return "" }, &out, &errb); err != nil {
					t.Fatalf("--help failed: %v\n%s", err, errb.String())
				}
				if errb.Len() > 0 {
					t.Errorf("help wrote to stderr: %s", errb.String())
				}
				text := out.String()
				if !strings.HasPrefix(text, "Usage: winnow "+name+" [flags]\n\n"+summaries[name]) {
					t.Errorf("help does not start with the command and its summary:\n%s", text)
				}
				var got []string
				for _, m := range flagLine.FindAllStringSubmatch(text, -1) {
					got = append(got, m[1])
				}
				want := slices.Sorted(slices.Values(tt.flags))
				if !slices.Equal(got, want) {
					t.Errorf("flags %v, want %v:\n%s", got, want, text)
				}
			})
		}
	}
	// Every command has its row above, and every command the usage names a summary.
	for _, name := range slices.Sorted(maps.Keys(summaries)) {
		if !seen[name] {
			t.Errorf("command %q has no row in this test", name)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^  winnow ([a-z]+(?: [a-z][a-z-]*)?)`).FindAllStringSubmatch(usage, -1) {
		if _, ok := summaries[m[1]]; !ok {
			t.Errorf("usage names %q, which has no summary (and so no --help of its own)", m[1])
		}
	}
	if _, err := os.Stat("data"); err == nil {
		t.Error("asking for help created a data directory")
	}
	// An unknown flag is still an error, on stderr.
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"site", "list", "--addr", "x:1"}, func(string) string { return "" }, &out, &errb); err == nil ||
		!strings.Contains(errb.String(), "flag provided but not defined: -addr") {
		t.Errorf("site list --addr: %v\n%s", err, errb.String())
	}
}

func TestVersionText(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/winnow/winnow", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0b36def0123456789abcdef0123456789abcdef0"}, {Key: "vcs.modified", Value: "false"}}}
	tests := []struct {
		name string
		info *debug.BuildInfo
		date string
		want []string
	}{
		{"release", info, "2026-12-03T10:00:00Z", []string{"winnow v1.4.0\n", "commit: 0b36def0123456789abcdef0123456789abcdef0\n",
			"built: 2026-12-03T10:00:00Z\n", "go: go1.26.8 "}},
		{"dirty tree", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}}, "",
			[]string{"winnow (devel)\n", "commit: abc (with uncommitted changes)\n", "built: unknown (not a release build)\n"}},
		{"no build info", nil, "", []string{"winnow unknown\n", "commit: unknown (built outside a git checkout)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionText(tt.info, tt.date)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestVersionOfAStampedBinary builds winnow as make dist does (buildBinary stamps a
// date, and asks for the commit) and reads back the date and what the go command
// recorded.
func TestVersionOfAStampedBinary(t *testing.T) {
	out, err := exec.Command(buildBinary(t), "version").Output()
	if err != nil {
		t.Fatalf("winnow version: %v", err)
	}
	text := string(out)
	if !strings.HasPrefix(text, "winnow ") || !strings.Contains(text, "built: "+stampedDate+"\n") {
		t.Errorf("winnow version:\n%s", text)
	}
	// What the go command recorded (a module version, and a commit when it built in a
	// git checkout) is what the binary prints.
	info, err := buildinfo.ReadFile(buildBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "winnow "+info.Main.Version+"\n") {
		t.Errorf("recorded version %q, but:\n%s", info.Main.Version, text)
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && !strings.Contains(text, "commit: "+s.Value) {
			t.Errorf("recorded commit %s, but:\n%s", s.Value, text)
		}
	}
	for _, arg := range []string{"version", "--version"} {
		var fromRun bytes.Buffer
		if err := run(t.Context(), []string{arg}, func(string) string { return "" }, &fromRun, &fromRun); err != nil ||
			!strings.HasPrefix(fromRun.String(), "winnow ") || !strings.Contains(fromRun.String(), "\ngo: go1.") {
			t.Errorf("winnow %s: %v\n%s", arg, err, fromRun.String())
		}
	}
}

// TestHealthcheckAgainstARunningServer runs `winnow healthcheck` as a container's
// HEALTHCHECK does, with the server's own configuration.
func TestHealthcheckAgainstARunningServer(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	env := maps.Clone(in.env)
	// Listening on every interface: the check asks loopback.
	env["WINNOW_ADDR"] = "0.0.0.0:" + in.url[strings.LastIndex(in.url, ":")+1:]
	check := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(t.Context(), append([]string{"healthcheck"}, args...), func(k string) string { return env[k] }, &out, &errb)
		return out.String(), err
	}
	if out, err := check(); err != nil || !strings.Contains(out, `"status":"ok"`) {
		t.Errorf("healthcheck: %v %q", err, out)
	}
	if out, err := check("--ready"); err != nil || !strings.Contains(out, `"database":"ok"`) {
		t.Errorf("healthcheck --ready: %v %q", err, out)
	}
	if _, err := check("--url", in.url+"/no-such-endpoint"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404 passed the check: %v", err)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := check("--timeout", "2s"); err == nil {
		t.Error("the check passed with the server stopped")
	}
}

func TestDialableAddr(t *testing.T) {
	for listen, want := range map[string]string{
		":8080": "127.0.0.1:8080", "0.0.0.0:8080": "127.0.0.1:8080", "[::]:8080": "[::1]:8080",
		"127.0.0.2:80": "127.0.0.2:80", "winnow.internal:8080": "winnow.internal:8080",
	} {
		if got, err := dialableAddr(listen); err != nil || got != want {
			t.Errorf("dialableAddr(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
	if _, err := dialableAddr("8080"); err == nil {
		t.Error("an address without a port passed")
	}
}

// metricsAddrRe is the log line that names the metrics listener.
var metricsAddrRe = regexp.MustCompile(`"msg":"serving metrics","addr":"([^"]+)"`)

func TestMetricsListenerAndToken(t *testing.T) {
	const token = "a-metrics-token-0123456789"
	scrape := func(t *testing.T, url, bearer string) (int, string) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodGet, url, nil)
		if bearer != "" {
			r.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	t.Run("own listener with a token", func(t *testing.T) {
		in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_METRICS_ADDR": "127.0.0.1:0", "WINNOW_METRICS_TOKEN": token})
		m := metricsAddrRe.FindStringSubmatch(in.stderr.String())
		if m == nil {
			t.Fatalf("no metrics listener in the log:\n%s", in.stderr.String())
		}
		in.createSite("blog", nil)
		in.submit("blog", submission("/p", nil), nil).must(t, http.StatusAccepted)
		in.do(req{method: "GET", path: "/metrics", headers: map[string]string{"Authorization": "Bearer " + token}}).must(t, http.StatusNotFound)
		url := "http://" + m[1] + "/metrics"
		for _, bearer := range []string{"", "wrong", token + "x", token[:len(token)-1]} {
			if code, _ := scrape(t, url, bearer); code != http.StatusUnauthorized {
				t.Errorf("token %q: %d, want 401", bearer, code)
			}
		}
		code, body := scrape(t, url, token)
		if code != http.StatusOK || !strings.Contains(body, `winnow_submissions_total{outcome="pending"} 1`) {
			t.Errorf("with the token: %d\n%.500s", code, body)
		}
		// The metrics listener serves nothing else.
		if code, _ := scrape(t, "http://"+m[1]+"/healthz", token); code != http.StatusNotFound {
			t.Errorf("/healthz on the metrics listener: %d", code)
		}
	})
	t.Run("main listener with a token", func(t *testing.T) {
		in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_METRICS_TOKEN": token})
		if code, _ := scrape(t, in.url+"/metrics", ""); code != http.StatusUnauthorized {
			t.Errorf("no token: %d", code)
		}
		if code, body := scrape(t, in.url+"/metrics", token); code != http.StatusOK || !strings.Contains(body, "winnow_http_requests_total") {
			t.Errorf("with the token: %d", code)
		}
	})
	t.Run("a metrics address in use stops serve", func(t *testing.T) {
		first := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_METRICS_ADDR": "127.0.0.1:0"})
		taken := metricsAddrRe.FindStringSubmatch(first.stderr.String())[1]
		env := map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_ADDR": "127.0.0.1:0", "WINNOW_METRICS_ADDR": taken}
		err := run(t.Context(), []string{"serve"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "listen for metrics") {
			t.Errorf("serve with a taken metrics address: %v", err)
		}
	})
}

// TestRequestLogDurationInMilliseconds: each request's log line carries duration_ms, a
// number of milliseconds.
func TestRequestLogDurationInMilliseconds(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.do(req{method: "GET", path: "/healthz"}).must(t, http.StatusOK)
	for _, line := range strings.Split(in.stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "request" || rec["route"] != "/healthz" {
			continue
		}
		ms, ok := rec["duration_ms"].(float64)
		if !ok || ms < 0 || ms > 60_000 {
			t.Errorf("duration_ms = %v in %s", rec["duration_ms"], line)
		}
		if _, old := rec["duration"]; old {
			t.Errorf("the log still has duration: %s", line)
		}
		return
	}
	t.Fatalf("no request line for /healthz:\n%s", in.stderr.String())
}

// TestBackupWhileServingRestores copies the SQLite database with `winnow backup` while
// the server runs and takes submissions, then serves the copy from another data
// directory and reads the comments back; the first server keeps serving throughout.
func TestBackupWhileServingRestores(t *testing.T) {
	dir := t.TempDir()
	in := start(t, map[string]string{"WINNOW_DATA_DIR": dir})
	lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
	in.createSite("blog", map[string]any{"policy": "none",
		"rate_limits": map[string]any{"ip": lifted, "email": lifted, "thread": lifted, "site": lifted}})
	const before = 20
	for i := range before {
		in.submit("blog", submission("/p", map[string]any{"body": fmt.Sprintf("Comment number %d.", i)}), nil).must(t, http.StatusCreated)
	}
	// Writers go on while the copy is made.
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil && i < 200; i++ {
			in.submit("blog", submission("/q", map[string]any{"body": fmt.Sprintf("Written during the backup %d.", i)}), nil)
		}
	}()
	copyFile := filepath.Join(t.TempDir(), "backup", "winnow-backup.db")
	if err := os.MkdirAll(filepath.Dir(copyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := in.cli("", "backup", "--to", copyFile)
	stop()
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v\n%s%s", err, out, errOut)
	}
	fi, err := os.Stat(copyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v, mode %v (want 0600: it holds emails and addresses)", err, fi.Mode())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(copyFile), ".*.tmp")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	// A second backup to the same name is refused, the first copy untouched.
	if _, _, err := in.cli("", "backup", "--to", copyFile); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v", err)
	}
	// The server kept serving.
	in.submit("blog", submission("/p", map[string]any{"body": "After the backup."}), nil).must(t, http.StatusCreated)

	// Restore: the copy becomes another installation's database.
	restored := t.TempDir()
	b, err := os.ReadFile(copyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "winnow.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	again := start(t, map[string]string{"WINNOW_DATA_DIR": restored})
	if again.token != "" {
		t.Error("the restored copy looked like a fresh installation (a new admin token)")
	}
	page := again.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p&limit=100"}).must(t, http.StatusOK).json(t)
	var bodies []string
	for _, c := range list(page, "comments") {
		bodies = append(bodies, c.(map[string]any)["body_html"].(string))
	}
	if len(bodies) != before {
		t.Fatalf("restored thread has %d comments, want %d: %v", len(bodies), before, bodies)
	}
	for i, b := range bodies {
		if want := fmt.Sprintf("Comment number %d.", i); !strings.Contains(b, want) {
			t.Errorf("comment %d = %q, want %q", i, b, want)
		}
	}
	// The admin token of the original works on the copy: the whole database came along.
	again.do(req{method: "GET", path: "/api/v1/admin/sites", token: in.token}).must(t, http.StatusOK)
}

func TestBackupRefusals(t *testing.T) {
	run1 := func(env map[string]string, args ...string) error {
		return run(t.Context(), append([]string{"backup"}, args...), func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	}
	empty := t.TempDir()
	if err := run1(map[string]string{"WINNOW_DATA_DIR": empty}); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Errorf("no --to: %v", err)
	}
	if err := run1(map[string]string{"WINNOW_DATA_DIR": empty}, "--to", filepath.Join(t.TempDir(), "x.db")); err == nil ||
		!strings.Contains(err.Error(), "no database") {
		t.Errorf("no database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, "winnow.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("backup created a database where there was none")
	}
	err := run1(map[string]string{"WINNOW_DATABASE_URL": "postgres://127.0.0.1:1/none"}, "--to", filepath.Join(t.TempDir(), "x.db"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("on PostgreSQL: %v", err)
	}
}
