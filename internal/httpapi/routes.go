package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes is the whole HTTP surface in one place: the JSON API's routes, the reader's
// pages (s.reader, internal/pages) and the moderators' dashboard (s.dash,
// internal/dashboard). No front end registers routes of its own.
func (s *server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = s.observe(unmatched, s.maxBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &httpError{Status: http.StatusNotFound, Code: "not_found", Message: "no such endpoint"})
	}))
	r.MethodNotAllowedHandler = s.observe(unmatched, s.maxBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &httpError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed here"})
	}))

	// Public, CORS-limited to each site's origins. Every route hangs off the root router:
	// a gorilla/mux subrouter answers 404 where 405 is right. They come first, the
	// thread read at the top: mux tries the routes in this order, and these are asked
	// most. (Their paths share nothing with the operational routes after them, so
	// the order changes no answer.)
	r.HandleFunc("/api/v1/sites/{site}/comments", s.threadComments).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/sites/{site}/comments", s.submitHandler(nil)).Methods(http.MethodPost)
	r.HandleFunc("/api/v1/sites/{site}/counts", s.counts).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/sites/{site}/form", s.form).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/sites/{site}/widget-reports", s.widgetReport).Methods(http.MethodPost)
	r.HandleFunc("/api/v1/sites/{site}/{rest:.*}", s.preflight).Methods(http.MethodOptions)
	r.HandleFunc("/api/v1/comments/{id:[0-9]+}", s.editComment).Methods(http.MethodPatch)
	r.HandleFunc("/api/v1/comments/{id:[0-9]+}", s.deleteOwnComment).Methods(http.MethodDelete)
	r.HandleFunc("/api/v1/comments/{id:[0-9]+}", s.commentPreflight).Methods(http.MethodOptions)
	r.HandleFunc("/api/v1/avatars/{hash:[0-9a-f]{32}}.svg", s.avatar).Methods(http.MethodGet, http.MethodHead)

	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	if !s.metricsAt.Elsewhere {
		r.Handle("/metrics", MetricsHandler(s.gatherer, s.metricsAt.Token)).Methods(http.MethodGet)
	}

	// The Akismet-compatible API (internal/akismet), for WordPress and every other
	// Akismet client: any host, since clients put the key in the host's first label.
	if s.akismet != nil {
		r.HandleFunc("/1.1/verify-key", s.akismetVerify).Methods(http.MethodPost)
		r.HandleFunc("/1.1/comment-check", s.akismetCheck).Methods(http.MethodPost)
		r.HandleFunc("/1.1/submit-spam", s.akismetReport(true)).Methods(http.MethodPost)
		r.HandleFunc("/1.1/submit-ham", s.akismetReport(false)).Methods(http.MethodPost)
	}

	// The reader's pages (internal/pages): the widget's files under their plain names
	// and, with the dashboard's, under content-hashed names; the thread page without
	// JavaScript, whose form posts to the one submit handler.
	for _, name := range []string{"embed.js", "embed.css", "count.js"} {
		r.HandleFunc("/"+name, s.reader.Asset(name)).Methods(http.MethodGet, http.MethodHead)
	}
	r.HandleFunc("/static/{file}", s.reader.Static).Methods(http.MethodGet, http.MethodHead)
	// The widget's message catalogs, one per language (internal/i18n): de.json with a
	// short cache, de.<hash>.json (what embed.js asks for) for a year.
	r.HandleFunc("/i18n/{file}", s.reader.Catalog).Methods(http.MethodGet, http.MethodHead)
	// Browsers ask for /favicon.ico by themselves; every browser winnow supports reads
	// the SVG it is given there (pages name its hashed copy with <link rel="icon">).
	r.HandleFunc("/favicon.ico", s.reader.Asset("favicon.svg")).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/t/{site}", s.reader.ThreadPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/t/{site}", s.submitHandler(s.reader)).Methods(http.MethodPost)

	// The pages the links in winnow's mails open (internal/pages): each asks, and
	// acts only on a POST.
	r.HandleFunc("/mail/moderate", s.reader.ModerateLink).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/mail/moderate", s.reader.ModerateLinkPost).Methods(http.MethodPost)
	r.HandleFunc("/mail/reset", s.reader.ResetRequest).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/mail/reset", s.reader.ResetRequestPost).Methods(http.MethodPost)
	r.HandleFunc("/mail/password", s.reader.PasswordLink).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/mail/password", s.reader.PasswordLinkPost).Methods(http.MethodPost)
	for _, path := range []string{"/mail/confirm", "/mail/unsubscribe"} {
		r.HandleFunc(path, s.reader.SubscriptionLink).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc(path, s.reader.SubscriptionLinkPost).Methods(http.MethodPost)
	}

	// The moderators' dashboard (internal/dashboard): pages that only read; admin.js
	// changes things through /api/v1/admin with the session's CSRF token.
	page := func(path string, h http.HandlerFunc) {
		r.HandleFunc(path, h).Methods(http.MethodGet, http.MethodHead)
	}
	r.Handle("/admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently)).Methods(http.MethodGet, http.MethodHead)
	page("/admin/", s.dash.Queue)
	page("/admin/login", s.dash.Login)
	page("/admin/log", s.dash.AuditLog)
	page("/admin/bans", s.dash.BansPage)
	page("/admin/comments/{id:[0-9]+}", s.dash.CommentPage)
	page("/admin/sites", s.dash.SitesPage)
	page("/admin/sites/{site}", s.dash.SitePage)
	page("/admin/sites/{site}/webhooks/{id:[0-9]+}", s.dash.WebhookPage)
	page("/admin/users", s.dash.UsersPage)
	page("/admin/mail", s.dash.MailPage)

	// The description of this API (web/api/openapi.json).
	r.HandleFunc("/api/openapi.json", s.openAPI).Methods(http.MethodGet, http.MethodHead)

	// Moderator accounts: password sign-in to a session cookie, and first-run setup.
	r.HandleFunc("/api/v1/auth/login", s.login).Methods(http.MethodPost)
	r.Handle("/api/v1/auth/logout", s.authenticate(http.HandlerFunc(s.logout))).Methods(http.MethodPost)
	r.Handle("/api/v1/auth/session", s.authenticate(http.HandlerFunc(s.whoami))).Methods(http.MethodGet)
	r.Handle("/api/v1/auth/sessions/revoke", s.authenticate(http.HandlerFunc(s.revokeSessions))).Methods(http.MethodPost)
	r.HandleFunc("/admin/setup", s.setupForm).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/admin/setup", s.setupSubmit).Methods(http.MethodPost)

	// Moderators and admins, with a bearer token or a session cookie. What only admins
	// may do, the admin service refuses to anyone else (403); requireAdmin asks the same
	// rule (admin.Manage) early on the routes that read a body first, so that the body
	// cannot change a moderator's answer, and on import and export, whose services
	// (internal/importer) take no principal.
	adm := func(path string, h http.HandlerFunc) *mux.Route {
		return r.Handle("/api/v1/admin"+path, s.authenticate(h))
	}
	adm("/comments", s.listComments).Methods(http.MethodGet)
	adm("/comments/bulk", s.bulkAction).Methods(http.MethodPost)
	adm("/comments/undo", s.undo).Methods(http.MethodPost)
	adm("/comments/{id:[0-9]+}", s.getComment).Methods(http.MethodGet)
	adm("/comments/{id:[0-9]+}", s.moderatorEdit).Methods(http.MethodPatch)
	adm("/comments/{id:[0-9]+}", s.deleteComment).Methods(http.MethodDelete)
	// Before {action}, which would take "reply" for a decision.
	adm("/comments/{id:[0-9]+}/reply", s.reply).Methods(http.MethodPost)
	adm("/comments/{id:[0-9]+}/{action}", s.commentAction).Methods(http.MethodPost)
	adm("/account/mail", s.getMailSettings).Methods(http.MethodGet)
	adm("/account/mail", s.patchMailSettings).Methods(http.MethodPatch)
	adm("/mail/test", s.requireAdmin(s.sendTestMail)).Methods(http.MethodPost)
	adm("/mail/test/{id:[0-9]+}", s.requireAdmin(s.getTestMail)).Methods(http.MethodGet)
	adm("/commenters/export", s.requireAdmin(s.exportCommenter)).Methods(http.MethodPost)
	adm("/commenters/erase", s.requireAdmin(s.eraseCommenter)).Methods(http.MethodPost)
	adm("/events", s.listEvents).Methods(http.MethodGet)
	adm("/bans", s.listBans).Methods(http.MethodGet)
	adm("/bans", s.createBan).Methods(http.MethodPost)
	adm("/bans/{id:[0-9]+}", s.deleteBan).Methods(http.MethodDelete)
	adm("/sites", s.listSites).Methods(http.MethodGet)
	adm("/sites", s.requireAdmin(s.createSite)).Methods(http.MethodPost)
	adm("/sites/{site}", s.getSite).Methods(http.MethodGet)
	adm("/sites/{site}", s.requireAdmin(s.updateSite)).Methods(http.MethodPatch)
	adm("/sites/{site}/import", s.requireAdmin(s.importSite)).Methods(http.MethodPost).Name(uploadRoute)
	adm("/sites/{site}/export", s.requireAdmin(s.exportSite)).Methods(http.MethodGet)
	adm("/sites/{site}/akismet-key", s.issueAkismetKey).Methods(http.MethodPost)
	adm("/sites/{site}/akismet-key", s.revokeAkismetKey).Methods(http.MethodDelete)
	adm("/tokens", s.listTokens).Methods(http.MethodGet)
	adm("/tokens", s.requireAdmin(s.createToken)).Methods(http.MethodPost)
	adm("/tokens/{id:[0-9]+}", s.revokeToken).Methods(http.MethodDelete)
	adm("/users", s.listUsers).Methods(http.MethodGet)
	adm("/users", s.requireAdmin(s.createUser)).Methods(http.MethodPost)
	adm("/users/{id:[0-9]+}", s.requireAdmin(s.updateUser)).Methods(http.MethodPatch)
	adm("/webhooks", s.listWebhooks).Methods(http.MethodGet)
	adm("/webhooks", s.requireAdmin(s.createWebhook)).Methods(http.MethodPost)
	adm("/webhooks/{id:[0-9]+}", s.getWebhook).Methods(http.MethodGet)
	adm("/webhooks/{id:[0-9]+}", s.requireAdmin(s.updateWebhook)).Methods(http.MethodPatch)
	adm("/webhooks/{id:[0-9]+}", s.deleteWebhook).Methods(http.MethodDelete)
	adm("/webhooks/{id:[0-9]+}/rotate", s.rotateWebhook).Methods(http.MethodPost)
	adm("/webhooks/{id:[0-9]+}/ping", s.pingWebhook).Methods(http.MethodPost)
	adm("/webhooks/{id:[0-9]+}/deliveries", s.listDeliveries).Methods(http.MethodGet)
	adm("/webhooks/{id:[0-9]+}/deliveries/{delivery:[0-9]+}/redeliver", s.redeliver).Methods(http.MethodPost)

	// Every route is observed (request id, log, metrics) under its template. Its
	// handler is wrapped once, here; mux's middleware (Router.Use) would wrap it anew
	// on every request. Like that middleware, observe runs only for a matched route:
	// mux's own redirects to a cleaned path stay as they were.
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		limit := s.maxBody
		if route.GetName() == uploadRoute && s.maxUpload > 0 {
			limit = s.maxUpload + 1 // the handler refuses a larger file with its own message
		}
		route.Handler(s.observe(tpl, limit, route.GetHandler()))
		return nil
	})
	if err != nil {
		panic(err) // a route without a path template: a mistake in the table above
	}
	return r
}

// unmatched is the route label of requests that no route took (404 and 405).
const unmatched = "unmatched"
