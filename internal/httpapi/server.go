// Package httpapi is winnow's JSON API (the public comment API, the moderator API, the
// sign-in and the operational endpoints) and the one route table of the whole HTTP
// surface: routes.go lists every route, the JSON API's and those of the two other
// front ends it mounts, the reader's pages (internal/pages) and the moderators'
// dashboard (internal/dashboard). Handlers decode, call the domain services and
// encode; what the three share (the error table, JSON and HTML writing, the site
// cache) is in internal/httpx.
package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/singleflight"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/akismet"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/dashboard"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/pages"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/webhook"
)

// Store is what the handlers read directly, and what the pages and the dashboard
// mounted here read (pages.Store, dashboard.Store); submissions, moderator actions and
// the management of sites, tokens, webhooks and accounts go through their services.
type Store interface {
	auth.TokenStore
	queueCounter
	Ping(ctx context.Context) error
	// Site is read by the public routes (through the site cache) and the dashboard.
	Site(ctx context.Context, id string) (site.Site, error)
	ThreadByKey(ctx context.Context, siteID, key string) (comment.Thread, error)
	ApprovedComments(ctx context.Context, threadID int64) ([]comment.Comment, error)
	Counts(ctx context.Context, siteID string, keys []string) (map[string]int, error)
	Comment(ctx context.Context, id int64) (comment.Comment, error)
	CommentsByID(ctx context.Context, ids []int64) ([]comment.Comment, error)
	Authors(ctx context.Context, siteID string, keys []string) (map[string]comment.Author, error)
	ListComments(ctx context.Context, q comment.Query) ([]comment.Comment, string, error)
	ListEvents(ctx context.Context, q comment.EventQuery) ([]comment.Event, string, error)
	// EventActors lists who acted on the scope's sites, for the audit log's filter.
	EventActors(ctx context.Context, scope []string) ([]string, error)
	Bans(ctx context.Context, scope []string, siteID string) ([]comment.Ban, error)
	DeleteBan(ctx context.Context, scope []string, id int64) error
}

// The front ends this server mounts read through the one Store it is given.
var (
	_ pages.Store     = Store(nil)
	_ dashboard.Store = Store(nil)
	_ dashboard.Admin = Admin(nil)
)

// Admin manages sites, API tokens, webhook endpoints and accounts (admin.Service):
// the rules are there, shared with the command line.
type Admin interface {
	Sites(ctx context.Context, p auth.Principal) ([]site.Site, error)
	Site(ctx context.Context, p auth.Principal, id string) (site.Site, error)
	CreateSite(ctx context.Context, p auth.Principal, site site.Site) (site.Site, error)
	UpdateSite(ctx context.Context, p auth.Principal, id string, change func(*site.Site) error) (site.Site, error)
	CreateToken(ctx context.Context, p auth.Principal, req admin.TokenRequest) (admin.Token, string, error)
	Tokens(ctx context.Context, p auth.Principal) ([]admin.Token, error)
	RevokeToken(ctx context.Context, p auth.Principal, id int64) error
	Users(ctx context.Context, p auth.Principal) ([]auth.User, error)
	AddUser(ctx context.Context, p auth.Principal, email string, role auth.Role, sites []string, password string) (auth.User, string, error)
	UpdateUser(ctx context.Context, p auth.Principal, id int64, c auth.UserChange) (auth.User, error)
	Webhooks(ctx context.Context, p auth.Principal, siteID string) ([]webhook.Endpoint, error)
	Webhook(ctx context.Context, p auth.Principal, id int64) (webhook.Endpoint, error)
	CreateWebhook(ctx context.Context, p auth.Principal, w webhook.Endpoint) (webhook.Endpoint, error)
	UpdateWebhook(ctx context.Context, p auth.Principal, id int64, change func(*webhook.Endpoint) error) (webhook.Endpoint, error)
	RotateWebhook(ctx context.Context, p auth.Principal, id int64) (webhook.Endpoint, error)
	DeleteWebhook(ctx context.Context, p auth.Principal, id int64) error
	PingWebhook(ctx context.Context, p auth.Principal, id int64) (webhook.Delivery, error)
	Deliveries(ctx context.Context, p auth.Principal, id int64, status webhook.DeliveryStatus, cursor string, limit int) (webhook.Endpoint, []webhook.Delivery, string, error)
	// Installs lists what the widget reported from each origin of a site.
	Installs(ctx context.Context, p auth.Principal, siteID string) ([]site.Install, error)
	Redeliver(ctx context.Context, p auth.Principal, id, delivery int64) (webhook.Delivery, error)
	IssueAkismetKey(ctx context.Context, p auth.Principal, id string) (string, error)
	RevokeAkismetKey(ctx context.Context, p auth.Principal, id string) error
	AkismetKeyIssued(ctx context.Context, p auth.Principal, id string) (time.Time, error)
}

