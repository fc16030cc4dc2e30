package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
)

// KeyEmails gives up to limit comments that keep an email but no key of it (written
// before schema version 23, or by a writer that set none) the key that key returns
// for their address, and reports how many it keyed; a search by key (CommentsByEmailKey)
// then finds them. Which secret makes a key is the caller's rule. The partial index
// comments_unkeyed_email makes a call that finds none cost one index probe.
func (s *Store) KeyEmails(ctx context.Context, limit int, key func(email string) string) (int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, author_email FROM comments
		WHERE email_key = '' AND author_email <> '' ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return 0, wrap("key emails", err)
	}
	type addressed struct {
		id    int64
		email string
	}
	var found []addressed
	for rows.Next() {
		var a addressed
		if err := rows.Scan(&a.id, &a.email); err != nil {
			rows.Close()
			return 0, wrap("key emails", err)
		}
		found = append(found, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("key emails", err)
	}
	if len(found) == 0 {
		return 0, nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap("key emails", err)
	}
	defer tx.Rollback()
	var n int64
	for _, a := range found {
		k := key(a.email)
		if k == "" {
			return 0, fmt.Errorf("sqlstore: key emails: no key for the email of comment %d", a.id)
		}
		res, err := tx.ExecContext(ctx, `UPDATE comments SET email_key = $1 WHERE id = $2 AND author_email = $3 AND email_key = ''`, k, a.id, a.email)
		if err != nil {
			return 0, wrap("key emails", err)
		}
		changed, err := res.RowsAffected()
		if err != nil {
			return 0, wrap("key emails", err)
		}
		n += changed
	}
	if err := tx.Commit(); err != nil {
		return 0, wrap("key emails: commit", err)
	}
	return n, nil
}

// CommentsByEmailKey returns every comment whose email has the key emailKey, on the
// sites among sites (every site for nil), oldest first, whatever their status.
func (s *Store) CommentsByEmailKey(ctx context.Context, emailKey string, sites []string) ([]comment.Comment, error) {
	if emailKey == "" {
		return []comment.Comment{}, nil
	}
	q, args := selectComments+` WHERE c.email_key = $1`, []any{emailKey}
	if sites != nil {
		if len(sites) == 0 {
			return []comment.Comment{}, nil
		}
		q += ` AND c.site_id IN (` + placeholders(2, len(sites)) + `)`
		for _, site := range sites {
			args = append(args, site)
		}
	}
	return s.queryComments(ctx, "comments by email key", q+` ORDER BY c.created_at, c.id`, args...)
}

// Replies returns the ids of the replies to each of parentIDs in any status, by
// parent; a parent without any has no entry.
func (s *Store) Replies(ctx context.Context, parentIDs []int64) (map[int64][]int64, error) {
	return s.replyIDs(ctx, "replies", `SELECT parent_id, id FROM comments
		WHERE parent_id <> 0 AND parent_id IN (`+placeholders(1, len(parentIDs))+`) ORDER BY id`, parentIDs)
}

// The statements of EraseCommenter. Each write is conditioned on the status the
// erasure was decided on, so a comment changed meanwhile fails the whole erasure.
const (
	eraseRemoveSQL = `DELETE FROM comments WHERE id = $1 AND status = $2 RETURNING thread_id`
	eraseStubSQL   = `UPDATE comments SET author_name = $1, author_email = '', author_url = '', author_key = '',
		email_key = '', avatar_hash = $2, ip = '', ip_key = '', user_agent = '', body_source = $3, body_html = $4,
		status = $5, reasons = '[]', edit_token_hash = '', idempotency_key = '', trained = $6, page_url = '',
		page_title = '', updated_at = $7
	WHERE id = $8 AND status = $9 RETURNING thread_id`
	// eraseThreadSQL moves a thread's approved count (by $1, zero or negative) and its
	// version: the public view of the thread changed either way.
	eraseThreadSQL = `UPDATE threads SET approved_count = approved_count + $1, version = version + 1 WHERE id = $2`
)

