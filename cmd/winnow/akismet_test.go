package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// akismetClientDir installs the npm Akismet client (akismet-api, pinned by
// testdata/akismet/package-lock.json) with its driver script in a temporary
// directory, and returns it. Without node and npm the test skips, except in CI.
func akismetClientDir(t *testing.T) (dir, node string) {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		if sqlstoretest.Required() {
			t.Fatal("node and npm are required (CI=true or WINNOW_TEST_REQUIRE=1): apt-get install nodejs npm")
		}
		t.Skip("no node or npm; apt-get install nodejs npm")
	}
	dir = t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json", "client.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", "akismet", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	return dir, node
}

// TestAkismetClient points the npm Akismet client akismet-api (v6) at a running
// winnow, on both engines, as a WordPress-like site would point the Akismet plugin:
// with a key issued by `winnow site akismet-key`, it verifies the key, checks a
// reader's comment (ham) and Akismet's guaranteed-spam author (spam), reports spam
// and ham; another key is invalid. The client sends its calls to
// http://KEY.localhost:PORT/1.1/..., the key in the host, which the driver script
// resolves to loopback. The server's log never holds the key.
func TestAkismetClient(t *testing.T) {
	dir, node := akismetClientDir(t)
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("akblog", nil)
		getenv := func(k string) string { return env[k] }
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"site", "akismet-key", "--site", "akblog"}, getenv, &out, &errb); err != nil {
			t.Fatalf("site akismet-key: %v\n%s", err, errb.String())
		}
		key := strings.TrimSpace(out.String())
		if len(key) != 12 {
			t.Fatalf("site akismet-key printed %q", key)
		}

		port := in.url[strings.LastIndexByte(in.url, ':')+1:]
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "client.js")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "WINNOW_HOST=localhost:"+port, "AKISMET_KEY="+key, "AKISMET_BLOG=https://akblog.example/")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			t.Fatalf("node client.js: %v\n%s", err, stderr.String())
		}
		type outcome struct {
			Value any    `json:"value"`
			Error string `json:"error"`
		}
		var got map[string]outcome
		if err := json.Unmarshal(stdout, &got); err != nil {
			t.Fatalf("client output %q: %v", stdout, err)
		}
		for _, tt := range []struct {
			call       string
			value      any
			errorHas   string
			whatItMean string
		}{
			{"verify", true, "", "the issued key verifies"},
			{"ham", false, "", "a reader's comment is not spam"},
			{"spam", true, "", "the guaranteed-spam author is spam"},
			{"submitSpam", nil, "", "a spam report is accepted"},
			{"submitHam", nil, "", "a ham report is accepted"},
			{"wrongVerify", false, "", "another key does not verify"},
			{"wrongCheck", nil, "Invalid API key", "a check with another key is refused as invalid"},
		} {
			o, ok := got[tt.call]
			if !ok {
				t.Errorf("%s: no outcome in %s", tt.call, stdout)
				continue
			}
			if tt.errorHas != "" {
				if !strings.Contains(o.Error, tt.errorHas) {
					t.Errorf("%s (%s): error %q, want one with %q", tt.call, tt.whatItMean, o.Error, tt.errorHas)
				}
				continue
			}
			if o.Error != "" {
				t.Errorf("%s (%s): error %q", tt.call, tt.whatItMean, o.Error)
				continue
			}
			if tt.value != nil && o.Value != tt.value {
				t.Errorf("%s (%s): %v, want %v", tt.call, tt.whatItMean, o.Value, tt.value)
			}
		}

		// The checks and reports store no comment, and the key is never logged.
		list := in.do(req{method: "GET", path: "/api/v1/admin/comments?site=akblog&status=all", token: in.token}).must(t, http.StatusOK).json(t)
		if cs, _ := list["comments"].([]any); len(cs) != 0 {
			t.Errorf("the Akismet calls stored comments: %v", cs)
		}
		if logs := in.stderr.String(); strings.Contains(logs, key) || strings.Contains(logs, "deadbeef0000") {
			t.Errorf("the server's log holds an Akismet key:\n%s", logs)
		}
		if !strings.Contains(in.stderr.String(), `"route":"/1.1/comment-check"`) {
			t.Errorf("the server's log has no comment-check request:\n%s", in.stderr.String())
		}
	})
}

