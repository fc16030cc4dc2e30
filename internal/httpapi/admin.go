package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/moderation"
)

// Paging of moderator listings.
const (
	defaultAdminPage = 50
	maxAdminPage     = 200
)

// authenticate requires a bearer token or a session cookie (with its CSRF token for
// a change, see cookiePrincipal) on every moderator route; both give the same
// principal. Wrong tokens are counted by the guard per client address and refused for
// a while past its limit; a request with no credential, or a wrong or expired session
// cookie, counts nothing, and a valid token or session is never refused (auth.Guard).
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var principal auth.Principal
		err := comment.ErrUnauthorized
		if plain, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			principal, err = s.guard.Token(r.Context(), s.store, strings.TrimSpace(plain), s.addressKey(r))
		} else if session := sessionFrom(r); session != "" {
			principal, err = s.cookiePrincipal(r, session)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, principal)))
	})
}

func principal(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalKey).(auth.Principal)
	return p
}

// requireAdmin asks the admin service's rule (admin.Manage) before h reads the
// request's body: the service refuses a non-admin itself, but only once it is called
// with the decoded body, and a moderator must get 403 whatever it sends, not a 400 or
// 422 that describes what an admin would have to send. Import and export, whose
// services take no principal, have it as their only check.
func (s *server) requireAdmin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := admin.Manage(principal(r)); err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r)
	}
}

// listComments is the moderation queue: pending by default, filtered and paged.
func (s *server) listComments(w http.ResponseWriter, r *http.Request) {
	p, q := principal(r), r.URL.Query()
	query := comment.Query{
		Scope: p.Scope(), SiteID: q.Get("site"), ThreadKey: q.Get("thread"),
		Status: comment.Status(q.Get("status")), Text: q.Get("q"), Sort: q.Get("sort"), Cursor: q.Get("cursor"),
	}
	fields := map[string]string{}
	switch query.Status {
	case "":
		query.Status = comment.StatusPending
	case "all":
		query.Status = ""
	default:
		if !query.Status.Valid() {
			fields["status"] = "must be pending, approved, spam, rejected, deleted or all"
		}
	}
	switch query.Sort {
	case "":
		query.Sort = comment.SortNewest
	case comment.SortNewest, comment.SortOldest, comment.SortScore:
	default:
		fields["sort"] = "must be newest, oldest or score"
	}
	if len(query.Text) > 200 {
		fields["q"] = "at most 200 characters"
	}
	limit, ok := s.checkListing(w, r, fields, query.SiteID)
	if !ok {
		return
	}
	query.Limit = limit
	cs, next, err := s.store.ListComments(r.Context(), query)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": adminViews(cs), "next_cursor": next})
}

func (s *server) getComment(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.Comment(r.Context(), pathID(r))
	if err == nil {
		err = principal(r).See(c.SiteID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"comment": adminView(c)})
}

type actionBody struct {
	IDs    []int64 `json:"ids"`
	Action string  `json:"action"`
	Note   string  `json:"note"`
}

func (s *server) commentAction(w http.ResponseWriter, r *http.Request) {
	var body actionBody
	if r.ContentLength != 0 { // a note is optional; an empty POST is fine
		if err := decodeJSON(r, &body); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.moderate(w, r, moderation.Action(mux.Vars(r)["action"]), []int64{pathID(r)}, body.Note)
}

func (s *server) deleteComment(w http.ResponseWriter, r *http.Request) {
	s.moderate(w, r, moderation.Delete, []int64{pathID(r)}, "")
}

func (s *server) bulkAction(w http.ResponseWriter, r *http.Request) {
	var body actionBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.moderate(w, r, moderation.Action(body.Action), body.IDs, body.Note)
}

func (s *server) moderate(w http.ResponseWriter, r *http.Request, action moderation.Action, ids []int64, note string) {
	p := principal(r)
	cs, err := s.moderator.Apply(r.Context(), moderation.Request{
		Actor: p.Actor(), Action: action, IDs: ids, Note: note, Allowed: p.CanSite,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": adminViews(cs)})
}

func (s *server) listEvents(w http.ResponseWriter, r *http.Request) {
	p, q := principal(r), r.URL.Query()
	query := comment.EventQuery{Scope: p.Scope(), SiteID: q.Get("site"), Actor: q.Get("actor"), Cursor: q.Get("cursor")}
	fields := map[string]string{}
	if v := q.Get("comment"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			fields["comment"] = "must be a comment id"
		}
		query.CommentID = id
	}
	limit, ok := s.checkListing(w, r, fields, query.SiteID)
	if !ok {
		return
	}
	query.Limit = limit
	es, next, err := s.store.ListEvents(r.Context(), query)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]eventView, len(es))
	for i, e := range es {
		out[i] = eventView{ID: e.ID, Site: e.SiteID, CommentID: e.CommentID, Actor: e.Actor, Action: e.Action,
			From: e.From, To: e.To, Note: e.Note, CreatedAt: e.CreatedAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next_cursor": next})
}

// checkListing ends the checks every moderator listing shares: the page size, the
// problems found in its other parameters, and the site filter's scope. It answers the
// error itself and reports false when the request cannot go on.
func (s *server) checkListing(w http.ResponseWriter, r *http.Request, fields map[string]string, siteID string) (int, bool) {
	limit, err := intParam(r.URL.Query(), "limit", defaultAdminPage, 1, maxAdminPage)
	if err != nil {
		fields["limit"] = err.Error()
	}
	if len(fields) > 0 {
		s.writeError(w, r, badRequest("invalid query", fields))
		return 0, false
	}
	if siteID != "" {
		if err := principal(r).See(siteID); err != nil {
			s.writeError(w, r, err)
			return 0, false
		}
	}
	return limit, true
}

// pathID is the {id} path variable; the route's pattern guarantees digits.
func pathID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	return id
}
