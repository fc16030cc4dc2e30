package httpapi

import (
	"net/http"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/intake"
)

// editTokenHeader carries the edit token the submission answered with.
const editTokenHeader = "X-Edit-Token"

// commentSite answers CORS for an author's request about their comment, by the
// comment's site, and refuses a foreign origin.
func (s *server) commentSite(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Comment(r.Context(), pathID(r))
	if err != nil {
		return err
	}
	_, allowed, err := s.siteByID(w, r, c.SiteID)
	if err != nil {
		return err
	}
	if r.Header.Get("Origin") != "" && !allowed {
		return &httpError{Status: http.StatusForbidden, Code: "forbidden", Message: "this origin may not change the site's comments"}
	}
	return nil
}

func (s *server) commentPreflight(w http.ResponseWriter, r *http.Request) {
	if err := s.commentSite(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", "Content-Type, "+editTokenHeader)
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// editComment lets an author change their comment's text inside the edit window.
func (s *server) editComment(w http.ResponseWriter, r *http.Request) {
	if err := s.commentSite(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.submitter.Edit(r.Context(), pathID(r), r.Header.Get(editTokenHeader), body.Body,
		intake.Meta{IP: s.clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := comment.StatusPending // never tell the author a comment was judged spam
	if res.Comment.Status == comment.StatusApproved {
		status = comment.StatusApproved
	}
	view := s.publicView(res.Comment)
	view.Status = status
	writeJSON(w, http.StatusOK, submitAnswer{Status: status, Comment: view, EditToken: res.EditToken})
}

// deleteOwnComment lets an author take their comment back inside the edit window.
func (s *server) deleteOwnComment(w http.ResponseWriter, r *http.Request) {
	if err := s.commentSite(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.submitter.Delete(r.Context(), pathID(r), r.Header.Get(editTokenHeader)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
