package intake

import (
	"context"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// Store is what the submit pipeline needs from storage.
type Store interface {
	// Comment returns one comment with its thread key, or comment.ErrNotFound.
	Comment(ctx context.Context, id int64) (comment.Comment, error)
	// CommentByIdempotencyKey finds the comment an earlier submission with this key
	// created on the site, or comment.ErrNotFound.
	CommentByIdempotencyKey(ctx context.Context, siteID, key string) (comment.Comment, error)
	// Record returns, in one round trip, the author's counts (zero for a stranger), the
	// approved and spam comments since since of the client network with addressKey
	// (comment.AddressKey; "" for none), the bans active at now that keys match, and
	// the id of the comment an earlier submission with idempotencyKey stored on the site
	// (Record.Replay; 0 for none, or for ""), and the thread and status of the site's
	// comment parentID (0 for none). It is the one read of a submission.
	Record(ctx context.Context, siteID, authorKey, addressKey, idempotencyKey string, parentID int64, keys comment.BanKeys, since, now time.Time) (comment.Record, error)
	// Site returns a site or comment.ErrNotFound (edits arrive without one).
	Site(ctx context.Context, id string) (site.Site, error)
	// EditComment applies an author's edit (see comment.Edit) in one transaction.
	EditComment(ctx context.Context, e comment.Edit) error
	// ApplyTransitions applies status changes, here an author deleting their comment.
	ApplyTransitions(ctx context.Context, ts []comment.Transition) error
	// CreateComment stores c in one transaction: it upserts the thread by (site, key),
	// inserts the comment, moves the thread's and author's counts by c.Status.Tally(),
	// and writes notify (when it has a type) to the outbox with c's new id. It sets c.ID
	// and c.ThreadID. A duplicate idempotency key is comment.ErrConflict.
	CreateComment(ctx context.Context, c *comment.Comment, thread comment.Thread, notify comment.Notice) error
}
