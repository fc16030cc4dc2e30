package moderation

import (
	"context"

	"github.com/winnow/winnow/internal/comment"
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
}
