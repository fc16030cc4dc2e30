package dashboard

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/pages"
	"github.com/winnow/winnow/internal/site"
)

// Dashboard settings: how many comments one page of the queue shows, and how often
// the page reads the list again.
const (
	dashboardPage = 100
	dashboardPoll = 15 * time.Second
)

// csp is the policy of the dashboard's pages: scripts, styles and requests to winnow
// only, nothing inline, no frames, no plugins.
func (d *Dashboard) csp() string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// signedIn is the request's signed-in user and session, or comment.ErrUnauthorized.
// API tokens do not open pages: a browser signs in.
func (d *Dashboard) signedIn(r *http.Request) (auth.Principal, string, error) {
	session := httpx.Session(r)
	if session == "" || d.accounts == nil {
		return auth.Principal{}, "", comment.ErrUnauthorized
	}
	p, err := d.accounts.Authenticate(r.Context(), session)
	return p, session, err
}

// render writes a dashboard page in the moderator's language (their browser's
// Accept-Language; English when winnow does not speak it); nothing is sent until the
// template has run.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, name string, status int, data any) {
	lang := d.catalogs.Match(r.Header.Get("Accept-Language")).Lang
	w.Header().Add("Vary", "Accept-Language")
	httpx.WriteHTML(d.log, w, r, status, d.csp(), func(buf *bytes.Buffer) error {
		return d.tmpl[lang].ExecuteTemplate(buf, name, data)
	})
}

// loginView is what admin_login.html shows; Next is where a successful sign-in goes.
type loginView struct {
	CSS, JS, Next string
	// Reset offers "Forgot your password?": the server sends mail.
	Reset bool
}

// Login shows the sign-in form (admin.js posts it to /api/v1/auth/login), or sends a
// signed-in browser on to the page it asked for (?next=), or the queue.
func (d *Dashboard) Login(w http.ResponseWriter, r *http.Request) {
	next := dashboardPath(r.URL.Query().Get("next"))
	_, _, err := d.signedIn(r)
	switch {
	case err == nil:
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	case !errors.Is(err, comment.ErrUnauthorized):
		httpx.WriteError(d.log, w, r, err)
		return
	}
	d.render(w, r, "admin_login.html", http.StatusOK, loginView{CSS: d.assets.AssetURL("admin.css"), JS: d.assets.AssetURL("admin.js"), Next: next, Reset: d.mail != nil})
}

