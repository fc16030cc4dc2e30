package moderation

import (
	"context"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// Store is what moderator actions need from storage.
type Store interface {
	// CommentsByID returns the comments that exist among ids, in any order.
	CommentsByID(ctx context.Context, ids []int64) ([]comment.Comment, error)
	// ApplyTransitions applies every transition in one transaction or none of them.
	// A comment whose status is no longer t.Comment.Status makes the whole batch fail
	// with comment.ErrConflict.
	ApplyTransitions(ctx context.Context, ts []comment.Transition) error
	// CreateBan stores a ban and sets its ID.
	CreateBan(ctx context.Context, b *comment.Ban) error
	// LatestEvents returns each comment's latest audit event among ids, by comment id;
	// comments without events have no entry.
	LatestEvents(ctx context.Context, ids []int64) (map[int64]comment.Event, error)
	// ApprovedReplies returns the ids of the approved replies to each of parentIDs, by
	// parent; parents without any have no entry.
	ApprovedReplies(ctx context.Context, parentIDs []int64) (map[int64][]int64, error)
	// EditComment applies a change of text (see comment.Edit) in one transaction.
	EditComment(ctx context.Context, e comment.Edit) error
	// Site returns a site or comment.ErrNotFound.
	Site(ctx context.Context, id string) (site.Site, error)
	// CreateCommentWithEvent stores a new comment as intake's CreateComment does (thread
	// counts and version, notify in the outbox) and appends e about it to the audit log,
	// in one transaction. It sets c.ID and c.ThreadID.
	CreateCommentWithEvent(ctx context.Context, c *comment.Comment, thread comment.Thread, notify comment.Notice, e comment.Event) error
}
