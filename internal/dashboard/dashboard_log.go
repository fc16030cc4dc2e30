package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// logPage is how many audit events one page of the log shows; commentHistory how many
// of a comment's own events its page shows (as many as the API lists at once).
const (
	logPage        = 50
	commentHistory = 200
)

// eventRow is one audit event as the log shows it.
type eventRow struct {
	ID, CommentID       int64
	Site, Actor, Action string
	From, To, Note      string
	When, WhenISO       string
	CommentURL          string
}

// logView is what admin_log.html shows.
type logView struct {
	layoutView
	Sites   []siteOption
	Actors  []option
	Events  []eventRow
	MoreURL string
}

// AuditLog is the audit log of moderator actions, newest first: GET
// /admin/log?site=&actor=&cursor=. Every signed-in user sees the events of their own
// sites only, and can narrow them to a site and to who acted.
func (d *Dashboard) AuditLog(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, false)
	if !ok {
		return
	}
	q := r.URL.Query()
	siteID, actor := q.Get("site"), q.Get("actor")
	if siteID != "" {
		if err := p.See(siteID); err != nil {
			d.fail(w, r, p, session, err)
			return
		}
	}
	v := logView{layoutView: d.page(p, session, "admin.log", "log")}
	sites, err := d.admin.Sites(r.Context(), p)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	for _, s := range sites {
		if p.CanSite(s.ID) {
			v.Sites = append(v.Sites, siteOption{ID: s.ID, Name: s.Name, Selected: s.ID == siteID})
		}
	}
	actors, err := d.store.EventActors(r.Context(), p.Scope())
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	found := actor == ""
	for _, a := range actors {
		v.Actors = append(v.Actors, option{Value: a, Label: actorLabel(a), Selected: a == actor})
		found = found || a == actor
	}
	if !found { // from a link or an old page: keep it selected, the query finds nothing
		v.Actors = append(v.Actors, option{Value: actor, Label: actorLabel(actor), Selected: true})
	}

	query := comment.EventQuery{Scope: p.Scope(), SiteID: siteID, Actor: actor, Cursor: q.Get("cursor"), Limit: logPage}
	es, next, err := d.store.ListEvents(r.Context(), query)
	var ve *comment.ValidationError
	if errors.As(err, &ve) { // a stale or mangled cursor: show the first page
		query.Cursor = ""
		es, next, err = d.store.ListEvents(r.Context(), query)
	}
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v.Events = eventRows(es)
	if next != "" {
		more := url.Values{"cursor": {next}}
		if siteID != "" {
			more.Set("site", siteID)
		}
		if actor != "" {
			more.Set("actor", actor)
		}
		v.MoreURL = "/admin/log?" + more.Encode()
	}
	d.render(w, r, "admin_log.html", http.StatusOK, v)
}

func eventRows(es []comment.Event) []eventRow {
	out := make([]eventRow, len(es))
	for i, e := range es {
		out[i] = eventRow{ID: e.ID, CommentID: e.CommentID, Site: e.SiteID, Actor: actorLabel(e.Actor), Action: e.Action,
			From: string(e.From), To: string(e.To), Note: e.Note,
			When: dashboardTime(e.CreatedAt), WhenISO: e.CreatedAt.UTC().Format(time.RFC3339),
			CommentURL: "/admin/comments/" + strconv.FormatInt(e.CommentID, 10)}
	}
	return out
}

// actorLabel names an audit actor for people: a user by their email, a token by its
// name. The stored form carries the id too (auth.Principal.Actor).
func actorLabel(a string) string {
	kind, rest, ok := strings.Cut(a, ":")
	if !ok {
		return a
	}
	_, name, ok := strings.Cut(rest, ":")
	switch {
	case !ok:
		return a
	case kind == "user":
		return name
	case kind == "token":
		return "token " + name
	}
	return a
}

// commentView is what admin_comment.html shows.
type commentView struct {
	layoutView
	C        queueItem
	Source   string
	Events   []eventRow
	QueueURL string
}

// CommentPage shows one comment and its audit history, where the audit log links to: GET
// /admin/comments/{id}, for the moderators of its site. The text is shown as the
// author wrote it, as plain text.
func (d *Dashboard) CommentPage(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, false)
	if !ok {
		return
	}
	c, err := d.store.Comment(r.Context(), pathID(r))
	if err == nil {
		err = p.See(c.SiteID) // as if it did not exist: another site's comment
	}
	var st site.Site
	if err == nil {
		st, err = d.store.Site(r.Context(), c.SiteID)
	}
	var es []comment.Event
	if err == nil {
		es, _, err = d.store.ListEvents(r.Context(), comment.EventQuery{Scope: p.Scope(), CommentID: c.ID, Limit: commentHistory})
	}
	var item queueItem
	if err == nil {
		var pc pageContext
		if pc, err = d.pageContext(r, []comment.Comment{c}); err == nil {
			item = d.item(r, c, st, pc)
		}
	}
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v := commentView{layoutView: d.layout(p, session, "Comment "+strconv.FormatInt(c.ID, 10), "log"),
		C: item, Source: c.BodySource, Events: eventRows(es),
		QueueURL: "/admin/?" + url.Values{"site": {c.SiteID}, "status": {string(c.Status)}}.Encode()}
	d.render(w, r, "admin_comment.html", http.StatusOK, v)
}
