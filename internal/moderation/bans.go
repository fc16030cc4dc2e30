package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// MaxBanDuration bounds a timed ban; longer means for ever (duration 0).
const MaxBanDuration = 10 * 365 * 24 * time.Hour

// BanRequest asks to ban an email, an address or a domain on a site: given directly,
// or taken from a comment's author, so a moderator can ban without seeing the value.
type BanRequest struct {
	Actor     string
	SiteID    string
	Kind      comment.BanKind
	Value     string
	CommentID int64
	Duration  time.Duration // 0: for ever
	Note      string
	Allowed   func(siteID string) bool
}

// Ban stores a ban. Values are hashed with the installation secret as intake looks
// them up, so the bans table holds no address.
func (s *Service) Ban(ctx context.Context, req BanRequest) (comment.Ban, error) {
	if req.Duration > MaxBanDuration {
		return comment.Ban{}, comment.Invalid("duration", "at most ten years; leave it out for a permanent ban")
	}
	if req.CommentID != 0 {
		if req.Value != "" {
			return comment.Ban{}, comment.Invalid("value", "give a value or a comment_id, not both")
		}
		cs, err := s.store.CommentsByID(ctx, []int64{req.CommentID})
		if err != nil {
			return comment.Ban{}, fmt.Errorf("moderation: ban: %w", err)
		}
		// Another site's comment is answered as a missing one (comment.ErrNotVisible),
		// before anything else is said about it.
		if len(cs) == 0 || req.Allowed != nil && !req.Allowed(cs[0].SiteID) {
			return comment.Ban{}, comment.Invalid("comment_id", "no such comment")
		}
		c := cs[0]
		if req.SiteID != "" && req.SiteID != c.SiteID {
			return comment.Ban{}, comment.Invalid("comment_id", "belongs to another site")
		}
		req.SiteID = c.SiteID
		switch req.Kind {
		case comment.BanEmail:
			req.Value = c.AuthorEmail
		case comment.BanIP:
			if c.IP == "" {
				return comment.Ban{}, comment.Invalid("comment_id", "the comment's address is no longer kept (or was never known); ban a value instead")
			}
			req.Value = c.IP
		case comment.BanDomain:
			req.Value = comment.EmailDomain(c.AuthorEmail)
		}
	}
	if req.SiteID == "" {
		return comment.Ban{}, comment.Invalid("site", "required")
	}
	if req.Allowed != nil && !req.Allowed(req.SiteID) {
		return comment.Ban{}, fmt.Errorf("moderation: ban on %s: %w", req.SiteID, comment.ErrNotVisible)
	}
	b, err := comment.NewBan(s.secret, s.v6bits, req.SiteID, req.Kind, req.Value, req.Note, req.Actor,
		s.now().UTC().Truncate(time.Microsecond), req.Duration)
	if err != nil {
		return comment.Ban{}, err
	}
	if err := s.store.CreateBan(ctx, &b); err != nil {
		return comment.Ban{}, fmt.Errorf("moderation: ban: %w", err)
	}
	return b, nil
}
