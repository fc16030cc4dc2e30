// Package config holds winnow's settings and how they are read: defaults, then a YAML
// file, then WINNOW_* environment variables; the command line applies flags last.
// Nothing here is global: Load returns a value and callers pass it on.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is every option of the service. configs/winnow.example.yaml documents each one.
type Config struct {
	// Addr is the listen address.
	Addr string `yaml:"addr"`
	// DataDir holds the SQLite database when no database URL is set.
	DataDir string `yaml:"data_dir"`
	// PublicURL is how browsers reach winnow; absolute links (avatars) are built from it.
	// Empty means http://Addr.
	PublicURL string   `yaml:"public_url"`
	Database  Database `yaml:"database"`
	Redis     Redis    `yaml:"redis"`
	HTTP      HTTP     `yaml:"http"`
	Log       Log      `yaml:"log"`
	Webhooks  Webhooks `yaml:"webhooks"`
	Spam      Spam     `yaml:"spam"`
	Sessions  Sessions `yaml:"sessions"`
	Privacy   Privacy  `yaml:"privacy"`
	SMTP      SMTP     `yaml:"smtp"`
	// Notifications tunes the mails winnow sends through SMTP.
	Notifications Notifications `yaml:"notifications"`
	Metrics       Metrics       `yaml:"metrics"`
	Import        Import        `yaml:"import"`
}

// Notifications tunes the mails to moderators and readers.
type Notifications struct {
	// SweepInterval is how often the pending queue is looked at for comments that a
	// moderator who asked for instant mails has not been told of yet: the longest an
	// instant mail waits. Digests go out hourly whatever it is.
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

// SMTP is the mail server winnow sends its notifications through. Mail is off while
// neither Host nor URL is set. URL is a shorter form of the other fields,
// smtp://user@host:587?tls=starttls (smtps:// for TLS from the first byte); the
// password never goes in the file or the URL but in WINNOW_SMTP_PASSWORD.
type SMTP struct {
	URL      string `yaml:"url"`
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	// Password comes from WINNOW_SMTP_PASSWORD only, so that it never sits in a
	// config file that is copied around.
	Password string `yaml:"-"`
	// From is the sender of every mail, "winnow <winnow@example.org>" or a bare address.
	From string `yaml:"from"`
	// TLS is starttls (the default: upgrade the connection, and refuse to send
	// without it), tls (TLS from the first byte, usually port 465) or none (plain
	// text, for a relay on the same machine).
	TLS string `yaml:"tls"`
	// Timeout bounds one connection to the server, from dialing to the last reply.
	Timeout time.Duration `yaml:"timeout"`
	// PollInterval is how often an idle sender looks for mails to send.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Retry is the wait before each retry of a mail the server did not take; when it
	// is spent the mail is dead. Empty means the built-in schedule of about a day.
	Retry []time.Duration `yaml:"retry"`
}

// The SMTP connection security modes.
const (
	SMTPStartTLS = "starttls"
	SMTPTLS      = "tls"
	SMTPNone     = "none"
)

// Enabled reports whether a mail server is configured.
func (s SMTP) Enabled() bool { return s.Host != "" || s.URL != "" }

// Resolved is s with URL read into the other fields and the defaults filled in: the
// port by the TLS mode (587 for starttls and none, 465 for tls).
func (s SMTP) Resolved() (SMTP, error) {
	if s.URL != "" {
		if s.Host != "" {
			return SMTP{}, errors.New("config: smtp.url and smtp.host: set one of them")
		}
		u, err := url.Parse(s.URL)
		if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
			return SMTP{}, errors.New("config: smtp.url must look like smtp://user@host:587?tls=starttls (or smtps://host:465)")
		}
		if _, set := u.User.Password(); set {
			return SMTP{}, errors.New("config: smtp.url must not hold the password: set WINNOW_SMTP_PASSWORD")
		}
		s.Host = u.Hostname()
		if p := u.Port(); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				return SMTP{}, fmt.Errorf("config: smtp.url port %q: %w", p, err)
			}
			s.Port = n
		}
		if u.User != nil && s.Username == "" {
			s.Username = u.User.Username()
		}
		q := u.Query()
		for k := range q {
			if k != "tls" && k != "from" {
				return SMTP{}, fmt.Errorf("config: smtp.url: unknown parameter %q (tls, from)", k)
			}
		}
		if v := q.Get("tls"); v != "" {
			s.TLS = v
		} else if u.Scheme == "smtps" {
			s.TLS = SMTPTLS
		}
		if v := q.Get("from"); v != "" && s.From == "" {
			s.From = v
		}
		s.URL = ""
	}
	if s.TLS == "" {
		s.TLS = SMTPStartTLS
	}
	switch s.TLS {
	case SMTPStartTLS, SMTPNone:
		if s.Port == 0 {
			s.Port = 587
		}
	case SMTPTLS:
		if s.Port == 0 {
			s.Port = 465
		}
	default:
		return SMTP{}, fmt.Errorf("config: smtp.tls %q must be starttls, tls or none", s.TLS)
	}
	if s.Host == "" {
		return SMTP{}, errors.New("config: smtp.host is required to send mail")
	}
	if s.Port < 1 || s.Port > 65535 {
		return SMTP{}, fmt.Errorf("config: smtp.port %d must be between 1 and 65535", s.Port)
	}
	if s.From == "" {
		return SMTP{}, errors.New("config: smtp.from is required to send mail (the address mails come from)")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return SMTP{}, fmt.Errorf("config: smtp.from %q: %w", s.From, err)
	}
	if s.Password != "" && s.Username == "" {
		return SMTP{}, errors.New("config: WINNOW_SMTP_PASSWORD is set but smtp.username is not")
	}
	if s.Timeout <= 0 || s.PollInterval <= 0 {
		return SMTP{}, errors.New("config: smtp.timeout and smtp.poll_interval must be positive")
	}
	for _, d := range s.Retry {
		if d <= 0 {
			return SMTP{}, errors.New("config: smtp.retry waits must be positive")
		}
	}
	return s, nil
}

