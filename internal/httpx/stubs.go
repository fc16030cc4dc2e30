package httpx

import (
	"cmp"
	"context"
	"slices"

	"github.com/winnow/winnow/internal/comment"
)

// WithStubs is a thread's approved comments (oldest first) as readers see them
// (comment.Visible): each deleted comment a published reply hangs from, directly or
// further up, comes back as a "[deleted]" stub in its place, so the reply keeps its
// place too. It costs a read (load, by ids) per level of deleted ancestors, and none
// for a thread without such replies, which is nearly every thread.
func WithStubs(ctx context.Context, cs []comment.Comment, load func(ctx context.Context, ids []int64) ([]comment.Comment, error)) ([]comment.Comment, error) {
	asked := map[int64]bool{}
	all := cs
	for {
		var ids []int64
		for _, id := range comment.MissingParents(all) {
			if !asked[id] {
				asked[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			break
		}
		parents, err := load(ctx, ids)
		if err != nil {
			return nil, err
		}
		found := false
		for _, p := range parents {
			// Only a deleted parent is shown as a stub; a reply to a held or rejected
			// one stays at the top level, as before.
			if p.Status == comment.StatusDeleted && p.ThreadID == cs[0].ThreadID {
				all, found = append(all[:len(all):len(all)], p), true
			}
		}
		if !found {
			break
		}
	}
	if len(all) == len(cs) {
		return cs, nil
	}
	slices.SortStableFunc(all, func(a, b comment.Comment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return comment.Visible(all), nil
}