// EraseCommenter carries out e in one transaction (see comment.Erasure): the comments
// in e.Remove are deleted, those in e.Stubs overwritten with their stub, their threads'
// counts and versions follow, every webhook delivery about any of them is deleted
// whatever its state (the payloads hold the text) and e.Notices are written to the
// outbox in their place, the reputation rows in e.Authors are deleted, the notes of
// the audit events about the comments cleared (a moderator's note may quote the
// text), e.Events appended and the tokens of e.SpamScopes that count nothing deleted. A comment whose status is no longer the one e says
// fails it all with comment.ErrConflict.
func (s *Store) EraseCommenter(ctx context.Context, e comment.Erasure) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("erase commenter", err)
	}
	defer tx.Rollback()
	threads := map[int64]int{} // thread id → approved count delta
	siteOf, threadOf := map[int64]string{}, map[int64]int64{}
	var ids []int64
	for _, c := range e.Remove {
		var threadID int64
		err := tx.QueryRowContext(ctx, eraseRemoveSQL, c.ID, string(e.Was[c.ID])).Scan(&threadID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlstore: erase commenter: comment %d is no longer %s: %w", c.ID, e.Was[c.ID], comment.ErrConflict)
		} else if err != nil {
			return wrap("erase commenter", err)
		}
		threads[threadID] += -e.Was[c.ID].Tally().Approved
		ids, siteOf[c.ID], threadOf[c.ID] = append(ids, c.ID), c.SiteID, threadID
	}
	for _, c := range e.Stubs {
		var threadID int64
		err := tx.QueryRowContext(ctx, eraseStubSQL, c.AuthorName, c.AvatarHash, c.BodySource, c.BodyHTML, string(c.Status),
			c.Trained, micros(c.UpdatedAt), c.ID, string(e.Was[c.ID])).Scan(&threadID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlstore: erase commenter: comment %d is no longer %s: %w", c.ID, e.Was[c.ID], comment.ErrConflict)
		} else if err != nil {
			return wrap("erase commenter", err)
		}
		threads[threadID] += c.Status.Tally().Minus(e.Was[c.ID].Tally()).Approved
		ids, siteOf[c.ID], threadOf[c.ID] = append(ids, c.ID), c.SiteID, threadID
	}
	for threadID, d := range threads {
		if _, err := tx.ExecContext(ctx, eraseThreadSQL, d, threadID); err != nil {
			return wrap("erase commenter: thread", err)
		}
	}
	if len(ids) > 0 {
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		in := placeholders(1, len(ids))
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE comment_id IN (`+in+`)`, args...); err != nil {
			return wrap("erase commenter: deliveries", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE moderation_events SET note = '' WHERE comment_id IN (`+in+`) AND note <> ''`, args...); err != nil {
			return wrap("erase commenter: audit notes", err)
		}
	}
	for id, n := range e.Notices {
		if n.Type == "" {
			continue
		}
		if _, ok := threadOf[id]; !ok {
			return fmt.Errorf("sqlstore: erase commenter: a notice about comment %d, which is not erased: %w", id, comment.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, outboxSQL, newOutboxEvent(n).args(id, threadOf[id], siteOf[id])...); err != nil {
			return wrap("erase commenter: outbox", err)
		}
	}
	for _, a := range e.Authors {
		if _, err := tx.ExecContext(ctx, `DELETE FROM authors WHERE site_id = $1 AND key = $2`, a[0], a[1]); err != nil {
			return wrap("erase commenter: author", err)
		}
	}
	if err := eraseMailing(ctx, tx, e.Email, e.Sites, ids, siteOf); err != nil {
		return err
	}
	if err := pruneSpam(ctx, tx, e.SpamScopes); err != nil {
		return err
	}
	for _, ev := range e.Events {
		if err := insertEvent(ctx, tx, ev, ev.SiteID, ev.CommentID); err != nil {
			return wrap("erase commenter: event", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("erase commenter: commit", err)
	}
	for threadID := range threads {
		s.localThreadChanged(threadID)
	}
	return nil
}

// pruneSpam deletes the classifier's token rows in scopes that no lesson counts any
// more, as unlearning an erased text leaves its words. A replica reads only changed
// rows, which cannot tell it of a deleted one, so a prune that deleted any is recorded
// as a reset is (spam_resets, in LearnSpam's order of locks), and each replica reads
// the model whole at its next sync; erasures are rare.
func pruneSpam(ctx context.Context, tx *sql.Tx, scopes []string) error {
	if len(scopes) == 0 {
		return nil
	}
	var rev int64
	err := tx.QueryRowContext(ctx, `UPDATE spam_tokens SET rev = rev + 1 WHERE scope = '' AND token = '' RETURNING rev`).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // nothing was ever learned
	} else if err != nil {
		return wrap("erase commenter: spam revision", err)
	}
	for _, scope := range scopes {
		res, err := tx.ExecContext(ctx, `DELETE FROM spam_tokens WHERE scope = $1 AND token <> '' AND spam = 0 AND ham = 0`, scope)
		if err != nil {
			return wrap("erase commenter: spam tokens", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrap("erase commenter: spam tokens", err)
		}
		if n == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO spam_resets (scope, rev, reset_at) VALUES ($1, $2, $3)
			ON CONFLICT (scope) DO UPDATE SET rev = excluded.rev, reset_at = excluded.reset_at`, scope, rev, micros(now())); err != nil {
			return wrap("erase commenter: spam reset record", err)
		}
	}
	return nil
}

// eraseMailing deletes what the mail outbox holds of a commenter: their reply
// subscriptions on sites (nil: every site) and, when every site is erased, every mail
// addressed to them, sent or waiting; and on every site, the mails to others that carry
// the erased comments' text (the reply mails about them, and the moderators' mails of
// their sites, whose lists may hold them), as their webhook deliveries go.
func eraseMailing(ctx context.Context, tx *sql.Tx, addr string, sites []string, ids []int64, siteOf map[int64]string) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mails WHERE dedupe_key = $1`, email.ReplyKey(id)); err != nil {
			return wrap("erase commenter: reply mails", err)
		}
	}
	done := map[string]bool{}
	for _, site := range siteOf {
		if done[site] {
			continue
		}
		done[site] = true
		if _, err := tx.ExecContext(ctx, `DELETE FROM mails WHERE kind = $1 AND dedupe_key LIKE $2`,
			string(email.KindModerator), email.ModeratorKeysLike(site)); err != nil {
			return wrap("erase commenter: moderator mails", err)
		}
	}
	if addr == "" {
		return nil
	}
	if len(sites) == 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reply_subscriptions WHERE email = $1`, addr); err != nil {
			return wrap("erase commenter: subscriptions", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mails WHERE recipient = $1`, addr); err != nil {
			return wrap("erase commenter: mails", err)
		}
		return nil
	}
	for _, site := range sites {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reply_subscriptions WHERE email = $1 AND site_id = $2`, addr, site); err != nil {
			return wrap("erase commenter: subscriptions", err)
		}
	}
	return nil
}
