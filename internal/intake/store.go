package intake

import (
	"context"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// Store is what the submit pipeline needs from storage.
type Store interface {
	// Author returns the author's counts; an unknown author is a zero Author, not an error.
	Author(ctx context.Context, siteID, key string) (comment.Author, error)
	// Comment returns one comment with its thread key, or comment.ErrNotFound.
	Comment(ctx context.Context, id int64) (comment.Comment, error)
	// CommentByIdempotencyKey finds the comment an earlier submission with this key
	// created on the site, or comment.ErrNotFound.
	CommentByIdempotencyKey(ctx context.Context, siteID, key string) (comment.Comment, error)
	// MatchBans returns the kinds of the site's bans active at now that keys match.
	MatchBans(ctx context.Context, siteID string, keys comment.BanKeys, now time.Time) ([]comment.BanKind, error)
	// CreateComment stores c in one transaction: it upserts the thread by (site, key),
	// inserts the comment, and moves the thread's and author's counts to match c.Status.
	// It sets c.ID and c.ThreadID. A duplicate idempotency key is comment.ErrConflict.
	CreateComment(ctx context.Context, c *comment.Comment, thread comment.Thread) error
}