// toLogin sends a browser that is not signed in to the sign-in page, which brings it
// back to the page it asked for.
func (d *Dashboard) toLogin(w http.ResponseWriter, r *http.Request) {
	to := "/admin/login"
	if next := r.URL.RequestURI(); r.Method == http.MethodGet && dashboardPath(next) == next && next != "/admin/" {
		to += "?" + url.Values{"next": {next}}.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// dashboardPath returns p when it is a path on the dashboard, and the queue otherwise,
// so that a sign-in link can never send a browser to another site ("//evil.example",
// "https://...", "/\\evil").
func dashboardPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || !strings.HasPrefix(p, "/admin/") ||
		strings.ContainsAny(p, "\\\x00\r\n") || strings.HasPrefix(u.Path, "/admin/login") {
		return "/admin/"
	}
	return p
}

// option is one choice of a filter's select element.
type option struct {
	Value, Label string
	Selected     bool
}

// siteOption is a site in the site filter.
type siteOption struct {
	ID, Name string
	Selected bool
}

// queueItem is one comment as the queue shows it, private fields included. Everything
// but Body is text; Body is the sanitized HTML stored with the comment.
type queueItem struct {
	ID           int64
	Site, Thread string
	// ThreadName names the thread for people: its published title, else the title
	// this comment claimed for it, else its key (which the link's tooltip always shows).
	ThreadName            string
	ThreadPage, ThreadURL string
	ParentID              int64
	AuthorName, AuthorURL string
	AuthorEmail, IP       string
	Status                comment.Status
	Score                 string
	High                  bool
	Reasons               []string
	// PolicyHold explains a held comment without reasons: the site's policy (named)
	// holds it, not a rule or the score.
	PolicyHold          bool
	Policy              site.Policy
	Created, CreatedISO string
	Body                template.HTML
	// History is the author's record on the site: comments approved and marked spam.
	Approved, Spam int
	// AuthorQuery lists everything by this author; SimilarQuery everything with the
	// same opening words (a campaign); ThreadQuery everything on the thread.
	AuthorQuery, SimilarQuery, ThreadQuery string
	// Parent is the comment this one replies to, as plain text.
	Parent *parentItem
	// ClaimTitle and ClaimURL are the page this comment says it was posted from, shown
	// while approving it would give the thread its public title or address.
	ClaimTitle, ClaimURL string
	// Discard is when a spam comment will be deleted unless a moderator takes it out.
	Discard, DiscardISO string
}

// parentItem is the comment a reply answers, shortened to what a moderator needs to
// judge the reply.
type parentItem struct {
	ID           int64
	AuthorName   string
	Excerpt      string
	Status       comment.Status
	NotPublished bool
}

// layoutView is what every signed-in page's head and header (admin_layout.html) show.
type layoutView struct {
	CSS, JS, CSRF, User, Title string
	// TitleKey is the catalog's key of a page's fixed title, said in the page's
	// language instead of Title.
	TitleKey string
	// Nav is the header entry of the page: queue, sites, users or log.
	Nav string
	// Admin shows the Sites and Users entries, which only admins may open.
	Admin bool
	// Mail shows the Mail entry: the server sends mail and this is an account.
	Mail bool
}

// layout fills the head and header of a page for the signed-in p.
func (d *Dashboard) layout(p auth.Principal, session, title, nav string) layoutView {
	return layoutView{CSS: d.assets.AssetURL("admin.css"), JS: d.assets.AssetURL("admin.js"), CSRF: auth.CSRFToken(session),
		User: p.Name, Title: title, Nav: nav, Admin: p.IsAdmin(), Mail: d.mail != nil && p.UserID != 0}
}

// page is layout for a page whose title is fixed: the catalog's key of it.
func (d *Dashboard) page(p auth.Principal, session, titleKey, nav string) layoutView {
	v := d.layout(p, session, "", nav)
	v.TitleKey = titleKey
	return v
}

// queueView is what admin_queue.html shows.
type queueView struct {
	layoutView
	Sites           []siteOption
	Statuses, Sorts []option
	Status          string
	Text            string
	// Thread narrows the list to one thread's comments; AllThreadsURL widens it again.
	Thread, AllThreadsURL string
	Error                 string
	Comments              []queueItem
	MoreURL               string
	PollMillis            int64
}

// Queue is the moderation queue: GET /admin/?site=&status=&sort=&q=&cursor=. Pending
// comments by default; only the moderator's sites. A browser that is not signed in
// goes to the sign-in page.
func (d *Dashboard) Queue(w http.ResponseWriter, r *http.Request) {
	p, session, err := d.signedIn(r)
	if errors.Is(err, comment.ErrUnauthorized) {
		d.toLogin(w, r)
		return
	}
	if err != nil {
		httpx.WriteError(d.log, w, r, err)
		return
	}
	q := r.URL.Query()
	v := queueView{layoutView: d.page(p, session, "admin.queue", "queue"), Text: q.Get("q"), PollMillis: dashboardPoll.Milliseconds()}
	status := comment.Status(q.Get("status"))
	if status != "all" && !status.Valid() {
		status = comment.StatusPending
	}
	v.Status = string(status)
	for _, s := range []comment.Status{comment.StatusPending, comment.StatusApproved, comment.StatusSpam, comment.StatusRejected, comment.StatusDeleted, "all"} {
		v.Statuses = append(v.Statuses, option{Value: string(s), Label: "admin.status." + string(s), Selected: s == status})
	}
	sort := q.Get("sort")
	if sort != comment.SortScore && sort != comment.SortOldest {
		sort = comment.SortNewest
	}
	for _, s := range []option{{Value: comment.SortNewest, Label: "admin.sort.newest"}, {Value: comment.SortOldest, Label: "admin.sort.oldest"}, {Value: comment.SortScore, Label: "admin.sort.score"}} {
		s.Selected = s.Value == sort
		v.Sorts = append(v.Sorts, s)
	}
	if len(v.Text) > 200 {
		v.Text = strings.ToValidUTF8(v.Text[:200], "")
	}
	if v.Thread = q.Get("thread"); len(v.Thread) > comment.MaxThreadKeyLen {
		v.Thread = ""
	}

	all, err := d.admin.Sites(r.Context(), p)
	if err != nil {
		httpx.WriteError(d.log, w, r, err)
		return
	}
	siteID := q.Get("site")
	sites := map[string]site.Site{}
	for _, s := range all {
		if p.CanSite(s.ID) {
			sites[s.ID] = s
			v.Sites = append(v.Sites, siteOption{ID: s.ID, Name: s.Name, Selected: s.ID == siteID})
		}
	}
	if _, ok := sites[siteID]; siteID != "" && !ok {
		// Another site's queue is answered as a missing one (see comment.ErrNotVisible).
		v.Error = "There is no such site, or you do not moderate it."
		d.render(w, r, "admin_queue.html", http.StatusNotFound, v)
		return
	}

	query := comment.Query{Scope: p.Scope(), SiteID: siteID, ThreadKey: v.Thread, Status: status, Text: v.Text, Sort: sort,
		Cursor: q.Get("cursor"), Limit: dashboardPage}
	if v.Thread != "" {
		v.AllThreadsURL = queueURL(siteID, v.Status, "", v.Text)
	}
	if status == "all" {
		query.Status = ""
	}
	cs, next, err := d.store.ListComments(r.Context(), query)
	var ve *comment.ValidationError
	if errors.As(err, &ve) { // a stale or mangled cursor: show the first page
		query.Cursor = ""
		cs, next, err = d.store.ListComments(r.Context(), query)
	}
	if err != nil {
		httpx.WriteError(d.log, w, r, err)
		return
	}
	if status == "all" { // pending first, in the chosen order
		slices.SortStableFunc(cs, func(a, b comment.Comment) int {
			return boolRank(a.Status != comment.StatusPending) - boolRank(b.Status != comment.StatusPending)
		})
	}
	ctx, err := d.pageContext(r, cs)
	if err != nil {
		httpx.WriteError(d.log, w, r, err)
		return
	}
	for _, c := range cs {
		v.Comments = append(v.Comments, d.item(r, c, sites[c.SiteID], ctx))
	}
	if next != "" {
		more := url.Values{"status": {v.Status}, "sort": {sort}, "cursor": {next}}
		if siteID != "" {
			more.Set("site", siteID)
		}
		if v.Text != "" {
			more.Set("q", v.Text)
		}
		if v.Thread != "" {
			more.Set("thread", v.Thread)
		}
		v.MoreURL = "/admin/?" + more.Encode()
	}
	d.render(w, r, "admin_queue.html", http.StatusOK, v)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pageContext is what the items of one page share: thread links, authors' records
// and parent comments, each read once.
type pageContext struct {
	threads map[[2]string]comment.Thread
	authors map[[2]string]comment.Author
	parents map[int64]comment.Comment
}

// pageContext reads what the items of cs need beyond themselves: the authors' records
// (one query per site) and the parent comments (one query).
func (d *Dashboard) pageContext(r *http.Request, cs []comment.Comment) (pageContext, error) {
	pc := pageContext{threads: map[[2]string]comment.Thread{}, authors: map[[2]string]comment.Author{}}
	keys := map[string][]string{}
	for _, c := range cs {
		if c.AuthorKey != "" && !slices.Contains(keys[c.SiteID], c.AuthorKey) {
			keys[c.SiteID] = append(keys[c.SiteID], c.AuthorKey)
		}
	}
	for site, ks := range keys {
		as, err := d.store.Authors(r.Context(), site, ks)
		if err != nil {
			return pc, err
		}
		for k, a := range as {
			pc.authors[[2]string{site, k}] = a
		}
	}
	var err error
	pc.parents, err = d.parents(r, cs)
	return pc, err
}

// parents reads the comments the page's replies answer, in one query.
func (d *Dashboard) parents(r *http.Request, cs []comment.Comment) (map[int64]comment.Comment, error) {
	var ids []int64
	for _, c := range cs {
		if c.ParentID != 0 {
			ids = append(ids, c.ParentID)
		}
	}
	out := map[int64]comment.Comment{}
	if len(ids) == 0 {
		return out, nil
	}
	ps, err := d.store.CommentsByID(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, nil
}

// excerpt shortens a comment's source text to about n bytes on a word boundary.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if len(text) <= n {
		return text
	}
	cut := strings.LastIndexByte(text[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return strings.ToValidUTF8(text[:cut], "") + " …"
}

// openingWords is the start of a comment, as a search for the same text elsewhere.
func openingWords(text string) string {
	words := strings.Fields(text)
	if len(words) > 6 {
		words = words[:6]
	}
	q := strings.Join(words, " ")
	if len(q) > 80 {
		q = strings.ToValidUTF8(q[:80], "")
	}
	return q
}

// item prepares one comment for the queue. The thread's page is linked when its URL
// is on one of the site's origins; winnow's own thread page always is.
func (d *Dashboard) item(r *http.Request, c comment.Comment, st site.Site, pc pageContext) queueItem {
	key := [2]string{c.SiteID, c.ThreadKey}
	th, ok := pc.threads[key]
	if !ok {
		th, _ = d.store.ThreadByKey(r.Context(), c.SiteID, c.ThreadKey) // no thread row: no link
		pc.threads[key] = th
	}
	u := ""
	if th.URL != "" && st.AllowsURL(th.URL) {
		u = th.URL
	}
	author := pc.authors[[2]string{c.SiteID, c.AuthorKey}] // zero: no record yet
	reasons := c.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	item := queueItem{
		ID: c.ID, Site: c.SiteID, Thread: c.ThreadKey, ThreadPage: pages.URL(c.SiteID, c.ThreadKey, nil), ThreadURL: u,
		ParentID: c.ParentID, AuthorName: c.AuthorName, AuthorURL: c.AuthorURL, AuthorEmail: c.AuthorEmail, IP: c.IP,
		Status: c.Status, Score: strconv.FormatFloat(c.Score, 'f', 2, 64), High: c.Score >= 0.5, Reasons: reasons,
		PolicyHold: moderation.HeldByPolicy(c), Policy: st.Policy,
		Created: c.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"), CreatedISO: c.CreatedAt.UTC().Format(time.RFC3339),
		// body_html is bluemonday's output, sanitized when the comment was stored.
		Body:     template.HTML(c.BodyHTML),
		Approved: author.Approved, Spam: author.Spam,
		AuthorQuery:  queueURL(c.SiteID, "all", "", c.AuthorEmail),
		SimilarQuery: queueURL(c.SiteID, "all", "", openingWords(c.BodySource)),
		ThreadQuery:  queueURL(c.SiteID, "all", c.ThreadKey, ""),
	}
	switch {
	case th.Title != "":
		item.ThreadName = th.Title
	case c.PageTitle != "":
		item.ThreadName = c.PageTitle
	default:
		item.ThreadName = c.ThreadKey
	}
	if c.Status != comment.StatusApproved && (th.URL == "" && c.PageURL != "" || th.Title == "" && c.PageTitle != "") {
		// Publishing this comment will name the thread: the moderator sees with what.
		item.ClaimTitle, item.ClaimURL = c.PageTitle, c.PageURL
	}
	if c.Status == comment.StatusSpam && d.discardAfter > 0 {
		at := c.UpdatedAt.Add(d.discardAfter).UTC()
		item.Discard, item.DiscardISO = at.Format("2 Jan 2006"), at.Format(time.RFC3339)
	}
	if p, ok := pc.parents[c.ParentID]; ok {
		item.Parent = &parentItem{ID: p.ID, AuthorName: p.AuthorName, Excerpt: excerpt(p.BodySource, 280),
			Status: p.Status, NotPublished: p.Status != comment.StatusApproved}
	}
	return item
}

// queueURL is the queue filtered to a site, a status, and optionally a thread and a
// search.
func queueURL(site, status, thread, q string) string {
	v := url.Values{"status": {status}}
	for k, val := range map[string]string{"site": site, "thread": thread, "q": q} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return "/admin/?" + v.Encode()
}
