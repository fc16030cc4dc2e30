package httpapi

import (
	"context"
	"net/http"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/moderation"
)

// Commenters answers a commenter's requests about their own data (moderation.Commenters).
type Commenters interface {
	Export(ctx context.Context, req moderation.CommenterRequest) (moderation.CommenterData, error)
	Erase(ctx context.Context, req moderation.CommenterRequest) (moderation.ErasureResult, error)
}

// commenterBody names a commenter in a request's body, never in its URL: an address in
// a URL would reach access logs and proxies.
type commenterBody struct {
	Email string `json:"email"`
	// Sites limits the request to some sites; none means every site.
	Sites []string `json:"sites"`
}

func (s *server) commenterRequest(w http.ResponseWriter, r *http.Request) (moderation.CommenterRequest, bool) {
	if s.commenters == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return moderation.CommenterRequest{}, false
	}
	var body commenterBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return moderation.CommenterRequest{}, false
	}
	req := moderation.CommenterRequest{Email: body.Email, Actor: principal(r).Actor()}
	if len(body.Sites) > 0 {
		req.Sites = body.Sites
	}
	return req, true
}

// exportCommenter answers an access request (GDPR art. 15): everything stored about
// one email address, private fields included. Admins only.
func (s *server) exportCommenter(w http.ResponseWriter, r *http.Request) {
	req, ok := s.commenterRequest(w, r)
	if !ok {
		return
	}
	d, err := s.commenters.Export(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, d)
}

// eraseCommenter answers an erasure request (GDPR art. 17). Admins only.
func (s *server) eraseCommenter(w http.ResponseWriter, r *http.Request) {
	req, ok := s.commenterRequest(w, r)
	if !ok {
		return
	}
	res, err := s.commenters.Erase(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"erasure": res})
}
