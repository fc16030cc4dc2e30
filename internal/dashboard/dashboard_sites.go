package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/webhook"
)

// deliveryPage is how many deliveries one page of an endpoint's log shows.
const deliveryPage = 50

// errorView is what admin_error.html shows.
type errorView struct {
	layoutView
	Status  int
	Message string
}

// pageUser is the signed-in user of a dashboard page and their session. A browser that
// is not signed in goes to the sign-in page; a moderator on an admin page gets the 403
// page, not the data. It reports false when it has answered the request itself.
func (d *Dashboard) pageUser(w http.ResponseWriter, r *http.Request, adminOnly bool) (auth.Principal, string, bool) {
	p, session, err := d.signedIn(r)
	switch {
	case errors.Is(err, comment.ErrUnauthorized):
		d.toLogin(w, r)
		return p, session, false
	case err != nil:
		httpx.WriteError(d.log, w, r, err)
		return p, session, false
	case adminOnly && !p.IsAdmin():
		d.fail(w, r, p, session, comment.ErrForbidden)
		return p, session, false
	}
	return p, session, true
}

// fail answers a page whose data cannot be shown: a missing or forbidden thing gets an
// error page with the header, so the user can go on; anything else the JSON error.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, p auth.Principal, session string, err error) {
	switch {
	case errors.Is(err, comment.ErrForbidden) && !p.IsAdmin():
		d.errorPage(w, r, p, session, http.StatusForbidden, "Only admins manage sites, webhooks and accounts. Ask an admin if something here needs to change.")
	case errors.Is(err, comment.ErrForbidden):
		d.errorPage(w, r, p, session, http.StatusForbidden, "This page is not open to your account.")
	case errors.Is(err, comment.ErrNotFound):
		d.errorPage(w, r, p, session, http.StatusNotFound, "There is nothing here, or it was removed.")
	default:
		httpx.WriteError(d.log, w, r, err)
	}
}

// errorPage answers status with a page that says msg under the usual header.
func (d *Dashboard) errorPage(w http.ResponseWriter, r *http.Request, p auth.Principal, session string, status int, msg string) {
	v := errorView{layoutView: d.layout(p, session, http.StatusText(status), ""), Status: status, Message: msg}
	d.render(w, r, "admin_error.html", status, v)
}

// siteRow is one site in the list of sites.
type siteRow struct {
	ID, Name, Policy string
	Origins          []string
}

// sitesView is what admin_sites.html shows.
type sitesView struct {
	layoutView
	Sites []siteRow
}

// SitesPage lists the sites, with a form to create one: GET /admin/sites, admins only.
func (d *Dashboard) SitesPage(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, true)
	if !ok {
		return
	}
	sites, err := d.admin.Sites(r.Context(), p)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v := sitesView{layoutView: d.page(p, session, "admin.sites", "sites")}
	for _, s := range sites {
		v.Sites = append(v.Sites, siteRow{ID: s.ID, Name: s.Name, Policy: string(s.Policy), Origins: s.Origins})
	}
	d.render(w, r, "admin_sites.html", http.StatusOK, v)
}

// siteForm is a site's settings as the form's fields show them.
type siteForm struct {
	ID, Name              string
	Origins, BlockedWords string // one per line
	MaxLinks              int
	// CDNDefault: the site takes the server's CDN lifetimes; else SMaxAge and Stale.
	CDNDefault     bool
	SMaxAge, Stale string
}

// rateRow is one scope's rate limit in the settings form: the values in force, and
// whether they are the default.
type rateRow struct {
	Scope, Help  string
	Default      bool
	DefaultText  string
	Count, Burst int
	Period       string
}

// webhookRow is an endpoint as the dashboard lists it.
type webhookRow struct {
	ID                      int64
	URL, Description        string
	Events, Created, LogURL string
	Disabled                bool
}

// siteSettingsView is what admin_site.html shows.
type siteSettingsView struct {
	layoutView
	Site     siteForm
	Policies []option
	Seeds    []option
	Scripts  []option
	Limits   []rateRow
	Webhooks []webhookRow
	Events   []string
	// AkismetIssued says when the site's Akismet key was issued, "" for no key.
	AkismetIssued string
	// Snippet is the HTML a page embeds to show this site's widget; Installs what the
	// widget reported from each origin.
	Snippet  string
	Installs []installRow
}

// installRow is one origin's line in the site page's installation panel.
type installRow struct {
	Origin, Page, Path, Version, LastLoad, Error, ErrorAt string
	Loads                                                 int64
	// Allowed: the origin is one of the site's; Outdated: the widget was another build.
	Allowed, Outdated bool
}