// Import bounds what the admin API's import takes. The command line (winnow import)
// reads a file of any size from disk; an upload is spooled to a temporary file first.
type Import struct {
	// MaxUploadBytes is the largest file POST /api/v1/admin/sites/{site}/import
	// takes; a larger one gets 413.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
}

// Metrics places the Prometheus endpoint. By default /metrics is on the main
// listener for anyone who can reach it; its series hold no private data, but an
// operator whose listener faces the internet moves it or locks it.
type Metrics struct {
	// Addr, when set, serves /metrics on a listener of its own (say 127.0.0.1:9090, or
	// a monitoring network's address) and nowhere else: the main listener answers 404.
	Addr string `yaml:"addr"`
	// Token, when set, is the bearer token a scrape must send (Prometheus:
	// authorization.credentials), on whichever listener serves /metrics. Better given
	// by WINNOW_METRICS_TOKEN than written in a file.
	Token string `yaml:"token"`
}

// Privacy configures how long private data is kept.
type Privacy struct {
	// ForgetAddressesAfter is how long a comment keeps its author's IP address and user
	// agent, which moderators and the address's reputation (30 days) use; then they are
	// cleared. Zero keeps them for ever.
	ForgetAddressesAfter time.Duration `yaml:"forget_addresses_after"`
}

// Sessions bounds how long a signed-in browser stays signed in: Idle after it was last
// used, Absolute after sign-in, whichever comes first. A shorter idle time suits
// shared computers; the absolute limit ends even a session in daily use.
type Sessions struct {
	Idle     time.Duration `yaml:"idle"`
	Absolute time.Duration `yaml:"absolute"`
}

// Spam configures what becomes of comments in the spam queue.
type Spam struct {
	// DiscardAfter is how long a comment stays in the spam queue, for a moderator to
	// find a mistake, before it is deleted with its author's email and address. Zero
	// keeps spam for ever.
	DiscardAfter time.Duration `yaml:"discard_after"`
	// LearnPublishedAfter is how long a comment must stay published, untouched by a
	// moderator, before it teaches its site's spam model that it is wanted (ham): so
	// that sites whose comments are published without review learn ham, not spam
	// alone. Zero turns it off.
	LearnPublishedAfter time.Duration `yaml:"learn_published_after"`
}

// Webhooks configures the delivery of webhook events to consumer endpoints.
type Webhooks struct {
	// Workers bounds the deliveries one replica has in flight.
	Workers int `yaml:"workers"`
	// Timeout bounds one delivery request.
	Timeout time.Duration `yaml:"timeout"`
	// PollInterval is how often an idle replica looks for due deliveries.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Retry is the wait before each retry of a failed delivery; when it is spent the
	// delivery is dead. Empty means the built-in schedule of about a day.
	Retry []time.Duration `yaml:"retry"`
	// AllowPrivateNetworks lets endpoints reach loopback, private and link-local
	// addresses. Off by default, so a site admin cannot aim winnow at internal services.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
}

// Database selects the storage engine.
type Database struct {
	// URL is a postgres:// URL for PostgreSQL; empty means SQLite in DataDir.
	URL string `yaml:"url"`
}

