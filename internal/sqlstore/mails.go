package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
)

const (
	mailColumns = `id, kind, dedupe_key, recipient, message_id, subject, body, headers, status, attempts,
	next_attempt_at, lease_until, last_error, created_at, updated_at`
	// openMail is the SQL list of statuses a sender still has work for.
	openMail = `('pending', 'failed')`
)

// insertMail queues a mail unless one with its dedupe key is queued already; it
// returns the new row's id, or no row.
const insertMail = `INSERT INTO mails (kind, dedupe_key, recipient, message_id, subject, body, headers,
	status, next_attempt_at, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $8)
	ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`

// EnqueueMail queues m, due at once, and sets its ID, unless a mail with its dedupe
// key is queued already: then it returns false and writes nothing.
func (s *Store) EnqueueMail(ctx context.Context, m *email.Mail) (bool, error) {
	return enqueueMail(ctx, s.wdb, m)
}

// execer is a database or a transaction.
type execer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func enqueueMail(ctx context.Context, db execer, m *email.Mail) (bool, error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now()
	}
	m.CreatedAt = stored(m.CreatedAt)
	m.Status, m.NextAttemptAt, m.UpdatedAt = email.StatusPending, m.CreatedAt, m.CreatedAt
	headers, err := json.Marshal(m.Headers)
	if err != nil || m.Headers == nil {
		headers = []byte("{}")
	}
	err = db.QueryRowContext(ctx, insertMail, string(m.Kind), m.DedupeKey, m.To, m.MessageID, m.Subject, m.Body,
		string(headers), micros(m.CreatedAt)).Scan(&m.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrap("enqueue mail", err)
	}
	return true, nil
}

// ClaimMails takes up to limit due mails for a sender and holds them until
// leaseUntil; a sender that dies with them loses its hold then, and another takes
// them up. On PostgreSQL, replicas claiming together skip each other's rows.
func (s *Store) ClaimMails(ctx context.Context, at, leaseUntil time.Time, limit int) ([]email.Mail, error) {
	lock := ""
	if s.dialect == dialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := s.wdb.QueryContext(ctx, `UPDATE mails SET lease_until = $1, updated_at = $2
	WHERE id IN (
		SELECT id FROM mails
		WHERE status IN `+openMail+` AND next_attempt_at <= $2 AND lease_until <= $2
		ORDER BY next_attempt_at, id LIMIT $3`+lock+`)
	RETURNING `+mailColumns, micros(leaseUntil), micros(at), limit)
	if err != nil {
		return nil, wrap("claim mails", err)
	}
	ms, err := scanMails(rows)
	// RETURNING follows no ORDER BY: put the claim in the order it was taken in.
	slices.SortFunc(ms, func(a, b email.Mail) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return ms, wrapNil("claim mails", err)
}

// RecordMailAttempt records the result of an attempt made under a claim and releases
// the claim. If the claim was lost (it expired and another sender took the mail),
// nothing is written and the error wraps comment.ErrConflict.
func (s *Store) RecordMailAttempt(ctx context.Context, a email.Attempt) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE mails SET status = $1, attempts = attempts + 1,
		next_attempt_at = $2, last_error = $3, lease_until = 0, updated_at = $4
		WHERE id = $5 AND lease_until = $6`,
		string(a.Status), micros(a.NextAttemptAt), comment.Truncate(a.Error, 500), micros(a.At), a.MailID, micros(a.LeaseUntil))
	if err := affectedOne("record mail attempt", res, err); err != nil {
		if errors.Is(err, comment.ErrNotFound) {
			return fmt.Errorf("sqlstore: record mail attempt: mail %d: claim lost: %w", a.MailID, comment.ErrConflict)
		}
		return err
	}
	return nil
}

// Mail returns one mail, or an error wrapping comment.ErrNotFound.
func (s *Store) Mail(ctx context.Context, id int64) (email.Mail, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+mailColumns+` FROM mails WHERE id = $1`, id)
	if err != nil {
		return email.Mail{}, wrap("mail", err)
	}
	ms, err := scanMails(rows)
	if err != nil {
		return email.Mail{}, wrap("mail", err)
	}
	if len(ms) == 0 {
		return email.Mail{}, wrap("mail", sql.ErrNoRows)
	}
	return ms[0], nil
}

// MailsQueuedTo counts the mails of kind queued to an address since then: the
// per-address limit on what winnow may send to a stranger's address.
func (s *Store) MailsQueuedTo(ctx context.Context, to string, kind email.Kind, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mails WHERE recipient = $1 AND kind = $2 AND created_at >= $3`,
		to, string(kind), micros(since)).Scan(&n)
	if err != nil {
		return 0, wrap("mails queued to", err)
	}
	return n, nil
}

// DeleteOldMails deletes sent and dead mails created before then, at most limit, with
// their recipients: the outbox is not an archive.
func (s *Store) DeleteOldMails(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM mails WHERE id IN (
		SELECT id FROM mails WHERE status IN ('sent', 'dead') AND created_at < $1 ORDER BY id LIMIT $2)`,
		micros(before), limit)
	if err != nil {
		return 0, wrap("delete old mails", err)
	}
	return res.RowsAffected()
}

func scanMails(rows *sql.Rows) ([]email.Mail, error) {
	defer rows.Close()
	ms := []email.Mail{}
	for rows.Next() {
		var (
			m                         email.Mail
			kind, headers, status     string
			next, lease, created, upd int64
		)
		err := rows.Scan(&m.ID, &kind, &m.DedupeKey, &m.To, &m.MessageID, &m.Subject, &m.Body, &headers, &status,
			&m.Attempts, &next, &lease, &m.LastError, &created, &upd)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(headers), &m.Headers); err != nil {
			return nil, fmt.Errorf("mail %d: headers: %w", m.ID, err)
		}
		m.Kind, m.Status = email.Kind(kind), email.Status(status)
		m.NextAttemptAt, m.LeaseUntil = fromMicros(next), fromMicros(lease)
		m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(upd)
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// OldestOpenMail returns when the oldest mail still to be sent was queued, or the
// zero time when there is none: the age of the outbox.
func (s *Store) OldestOpenMail(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(created_at) FROM mails WHERE status IN `+openMail).Scan(&v)
	if err != nil {
		return time.Time{}, wrap("oldest open mail", err)
	}
	return fromMicros(v.Int64), nil
}
