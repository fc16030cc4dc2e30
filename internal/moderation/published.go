package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// PublishedStore is what learning from published comments needs from storage.
type PublishedStore interface {
	// UntaughtPublished returns up to limit comments first published from since until
	// before that are still published and have taught the classifier nothing (trained
	// ""), oldest first.
	UntaughtPublished(ctx context.Context, since, before time.Time, limit int) ([]comment.Comment, error)
	// LatestEvents returns each comment's latest audit event among ids, by comment id.
	LatestEvents(ctx context.Context, ids []int64) (map[int64]comment.Event, error)
}

// LeftAlone teaches the classifier from what moderators leave alone: a comment that
// stays published without a moderator touching it is one its site wants. Without this,
// a site that publishes without review (policy none, or returning authors under
// first_time) would teach its model spam and almost no ham, until common words read as
// spam. Each comment teaches once: its trained label records the lesson, so a
// moderator who later marks it spam turns the lesson around rather than adding one, and
// two replicas sweeping at once cannot both teach it (the second finds the label moved).
// A comment stored with the label spam.LabelNone is never looked at: an importer can
// keep imported comments from teaching that way, with no flag of their own.
type LeftAlone struct {
	store   PublishedStore
	learner Learner
}

// LearnLookBack bounds how long before the sweep's cut-off a comment may have been
// published and still teach: an upgrade teaches from the last week's comments, not
// from years of them at once, and a sweep reads only the recent end of the index.
const LearnLookBack = 7 * 24 * time.Hour

// NewLeftAlone returns the sweep's rule on store, teaching learner.
func NewLeftAlone(store PublishedStore, learner Learner) *LeftAlone {
	return &LeftAlone{store: store, learner: learner}
}

// Teach looks at up to limit comments published before before (and at most
// LearnLookBack earlier) that taught nothing yet, teaches ham from the ones left alone
// (spam.LabelLeft: a weaker lesson than a moderator's, which the model turns into
// spam.LabelNone past its cap) and marks the rest as teaching nothing (spam.LabelNone),
// so that none is looked at twice. It returns how many it looked at;
// fewer than limit means none is left.
func (l *LeftAlone) Teach(ctx context.Context, before time.Time, limit int) (int64, error) {
	cs, err := l.store.UntaughtPublished(ctx, before.Add(-LearnLookBack), before, limit)
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	latest, err := l.store.LatestEvents(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("moderation: published comments' events: %w", err)
	}
	for _, c := range cs {
		e, touched := latest[c.ID]
		label := spam.LabelNone
		if leftAlone(e, touched) {
			label = spam.LabelLeft // the model weighs it less, and caps it (spam.LabelLeft)
		}
		if err := l.learner.LearnComment(ctx, c, label); err != nil {
			return 0, fmt.Errorf("moderation: learn published comment %d: %w", c.ID, err)
		}
	}
	return int64(len(cs)), nil
}

// leftAlone says whether a published comment whose latest audit event is latest (if
// any) teaches ham: one nobody but its author touched, or one a moderator's approval
// published whose lesson did not land then. A reply written as the site, or a comment
// a moderator edited or whose decision was undone, teaches nothing: its text is the
// site's own, or a moderator's judgement of it is not a plain "wanted".
func leftAlone(latest comment.Event, any bool) bool {
	if !any {
		return true
	}
	if latest.Actor == comment.ActorAuthor {
		return true
	}
	switch Action(latest.Action) {
	case Approve, NotSpam:
		return true
	}
	return false
}