// Redis configures the shared rate limiter; empty URL means the in-process one.
type Redis struct {
	URL string `yaml:"url"`
}

// HTTP bounds what one request may cost.
type HTTP struct {
	// MaxBodyBytes is the largest request body any handler reads.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ReadTimeout and WriteTimeout bound slow clients.
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// ShutdownTimeout is how long in-flight requests get to finish on SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// ThreadCacheBytes bounds the memory for rendered thread pages.
	ThreadCacheBytes int `yaml:"thread_cache_bytes"`
	// CDNSMaxAge and CDNStaleWhileRevalidate are how long a CDN may serve a thread or
	// counts answer without asking (s-maxage), and then stale while it refreshes
	// (stale-while-revalidate), in whole seconds: together the longest a removed
	// comment may stay at a CDN. Both 0: every cache revalidates every time.
	CDNSMaxAge              time.Duration `yaml:"cdn_s_maxage"`
	CDNStaleWhileRevalidate time.Duration `yaml:"cdn_stale_while_revalidate"`
	// TrustedProxies are addresses or CIDR ranges of reverse proxies whose
	// X-Forwarded-For header names the client; from anyone else it is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// IPv6Prefix is the IPv6 network that counts as one client: every per-address
	// limit, an address's reputation and IP bans work on an IPv6 address's /IPv6Prefix
	// (an IPv4 address on itself), since one home or server is handed a whole /64 and
	// could otherwise rotate through it. 32 to 128; 128 limits single addresses.
	IPv6Prefix int `yaml:"ipv6_prefix"`
}