// embedSnippet is the HTML that shows site id's widget on a page, as the README shows
// it, with a placeholder thread key the owner replaces by each page's path.
func embedSnippet(baseURL, id string) string {
	base := strings.TrimRight(baseURL, "/")
	const thread = "/path/of/the/page"
	return `<div id="winnow-thread" data-site="` + id + `" data-thread="` + thread + `">
  <noscript><a href="` + base + `/t/` + id + `?thread=` + thread + `">Comments</a></noscript>
</div>
<script src="` + base + `/embed.js" async></script>`
}

// policyLabels explain the moderation policies in the settings form.
var policyLabels = map[site.Policy]string{
	site.PolicyAll:       "all: hold every comment for a moderator",
	site.PolicyFirstTime: "first_time: publish authors with an earlier approved comment",
	site.PolicyNone:      "none: publish everything not judged spam or held by a rule",
}

// seedLabels explain the built-in spam seed's settings in the settings form.
var seedLabels = map[site.SeedAction]string{
	site.SeedFold: "fold: the built-in model alone may send obvious spam to the spam folder",
	site.SeedHold: "hold: the built-in model alone only holds comments for review",
}

// SitePage is a site's settings form and its webhook endpoints: GET
// /admin/sites/{site}, admins only. admin.js saves with PATCH /api/v1/admin/sites/{site}.
func (d *Dashboard) SitePage(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, true)
	if !ok {
		return
	}
	st, err := d.admin.Site(r.Context(), p, mux.Vars(r)["site"])
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	hooks, err := d.admin.Webhooks(r.Context(), p, st.ID)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	issued, err := d.admin.AkismetKeyIssued(r.Context(), p, st.ID)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v := siteSettingsView{layoutView: d.layout(p, session, st.Name, "sites"),
		Site: siteForm{ID: st.ID, Name: st.Name, Origins: strings.Join(st.Origins, "\n"),
			BlockedWords: strings.Join(st.BlockedWords, "\n"), MaxLinks: st.MaxLinks, CDNDefault: st.CDN == nil}}
	if st.CDN != nil {
		v.Site.SMaxAge, v.Site.Stale = shortDuration(st.CDN.SMaxAge), shortDuration(st.CDN.StaleWhileRevalidate)
	}
	for _, pol := range []site.Policy{site.PolicyAll, site.PolicyFirstTime, site.PolicyNone} {
		v.Policies = append(v.Policies, option{Value: string(pol), Label: policyLabels[pol], Selected: pol == st.Policy})
	}
	for _, a := range []site.SeedAction{site.SeedFold, site.SeedHold} {
		v.Seeds = append(v.Seeds, option{Value: string(a), Label: seedLabels[a], Selected: a == st.SpamSeed})
	}
	for _, script := range site.Scripts {
		v.Scripts = append(v.Scripts, option{Value: script, Label: script, Selected: slices.Contains(st.Scripts, script)})
	}
	set, defaults, effective := st.Limits, site.DefaultRateLimits(), st.Limits.Effective()
	help := map[string]string{"ip": "per client address", "email": "per author email", "thread": "per page", "site": "for the whole site"}
	for _, scope := range []string{"ip", "email", "thread", "site"} {
		r, def := *httpx.RateScopes(&effective)[scope], *httpx.RateScopes(&defaults)[scope]
		v.Limits = append(v.Limits, rateRow{Scope: scope, Help: help[scope], Default: httpx.RateScopes(&set)[scope].IsZero(),
			DefaultText: rateText(def), Count: r.Count, Period: shortDuration(r.Period), Burst: r.Burst})
	}
	for _, hook := range hooks {
		v.Webhooks = append(v.Webhooks, d.webhookRow(hook))
	}
	for _, e := range comment.CommentEvents() {
		v.Events = append(v.Events, string(e))
	}
	if !issued.IsZero() {
		v.AkismetIssued = dashboardTime(issued)
	}
	v.Snippet = embedSnippet(d.baseURL, st.ID)
	installs, err := d.admin.Installs(r.Context(), p, st.ID)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	for _, in := range installs {
		row := installRow{Origin: in.Origin, Page: in.Page, Path: in.Path(), Version: in.Version, Loads: in.Loads,
			Error: in.CurrentError(st), Allowed: st.AllowsOrigin(in.Origin),
			Outdated: in.Version != "" && in.Version != d.assets.WidgetVersion()}
		if !in.LastLoad.IsZero() {
			row.LastLoad = dashboardTime(in.LastLoad)
		}
		if row.Error != "" {
			row.ErrorAt = dashboardTime(in.ErrorAt)
		}
		v.Installs = append(v.Installs, row)
	}
	d.render(w, r, "admin_site.html", http.StatusOK, v)
}

