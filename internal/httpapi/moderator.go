package httpapi

import (
	"net/http"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/moderation"
)

// undo reverses the moderator's last decision on the comments it touched.
//
//	POST /api/v1/admin/comments/undo  {"ids": [4, 5], "note": "optional"}
//	-> 200 {"comments": [adminComment...]}  as they now stand, by id
//
// All or nothing: each comment's latest audit event must be a decision (approve,
// reject, spam, not-spam, delete) by this same credential, and the comment must still
// have the status it gave; it goes back to the status before (a deleted comment is
// restored). Otherwise 409 {"error": {"code": "conflict", "message": "comment 5 was last
// changed by someone else", "fields": {"ids": "..."}}} and nothing changes: someone
// else's decision, a change since, an edit, a reply, an undo, or no decision at all.
// 422 with field "ids" for an empty or oversized list, 404 for an unknown id and for
// another site's comment. The audit log records action "undo".
func (s *server) undo(w http.ResponseWriter, r *http.Request) {
	var body actionBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	cs, err := s.moderator.Undo(r.Context(), moderation.UndoRequest{Actor: p.Actor(), IDs: body.IDs, Note: body.Note, Allowed: p.CanSite})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": adminViews(cs)})
}

// textBody is a moderator's edit or reply.
type textBody struct {
	Body string `json:"body"`
	Note string `json:"note"`
}

// moderatorEdit replaces a comment's text.
//
//	PATCH /api/v1/admin/comments/{id}  {"body": "Markdown-lite source", "note": "optional"}
//	-> 200 {"comment": adminComment}
//
// The body is sanitized and bounded as a submission's is (422 with field "body":
// "required", "at most 10000 characters", "contains control characters"); status,
// score and reasons stay. A published comment's thread is updated at once and
// webhook consumers get comment.updated. 404 for a deleted or unknown comment and for
// another site's, 409 if it changed meanwhile. The audit log records action "edit".
func (s *server) moderatorEdit(w http.ResponseWriter, r *http.Request) {
	var body textBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	c, err := s.moderator.Edit(r.Context(), moderation.EditRequest{Actor: p.Actor(), ID: pathID(r), Body: body.Body,
		Note: body.Note, Allowed: p.CanSite})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"comment": adminView(c)})
}

// reply answers a published comment as the site.
//
//	POST /api/v1/admin/comments/{id}/reply  {"body": "Markdown-lite source", "note": "optional"}
//	-> 201 {"comment": adminComment}
//
// The reply is published at once in the same thread with parent_id = id, author name
// the site's name, and the site's avatar. Its private author email is the signed-in
// moderator's account email, or empty for an API token; it has no IP or user agent
// and is neither rate limited nor scored. Body rules and errors as for an edit (422,
// field "body"). A parent that is not published is 409 with field "parent_id" (the
// reply would hang under a hidden comment); 404 for a deleted or unknown one and
// for another site's. The audit log records action "reply" on the new comment.
func (s *server) reply(w http.ResponseWriter, r *http.Request) {
	var body textBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	c, err := s.moderator.Reply(r.Context(), moderation.ReplyRequest{Actor: p.Actor(), Email: accountEmail(p),
		ParentID: pathID(r), Body: body.Body, Note: body.Note, Allowed: p.CanSite})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"comment": adminView(c)})
}

// accountEmail is a signed-in moderator's email (a user's name is their email); an API
// token has none.
func accountEmail(p auth.Principal) string {
	if p.UserID != 0 {
		return p.Name
	}
	return ""
}