// Akismet answers the Akismet-compatible API (akismet.Service).
type Akismet interface {
	Verify(ctx context.Context, r akismet.Request) (site.Site, error)
	Check(ctx context.Context, r akismet.Request) (akismet.Answer, error)
	Report(ctx context.Context, r akismet.Request, isSpam bool) error
}

// Submitter runs the submit pipeline (intake.Service).
type Submitter interface {
	Submit(ctx context.Context, site site.Site, sub comment.Submission, meta intake.Meta) (intake.Result, error)
	FormToken(siteID, thread string) (string, error)
	Edit(ctx context.Context, id int64, token, body string, meta intake.Meta) (intake.Result, error)
	Delete(ctx context.Context, id int64, token string) error
}

// Moderator applies moderator decisions (moderation.Service).
type Moderator interface {
	Apply(ctx context.Context, req moderation.Request) ([]comment.Comment, error)
	Ban(ctx context.Context, req moderation.BanRequest) (comment.Ban, error)
	Undo(ctx context.Context, req moderation.UndoRequest) ([]comment.Comment, error)
	Edit(ctx context.Context, req moderation.EditRequest) (comment.Comment, error)
	Reply(ctx context.Context, req moderation.ReplyRequest) (comment.Comment, error)
}

// Limiter counts requests against GCRA rates (ratelimit.Local, ratelimit.Fallback);
// the server reports its health.
type Limiter interface {
	AllowN(ctx context.Context, key string, r site.Rate, n int) (ratelimit.Result, error)
}

// Guard limits guessing at credentials (auth.Guard).
type Guard interface {
	// Token authenticates a bearer token, counting a wrong one against client.
	Token(ctx context.Context, store auth.TokenStore, plain, client string) (auth.Principal, error)
	// Guess counts one guess at a credential (a setup form) from client.
	Guess(ctx context.Context, client string) error
}

// limiterHealth is what a limiter backed by Redis reports (ratelimit.Fallback).
type limiterHealth interface {
	Degraded() bool
	LocalDecisions() uint64
	Outages() uint64
}

// Deps is everything the server needs, passed in by cmd/winnow.
type Deps struct {
	Store     Store
	Admin     Admin
	Submitter Submitter
	Moderator Moderator
	// Commenters exports and erases one commenter's data (moderation.Commenters); nil
	// answers those routes with 404.
	Commenters Commenters
	// Akismet answers the Akismet-compatible API under /1.1/; nil serves none.
	Akismet Akismet
	// Accounts signs moderators in with a password and a session cookie (auth.Accounts);
	// nil serves API tokens only.
	Accounts Accounts
	// Limiter is the rate limiter, for /readyz and /metrics.
	Limiter Limiter
	// Guard limits guessing at API tokens and the setup link (sign-ins are limited by
	// Accounts); nil limits nothing.
	Guard Guard
	// Secret keys the hashes of client addresses used as limiter keys.
	Secret []byte
	// TrustedProxies are the peers whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// IPv6Prefix is the IPv6 network that counts as one client for the limits on
	// wrong credentials (comment.AddressPrefix); 0 means comment.DefaultIPv6Prefix.
	IPv6Prefix int
	Logger     *slog.Logger
	// Registry receives the server's metrics; Gatherer serves /metrics.
	Registry prometheus.Registerer
	Gatherer prometheus.Gatherer
	// Metrics says where and to whom /metrics is served.
	Metrics MetricsOptions
	// BaseURL is how browsers reach winnow (for absolute avatar URLs).
	BaseURL string
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64
	// ThreadCacheBytes bounds the cache of rendered thread pages.
	ThreadCacheBytes int
	// Threads caches thread rows between change notices from the store; nil reads
	// every thread row from the database.
	Threads *ThreadCache
	// SharedCache is how long a CDN may serve thread and count answers.
	SharedCache SharedCache
	// DiscardSpamAfter is how long spam is kept before it is deleted (0: for ever);
	// the queue tells moderators when each spam comment goes.
	DiscardSpamAfter time.Duration
	// Mail carries out the links in winnow's mails and MailSettings keeps how each
	// account hears of waiting comments (notify.Service); both nil while mail is off.
	Mail          pages.MailLinks
	MailSettings  MailSettings
	Subscriptions pages.SubscriptionLinks
	Passwords     pages.PasswordLinks
	// Importer and Exporter bring a site's comments in and take them out (the
	// admins' import and export); nil answers those routes 404.
	Importer Importer
	Exporter Exporter
	// MaxUploadBytes caps an import's upload (import.max_upload_bytes), in place of
	// MaxBodyBytes.
	MaxUploadBytes int64
	// Installs takes the widgets' reports about the pages they run on (admin.InstallLog);
	// nil drops them.
	Installs InstallReports
	Now      func() time.Time
}

// InstallReports gathers what widgets report for the site page's installation panel.
type InstallReports interface {
	Report(in site.Install)
}