// TestDashboardAkismetKey is an admin issuing a site's Akismet key on the site's
// settings page in headless Chromium: shown once, it verifies; after a reload the page
// says when it was issued and shows it no more; revoked (two clicks), it is invalid.
func TestDashboardAkismetKey(t *testing.T) {
	ctx := browser(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("k", nil)
	const pw = "administrator password qz7akismet"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "root@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	verify := func(key string) string {
		t.Helper()
		form := url.Values{"key": {key}, "blog": {"https://k.example/"}}.Encode()
		return string(in.do(req{method: "POST", path: "/1.1/verify-key", body: form, ctype: "application/x-www-form-urlencoded"}).must(t, http.StatusOK).body)
	}

	dashboardLogin(t, ctx, in, "root@example.org", pw)
	navigate(t, ctx, in.url+"/admin/sites/k")
	waitJS(t, ctx, "the site without a key", `return document.querySelector("#akismet-state")?.textContent.startsWith("No key") &&
		document.querySelector("#akismet-revoke").hidden && document.querySelector("#akismet-key").hidden;`)
	js[chromedp.Void](t, ctx, `document.querySelector("#akismet-issue").click()`)
	waitJS(t, ctx, "the key, shown once", `return !document.querySelector("#akismet-key").hidden &&
		/^[0-9a-f]{12}$/.test(document.querySelector("#akismet-key-value").textContent) && !document.querySelector("#akismet-revoke").hidden;`)
	key := js[string](t, ctx, `document.querySelector("#akismet-key-value").textContent`)
	if got := verify(key); got != "valid" {
		t.Fatalf("verify-key with the key the page showed: %q", got)
	}

	navigate(t, ctx, in.url+"/admin/sites/k")
	waitJS(t, ctx, "the site with a key", `return document.querySelector("#akismet-state")?.textContent.startsWith("A key was issued on") &&
		document.querySelector("#akismet-key").hidden && document.querySelector("#akismet-key-value").textContent === "";`)
	if page := string(in.do(req{method: "GET", path: "/admin/sites/k", headers: in.login(nil, "root@example.org", pw).headers(false)}).must(t, http.StatusOK).body); strings.Contains(page, key) {
		t.Error("the settings page holds the key after it was issued")
	}
	js[chromedp.Void](t, ctx, `document.querySelector("#akismet-revoke").click()`)
	waitJS(t, ctx, "the armed button", `return document.querySelector("#akismet-revoke").textContent.startsWith("Click again");`)
	js[chromedp.Void](t, ctx, `document.querySelector("#akismet-revoke").click()`)
	waitJS(t, ctx, "the revoked key", `return document.querySelector("#akismet-state").textContent.startsWith("No key") &&
		document.querySelector("#akismet-revoke").hidden;`)
	if got := verify(key); got != "invalid" {
		t.Errorf("verify-key with the revoked key: %q", got)
	}
	if n := js[int](t, ctx, `window.__winnowRan`); n != 0 {
		t.Fatalf("%d trapped calls (alert, confirm, prompt) on the settings page", n)
	}
}

// TestWordPressMuPlugin runs integrations/wordpress/winnow-akismet.php with php-cli
// under the few functions of WordPress's HTTP API it hooks into
// (testdata/akismet/wordpress.php), and makes the Akismet plugin's calls as the
// plugin makes them, to rest.akismet.com: the mu-plugin sends them to a running
// winnow, with the key from the form or, as older plugins send it, from the host;
// answers the account check from verify-key; refuses the calls winnow does not serve;
// and leaves every other request alone. Nothing reaches Akismet (the shim fails a
// request that would). Without php the test skips, except in CI.
func TestWordPressMuPlugin(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		if sqlstoretest.Required() {
			t.Fatal("php is required (CI=true or WINNOW_TEST_REQUIRE=1): apt-get install php-cli")
		}
		t.Skip("no php; apt-get install php-cli")
	}
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	in.createSite("wp", nil)
	out, errOut, err := in.cli("", "site", "akismet-key", "--site", "wp")
	if err != nil {
		t.Fatalf("site akismet-key: %v\n%s", err, errOut)
	}
	key := strings.TrimSpace(out)
	plugin, err := filepath.Abs(filepath.Join("..", "..", "integrations", "wordpress", "winnow-akismet.php"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, filepath.Join("testdata", "akismet", "wordpress.php"))
	cmd.Env = append(os.Environ(), "MU_PLUGIN="+plugin, "WINNOW_URL="+in.url, "AKISMET_KEY="+key, "AKISMET_BLOG=https://wp.example/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("php wordpress.php: %v\n%s%s", err, stderr.String(), stdout)
	}
	type call struct {
		Code   int
		Body   string
		ProTip string `json:"pro_tip"`
		GUID   string
		Error  string
	}
	var got struct {
		Verify, Ham, SpamInHost, SubmitSpam, Subscription, Stats, WrongKey call
		Untouched                                                          any
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	for _, tt := range []struct {
		name      string
		got       call
		body, tip string
		err       string
	}{
		{"verify-key", got.Verify, "valid", "", ""},
		{"comment-check of a reader", got.Ham, "false", "", ""},
		{"comment-check, key in the host, of the spam author", got.SpamInHost, "true", "discard", ""},
		{"submit-spam", got.SubmitSpam, "Thanks for making the web a better place.", "", ""},
		{"get-subscription", got.Subscription, `{"status":"active"}`, "", ""},
		{"get-stats", got.Stats, "", "", "winnow does not answer the Akismet call get-stats"},
		{"comment-check with a wrong key", got.WrongKey, "invalid", "", ""},
	} {
		c := tt.got
		if tt.err != "" {
			if c.Error != tt.err {
				t.Errorf("%s: error %q, want %q", tt.name, c.Error, tt.err)
			}
			continue
		}
		if c.Error != "" || c.Body != tt.body || c.ProTip != tt.tip {
			t.Errorf("%s: %+v, want body %q, pro tip %q", tt.name, c, tt.body, tt.tip)
		}
	}
	if got.Ham.GUID == "" {
		t.Error("comment-check answered without X-akismet-guid")
	}
	if got.Untouched != false {
		t.Errorf("a request to another host was answered by the mu-plugin: %v", got.Untouched)
	}
	if strings.Contains(in.stderr.String(), key) {
		t.Error("the server's log holds the key")
	}
}
