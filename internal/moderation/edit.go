package moderation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// Audit log actions of a moderator writing rather than deciding. Neither can be
// undone: an edit is corrected by another edit, a reply is deleted.
const (
	ActionEdit  = "edit"
	ActionReply = "reply"
)

// EditRequest is a moderator's change to a comment's text (Markdown-lite source).
type EditRequest struct {
	Actor   string
	ID      int64
	Body    string
	Note    string
	Allowed func(siteID string) bool
}

// Edit replaces a comment's text with req.Body, sanitized and bounded as a submission
// is, and returns the comment as it now stands. The status, score and reasons stay:
// a moderator's text needs no judging. A published comment's thread gets a new version
// and consumers a comment.updated event; the audit log gets an "edit" event, all in one
// transaction. A deleted comment is not found; one changed meanwhile is a conflict.
func (s *Service) Edit(ctx context.Context, req EditRequest) (comment.Comment, error) {
	body := comment.NormalizeBody(req.Body)
	if err := comment.ValidateBody(body); err != nil {
		return comment.Comment{}, err
	}
	html := s.sanitizer.Render(body)
	if err := comment.ValidateShown(html.Text); err != nil {
		return comment.Comment{}, err
	}
	if len(req.Note) > MaxNote {
		return comment.Comment{}, comment.Invalid("note", fmt.Sprintf("at most %d bytes", MaxNote))
	}
	c, err := s.moderatable(ctx, req.ID, req.Allowed)
	if err != nil {
		return comment.Comment{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	e := comment.Edit{Comment: c, BodySource: body, BodyHTML: html.HTML, Score: c.Score, Reasons: c.Reasons, At: now,
		EndAuthorEdits: true, Event: &comment.Event{SiteID: c.SiteID, CommentID: c.ID, Actor: req.Actor, Action: ActionEdit,
			From: c.Status, To: c.Status, Note: strings.TrimSpace(req.Note), CreatedAt: now}}
	before := c
	c.BodySource, c.BodyHTML, c.UpdatedAt = body, html.HTML, now
	if c.Status == comment.StatusApproved { // its public view changed
		e.NewVersion, e.Notify = true, s.notice(comment.EventUpdated, now, c)
	}
	if err := s.store.EditComment(ctx, e); err != nil {
		return comment.Comment{}, fmt.Errorf("moderation: edit: %w", err)
	}
	if spam.Teaches(before.Trained) && before.BodySource != c.BodySource {
		// The classifier unlearns a comment by the text it holds, so its lesson moves
		// to the new text: forgotten with the old, taught again with the new.
		s.learn(ctx, before, "")
		c.Trained = ""
		s.learn(ctx, c, before.Trained)
		c.Trained = before.Trained
	}
	return c, nil
}

// ReplyRequest is a moderator answering a comment in the site's name.
type ReplyRequest struct {
	Actor string
	// Email is the moderator's account address, stored as the reply's private author
	// email like any author's; "" for an API token, which has none.
	Email    string
	ParentID int64
	Body     string
	Note     string
	Allowed  func(siteID string) bool
}

// Reply publishes a reply to a published comment as the site itself: author name the
// site's name, the moderator's email private, no address or user agent, no rate limit
// or spam score. It is stored as an approved submission is (thread count and version,
// comment.published to consumers) with a "reply" audit event, in one transaction. A
// reply to a comment that is not published would be hidden with it: that is a
// *comment.ConflictError.
func (s *Service) Reply(ctx context.Context, req ReplyRequest) (comment.Comment, error) {
	body := comment.NormalizeBody(req.Body)
	if err := comment.ValidateBody(body); err != nil {
		return comment.Comment{}, err
	}
	html := s.sanitizer.Render(body)
	if err := comment.ValidateShown(html.Text); err != nil {
		return comment.Comment{}, err
	}
	if len(req.Note) > MaxNote {
		return comment.Comment{}, comment.Invalid("note", fmt.Sprintf("at most %d bytes", MaxNote))
	}
	parent, err := s.moderatable(ctx, req.ParentID, req.Allowed)
	if err != nil {
		return comment.Comment{}, err
	}
	if parent.Status != comment.StatusApproved {
		return comment.Comment{}, comment.Conflict("parent_id",
			"comment %d is %s: approve it before replying, or the reply would be published under a hidden comment", parent.ID, parent.Status)
	}
	site, err := s.store.Site(ctx, parent.SiteID)
	if err != nil {
		return comment.Comment{}, fmt.Errorf("moderation: reply: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	c := comment.Comment{
		SiteID: site.ID, ThreadKey: parent.ThreadKey, ParentID: parent.ID,
		AuthorName: site.Name, AuthorEmail: req.Email,
		// The site's avatar, not the moderator's: every reply by the site looks alike,
		// and no moderator's address feeds a published hash. No author key: a site
		// has no reputation to build.
		AvatarHash: comment.SiteAvatarHash(s.secret, site.ID),
		BodySource: body, BodyHTML: html.HTML,
		Status: comment.StatusApproved, Reasons: []string{"reply by " + req.Actor},
		CreatedAt: now, UpdatedAt: now, PublishedAt: now,
	}
	ev := comment.Event{SiteID: site.ID, Actor: req.Actor, Action: ActionReply, To: comment.StatusApproved,
		Note: strings.TrimSpace(req.Note), CreatedAt: now}
	notify := s.notice(comment.EventFor("", c.Status), now, c)
	if err := s.store.CreateCommentWithEvent(ctx, &c, comment.Thread{SiteID: site.ID, Key: parent.ThreadKey}, notify, ev); err != nil {
		return comment.Comment{}, fmt.Errorf("moderation: reply: %w", err)
	}
	return c, nil
}

// moderatable loads the comment a moderator writes about: not found when missing or
// deleted, and not visible (also a 404) outside the moderator's sites.
func (s *Service) moderatable(ctx context.Context, id int64, allowed func(siteID string) bool) (comment.Comment, error) {
	cs, err := s.store.CommentsByID(ctx, []int64{id})
	if err != nil {
		return comment.Comment{}, fmt.Errorf("moderation: load comment %d: %w", id, err)
	}
	if len(cs) == 0 {
		return comment.Comment{}, fmt.Errorf("moderation: comment %d: %w", id, comment.ErrNotFound)
	}
	c := cs[0]
	if allowed != nil && !allowed(c.SiteID) {
		return comment.Comment{}, fmt.Errorf("moderation: comment %d: %w", id, comment.ErrNotVisible)
	}
	if c.Status == comment.StatusDeleted {
		return comment.Comment{}, fmt.Errorf("moderation: comment %d is deleted: %w", id, comment.ErrNotFound)
	}
	return c, nil
}