// Proxies parses TrustedProxies; a bare address is a one-address range.
func (h HTTP) Proxies() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(h.TrustedProxies))
	for _, s := range h.TrustedProxies {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("config: http.trusted_proxies: %q is not an address or CIDR range", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Log configures structured logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json (default) or text.
	Format string `yaml:"format"`
}

// Default is the configuration of a fresh machine: SQLite in ./data, no Redis.
func Default() Config {
	return Config{
		Addr:    "127.0.0.1:8080",
		DataDir: "data",
		HTTP: HTTP{
			MaxBodyBytes:     64 << 10,
			ReadTimeout:      10 * time.Second,
			WriteTimeout:     30 * time.Second,
			ShutdownTimeout:  20 * time.Second,
			ThreadCacheBytes: 64 << 20,
			IPv6Prefix:       64,
			// A CDN absorbs a viral thread's reads with 5 s of freshness; a reader sees
			// a change at most 35 s late through it.
			CDNSMaxAge:              5 * time.Second,
			CDNStaleWhileRevalidate: 30 * time.Second,
		},
		Log:      Log{Level: "info", Format: "json"},
		Webhooks: Webhooks{Workers: 8, Timeout: 10 * time.Second, PollInterval: time.Second, Retry: []time.Duration{}},
		Spam:     Spam{DiscardAfter: 30 * 24 * time.Hour, LearnPublishedAfter: 24 * time.Hour},
		Privacy:  Privacy{ForgetAddressesAfter: 90 * 24 * time.Hour},
		// auth.DefaultSessionPolicy: a day's work, and a week at most.
		Sessions: Sessions{Idle: 12 * time.Hour, Absolute: 7 * 24 * time.Hour},
		SMTP:     SMTP{TLS: SMTPStartTLS, Timeout: 30 * time.Second, PollInterval: 2 * time.Second, Retry: []time.Duration{}},
		// An instant mail waits a minute at most; several comments in that minute make
		// one mail.
		Notifications: Notifications{SweepInterval: time.Minute},
		Import:        Import{MaxUploadBytes: 512 << 20},
	}
}

// Load reads the file at path (when path is not empty) over the defaults, then the
// environment through getenv. Unknown keys in the file are errors: a typo must not
// silently leave a default in place.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		// An empty file decodes to io.EOF: it means "no settings", not an error.
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// applyEnv overrides fields from WINNOW_* variables that are set and not empty.
func (c *Config) applyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"WINNOW_ADDR":          &c.Addr,
		"WINNOW_DATA_DIR":      &c.DataDir,
		"WINNOW_PUBLIC_URL":    &c.PublicURL,
		"WINNOW_DATABASE_URL":  &c.Database.URL,
		"WINNOW_REDIS_URL":     &c.Redis.URL,
		"WINNOW_LOG_LEVEL":     &c.Log.Level,
		"WINNOW_LOG_FORMAT":    &c.Log.Format,
		"WINNOW_SMTP_URL":      &c.SMTP.URL,
		"WINNOW_SMTP_HOST":     &c.SMTP.Host,
		"WINNOW_SMTP_USERNAME": &c.SMTP.Username,
		"WINNOW_SMTP_PASSWORD": &c.SMTP.Password,
		"WINNOW_SMTP_FROM":     &c.SMTP.From,
		"WINNOW_SMTP_TLS":      &c.SMTP.TLS,
		"WINNOW_METRICS_ADDR":  &c.Metrics.Addr,
		"WINNOW_METRICS_TOKEN": &c.Metrics.Token,
	}
	for name, p := range str {
		if v := getenv(name); v != "" {
			*p = v
		}
	}
	if v := getenv("WINNOW_TRUSTED_PROXIES"); v != "" {
		c.HTTP.TrustedProxies = strings.Split(v, ",")
	}
	if v := getenv("WINNOW_IPV6_PREFIX"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "/"))
		if err != nil {
			return fmt.Errorf("config: WINNOW_IPV6_PREFIX: %w", err)
		}
		c.HTTP.IPv6Prefix = n
	}
	if v := getenv("WINNOW_SMTP_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: WINNOW_SMTP_PORT: %w", err)
		}
		c.SMTP.Port = n
	}
	if v := getenv("WINNOW_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("config: WINNOW_MAX_BODY_BYTES: %w", err)
		}
		c.HTTP.MaxBodyBytes = n
	}
	if v := getenv("WINNOW_IMPORT_MAX_UPLOAD_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("config: WINNOW_IMPORT_MAX_UPLOAD_BYTES: %w", err)
		}
		c.Import.MaxUploadBytes = n
	}
	durations := map[string]*time.Duration{
		"WINNOW_SPAM_DISCARD_AFTER":           &c.Spam.DiscardAfter,
		"WINNOW_SPAM_LEARN_PUBLISHED_AFTER":   &c.Spam.LearnPublishedAfter,
		"WINNOW_SESSIONS_IDLE":                &c.Sessions.Idle,
		"WINNOW_SESSIONS_ABSOLUTE":            &c.Sessions.Absolute,
		"WINNOW_FORGET_ADDRESSES_AFTER":       &c.Privacy.ForgetAddressesAfter,
		"WINNOW_CDN_S_MAXAGE":                 &c.HTTP.CDNSMaxAge,
		"WINNOW_CDN_STALE_WHILE_REVALIDATE":   &c.HTTP.CDNStaleWhileRevalidate,
		"WINNOW_SMTP_TIMEOUT":                 &c.SMTP.Timeout,
		"WINNOW_SMTP_POLL_INTERVAL":           &c.SMTP.PollInterval,
		"WINNOW_NOTIFICATIONS_SWEEP_INTERVAL": &c.Notifications.SweepInterval,
	}
	for name, p := range durations {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("config: %s: %w", name, err)
			}
			*p = d
		}
	}
	if v := getenv("WINNOW_SMTP_RETRY"); v != "" {
		c.SMTP.Retry = nil
		for _, part := range strings.Split(v, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil {
				return fmt.Errorf("config: WINNOW_SMTP_RETRY: %w", err)
			}
			c.SMTP.Retry = append(c.SMTP.Retry, d)
		}
	}
	return c.Webhooks.applyEnv(getenv)
}

// applyEnv reads the WINNOW_WEBHOOKS_* variables.
func (w *Webhooks) applyEnv(getenv func(string) string) error {
	for name, p := range map[string]*time.Duration{"WINNOW_WEBHOOKS_TIMEOUT": &w.Timeout, "WINNOW_WEBHOOKS_POLL_INTERVAL": &w.PollInterval} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("config: %s: %w", name, err)
			}
			*p = d
		}
	}
	if v := getenv("WINNOW_WEBHOOKS_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: WINNOW_WEBHOOKS_WORKERS: %w", err)
		}
		w.Workers = n
	}
	if v := getenv("WINNOW_WEBHOOKS_RETRY"); v != "" {
		w.Retry = nil
		for _, part := range strings.Split(v, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil {
				return fmt.Errorf("config: WINNOW_WEBHOOKS_RETRY: %w", err)
			}
			w.Retry = append(w.Retry, d)
		}
	}
	if v := getenv("WINNOW_WEBHOOKS_ALLOW_PRIVATE_NETWORKS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("config: WINNOW_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: %w", err)
		}
		w.AllowPrivateNetworks = b
	}
	return nil
}