type server struct {
	store      Store
	admin      Admin
	submitter  Submitter
	moderator  Moderator
	importer   Importer
	exporter   Exporter
	maxUpload  int64
	akismet    Akismet
	commenters Commenters
	accounts   Accounts
	limiter    Limiter
	guard      Guard
	secret     []byte
	proxies    []netip.Prefix
	log        *slog.Logger
	metrics    *metrics
	pages      *pageCache
	renders    singleflight.Group // thread pages being rendered, by ETag
	threads    *ThreadCache
	// readCache is the Cache-Control of thread and count answers (SharedCache), as a
	// header's values.
	readCache []string
	sites     *httpx.SiteCache
	gatherer  prometheus.Gatherer
	metricsAt MetricsOptions
	baseURL   string
	// ownOrigin is the origin of baseURL, winnow's own pages' (httpx.Origin).
	ownOrigin string
	maxBody   int64
	now       func() time.Time
	v6bits    int
	// mailSettings is nil while mail is off.
	mailSettings MailSettings
	installs     InstallReports
	// reader is the no-JS thread page and the widget's files; dash the dashboard.
	reader *pages.Pages
	dash   *dashboard.Dashboard
}

// NewServer returns the whole HTTP surface as one handler.
func NewServer(d Deps) http.Handler {
	s := &server{
		store: d.Store, admin: d.Admin, submitter: d.Submitter, moderator: d.Moderator, akismet: d.Akismet, commenters: d.Commenters, accounts: d.Accounts, log: d.Logger,
		limiter: d.Limiter, secret: d.Secret, proxies: d.TrustedProxies,
		metrics: newMetrics(d.Registry, d.Store, d.Limiter), pages: newPageCache(d.ThreadCacheBytes), threads: d.Threads, gatherer: d.Gatherer,
		metricsAt: d.Metrics,
		baseURL:   d.BaseURL, maxBody: d.MaxBodyBytes, now: d.Now, installs: d.Installs,
		v6bits: d.IPv6Prefix, readCache: []string{d.SharedCache.header()}, ownOrigin: httpx.Origin(d.BaseURL), mailSettings: d.MailSettings,
		importer: d.Importer, exporter: d.Exporter, maxUpload: d.MaxUploadBytes,
	}
	if s.guard = d.Guard; s.guard == nil {
		s.guard = auth.NewGuard(nil, d.Secret, d.Now)
	}
	s.sites = httpx.NewSiteCache(d.Store.Site, d.Now)
	var err error
	if s.reader, err = pages.New(pages.Deps{Store: d.Store, Forms: d.Submitter, Sites: s.sites, BaseURL: d.BaseURL, Logger: d.Logger, Mail: d.Mail, Subscriptions: d.Subscriptions, Passwords: d.Passwords}); err != nil {
		panic(err) // the pages' files are embedded: a build mistake
	}
	if s.dash, err = dashboard.New(dashboard.Deps{Store: d.Store, Admin: d.Admin, Sessions: d.Accounts, Assets: s.reader, BaseURL: d.BaseURL,
		DiscardSpamAfter: d.DiscardSpamAfter, Mail: dashboardMail(d.MailSettings), Now: d.Now, Logger: d.Logger}); err != nil {
		panic(err) // the templates are embedded: a build mistake
	}
	return s.routes()
}

// dashboardMail is m for the dashboard, or a nil interface when m is nil (a nil
// MailSettings in a non-nil dashboard.MailSettings would say mail is on).
func dashboardMail(m MailSettings) dashboard.MailSettings {
	if m == nil {
		return nil
	}
	return m
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 503 while the database cannot be reached, so a load balancer sends
// traffic elsewhere; the process itself stays up and recovers on its own. A Redis
// outage is reported but stays 200: comments still flow, under per-replica limits.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	out := map[string]string{"status": "ok", "database": "ok", "rate_limits": "local"}
	status := http.StatusOK
	if h, ok := s.limiter.(limiterHealth); ok {
		out["rate_limits"] = "redis"
		if h.Degraded() {
			out["status"], out["rate_limits"] = "degraded", "local (redis unreachable)"
		}
	}
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness: database unreachable", slog.String("error", err.Error()))
		out["status"], out["database"], status = "unavailable", "unreachable", http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
}

// MetricsOptions place /metrics. The series name no private data, but they tell how
// busy a site is and how its moderators work, which an operator may keep to a
// monitoring network (Elsewhere) or to scrapers that know a token (Token).
type MetricsOptions struct {
	// Elsewhere takes /metrics off the main listener (404 there): the caller serves
	// MetricsHandler on a listener of its own (config metrics.addr).
	Elsewhere bool
	// Token, when set, is the bearer token a scrape must send.
	Token string
}

// MetricsHandler serves the Prometheus exposition of g; with a token, only to
// requests with "Authorization: Bearer <token>" (401 otherwise).
func MetricsHandler(g prometheus.Gatherer, token string) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(plain))
		// Compared as hashes, so the time taken says nothing about the token's length.
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="winnow metrics"`)
			http.Error(w, "metrics need Authorization: Bearer <metrics.token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
