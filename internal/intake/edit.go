package intake

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/spam"
)

// authorActor names an author's own edits and deletions in the audit log.
const authorActor = comment.ActorAuthor

// Edit changes an author's comment text, with the edit token the submission returned,
// inside comment.EditWindow. The new text is sanitized and judged again; an edit can
// keep or worsen the comment's status, never improve it (moderation.AfterEdit). meta
// is the editing request's (its address is checked against bans).
func (s *Service) Edit(ctx context.Context, id int64, token, body string, meta Meta) (Result, error) {
	c, err := s.authorsComment(ctx, id, token)
	if err != nil {
		return Result{}, err
	}
	site, err := s.store.Site(ctx, c.SiteID)
	if err != nil {
		return Result{}, fmt.Errorf("intake: edit: %w", err)
	}
	// An edit changes the text alone, so the text alone is checked, by the rules of a
	// submission's body: a name stored before a rule was added cannot lock its author
	// out of their own comment.
	body = comment.NormalizeBody(body)
	if err := comment.ValidateBody(body); err != nil {
		return Result{}, err
	}
	sub := comment.Submission{Thread: c.ThreadKey, AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail, AuthorURL: c.AuthorURL, Body: body}
	keys := comment.SubmissionKeys(s.secret, s.v6bits, sub.AuthorName, sub.AuthorEmail, sub.AuthorURL, meta.IP)
	keys.Author = c.AuthorKey // the key the comment's author is counted by
	text := spam.Read(body)
	g, err := s.peek(ctx, site, sub, meta, keys, text)
	if err == nil {
		err = s.charge(ctx, &g)
	}
	if err != nil {
		return Result{}, err // edits count against the submission limits, and towards a campaign
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	record, err := s.record(ctx, site.ID, sub, keys, Meta{IP: meta.IP}, now)
	if err != nil {
		return Result{}, fmt.Errorf("intake: edit: %w", err)
	}
	// An edit comes without the form, so it has no form token to judge.
	j, err := s.judge(site, sub, meta, submitted{campaign: g.campaign(), text: text}, record)
	if err != nil {
		return Result{}, fmt.Errorf("intake: edit: %w", err)
	}
	html, v := j.html, j.verdict
	e := comment.Edit{Comment: c, BodySource: sub.Body, BodyHTML: html, Score: v.Score, Reasons: v.Reasons, At: now}
	status := moderation.AfterEdit(c.Status, v, site.Policy)
	edited := c
	edited.BodySource, edited.BodyHTML, edited.Score, edited.Reasons, edited.Status, edited.UpdatedAt = sub.Body, html, v.Score, v.Reasons, status, now
	if status != c.Status {
		e.Transition = &comment.Transition{To: status, PublishedAt: c.PublishedAt,
			Notify: s.notice(comment.EventFor(c.Status, status), now, edited),
			Event:  comment.Event{Actor: authorActor, Action: "edit", CreatedAt: now}}
	} else {
		// Every author edit is in the audit log, not only those that move the comment.
		e.Event = &comment.Event{SiteID: c.SiteID, CommentID: c.ID, Actor: authorActor, Action: "edit",
			From: status, To: status, CreatedAt: now}
		if status == comment.StatusApproved { // its public view changed
			e.NewVersion, e.Notify = true, s.notice(comment.EventUpdated, now, edited)
		}
	}
	if err := s.store.EditComment(ctx, e); err != nil {
		return Result{}, fmt.Errorf("intake: edit: %w", err)
	}
	return Result{Comment: edited, EditToken: token}, nil
}

// Delete removes an author's comment, with its edit token, inside comment.EditWindow.
func (s *Service) Delete(ctx context.Context, id int64, token string) error {
	c, err := s.authorsComment(ctx, id, token)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	gone := c
	gone.Status, gone.UpdatedAt = comment.StatusDeleted, now
	t := comment.Transition{Comment: c, To: comment.StatusDeleted, PublishedAt: c.PublishedAt,
		Notify: s.notice(comment.EventFor(c.Status, comment.StatusDeleted), now, gone),
		Event:  comment.Event{Actor: authorActor, Action: "delete", CreatedAt: now}}
	if err := s.store.ApplyTransitions(ctx, []comment.Transition{t}); err != nil {
		return fmt.Errorf("intake: delete: %w", err)
	}
	return nil
}

// authorsComment loads a comment its author may still change: the token matches and
// the window is open. A wrong token, and a comment a moderator rejected, deleted or
// judged spam, are all "not found", so the answer tells a stranger nothing, and a
// spammer cannot delete the record of their spam.
func (s *Service) authorsComment(ctx context.Context, id int64, token string) (comment.Comment, error) {
	c, err := s.store.Comment(ctx, id)
	if err != nil {
		return comment.Comment{}, fmt.Errorf("intake: comment %d: %w", id, err)
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(c.EditTokenHash)) != 1 ||
		c.Status == comment.StatusDeleted || c.Status == comment.StatusRejected || c.Status == comment.StatusSpam {
		return comment.Comment{}, fmt.Errorf("intake: comment %d: %w", id, comment.ErrNotFound)
	}
	if s.now().Sub(c.CreatedAt) > comment.EditWindow {
		return comment.Comment{}, fmt.Errorf("intake: comment %d: %w", id, comment.ErrEditClosed)
	}
	return c, nil
}