func (d *Dashboard) webhookRow(hook webhook.Endpoint) webhookRow {
	evs := make([]string, len(hook.Events))
	for i, e := range hook.Events {
		evs[i] = string(e)
	}
	return webhookRow{ID: hook.ID, URL: hook.URL, Description: hook.Description, Events: strings.Join(evs, ", "),
		Created: dashboardTime(hook.CreatedAt), Disabled: hook.Disabled,
		LogURL: "/admin/sites/" + url.PathEscape(hook.SiteID) + "/webhooks/" + strconv.FormatInt(hook.ID, 10)}
}

// deliveryRow is one entry of an endpoint's delivery log. Error is the recorded
// failure, which leaves out the endpoint's URL.
type deliveryRow struct {
	ID, CommentID         int64
	EventID, Type, Status string
	Attempts, Code        int
	Latency, Error, Next  string
	Created, CreatedISO   string
	HasResponse           bool
}

// webhookPageView is what admin_webhook.html shows.
type webhookPageView struct {
	layoutView
	SiteID, SiteName string
	Hook             webhookRow
	Statuses         []option
	Deliveries       []deliveryRow
	MoreURL          string
}

// WebhookPage is one endpoint and its delivery log, newest first and paged: GET
// /admin/sites/{site}/webhooks/{id}?status=&cursor=, admins only.
func (d *Dashboard) WebhookPage(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, true)
	if !ok {
		return
	}
	q := r.URL.Query()
	status := webhook.DeliveryStatus(q.Get("status"))
	var statuses []option
	known := false
	for _, s := range []webhook.DeliveryStatus{"", webhook.DeliveryPending, webhook.DeliveryFailed, webhook.DeliveryDelivered, webhook.DeliveryDead} {
		label := string(s)
		if s == "" {
			label = "all"
		}
		known = known || s == status
		statuses = append(statuses, option{Value: string(s), Label: label, Selected: s == status})
	}
	if !known {
		status = ""
	}
	// The endpoint comes with its log page: one read checks it and shows it.
	hook, ds, next, err := d.admin.Deliveries(r.Context(), p, pathID(r), status, q.Get("cursor"), deliveryPage)
	var ve *comment.ValidationError
	if errors.As(err, &ve) { // a stale or mangled cursor: show the first page
		hook, ds, next, err = d.admin.Deliveries(r.Context(), p, pathID(r), status, "", deliveryPage)
	}
	if err == nil && hook.SiteID != mux.Vars(r)["site"] {
		err = comment.ErrNotFound
	}
	var st site.Site
	if err == nil {
		st, err = d.admin.Site(r.Context(), p, hook.SiteID)
	}
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v := webhookPageView{layoutView: d.page(p, session, "admin.webhookDeliveries", "sites"), SiteID: st.ID, SiteName: st.Name,
		Hook: d.webhookRow(hook), Statuses: statuses}
	for _, dl := range ds {
		row := deliveryRow{ID: dl.ID, CommentID: dl.CommentID, EventID: dl.EventID, Type: string(dl.Type), Status: string(dl.Status),
			Attempts: dl.Attempts, Code: dl.LastStatusCode, HasResponse: dl.LastStatusCode != 0, Error: dl.LastError,
			Created: dashboardTime(dl.CreatedAt), CreatedISO: dl.CreatedAt.UTC().Format(time.RFC3339)}
		if dl.Attempts > 0 {
			row.Latency = dl.Latency.Round(time.Millisecond).String()
		}
		if (dl.Status == webhook.DeliveryPending || dl.Status == webhook.DeliveryFailed) && !dl.NextAttemptAt.IsZero() {
			row.Next = dashboardTime(dl.NextAttemptAt)
		}
		v.Deliveries = append(v.Deliveries, row)
	}
	if next != "" {
		more := url.Values{"cursor": {next}}
		if status != "" {
			more.Set("status", string(status))
		}
		v.MoreURL = v.Hook.LogURL + "?" + more.Encode()
	}
	d.render(w, r, "admin_webhook.html", http.StatusOK, v)
}

// dashboardTime is how the dashboard shows a time.
func dashboardTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// rateText reads like "6 per 1m, burst 3".
func rateText(r site.Rate) string {
	return strconv.Itoa(r.Count) + " per " + shortDuration(r.Period) + ", burst " + strconv.Itoa(r.Burst)
}

// shortDuration writes "1m" and "1h" where time.Duration writes "1m0s" and "1h0m0s",
// as a person would type them into the form.
func shortDuration(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// pathID is the {id} path variable; the route's pattern guarantees digits.
func pathID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	return id
}
