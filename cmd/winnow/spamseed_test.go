package main

import (
	"bytes"
	"context"
	"fmt"
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

// TestSiteScriptsSetting is an admin naming the writing systems a site's readers use,
// through the API and the CLI: names are read back in their canonical spelling, an
// unknown one is refused naming scripts, and a comment mostly in another script gets
// that reason on a site that named its scripts, but not on one that named none.
func TestSiteScriptsSetting(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		scriptsOf := func(id string) []any {
			t.Helper()
			return in.do(req{method: "GET", path: "/api/v1/admin/sites/" + id, token: in.token}).must(t, http.StatusOK).json(t)["site"].(map[string]any)["scripts"].([]any)
		}
		in.createSite("open", map[string]any{"policy": "none"})
		if got := scriptsOf("open"); len(got) != 0 {
			t.Errorf("a new site's scripts = %v, want none", got)
		}
		in.createSite("latin", map[string]any{"policy": "none", "scripts": []string{" latin", "Latin"}})
		if got := scriptsOf("latin"); len(got) != 1 || got[0] != "Latin" {
			t.Errorf("scripts = %v, want [Latin]", got)
		}
		for _, r := range []req{
			{method: "POST", path: "/api/v1/admin/sites", token: in.token, body: map[string]any{"id": "x", "name": "X", "scripts": []string{"Klingon"}}},
			{method: "PATCH", path: "/api/v1/admin/sites/latin", token: in.token, body: map[string]any{"scripts": []string{"Latin", "Elvish"}}},
		} {
			fields, _ := in.do(r).must(t, http.StatusUnprocessableEntity).json(t)["error"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields["scripts"]; !ok {
				t.Errorf("%s %s %v: the error does not name scripts: %v", r.method, r.path, r.body, fields)
			}
		}
		if got := scriptsOf("latin"); len(got) != 1 {
			t.Errorf("a refused PATCH changed scripts to %v", got)
		}

		body := "Спасибо большое за подробную статью, всё очень понятно и полезно для работы"
		reasons := func(site string) string {
			t.Helper()
			res := in.submit(site, submission("/p", map[string]any{"body": body, "author_email": site + "@example.org"}), nil).json(t)
			id := int64(num(res, "comment", "id"))
			c := in.do(req{method: "GET", path: "/api/v1/admin/comments/" + itoa(id), token: in.token}).must(t, http.StatusOK).json(t)["comment"].(map[string]any)
			return strings.ToLower(strings.Join(strings.Fields(fmt.Sprint(c["reasons"])), " "))
		}
		if r := reasons("latin"); !strings.Contains(r, "not a script the site's readers use") {
			t.Errorf("a Cyrillic comment on a Latin-only site: reasons %s, want the script signal", r)
		}
		if r := reasons("open"); strings.Contains(r, "not a script the site's readers use") {
			t.Errorf("a site that named no scripts: reasons %s, want no script signal", r)
		}

		getenv := func(k string) string { return env[k] }
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"site", "create", "--id", "cli", "--name", "CLI", "--script", "latin,Greek"}, getenv, &out, &errb); err != nil {
			t.Fatalf("site create --script: %v\n%s", err, errb.String())
		}
		if got := scriptsOf("cli"); len(got) != 2 || got[0] != "Latin" || got[1] != "Greek" {
			t.Errorf("site created by the CLI: scripts = %v, want [Latin Greek]", got)
		}
		err := run(context.Background(), []string{"site", "create", "--id", "cli2", "--name", "CLI", "--script", "Runic"}, getenv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "scripts") {
			t.Errorf("site create --script Runic: %v, want an error naming scripts", err)
		}
	})
}
