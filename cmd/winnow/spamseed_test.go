package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestSiteSpamSeedSetting is an admin choosing how far the built-in spam model may act
// alone on a site, through the API and the CLI: the default is fold, hold is kept and
// read back, and anything else is refused naming spam_seed.
func TestSiteSpamSeedSetting(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		seedOf := func(id string) any {
			t.Helper()
			return in.do(req{method: "GET", path: "/api/v1/admin/sites/" + id, token: in.token}).must(t, http.StatusOK).json(t)["site"].(map[string]any)["spam_seed"]
		}
		in.createSite("plain", nil)
		if got := seedOf("plain"); got != "fold" {
			t.Errorf("a new site's spam_seed = %v, want fold", got)
		}
		in.createSite("careful", map[string]any{"spam_seed": "hold"})
		if got := seedOf("careful"); got != "hold" {
			t.Errorf("spam_seed = %v, want hold", got)
		}
		in.do(req{method: "PATCH", path: "/api/v1/admin/sites/careful", token: in.token, body: map[string]any{"spam_seed": "fold"}}).must(t, http.StatusOK)
		if got := seedOf("careful"); got != "fold" {
			t.Errorf("after PATCH spam_seed = %v, want fold", got)
		}
		bad := []req{
			{method: "POST", path: "/api/v1/admin/sites", token: in.token, body: map[string]any{"id": "x", "name": "X", "spam_seed": "sometimes"}},
			{method: "PATCH", path: "/api/v1/admin/sites/careful", token: in.token, body: map[string]any{"spam_seed": "never"}},
			{method: "PATCH", path: "/api/v1/admin/sites/careful", token: in.token, body: map[string]any{"spam_seed": ""}},
		}
		for _, r := range bad {
			fields, _ := in.do(r).must(t, http.StatusUnprocessableEntity).json(t)["error"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields["spam_seed"]; !ok {
				t.Errorf("%s %s %v: the error does not name spam_seed: %v", r.method, r.path, r.body, fields)
			}
		}
		if got := seedOf("careful"); got != "fold" {
			t.Errorf("a refused PATCH changed spam_seed to %v", got)
		}

		getenv := func(k string) string { return env[k] }
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"site", "create", "--id", "cli", "--name", "CLI", "--spam-seed", "hold"}, getenv, &out, &errb); err != nil {
			t.Fatalf("site create --spam-seed hold: %v\n%s", err, errb.String())
		}
		if got := seedOf("cli"); got != "hold" {
			t.Errorf("site created by the CLI: spam_seed = %v, want hold", got)
		}
		err := run(context.Background(), []string{"site", "create", "--id", "cli2", "--name", "CLI", "--spam-seed", "maybe"}, getenv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "spam_seed") {
			t.Errorf("site create --spam-seed maybe: %v, want an error naming spam_seed", err)
		}
		out.Reset()
		if err := run(context.Background(), []string{"site", "list"}, getenv, &out, &errb); err != nil || !strings.Contains(out.String(), "SPAM SEED") {
			t.Errorf("site list: %v\n%s", err, out.String())
		}
	})
}
