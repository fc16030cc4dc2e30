package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/winnow/winnow/internal/comment"
)

const (
	// transitionSQL moves one comment only if it still has the status the moderator
	// saw, and returns what the counts need.
	transitionSQL = `UPDATE comments SET status = $1, updated_at = $2, published_at = $3
	WHERE id = $4 AND status = $5
	RETURNING site_id, thread_id, author_key, page_url, page_title`
	// threadApprovedSQL moves a thread's approved count and, since its public view
	// changed, its version. A thread without a URL or title takes those its newly
	// published comment was posted from.
	threadApprovedSQL = `UPDATE threads SET approved_count = approved_count + $1, version = version + 1,
		url = CASE WHEN url = '' AND $1 > 0 THEN $3 ELSE url END,
		title = CASE WHEN title = '' AND $1 > 0 THEN $4 ELSE title END
	WHERE id = $2`
	insertEventSQL = `INSERT INTO moderation_events
		(site_id, comment_id, actor, action, from_status, to_status, note, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	// latestEventSQL is the id of a comment's latest audit event (0 without one).
	latestEventSQL = `SELECT COALESCE(MAX(id), 0) FROM moderation_events WHERE comment_id = $1`
)

// LatestEvents returns each comment's latest audit event among ids, by comment id;
// a comment without events has no entry. Undo reads what it would reverse here.
func (s *Store) LatestEvents(ctx context.Context, ids []int64) (map[int64]comment.Event, error) {
	out := make(map[int64]comment.Event, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, selectEvents+` WHERE id IN (SELECT MAX(id) FROM moderation_events
		WHERE comment_id IN (`+placeholders(1, len(ids))+`) GROUP BY comment_id)`, args...)
	if err != nil {
		return nil, wrap("latest events", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, wrap("latest events", err)
		}
		out[e.CommentID] = e
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("latest events", err)
	}
	return out, nil
}

// approvedRepliesSQL finds the approved replies to n parents. "parent_id <> 0" lets
// SQLite use the partial index comments_replies; without ORDER BY id, which
// comments_status would serve, the planners do not prefer reading every approved
// comment.
func approvedRepliesSQL(n int) string {
	return `SELECT parent_id, id FROM comments
	WHERE parent_id <> 0 AND parent_id IN (` + placeholders(1, n) + `) AND status = 'approved'`
}

// ApprovedReplies returns the ids of the approved replies to each of parentIDs, by
// parent, in id order; a parent without any has no entry. Undo refuses to hide a
// comment that would leave them published under it.
func (s *Store) ApprovedReplies(ctx context.Context, parentIDs []int64) (map[int64][]int64, error) {
	out, err := s.replyIDs(ctx, "approved replies", approvedRepliesSQL(len(parentIDs)), parentIDs)
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out, err
}

// replyIDs runs query, which selects (parent_id, id) for the parents given as its
// arguments, and groups the ids by parent.
func (s *Store) replyIDs(ctx context.Context, op, query string, parentIDs []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(parentIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(parentIDs))
	for i, id := range parentIDs {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var parent, id int64
		if err := rows.Scan(&parent, &id); err != nil {
			return nil, wrap(op, err)
		}
		out[parent] = append(out[parent], id)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// ApplyTransitions applies a batch of moderator decisions in one transaction: each
// comment moves from t.Comment.Status to t.To, the thread's and the author's counts
// follow, and t.Event is appended to the audit log (its SiteID, CommentID, From, To
// filled in from the transition when empty; its CreatedAt, the decision's time, is
// required), and t.Notify, when set, is written to the webhook outbox for every
// subscribed endpoint, with the thread's url and title as they stand then. The counts
// move by the difference of the two statuses' comment.Tally. If any comment no longer
// has the status the moderator saw, or a transition would not change the status,
// nothing is written and the error wraps comment.ErrConflict; so does a transition
// with AfterEvent set when the comment has had a later audit event.
func (s *Store) ApplyTransitions(ctx context.Context, ts []comment.Transition) error {
	for _, t := range ts {
		if !t.To.Valid() {
			return fmt.Errorf("sqlstore: apply transitions: %w", comment.Invalid("status", "unknown status"))
		}
		if t.Event.CreatedAt.IsZero() {
			return fmt.Errorf("sqlstore: apply transitions: %w", comment.Invalid("created_at", "the decision's time is required"))
		}
		if t.To == t.Comment.Status {
			return fmt.Errorf("sqlstore: apply transitions: comment %d is already %s: %w", t.Comment.ID, t.To, comment.ErrConflict)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("apply transitions", err)
	}
	defer tx.Rollback()
	for _, t := range ts {
		if err := s.applyTransition(ctx, tx, t); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("apply transitions: commit", err)
	}
	for _, t := range ts {
		if movesPublished(t) {
			s.localThreadChanged(t.Comment.ThreadID) // published or taken down
		}
	}
	return nil
}

// movesPublished reports whether t changes its thread's approved count, and with it
// (threadApprovedSQL) the thread's version.
func movesPublished(t comment.Transition) bool {
	return t.To.Tally().Approved != t.Comment.Status.Tally().Approved
}

func (s *Store) applyTransition(ctx context.Context, tx *sql.Tx, t comment.Transition) error {
	from, e := t.Comment.Status, t.Event
	at := micros(e.CreatedAt)
	var (
		siteID, authorKey, pageURL, pageTitle string
		threadID                              int64
	)
	err := tx.QueryRowContext(ctx, transitionSQL, string(t.To), at, micros(t.PublishedAt), t.Comment.ID, string(from)).
		Scan(&siteID, &threadID, &authorKey, &pageURL, &pageTitle)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlstore: apply transitions: comment %d is no longer %s: %w", t.Comment.ID, from, comment.ErrConflict)
	}
	if err != nil {
		return wrap("apply transitions", err)
	}
	if t.AfterEvent != 0 {
		// Checked after the update, which holds the comment's row: a concurrent change
		// has committed its event by now, or waits for this transaction.
		var latest int64
		if err := tx.QueryRowContext(ctx, latestEventSQL, t.Comment.ID).Scan(&latest); err != nil {
			return wrap("apply transitions: latest event", err)
		}
		if latest != t.AfterEvent {
			return fmt.Errorf("sqlstore: apply transitions: comment %d changed since event %d: %w", t.Comment.ID, t.AfterEvent, comment.ErrConflict)
		}
	}

	d := t.To.Tally().Minus(from.Tally())
	if d.Approved != 0 {
		if _, err := tx.ExecContext(ctx, threadApprovedSQL, d.Approved, threadID, pageURL, pageTitle); err != nil {
			return wrap("apply transitions: thread", err)
		}
	}
	if d != (comment.Tally{}) && authorKey != "" {
		if _, err := tx.ExecContext(ctx, upsertAuthorSQL, siteID, authorKey, d.Approved, d.Spam); err != nil {
			return wrap("apply transitions: author", err)
		}
	}

	if e.From == "" {
		e.From = from
	}
	if e.To == "" {
		e.To = t.To
	}
	if err := insertEvent(ctx, tx, e, siteID, t.Comment.ID); err != nil {
		return wrap("apply transitions: event", err)
	}
	if t.Notify.Type != "" {
		if _, err := tx.ExecContext(ctx, outboxSQL, newOutboxEvent(t.Notify).args(t.Comment.ID, threadID, siteID)...); err != nil {
			return wrap("apply transitions: outbox", err)
		}
	}
	return nil
}

// insertEvent appends e to the audit log, with the comment's site and id when e lacks them.
func insertEvent(ctx context.Context, tx *sql.Tx, e comment.Event, siteID string, commentID int64) error {
	if e.SiteID == "" {
		e.SiteID = siteID
	}
	if e.CommentID == 0 {
		e.CommentID = commentID
	}
	_, err := tx.ExecContext(ctx, insertEventSQL, e.SiteID, e.CommentID, e.Actor, e.Action,
		string(e.From), string(e.To), e.Note, micros(e.CreatedAt))
	return err
}
