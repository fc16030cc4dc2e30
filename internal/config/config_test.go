package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
)

func TestLoadPrecedenceDefaultsFileEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "winnow.yaml")
	yaml := "addr: 127.0.0.1:9000\ndata_dir: /var/lib/winnow\ndatabase:\n  url: postgres://file/db\nhttp:\n  shutdown_timeout: 5s\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WINNOW_DATABASE_URL": "postgres://env/db", "WINNOW_REDIS_URL": "redis://127.0.0.1:6379/0",
		"WINNOW_SPAM_DISCARD_AFTER": "168h", "WINNOW_SPAM_LEARN_PUBLISHED_AFTER": "2h", "WINNOW_FORGET_ADDRESSES_AFTER": "720h"}
	c, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"file overrides default addr", c.Addr, "127.0.0.1:9000"},
		{"file sets data dir", c.DataDir, "/var/lib/winnow"},
		{"env overrides file database url", c.Database.URL, "postgres://env/db"},
		{"env sets redis url", c.Redis.URL, "redis://127.0.0.1:6379/0"},
		{"default log level stays", c.Log.Level, "info"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if c.Privacy.ForgetAddressesAfter != 30*24*time.Hour || Default().Privacy.ForgetAddressesAfter != 90*24*time.Hour {
		t.Errorf("privacy.forget_addresses_after: env %v, default %v", c.Privacy.ForgetAddressesAfter, Default().Privacy.ForgetAddressesAfter)
	}
	if c.Spam.DiscardAfter != 7*24*time.Hour || Default().Spam.DiscardAfter != 30*24*time.Hour {
		t.Errorf("spam discard_after: env %v, default %v", c.Spam.DiscardAfter, Default().Spam.DiscardAfter)
	}
	if c.Spam.LearnPublishedAfter != 2*time.Hour || Default().Spam.LearnPublishedAfter != 24*time.Hour {
		t.Errorf("spam learn_published_after: env %v, default %v", c.Spam.LearnPublishedAfter, Default().Spam.LearnPublishedAfter)
	}
	if c.HTTP.ShutdownTimeout != 5*time.Second {
		t.Errorf("duration from file: got %v", c.HTTP.ShutdownTimeout)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "winnow.yaml")
	os.WriteFile(path, []byte("adress: 127.0.0.1:1\n"), 0o600)
	if _, err := Load(path, func(string) string { return "" }); err == nil {
		t.Fatal("a misspelt key loaded without error")
	}
}

func TestLoadAcceptsEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "winnow.yaml")
	os.WriteFile(path, nil, 0o600)
	c, err := Load(path, func(string) string { return "" })
	if err != nil || c.Addr != Default().Addr {
		t.Fatalf("empty file: %v, addr %q", err, c.Addr)
	}
}

func TestValidateRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"addr without port", func(c *Config) { c.Addr = "localhost" }},
		{"mysql url", func(c *Config) { c.Database.URL = "mysql://x" }},
		{"redis url scheme", func(c *Config) { c.Redis.URL = "http://x" }},
		{"public url scheme", func(c *Config) { c.PublicURL = "ftp://x" }},
		{"tiny body limit", func(c *Config) { c.HTTP.MaxBodyBytes = 10 }},
		{"log level", func(c *Config) { c.Log.Level = "loud" }},
		{"log format", func(c *Config) { c.Log.Format = "xml" }},
		{"no data dir for sqlite", func(c *Config) { c.DataDir = "" }},
		{"negative spam retention", func(c *Config) { c.Spam.DiscardAfter = -time.Hour }},
		{"negative learn_published_after", func(c *Config) { c.Spam.LearnPublishedAfter = -time.Hour }},
		{"negative address retention", func(c *Config) { c.Privacy.ForgetAddressesAfter = -time.Hour }},
		{"no idle time", func(c *Config) { c.Sessions.Idle = 0 }},
		{"negative absolute time", func(c *Config) { c.Sessions.Absolute = -time.Hour }},
		{"idle longer than absolute", func(c *Config) { c.Sessions.Idle, c.Sessions.Absolute = 2*time.Hour, time.Hour }},
		{"trusted proxy that is no address", func(c *Config) { c.HTTP.TrustedProxies = []string{"proxy.internal"} }},
		{"negative cdn_s_maxage", func(c *Config) { c.HTTP.CDNSMaxAge = -time.Second }},
		{"cdn_stale_while_revalidate in part seconds", func(c *Config) { c.HTTP.CDNStaleWhileRevalidate = 1500 * time.Millisecond }},
		{"metrics.addr without port", func(c *Config) { c.Metrics.Addr = "127.0.0.1" }},
		{"metrics.addr same as addr", func(c *Config) { c.Metrics.Addr = c.Addr }},
		{"short metrics.token", func(c *Config) { c.Metrics.Token = "secret" }},
		{"metrics.token with a trailing newline", func(c *Config) { c.Metrics.Token = "0123456789abcdef0123\n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			if err := c.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
		})
	}
}

