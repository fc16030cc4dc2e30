package sqlstore

import (
	"context"
	"fmt"

	"github.com/winnow/winnow/internal/comment"
)

// EditComment applies an author's or a moderator's edit in one transaction: the new
// text and verdict, only if the comment still has e.Comment.Status (comment.ErrConflict
// otherwise); e.Transition when set; a new thread version when e.NewVersion; e.Notify
// in the outbox when set; and e.Event, when set, in the audit log. Which of these an
// edit needs is the services' decision (intake.Service.Edit, moderation.Service.Edit).
// e.At, the edit's time, is required.
func (s *Store) EditComment(ctx context.Context, e comment.Edit) error {
	if e.At.IsZero() {
		return fmt.Errorf("sqlstore: edit comment: %w", comment.Invalid("at", "the edit's time is required"))
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("edit comment", err)
	}
	defer tx.Rollback()
	c := e.Comment
	res, err := tx.ExecContext(ctx, `UPDATE comments SET body_source = $1, body_html = $2, score = $3, reasons = $4,
		updated_at = $5, edit_token_hash = CASE WHEN $8 THEN '' ELSE edit_token_hash END WHERE id = $6 AND status = $7`,
		e.BodySource, e.BodyHTML, e.Score, list(e.Reasons), micros(e.At), c.ID, string(c.Status), e.EndAuthorEdits)
	if err := affectedOne("edit comment", res, err); err != nil {
		return fmt.Errorf("sqlstore: edit comment %d: changed since: %w", c.ID, comment.ErrConflict)
	}
	c.BodySource, c.BodyHTML, c.UpdatedAt = e.BodySource, e.BodyHTML, stored(e.At)
	changed := e.NewVersion
	if e.Transition != nil {
		t := *e.Transition
		t.Comment = c
		if err := s.applyTransition(ctx, tx, t); err != nil {
			return err
		}
		changed = changed || movesPublished(t)
	}
	if e.NewVersion {
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET version = version + 1 WHERE id = $1`, c.ThreadID); err != nil {
			return wrap("edit comment: thread", err)
		}
	}
	if e.Notify.Type != "" {
		if _, err := tx.ExecContext(ctx, outboxSQL, newOutboxEvent(e.Notify).args(c.ID, c.ThreadID, c.SiteID)...); err != nil {
			return wrap("edit comment: outbox", err)
		}
	}
	if e.Event != nil {
		if err := insertEvent(ctx, tx, *e.Event, c.SiteID, c.ID); err != nil {
			return wrap("edit comment: event", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("edit comment: commit", err)
	}
	if changed {
		s.localThreadChanged(c.ThreadID) // published text changed, or it was taken down
	}
	return nil
}
