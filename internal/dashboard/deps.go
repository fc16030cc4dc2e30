// Package dashboard is the moderators' pages, rendered on the server: the sign-in page,
// the queue, a comment's page, the bans, the audit log and, for admins, the sites'
// settings, their webhooks and the accounts. The pages only read; admin.js changes
// things through the JSON API (internal/httpapi) with the session cookie and its CSRF
// token. They are the only pages that show a commenter's email and address, and only
// to a signed-in moderator of the comment's site.
package dashboard

import (
	"context"
	"html/template"
	"log/slog"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/i18n"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/webhook"
	"github.com/winnow/winnow/web"
)

// Store is what the pages read directly.
type Store interface {
	Site(ctx context.Context, id string) (site.Site, error)
	ThreadByKey(ctx context.Context, siteID, key string) (comment.Thread, error)
	Comment(ctx context.Context, id int64) (comment.Comment, error)
	CommentsByID(ctx context.Context, ids []int64) ([]comment.Comment, error)
	Authors(ctx context.Context, siteID string, keys []string) (map[string]comment.Author, error)
	ListComments(ctx context.Context, q comment.Query) ([]comment.Comment, string, error)
	ListEvents(ctx context.Context, q comment.EventQuery) ([]comment.Event, string, error)
	EventActors(ctx context.Context, scope []string) ([]string, error)
	Bans(ctx context.Context, scope []string, siteID string) ([]comment.Ban, error)
}

// Admin reads sites, webhooks and accounts as the signed-in user may see them
// (admin.Service).
type Admin interface {
	Sites(ctx context.Context, p auth.Principal) ([]site.Site, error)
	Site(ctx context.Context, p auth.Principal, id string) (site.Site, error)
	Users(ctx context.Context, p auth.Principal) ([]auth.User, error)
	Webhooks(ctx context.Context, p auth.Principal, siteID string) ([]webhook.Endpoint, error)
	Webhook(ctx context.Context, p auth.Principal, id int64) (webhook.Endpoint, error)
	Deliveries(ctx context.Context, p auth.Principal, id int64, status webhook.DeliveryStatus, cursor string, limit int) (webhook.Endpoint, []webhook.Delivery, string, error)
	// AkismetKeyIssued is when the site's Akismet-compatible API key was issued
	// (zero: it has none); the key itself is never kept.
	AkismetKeyIssued(ctx context.Context, p auth.Principal, id string) (time.Time, error)
	Installs(ctx context.Context, p auth.Principal, siteID string) ([]site.Install, error)
}

// Sessions tells who a session cookie belongs to (auth.Accounts).
type Sessions interface {
	Authenticate(ctx context.Context, session string) (auth.Principal, error)
}

// Assets names the pages' script and style by their content-hashed URLs (pages.Pages,
// which serves them).
type Assets interface {
	AssetURL(name string) string
	// WidgetVersion is the widget's build served now, to tell outdated copies.
	WidgetVersion() string
	// Catalogs are the messages in every language winnow speaks, the widget's too.
	Catalogs() *i18n.Catalogs
}

// Deps is what the dashboard needs, passed in by the server that mounts it.
type Deps struct {
	Store Store
	Admin Admin
	// Sessions is nil when winnow serves API tokens only: then no page opens.
	Sessions Sessions
	Assets   Assets
	// BaseURL is how browsers reach winnow, for the embed snippet a site page shows.
	BaseURL string
	// DiscardSpamAfter is how long spam is kept (0: for ever); the queue says when
	// each spam comment goes.
	DiscardSpamAfter time.Duration
	// Mail reads accounts' mail settings; nil while the server sends no mail.
	Mail   MailSettings
	Now    func() time.Time
	Logger *slog.Logger
}

// Dashboard serves the moderators' pages. Its handlers are mounted by the route table
// (httpapi's routes.go).
type Dashboard struct {
	store        Store
	admin        Admin
	accounts     Sessions
	assets       Assets
	baseURL      string
	discardAfter time.Duration
	mail         MailSettings
	now          func() time.Time
	log          *slog.Logger
	// catalogs choose a page's language; tmpl are the pages by language, with t (a
	// text), n (a counted text), lang and dir speaking it.
	catalogs *i18n.Catalogs
	tmpl     map[string]*template.Template
}

// New parses the dashboard's templates, which are embedded: an error is a build mistake.
func New(d Deps) (*Dashboard, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"t":    func(key string, pairs ...any) string { return key },
		"n":    func(key string, n int, pairs ...any) string { return key },
		"lang": func() string { return "" },
		"dir":  func() string { return "" },
	}).ParseFS(web.Templates(), "admin_layout.html", "admin_login.html", "admin_queue.html", "admin_bans.html",
		"admin_error.html", "admin_sites.html", "admin_site.html", "admin_webhook.html", "admin_log.html", "admin_comment.html", "admin_users.html", "admin_mail.html")
	if err != nil {
		return nil, err
	}
	cats := d.Assets.Catalogs()
	dash := &Dashboard{store: d.Store, admin: d.Admin, accounts: d.Sessions, assets: d.Assets, baseURL: d.BaseURL,
		discardAfter: d.DiscardSpamAfter, mail: d.Mail, now: d.Now, log: d.Logger, catalogs: cats, tmpl: map[string]*template.Template{}}
	for _, lang := range cats.Langs() {
		c := cats.Lang(lang)
		tc, err := t.Clone()
		if err != nil {
			return nil, err
		}
		dash.tmpl[lang] = tc.Funcs(template.FuncMap{"t": c.T, "n": c.N,
			"lang": func() string { return c.Lang }, "dir": func() string { return c.Dir }})
	}
	return dash, nil
}