func TestDSNChoosesSQLiteInDataDirWithoutURL(t *testing.T) {
	c := Default()
	if got, want := c.DSN(), "sqlite:"+filepath.Join("data", "winnow.db"); got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
	c.Database.URL = "postgres://h/db"
	if c.DSN() != "postgres://h/db" {
		t.Errorf("DSN = %q", c.DSN())
	}
}

func TestExampleConfigLoadsAndMatchesDefaults(t *testing.T) {
	c, err := Load("../../configs/winnow.example.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP.TrustedProxies = nil // the file's empty list and the default nil mean the same
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("the example file documents values other than the defaults:\n got %+v\nwant %+v", c, Default())
	}
}

func TestProxiesAcceptAddressesAndRanges(t *testing.T) {
	h := HTTP{TrustedProxies: []string{"10.0.0.0/8", " 192.0.2.7", "::1"}}
	got, err := h.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "::1/128"}
	for i, p := range got {
		if p.String() != want[i] {
			t.Errorf("proxy %d = %s, want %s", i, p, want[i])
		}
	}
}

func TestSessionLifetimes(t *testing.T) {
	if d, p := Default().Sessions, auth.DefaultSessionPolicy(); d.Idle != p.Idle || d.Absolute != p.Absolute {
		t.Errorf("default sessions %+v, auth's defaults %+v", d, p)
	}
	path := filepath.Join(t.TempDir(), "winnow.yaml")
	if err := os.WriteFile(path, []byte("sessions:\n  idle: 30m\n  absolute: 24h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		env            map[string]string
		idle, absolute time.Duration
		valid          bool
	}{
		{"file", nil, 30 * time.Minute, 24 * time.Hour, true},
		{"env over file", map[string]string{"WINNOW_SESSIONS_IDLE": "2h", "WINNOW_SESSIONS_ABSOLUTE": "720h"}, 2 * time.Hour, 720 * time.Hour, true},
		{"equal is fine", map[string]string{"WINNOW_SESSIONS_IDLE": "24h"}, 24 * time.Hour, 24 * time.Hour, true},
		{"idle past absolute", map[string]string{"WINNOW_SESSIONS_IDLE": "25h"}, 25 * time.Hour, 24 * time.Hour, false},
		{"zero", map[string]string{"WINNOW_SESSIONS_ABSOLUTE": "0s"}, 30 * time.Minute, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(path, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.Sessions.Idle != tt.idle || c.Sessions.Absolute != tt.absolute {
				t.Errorf("sessions %+v, want %v and %v", c.Sessions, tt.idle, tt.absolute)
			}
			if err := c.Validate(); (err == nil) != tt.valid {
				t.Errorf("Validate = %v, want valid %v", err, tt.valid)
			}
		})
	}
	if _, err := Load("", func(k string) string { return map[string]string{"WINNOW_SESSIONS_IDLE": "soon"}[k] }); err == nil {
		t.Error("a malformed WINNOW_SESSIONS_IDLE loaded")
	}
}

func TestIPv6PrefixDefaultsEnvAndBounds(t *testing.T) {
	if Default().HTTP.IPv6Prefix != 64 {
		t.Errorf("default http.ipv6_prefix = %d, want 64", Default().HTTP.IPv6Prefix)
	}
	for v, want := range map[string]int{"56": 56, "/48": 48, "128": 128} {
		c, err := Load("", func(k string) string { return map[string]string{"WINNOW_IPV6_PREFIX": v}[k] })
		if err != nil || c.HTTP.IPv6Prefix != want || c.Validate() != nil {
			t.Errorf("WINNOW_IPV6_PREFIX=%s: %d, %v, %v", v, c.HTTP.IPv6Prefix, err, c.Validate())
		}
	}
	if _, err := Load("", func(k string) string { return map[string]string{"WINNOW_IPV6_PREFIX": "sixty"}[k] }); err == nil {
		t.Error("WINNOW_IPV6_PREFIX=sixty loaded")
	}
	for _, bits := range []int{0, 31, 129} {
		c := Default()
		c.HTTP.IPv6Prefix = bits
		if err := c.Validate(); err == nil {
			t.Errorf("http.ipv6_prefix %d passed Validate", bits)
		}
	}
}

func TestCDNCacheDefaultsAndEnv(t *testing.T) {
	if d := Default().HTTP; d.CDNSMaxAge != 5*time.Second || d.CDNStaleWhileRevalidate != 30*time.Second {
		t.Errorf("defaults: s-maxage %s, stale-while-revalidate %s; want 5s and 30s", d.CDNSMaxAge, d.CDNStaleWhileRevalidate)
	}
	env := map[string]string{"WINNOW_CDN_S_MAXAGE": "1m", "WINNOW_CDN_STALE_WHILE_REVALIDATE": "0s"}
	c, err := Load("", func(k string) string { return env[k] })
	if err != nil || c.HTTP.CDNSMaxAge != time.Minute || c.HTTP.CDNStaleWhileRevalidate != 0 || c.Validate() != nil {
		t.Errorf("from the environment: %s %s, %v, %v", c.HTTP.CDNSMaxAge, c.HTTP.CDNStaleWhileRevalidate, err, c.Validate())
	}
}

func TestSMTPSettings(t *testing.T) {
	base := Default().SMTP
	cases := []struct {
		name    string
		yaml    string
		env     map[string]string
		want    SMTP // Host, Port, Username, Password, From, TLS compared
		wantErr string
	}{
		{name: "url with user and starttls", yaml: "smtp:\n  url: smtp://mailer@mail.example:2525?tls=starttls\n  from: winnow@example.org\n",
			env:  map[string]string{"WINNOW_SMTP_PASSWORD": "s3cret"},
			want: SMTP{Host: "mail.example", Port: 2525, Username: "mailer", Password: "s3cret", From: "winnow@example.org", TLS: "starttls"}},
		{name: "smtps url defaults to tls on 465", yaml: "smtp:\n  url: smtps://mail.example\n  from: Winnow <winnow@example.org>\n",
			want: SMTP{Host: "mail.example", Port: 465, From: "Winnow <winnow@example.org>", TLS: "tls"}},
		{name: "fields, default starttls on 587", yaml: "smtp:\n  host: mail.example\n  username: u\n  from: w@example.org\n",
			want: SMTP{Host: "mail.example", Port: 587, Username: "u", From: "w@example.org", TLS: "starttls"}},
		{name: "everything from the environment", env: map[string]string{"WINNOW_SMTP_HOST": "127.0.0.1", "WINNOW_SMTP_PORT": "25",
			"WINNOW_SMTP_TLS": "none", "WINNOW_SMTP_FROM": "w@example.org"},
			want: SMTP{Host: "127.0.0.1", Port: 25, From: "w@example.org", TLS: "none"}},
		{name: "password in the url", yaml: "smtp:\n  url: smtp://u:pw@mail.example\n  from: w@example.org\n", wantErr: "WINNOW_SMTP_PASSWORD"},
		{name: "password in the file is not a setting", yaml: "smtp:\n  host: h\n  password: pw\n", wantErr: "password"},
		{name: "url and host", yaml: "smtp:\n  url: smtp://mail.example\n  host: other\n  from: w@example.org\n", wantErr: "set one"},
		{name: "unknown tls mode", yaml: "smtp:\n  host: h\n  tls: ssl\n  from: w@example.org\n", wantErr: "smtp.tls"},
		{name: "no sender", yaml: "smtp:\n  host: h\n", wantErr: "smtp.from"},
		{name: "bad sender", yaml: "smtp:\n  host: h\n  from: not an address\n", wantErr: "smtp.from"},
		{name: "unknown url parameter", yaml: "smtp:\n  url: smtp://h?tsl=none\n  from: w@example.org\n", wantErr: "tsl"},
		{name: "password without user", yaml: "smtp:\n  host: h\n  from: w@example.org\n", env: map[string]string{"WINNOW_SMTP_PASSWORD": "x"}, wantErr: "username"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "winnow.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path, func(k string) string { return tc.env[k] })
			if err == nil {
				err = c.Validate()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				if tc.env["WINNOW_SMTP_PASSWORD"] != "" && strings.Contains(err.Error(), tc.env["WINNOW_SMTP_PASSWORD"]) {
					t.Error("the error shows the password")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.SMTP.Resolved()
			if err != nil {
				t.Fatal(err)
			}
			g := SMTP{Host: got.Host, Port: got.Port, Username: got.Username, Password: got.Password, From: got.From, TLS: got.TLS}
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("resolved %+v, want %+v", g, tc.want)
			}
			if got.Timeout != base.Timeout || got.PollInterval != base.PollInterval {
				t.Errorf("defaults lost: %+v", got)
			}
		})
	}
	if Default().SMTP.Enabled() {
		t.Error("mail is on with no server configured")
	}
}

func TestMetricsFromFileAndEnv(t *testing.T) {
	if m := Default().Metrics; m.Addr != "" || m.Token != "" {
		t.Errorf("default metrics %+v: want /metrics on the main listener, no token", m)
	}
	path := filepath.Join(t.TempDir(), "winnow.yaml")
	if err := os.WriteFile(path, []byte("metrics:\n  addr: 127.0.0.1:9090\n  token: from-the-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         map[string]string
		addr, token string
	}{
		{"file", nil, "127.0.0.1:9090", "from-the-file-0123456789"},
		{"env over file", map[string]string{"WINNOW_METRICS_ADDR": "[::1]:9100", "WINNOW_METRICS_TOKEN": "from-the-environment-42"},
			"[::1]:9100", "from-the-environment-42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(path, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.Metrics.Addr != tt.addr || c.Metrics.Token != tt.token {
				t.Errorf("metrics %+v, want addr %q token %q", c.Metrics, tt.addr, tt.token)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}
