package moderation

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// ActionUndo names an undone decision in the audit log. An undo cannot itself be
// undone: the decision it reversed is taken again instead.
const ActionUndo = "undo"

// UndoRequest asks to reverse the actor's last decision on each of IDs: the ids the
// dashboard's last action touched.
type UndoRequest struct {
	Actor   string
	IDs     []int64
	Note    string
	Allowed func(siteID string) bool
}

// Undo reverses the actor's last decision on every comment in req, all or nothing, and
// returns the comments as they now stand. A comment qualifies when its latest audit
// event is a decision (approve, reject, spam, not-spam, delete) by req.Actor and it
// still has the status that decision gave it; it goes back to the status before,
// deleted comments included. Anything else (someone else's decision, a later change, an
// edit, a reply, an undo, no decision at all) fails the request with a
// *comment.ConflictError that names the comment, and nothing changes; so does undoing
// the approval of a comment whose published replies the undo would leave under it.
// Undoing a first approval unpublishes and clears the publication time, and the
// classifier unlearns the lesson: the comment teaches what its restored status says,
// or nothing.
func (s *Service) Undo(ctx context.Context, req UndoRequest) ([]comment.Comment, error) {
	ids, err := checkIDs(req.IDs)
	if err != nil {
		return nil, err
	}
	if len(req.Note) > MaxNote {
		return nil, comment.Invalid("note", fmt.Sprintf("at most %d bytes", MaxNote))
	}
	cs, err := s.store.CommentsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("moderation: undo: load comments: %w", err)
	}
	if len(cs) != len(ids) {
		return nil, fmt.Errorf("moderation: undo: %d of %d comments: %w", len(ids)-len(cs), len(ids), comment.ErrNotFound)
	}
	for _, c := range cs {
		if req.Allowed != nil && !req.Allowed(c.SiteID) {
			return nil, fmt.Errorf("moderation: undo: comment %d: %w", c.ID, comment.ErrNotVisible)
		}
	}
	latest, err := s.store.LatestEvents(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("moderation: undo: load events: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	ts := make([]comment.Transition, 0, len(cs))
	before := slices.Clone(cs)
	for i, c := range cs {
		e, ok := latest[c.ID]
		if err := undoable(c, e, ok, req.Actor); err != nil {
			return nil, err
		}
		published := c.PublishedAt
		if e.To == comment.StatusApproved && published.Equal(e.CreatedAt) {
			published = time.Time{} // the undone approval was its first: it was never published
		}
		cs[i].Status, cs[i].UpdatedAt, cs[i].PublishedAt = e.From, now, published
		ts = append(ts, comment.Transition{Comment: c, To: e.From, PublishedAt: published,
			Notify: s.notice(comment.EventFor(c.Status, e.From), now, cs[i]), AfterEvent: e.ID,
			Event: comment.Event{SiteID: c.SiteID, CommentID: c.ID, Actor: req.Actor, Action: ActionUndo,
				From: c.Status, To: e.From, Note: strings.TrimSpace(req.Note), CreatedAt: now}})
	}
	if err := s.checkReplies(ctx, before, cs); err != nil {
		return nil, err
	}
	if err := s.store.ApplyTransitions(ctx, ts); err != nil {
		return nil, fmt.Errorf("moderation: undo: %w", err)
	}
	for i, c := range before { // c as the classifier last saw it, cs[i] as it now stands
		s.learn(ctx, c, lessonOf(cs[i].Status))
	}
	slices.SortFunc(cs, func(a, b comment.Comment) int { return cmp.Compare(a.ID, b.ID) })
	return cs, nil
}

// checkReplies refuses an undo that would hide a comment (from approved in before to
// anything else in after) while replies to it stay published, which would leave them
// showing under a hidden comment, as Reply refuses to; replies this undo also hides do
// not count. The check is not in the transaction: a reply approved at the same moment
// can still slip past it, as with Reply.
func (s *Service) checkReplies(ctx context.Context, before, after []comment.Comment) error {
	var hidden []int64
	for i, c := range before {
		if c.Status == comment.StatusApproved && after[i].Status != comment.StatusApproved {
			hidden = append(hidden, c.ID)
		}
	}
	if len(hidden) == 0 {
		return nil
	}
	slices.Sort(hidden) // the first comment named is the same every time
	replies, err := s.store.ApprovedReplies(ctx, hidden)
	if err != nil {
		return fmt.Errorf("moderation: undo: load replies: %w", err)
	}
	for _, id := range hidden {
		for _, reply := range replies[id] {
			if !slices.Contains(hidden, reply) {
				return comment.Conflict("ids", "comment %d has published replies; unpublish them first", id)
			}
		}
	}
	return nil
}

// undoable says why c's latest event e (ok false: none) is not actor's decision to
// reverse, or nil when it is.
func undoable(c comment.Comment, e comment.Event, ok bool, actor string) error {
	_, decision := Action(e.Action).Target()
	switch {
	case !ok:
		return comment.Conflict("ids", "comment %d has no moderator decision to undo", c.ID)
	case e.Actor != actor:
		return comment.Conflict("ids", "comment %d was last changed by someone else", c.ID)
	case e.Action == ActionUndo:
		return comment.Conflict("ids", "comment %d: the last decision is already undone", c.ID)
	case !decision || !e.From.Valid() || e.From == e.To:
		return comment.Conflict("ids", "comment %d: the last action (%s) cannot be undone", c.ID, e.Action)
	case c.Status != e.To:
		return comment.Conflict("ids", "comment %d changed since the last decision", c.ID)
	}
	return nil
}

// lessonOf is what a comment in status st teaches the classifier once a decision about
// it is undone: its restored status's label, or nothing for a pending or deleted one.
func lessonOf(st comment.Status) string {
	switch st {
	case comment.StatusApproved:
		return spam.LabelHam
	case comment.StatusSpam, comment.StatusRejected:
		return spam.LabelSpam
	}
	return ""
}

// learn teaches the classifier label about c ("" unlearns). The change is committed by
// now, so a failure to learn is logged, not returned.
func (s *Service) learn(ctx context.Context, c comment.Comment, label string) {
	if s.learner == nil {
		return
	}
	if err := s.learner.LearnComment(ctx, c, label); err != nil {
		s.log.Warn("classifier did not learn a decision", slog.Int64("comment_id", c.ID), slog.String("error", err.Error()))
	}
}
