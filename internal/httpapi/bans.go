package httpapi

import (
	"net/http"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/moderation"
)

type banView struct {
	ID        int64           `json:"id"`
	Site      string          `json:"site"`
	Kind      comment.BanKind `json:"kind"`
	Hint      string          `json:"hint"`
	Note      string          `json:"note,omitempty"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
	Active    bool            `json:"active"`
}

func (s *server) viewBan(b comment.Ban) banView {
	return banView{ID: b.ID, Site: b.SiteID, Kind: b.Kind, Hint: b.Hint, Note: b.Note, CreatedBy: b.CreatedBy,
		CreatedAt: b.CreatedAt, ExpiresAt: optionalTime(b.ExpiresAt), Active: b.Active(s.now())}
}

func (s *server) listBans(w http.ResponseWriter, r *http.Request) {
	p, site := principal(r), r.URL.Query().Get("site")
	if site != "" {
		if err := p.See(site); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	bans, err := s.store.Bans(r.Context(), p.Scope(), site)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]banView, len(bans))
	for i, b := range bans {
		out[i] = s.viewBan(b)
	}
	writeJSON(w, http.StatusOK, map[string]any{"bans": out})
}

// banBody bans a value, or the email, address or email domain of a comment's author
// (comment_id), which a moderator need not see. duration is like "24h"; empty: for ever.
type banBody struct {
	Site      string          `json:"site"`
	Kind      comment.BanKind `json:"kind"`
	Value     string          `json:"value"`
	CommentID int64           `json:"comment_id"`
	Duration  string          `json:"duration"`
	Note      string          `json:"note"`
}

func (s *server) createBan(w http.ResponseWriter, r *http.Request) {
	var body banBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	var d time.Duration
	if body.Duration != "" {
		var err error
		if d, err = time.ParseDuration(body.Duration); err != nil {
			s.writeError(w, r, comment.Invalid("duration", `must be a duration like "24h" or "720h"`))
			return
		}
	}
	p := principal(r)
	b, err := s.moderator.Ban(r.Context(), moderation.BanRequest{Actor: p.Actor(), SiteID: body.Site, Kind: body.Kind,
		Value: body.Value, CommentID: body.CommentID, Duration: d, Note: body.Note, Allowed: p.CanSite})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ban": s.viewBan(b)})
}

func (s *server) deleteBan(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteBan(r.Context(), principal(r).Scope(), pathID(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
