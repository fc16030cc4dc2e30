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
	if err := s.checkLimits(ctx, site, c.ThreadKey, comment.EmailKey(s.secret, c.AuthorEmail), meta.IP); err != nil {
		return Result{}, err // edits count against the submission limits
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	record, err := s.store.Record(ctx, site.ID, c.AuthorKey, s.reputationKey(meta.IP),
		comment.SubmissionBanKeys(s.secret, s.v6bits, c.AuthorEmail, c.AuthorURL, meta.IP), now.Add(-AddressMemory), now)
	if err != nil {
		return Result{}, fmt.Errorf("intake: edit: %w", err)
	}
	// Rendered after the limits, which bound what a client can make the renderer do.
	r := s.sanitizer.Render(sub.Body)
	if err := comment.ValidateShown(r.Text); err != nil {
		return Result{}, err
	}
	html := r.HTML
	text := spam.Read(sub.Body)
	campaign, err := s.campaign(ctx, site.ID, sub, text, c.AuthorKey)
	if err != nil {
		return Result{}, err
	}
	v := s.scorer.Score(spam.Input{Site: site, Submission: sub, Links: len(r.Links), IP: meta.IP,
		UserAgent: meta.UserAgent, Author: record.Author, AddressApproved: record.IPApproved,
		AddressSpam: record.IPSpam, Banned: record.Banned, Campaign: campaign, Text: text})
	e := comment.Edit{Comment: c, BodySource: sub.Body, BodyHTML: html, Score: v.Score, Reasons: v.Reasons, At: now}
	status := moderation.AfterEdit(c.Status, v, site.Policy)
	if status != c.Status {
		e.Transition = &comment.Transition{To: status, PublishedAt: c.PublishedAt, Notify: comment.EventFor(c.Status, status),
			Event: comment.Event{Actor: authorActor, Action: "edit", CreatedAt: now}}
	} else {
		// Every author edit is in the audit log, not only those that move the comment.
		e.Event = &comment.Event{SiteID: c.SiteID, CommentID: c.ID, Actor: authorActor, Action: "edit",
			From: status, To: status, CreatedAt: now}
		if status == comment.StatusApproved {
			e.Notify = comment.EventUpdated
		}
	}
	if err := s.store.EditComment(ctx, e); err != nil {
		return Result{}, fmt.Errorf("intake: edit: %w", err)
	}
	c.BodySource, c.BodyHTML, c.Score, c.Reasons, c.Status, c.UpdatedAt = sub.Body, html, v.Score, v.Reasons, status, now
	return Result{Comment: c, EditToken: token}, nil
}

// Delete removes an author's comment, with its edit token, inside comment.EditWindow.
func (s *Service) Delete(ctx context.Context, id int64, token string) error {
	c, err := s.authorsComment(ctx, id, token)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	t := comment.Transition{Comment: c, To: comment.StatusDeleted, PublishedAt: c.PublishedAt,
		Notify: comment.EventFor(c.Status, comment.StatusDeleted),
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