// minMetricsToken is the shortest metrics.token accepted: one that cannot be guessed
// by trying, since /metrics does not count wrong tokens.
const minMetricsToken = 16

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("config: addr %q: %w", c.Addr, err)
	}
	if a := c.Metrics.Addr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("config: metrics.addr %q: %w", a, err)
		}
		if _, port, _ := net.SplitHostPort(a); a == c.Addr && port != "0" {
			return fmt.Errorf("config: metrics.addr %q is addr too; leave metrics.addr empty to serve /metrics there", a)
		}
	}
	if t := c.Metrics.Token; t != "" && (len(t) < minMetricsToken || strings.TrimSpace(t) != t) {
		return fmt.Errorf("config: metrics.token must be at least %d characters, without blanks at either end (e.g. openssl rand -hex 32)", minMetricsToken)
	}
	if c.Database.URL == "" && c.DataDir == "" {
		return errors.New("config: data_dir is required when database.url is empty")
	}
	if u := c.Database.URL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return errors.New("config: database.url must be a postgres:// URL (leave it empty for SQLite)")
	}
	if u := c.Redis.URL; u != "" && !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
		return errors.New("config: redis.url must be a redis:// or rediss:// URL")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: public_url %q must be an http(s) URL", c.PublicURL)
		}
	}
	if _, err := c.HTTP.Proxies(); err != nil {
		return err
	}
	if c.HTTP.IPv6Prefix < 32 || c.HTTP.IPv6Prefix > 128 {
		return fmt.Errorf("config: http.ipv6_prefix %d must be between 32 and 128 (64: one client holds a /64)", c.HTTP.IPv6Prefix)
	}
	if c.HTTP.ThreadCacheBytes < 0 {
		return errors.New("config: http.thread_cache_bytes must not be negative")
	}
	for _, o := range []struct {
		name string
		d    time.Duration
	}{{"http.cdn_s_maxage", c.HTTP.CDNSMaxAge}, {"http.cdn_stale_while_revalidate", c.HTTP.CDNStaleWhileRevalidate}} {
		if o.d < 0 || o.d%time.Second != 0 {
			return fmt.Errorf("config: %s %s must be whole seconds, 0 or more (Cache-Control counts seconds)", o.name, o.d)
		}
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		return errors.New("config: http.max_body_bytes must be at least 1024")
	}
	if c.Import.MaxUploadBytes < 1024 {
		return errors.New("config: import.max_upload_bytes must be at least 1024")
	}
	if c.Webhooks.Workers < 1 || c.Webhooks.Workers > 256 {
		return errors.New("config: webhooks.workers must be between 1 and 256")
	}
	if c.Webhooks.Timeout <= 0 || c.Webhooks.PollInterval <= 0 {
		return errors.New("config: webhooks.timeout and webhooks.poll_interval must be positive")
	}
	for _, d := range c.Webhooks.Retry {
		if d <= 0 {
			return errors.New("config: webhooks.retry waits must be positive")
		}
	}
	if c.Spam.DiscardAfter < 0 {
		return errors.New("config: spam.discard_after must not be negative (0 keeps spam for ever)")
	}
	if c.Spam.LearnPublishedAfter < 0 {
		return errors.New("config: spam.learn_published_after must not be negative (0 turns it off)")
	}
	if c.Privacy.ForgetAddressesAfter < 0 {
		return errors.New("config: privacy.forget_addresses_after must not be negative (0 keeps addresses for ever)")
	}
	if c.Sessions.Idle <= 0 || c.Sessions.Absolute <= 0 {
		return errors.New("config: sessions.idle and sessions.absolute must be positive")
	}
	if c.Sessions.Idle > c.Sessions.Absolute {
		return errors.New("config: sessions.idle must not exceed sessions.absolute")
	}
	if c.SMTP.Enabled() {
		if _, err := c.SMTP.Resolved(); err != nil {
			return err
		}
	}
	if c.Notifications.SweepInterval <= 0 {
		return errors.New("config: notifications.sweep_interval must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log.level %q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		return fmt.Errorf("config: log.format %q must be json or text", c.Log.Format)
	}
	return nil
}

// DSN is the store's data source name: the PostgreSQL URL, or a SQLite file in DataDir.
func (c Config) DSN() string {
	if c.Database.URL != "" {
		return c.Database.URL
	}
	return "sqlite:" + c.SQLiteFile()
}

// SQLiteFile is the SQLite database's file in DataDir, which `winnow backup` copies
// and a restore replaces.
func (c Config) SQLiteFile() string {
	return filepath.Join(c.DataDir, "winnow.db")
}

// BaseURL is PublicURL without a trailing slash, or http://Addr.
func (c Config) BaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + c.Addr
}
