// Package pages is the reader's side of winnow that winnow serves itself: the widget's
// files (embed.js, embed.css, count.js, and the dashboard's admin.js and admin.css under
// their content-hashed /static/ names) and the thread page that works without
// JavaScript, /t/{site}. Its form posts to the JSON API's one submit handler, which
// asks this package (CheckPost, Refused, PostedURL) how to answer a page's form.
package pages

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/i18n"
	"github.com/winnow/winnow/web"
)

// Store is what the thread page reads.
type Store interface {
	ThreadByKey(ctx context.Context, siteID, key string) (comment.Thread, error)
	ApprovedComments(ctx context.Context, threadID int64) ([]comment.Comment, error)
	// CommentsByID reads the deleted comments replies hang from (httpx.WithStubs).
	CommentsByID(ctx context.Context, ids []int64) ([]comment.Comment, error)
	// ListComments finds the held comments whose claim names a thread that has no
	// published comment yet.
	ListComments(ctx context.Context, q comment.Query) ([]comment.Comment, string, error)
}

// Forms signs the thread page's form (intake.Service), as the widget's form is signed.
type Forms interface {
	FormToken(siteID, thread string) (string, error)
}

// Deps is what the pages need, passed in by the server that mounts them.
type Deps struct {
	Store Store
	Forms Forms
	// Sites is the server's site cache, shared with the JSON API.
	Sites *httpx.SiteCache
	// BaseURL is how browsers reach winnow (its origin may serve images to the page).
	BaseURL string
	Logger  *slog.Logger
	// Mail carries out the links in winnow's mails; nil while mail is off (the
	// link pages then say so).
	Mail MailLinks
	// Subscriptions carries out readers' confirmation and unsubscribe links; nil
	// while mail is off (and the thread page offers no reply mails).
	Subscriptions SubscriptionLinks
	// Passwords carries out the links that set an account's password; nil while
	// mail is off.
	Passwords PasswordLinks
}

// Pages serves what browsers load from winnow itself: the widget's files and the
// thread page that works without JavaScript. Its handlers are mounted by the route
// table (httpapi's routes.go).
type Pages struct {
	store Store
	forms Forms
	mail  MailLinks
	subs  SubscriptionLinks
	// passwords is nil while mail is off.
	passwords PasswordLinks
	sites     *httpx.SiteCache
	baseURL   string
	log       *slog.Logger
	assets    *assets
	// catalogs are every language's messages; thread and missing hold the pages'
	// templates by language, with t (a text) and n (a counted text) speaking it.
	catalogs *i18n.Catalogs
	thread   map[string]*template.Template
	// missing is the page for a link that names no site or no thread.
	missing map[string]*template.Template
	// csp is the pages' Content-Security-Policy (pageCSP), written once.
	csp string
}

// New prepares the widget's files (hashed and gzipped once) and the thread page's
// template. Both are embedded, so an error is a build mistake.
func New(d Deps) (*Pages, error) {
	cats, err := i18n.Load(web.I18n())
	if err != nil {
		return nil, err
	}
	a, err := newAssets(cats)
	if err != nil {
		return nil, err
	}
	t, err := template.New("thread.html").Funcs(template.FuncMap{
		// body_html is bluemonday's output, sanitized when the comment was stored.
		"trusted":  func(h string) template.HTML { return template.HTML(h) },
		"replyURL": func(id int64) string { return "" },
		"t":        func(key string, pairs ...any) string { return key },
		"n":        func(key string, n int, pairs ...any) string { return key },
		"date":     func(t time.Time) string { return "" },
	}).ParseFS(web.Templates(), "thread.html")
	if err != nil {
		return nil, err
	}
	missing, err := template.New("missing").Funcs(template.FuncMap{"t": func(key string) string { return key }}).Parse(missingPage)
	if err != nil {
		return nil, err
	}
	p := &Pages{store: d.Store, forms: d.Forms, mail: d.Mail, subs: d.Subscriptions, passwords: d.Passwords, sites: d.Sites, baseURL: d.BaseURL, log: d.Logger, assets: a, catalogs: cats, csp: pageCSP(d.BaseURL),
		thread: map[string]*template.Template{}, missing: map[string]*template.Template{}}
	for _, lang := range cats.Langs() {
		c := cats.Lang(lang)
		funcs := template.FuncMap{"t": c.T, "n": c.N, "date": dateIn(lang)}
		tc, err := t.Clone()
		if err != nil {
			return nil, err
		}
		mc, err := missing.Clone()
		if err != nil {
			return nil, err
		}
		p.thread[lang] = tc.Funcs(funcs)
		p.missing[lang] = mc.Funcs(template.FuncMap{"t": func(key string) string { return c.T(key) }})
	}
	return p, nil
}

// dateIn formats a comment's time for the thread page: in English with the month's
// name, in the other languages in the ISO order every reader knows, so no month
// name is left untranslated.
func dateIn(lang string) func(time.Time) string {
	layout := "2006-01-02 15:04 UTC"
	if lang == i18n.Default {
		layout = "2 Jan 2006, 15:04 UTC"
	}
	return func(t time.Time) string { return t.UTC().Format(layout) }
}

// Catalogs are the message catalogs the pages speak, which the dashboard speaks too.
func (p *Pages) Catalogs() *i18n.Catalogs { return p.catalogs }

// Catalog serves /i18n/{file}: a language's messages for the widget, de.json or its
// content-hashed de.<hash>.json.
func (p *Pages) Catalog(w http.ResponseWriter, r *http.Request) { p.assets.catalog(p.log)(w, r) }

// AssetURL is the immutable, content-hashed URL of one of the files served here by
// its plain name ("embed.css", "admin.js"), for pages that link them.
func (p *Pages) AssetURL(name string) string { return p.assets.url(name) }

// WidgetVersion is the build of the widget served now, which widgets report back; the
// site page marks reports from another build as outdated copies.
func (p *Pages) WidgetVersion() string { return p.assets.widgetVersion }

// Asset serves a file under its plain name (/embed.js) with a short cache.
func (p *Pages) Asset(name string) http.HandlerFunc { return p.assets.plain(name) }

// Static serves /static/{file}, the files under their content-hashed names.
func (p *Pages) Static(w http.ResponseWriter, r *http.Request) { p.assets.static(p.log)(w, r) }
