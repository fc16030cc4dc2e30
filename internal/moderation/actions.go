package moderation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/spam"
)

// Action is a moderator's decision about a comment.
type Action string

// The actions a moderator can take. NotSpam publishes: it says the comment is a real
// reader's, which is also what the classifier will learn from it.
const (
	Approve Action = "approve"
	Reject  Action = "reject"
	Spam    Action = "spam"
	NotSpam Action = "not-spam"
	Delete  Action = "delete"
)

// MaxBatch bounds one bulk action, so one request holds one transaction of bounded size.
const MaxBatch = 500

// MaxNote bounds a moderator's note in the audit log.
const MaxNote = 1000

// Target is the status an action moves a comment to.
func (a Action) Target() (comment.Status, bool) {
	switch a {
	case Approve, NotSpam:
		return comment.StatusApproved, true
	case Reject:
		return comment.StatusRejected, true
	case Spam:
		return comment.StatusSpam, true
	case Delete:
		return comment.StatusDeleted, true
	}
	return "", false
}

// Request is one moderator decision over one or more comments.
type Request struct {
	Actor  string
	Action Action
	IDs    []int64
	Note   string
	// Allowed says whether the actor may moderate a site's comments.
	Allowed func(siteID string) bool
}

// Learner is taught by moderator decisions (spam.Model): a comment is spam or ham,
// or, with the label "", nothing any more (what it taught before is unlearned).
type Learner interface {
	LearnComment(ctx context.Context, c comment.Comment, label string) error
}

// Service applies moderator decisions.
type Service struct {
	store     Store
	learner   Learner
	sanitizer *sanitize.Sanitizer
	secret    []byte
	v6bits    int
	baseURL   string
	log       *slog.Logger
	now       func() time.Time
}

// NewService returns a Service on store; learner (may be nil) is taught by every
// decision; sanitizer renders moderators' edits and replies as intake renders
// submissions; secret keys the hashes bans and avatars are kept by; v6bits is the
// IPv6 prefix that is one client (http.ipv6_prefix), the least an IPv6 ban covers;
// baseURL is how webhook consumers reach winnow (avatar links in the events its
// decisions send); now is the clock.
func NewService(store Store, learner Learner, sanitizer *sanitize.Sanitizer, secret []byte, v6bits int, baseURL string, log *slog.Logger, now func() time.Time) *Service {
	return &Service{store: store, learner: learner, sanitizer: sanitizer, secret: secret, v6bits: v6bits, baseURL: baseURL, log: log, now: now}
}

// notice builds the webhook event a decision sends about c, as the decision leaves it.
func (s *Service) notice(t comment.EventType, at time.Time, c comment.Comment) comment.Notice {
	return comment.CommentNotice(t, at, c, s.baseURL)
}

// Lesson is what a decision teaches the classifier: spam and reject say "unwanted",
// approve and not-spam say "wanted"; delete says nothing.
func (a Action) Lesson() string {
	switch a {
	case Spam, Reject:
		return spam.LabelSpam
	case Approve, NotSpam:
		return spam.LabelHam
	}
	return ""
}

// Apply carries out req on every comment in it, all or nothing, and returns the
// comments as they now stand. Comments already in the target status are left alone and
// get no audit event. A concurrent change by another moderator is retried once on fresh
// data before it is reported as comment.ErrConflict.
func (s *Service) Apply(ctx context.Context, req Request) ([]comment.Comment, error) {
	to, ok := req.Action.Target()
	if !ok {
		return nil, comment.Invalid("action", "must be approve, reject, spam, not-spam or delete")
	}
	ids, err := checkIDs(req.IDs)
	if err != nil {
		return nil, err
	}
	if len(req.Note) > MaxNote {
		return nil, comment.Invalid("note", fmt.Sprintf("at most %d bytes", MaxNote))
	}
	for attempt := 0; ; attempt++ {
		cs, err := s.apply(ctx, req, ids, to)
		if errors.Is(err, comment.ErrConflict) && attempt == 0 {
			continue
		}
		if err == nil {
			s.teach(ctx, req.Action, cs)
		}
		return cs, err
	}
}

// teach passes the decision on to the classifier, including for comments that were
// already where the moderator put them: confirming a verdict is a lesson too. The
// decision itself is committed by now, so a failure to learn is logged, not returned.
func (s *Service) teach(ctx context.Context, a Action, cs []comment.Comment) {
	label := a.Lesson()
	if s.learner == nil || label == "" {
		return
	}
	for _, c := range cs {
		if err := s.learner.LearnComment(ctx, c, label); err != nil {
			s.log.Warn("classifier did not learn a decision", slog.Int64("comment_id", c.ID), slog.String("error", err.Error()))
		}
	}
}

func (s *Service) apply(ctx context.Context, req Request, ids []int64, to comment.Status) ([]comment.Comment, error) {
	cs, err := s.store.CommentsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("moderation: load comments: %w", err)
	}
	if len(cs) != len(ids) {
		return nil, fmt.Errorf("moderation: %d of %d comments: %w", len(ids)-len(cs), len(ids), comment.ErrNotFound)
	}
	now := s.now().UTC().Truncate(time.Microsecond) // the precision times are stored at
	var ts []comment.Transition
	for i, c := range cs {
		if req.Allowed != nil && !req.Allowed(c.SiteID) {
			return nil, fmt.Errorf("moderation: comment %d: %w", c.ID, comment.ErrNotVisible)
		}
		if c.Status == comment.StatusDeleted {
			return nil, fmt.Errorf("moderation: comment %d is deleted: %w", c.ID, comment.ErrNotFound)
		}
		if c.Status == to {
			continue
		}
		published := c.PublishedAt
		if to == comment.StatusApproved && published.IsZero() {
			published = now // a comment is published once, at its first approval
		}
		cs[i].Status, cs[i].UpdatedAt, cs[i].PublishedAt = to, now, published
		ts = append(ts, comment.Transition{Comment: c, To: to, PublishedAt: published,
			Notify: s.notice(comment.EventFor(c.Status, to), now, cs[i]), Event: comment.Event{
				SiteID: c.SiteID, CommentID: c.ID, Actor: req.Actor, Action: string(req.Action),
				From: c.Status, To: to, Note: strings.TrimSpace(req.Note), CreatedAt: now,
			}})
	}
	if len(ts) > 0 {
		if err := s.store.ApplyTransitions(ctx, ts); err != nil {
			return nil, fmt.Errorf("moderation: %s: %w", req.Action, err)
		}
	}
	slices.SortFunc(cs, func(a, b comment.Comment) int { return cmp.Compare(a.ID, b.ID) })
	return cs, nil
}

// checkIDs rejects empty, oversized and malformed batches and drops repeats.
func checkIDs(ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, comment.Invalid("ids", "required")
	}
	if len(ids) > MaxBatch {
		return nil, comment.Invalid("ids", fmt.Sprintf("at most %d per request", MaxBatch))
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out[0] <= 0 {
		return nil, comment.Invalid("ids", "must be comment ids")
	}
	return out, nil
}
