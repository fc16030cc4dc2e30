// Package httpapitest builds winnow's whole HTTP surface (httpapi.NewServer, with the
// pages and the dashboard it mounts from its one route table) on a real SQLite store,
// for the httptest tests of the three front ends. It wires the services as cmd/winnow
// does, without the background work (change notices, model sync, webhook delivery),
// and gives the tests the three kinds of caller: nobody, a signed-in admin's browser
// session, and an admin API token.
package httpapitest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/akismet"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpapi"
	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

// Caller is who sends a request.
type Caller int

// The callers of a request: nobody, an admin's browser session (cookie and CSRF
// token) and an admin API token.
const (
	Nobody Caller = iota
	Session
	Token
)

func (c Caller) String() string {
	return [...]string{"signed out", "session", "token"}[c]
}

// Env is a server with a site "blog" (its rate limits lifted), a comment on its thread "/p", a webhook
// endpoint, an admin account signed in and an admin API token.
type Env struct {
	t       testing.TB
	Handler http.Handler
	Store   *sqlstore.Store
	// Admin is the admin service the server uses; Model the spam model its scorer
	// reads and its moderators and Akismet reports teach.
	Admin *admin.Service
	Model *spam.Model
	// Token is an admin API token; SessionID and CSRF the admin's session cookie and
	// its CSRF token.
	Token, SessionID, CSRF string
	// Comment is the id of the comment on blog's thread "/p"; Webhook the endpoint's.
	Comment, Webhook int64
}

// BaseURL is where the test server says browsers reach it.
const BaseURL = "http://winnow.test"

// New builds the server on a fresh SQLite database.
func New(t testing.TB) *Env {
	t.Helper()
	return NewOn(t, sqlstoretest.SQLiteDSN(t))
}

// NewOn builds the server on a fresh database at dsn (sqlstoretest.SQLiteDSN or
// PostgresDSN), for the tests that run on both engines.
func NewOn(t testing.TB, dsn string) *Env {
	t.Helper()
	ctx := context.Background()
	st := sqlstoretest.Open(t, dsn)
	secret, err := st.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	limiter := ratelimit.NewLocal(now)
	guard := auth.NewGuard(limiter, secret, now)
	accounts, err := auth.NewAccounts(st, now, auth.Options{Guard: guard})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := spam.BuiltinSeed()
	if err != nil {
		t.Fatal(err)
	}
	model := spam.NewModel(st, log).WithSeed(seed)
	if err := model.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sanitizer := sanitize.New()
	adm := admin.New(st, now, admin.Options{AllowPrivateNetworks: true, Accounts: accounts})
	counters := intake.Counters{Limits: limiter, Nonces: ratelimit.NewNonces(limiter), Distinct: ratelimit.NewDistinct(limiter)}
	submitter := intake.NewService(st, counters, sanitizer, spam.NewModelScorer(model), secret, 0, BaseURL, now)
	reg := prometheus.NewRegistry()
	e := &Env{t: t, Store: st, Admin: adm, Model: model, Handler: httpapi.NewServer(httpapi.Deps{
		Store: st, Admin: adm, Submitter: submitter,
		Akismet:    akismet.New(st, st.Site, submitter, model, guard, secret, now),
		Moderator:  moderation.NewService(st, model, sanitizer, secret, 0, BaseURL, log, now),
		Commenters: moderation.NewCommenters(st, model, secret, BaseURL, log, now),
		Accounts:   accounts, Limiter: limiter, Guard: guard, Secret: secret, Logger: log,
		Registry: reg, Gatherer: reg, BaseURL: BaseURL, MaxBodyBytes: 1 << 20, ThreadCacheBytes: 1 << 20,
		DiscardSpamAfter: 30 * 24 * time.Hour, Threads: httpapi.NewThreadCache(now), Now: now,
		Importer: importer.New(st, model, sanitizer, secret, 0, now), Exporter: importer.NewExporter(st, now), MaxUploadBytes: 1 << 20,
		SharedCache: httpapi.SharedCache{MaxAge: 5 * time.Second, StaleWhileRevalidate: 30 * time.Second}, // config's defaults
	})}

	op := admin.Operator()
	// The limits are lifted: every test request comes from one address and one author.
	lifted := site.Rate{Count: 100000, Period: time.Second, Burst: 100000}
	blog, err := adm.CreateSite(ctx, op, site.Site{ID: "blog", Name: "Blog", Origins: []string{"https://blog.example"},
		Limits: site.RateLimits{IP: lifted, Email: lifted, Thread: lifted, Site: lifted}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Token, err = adm.FirstToken(ctx); err != nil || e.Token == "" {
		t.Fatalf("first token: %q %v", e.Token, err)
	}
	const email, password = "admin@example.org", "a long enough password"
	if _, _, err := adm.AddUser(ctx, op, email, auth.RoleAdmin, nil, password); err != nil {
		t.Fatal(err)
	}
	in, err := accounts.SignIn(ctx, auth.LoginRequest{Email: email, Password: password, Client: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.SessionID, e.CSRF = in.Session, auth.CSRFToken(in.Session)
	res, err := submitter.Submit(ctx, blog, comment.Submission{Thread: "/p", ThreadTitle: "A post",
		AuthorName: "Reader", AuthorEmail: "reader@example.org", Body: "A thoughtful comment."}, intake.Meta{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	e.Comment = res.Comment.ID
	hook, err := adm.CreateWebhook(ctx, op, webhook.Endpoint{SiteID: "blog", URL: "http://127.0.0.1:9/hook"})
	if err != nil {
		t.Fatal(err)
	}
	e.Webhook = hook.ID
	return e
}

// Do sends one request as caller; a body is sent as JSON unless ctype says otherwise.
func (e *Env) Do(caller Caller, method, path, ctype, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	r.RemoteAddr = "192.0.2.9:1234"
	if body != "" {
		if ctype == "" {
			ctype = "application/json"
		}
		r.Header.Set("Content-Type", ctype)
	}
	switch caller {
	case Session:
		r.AddCookie(&http.Cookie{Name: "winnow_session", Value: e.SessionID})
		r.Header.Set("X-CSRF-Token", e.CSRF)
	case Token:
		r.Header.Set("Authorization", "Bearer "+e.Token)
	}
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, r)
	return w
}
