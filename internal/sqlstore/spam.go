package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// tokenBatch bounds the rows of one multi-row upsert (5 parameters a row).
const tokenBatch = 200

// SpamTokens returns the classifier counts of every scope changed after revision
// afterRev; -1 returns every row. A scope's row with the empty token holds its
// document totals. If a reset deleted rows after afterRev, it answers spam.ErrStale
// instead: the reader must read every row again.
func (s *Store) SpamTokens(ctx context.Context, afterRev int64) ([]spam.TokenCounts, error) {
	out, err := s.spamTokens(ctx, afterRev)
	if err != nil || afterRev < 0 {
		return out, err
	}
	// Looked at after the rows were read: a reset that happened before or during the
	// read shows here, and one after it moved the revision past every row read, so the
	// next call sees it.
	var reset int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(rev), -1) FROM spam_resets`).Scan(&reset); err != nil {
		return nil, wrap("spam tokens: resets", err)
	}
	if reset > afterRev {
		return nil, fmt.Errorf("sqlstore: spam tokens after revision %d: reset at %d: %w", afterRev, reset, spam.ErrStale)
	}
	return out, nil
}

func (s *Store) spamTokens(ctx context.Context, afterRev int64) ([]spam.TokenCounts, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT scope, token, spam, ham, rev FROM spam_tokens WHERE rev > $1`, afterRev)
	if err != nil {
		return nil, wrap("spam tokens", err)
	}
	defer rows.Close()
	var out []spam.TokenCounts
	for rows.Next() {
		var t spam.TokenCounts
		if err := rows.Scan(&t.Scope, &t.Token, &t.Spam, &t.Ham, &t.Rev); err != nil {
			return nil, wrap("spam tokens", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("spam tokens", err)
	}
	return out, nil
}

// LearnSpam applies one lesson in a transaction: the comment's trained label moves
// from l.From to l.To (comment.ErrConflict if it is no longer l.From), the
// installation's revision moves (it lives in the shared scope's totals row, so every
// lesson, whatever its scope, queues behind the one before), and the scope's document
// totals and each token's counts move by their deltas, stamped with the new revision
// so that replicas can read just the change.
func (s *Store) LearnSpam(ctx context.Context, l spam.Lesson) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("learn spam", err)
	}
	defer tx.Rollback()
	if l.CommentID != 0 {
		res, err := tx.ExecContext(ctx, `UPDATE comments SET trained = $1 WHERE id = $2 AND trained = $3`, l.To, l.CommentID, l.From)
		if err := affectedOne("learn spam: comment", res, err); err != nil {
			return fmt.Errorf("sqlstore: learn spam: comment %d was taught since: %w", l.CommentID, comment.ErrConflict)
		}
	}
	if f := l.Feedback; f != nil {
		if err := recordFeedback(ctx, tx, l.Scope, l.To, *f); err != nil {
			return err
		}
	}
	var rev int64
	err = tx.QueryRowContext(ctx, `UPDATE spam_tokens SET rev = rev + 1 WHERE scope = '' AND token = '' RETURNING rev`).Scan(&rev)
	if err != nil {
		return wrap("learn spam: revision", err)
	}
	// The scope's totals row goes first; a site's is created by its first lesson.
	ds := append([]spam.TokenCounts{{Token: "", Spam: l.DocSpam, Ham: l.DocHam}}, l.Deltas...)
	for start := 0; start < len(ds); start += tokenBatch {
		if err := upsertTokens(ctx, tx, l.Scope, ds[start:min(start+tokenBatch, len(ds))], rev); err != nil {
			return err
		}
	}
	for start := 0; start < len(l.Weights); start += tokenBatch {
		if err := upsertWeights(ctx, tx, l.Scope, l.Weights[start:min(start+tokenBatch, len(l.Weights))], rev); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("learn spam: commit", err)
	}
	return nil
}

// SpamWeights returns the linear model's rows of every scope changed after revision
// afterRev (-1: all), ordered by scope so that a reader takes each scope's lock once.
func (s *Store) SpamWeights(ctx context.Context, afterRev int64) ([]spam.WeightDelta, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT scope, feature, weight, accum, rev FROM spam_weights WHERE rev > $1 ORDER BY scope`, afterRev)
	if err != nil {
		return nil, wrap("spam weights", err)
	}
	defer rows.Close()
	var out []spam.WeightDelta
	for rows.Next() {
		var w spam.WeightDelta
		var f int64
		if err := rows.Scan(&w.Scope, &f, &w.Weight, &w.Accum, &w.Rev); err != nil {
			return nil, wrap("spam weights", err)
		}
		w.Feature = uint32(f)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("spam weights", err)
	}
	return out, nil
}

// upsertWeights adds weight deltas to a scope's stored sums, stamped with rev.
func upsertWeights(ctx context.Context, tx *sql.Tx, scope string, ws []spam.WeightDelta, rev int64) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO spam_weights (scope, feature, weight, accum, rev) VALUES `)
	args := make([]any, 0, 5*len(ws))
	for i, w := range ws {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + placeholders(5*i+1, 5) + ")")
		args = append(args, scope, int64(w.Feature), w.Weight, w.Accum, rev)
	}
	b.WriteString(` ON CONFLICT (scope, feature) DO UPDATE SET weight = spam_weights.weight + excluded.weight,
		accum = spam_weights.accum + excluded.accum, rev = excluded.rev`)
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return wrap("learn spam: weights", err)
	}
	return nil
}

func upsertTokens(ctx context.Context, tx *sql.Tx, scope string, ds []spam.TokenCounts, rev int64) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO spam_tokens (scope, token, spam, ham, rev) VALUES `)
	args := make([]any, 0, 5*len(ds))
	for i, d := range ds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + placeholders(5*i+1, 5) + ")")
		args = append(args, scope, d.Token, d.Spam, d.Ham, rev)
	}
	b.WriteString(` ON CONFLICT (scope, token) DO UPDATE SET spam = spam_tokens.spam + excluded.spam,
		ham = spam_tokens.ham + excluded.ham, rev = excluded.rev`)
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return wrap("learn spam: tokens", err)
	}
	return nil
}

// ResetSpam drops everything learned in scope (spam.Shared, or a site id), in one
// transaction: the scope's counts and linear weights go (the shared scope keeps its
// totals row, which carries the installation's revision, at zero), the revision moves
// and the reset is recorded at it, so that every replica's next SpamTokens answers
// spam.ErrStale and reloads. A site's comments that taught it are marked spam.LabelNone: a later
// decision about one then only adds its lesson, never takes back counts that are gone,
// and the published ones are not taught again. Since scopes exist (schema version 13)
// a comment teaches its own site's scope, so a shared reset changes no comment.
func (s *Store) ResetSpam(ctx context.Context, scope string) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("reset spam", err)
	}
	defer tx.Rollback()
	// The comments first, then the revision, in the order LearnSpam takes its locks.
	if scope != spam.Shared {
		if _, err := tx.ExecContext(ctx, `UPDATE comments SET trained = $1 WHERE site_id = $2 AND trained IN ($3, $4, $5)`,
			spam.LabelNone, scope, spam.LabelSpam, spam.LabelHam, spam.LabelLeft); err != nil {
			return wrap("reset spam: comments", err)
		}
	}
	var rev int64
	err = tx.QueryRowContext(ctx, `UPDATE spam_tokens SET rev = rev + 1 WHERE scope = '' AND token = '' RETURNING rev`).Scan(&rev)
	if err != nil {
		return wrap("reset spam: revision", err)
	}
	if scope == spam.Shared {
		_, err = tx.ExecContext(ctx, `DELETE FROM spam_tokens WHERE scope = '' AND token <> ''`)
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE spam_tokens SET spam = 0, ham = 0 WHERE scope = '' AND token = ''`)
		}
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM spam_tokens WHERE scope = $1`, scope)
	}
	if err != nil {
		return wrap("reset spam: tokens", err)
	}
	// The reports' records go with the lessons: unlearning one later would take from
	// counts that are gone.
	if _, err := tx.ExecContext(ctx, `DELETE FROM spam_feedback WHERE scope = $1`, scope); err != nil {
		return wrap("reset spam: feedback", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM spam_weights WHERE scope = $1`, scope); err != nil {
		return wrap("reset spam: weights", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO spam_resets (scope, rev, reset_at) VALUES ($1, $2, $3)
		ON CONFLICT (scope) DO UPDATE SET rev = excluded.rev, reset_at = excluded.reset_at`, scope, rev, micros(now())); err != nil {
		return wrap("reset spam: record", err)
	}
	if err := tx.Commit(); err != nil {
		return wrap("reset spam: commit", err)
	}
	return nil
}

// recordFeedback records label for a reported text's digest in scope, if the
// digest's record is still the one its caller read (f.Seen; zero for none), else
// fails with comment.ErrConflict.
func recordFeedback(ctx context.Context, tx *sql.Tx, scope, label string, f spam.FeedbackChange) error {
	var res sql.Result
	var err error
	if f.Seen.IsZero() {
		res, err = tx.ExecContext(ctx, `INSERT INTO spam_feedback (scope, digest, label, taught_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope, digest) DO NOTHING`, scope, f.Digest, label, micros(f.At))
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE spam_feedback SET label = $1, taught_at = $2
			WHERE scope = $3 AND digest = $4 AND taught_at = $5`, label, micros(f.At), scope, f.Digest, micros(f.Seen))
	}
	if err := affectedOne("learn spam: feedback", res, err); err != nil {
		return fmt.Errorf("sqlstore: learn spam: feedback was recorded since: %w", comment.ErrConflict)
	}
	return nil
}

// SpamFeedback returns what scope was taught about a reported text by its digest,
// zero for nothing.
func (s *Store) SpamFeedback(ctx context.Context, scope, digest string) (spam.Feedback, error) {
	f := spam.Feedback{Digest: digest}
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT label, taught_at FROM spam_feedback WHERE scope = $1 AND digest = $2`,
		scope, digest).Scan(&f.Label, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return spam.Feedback{}, wrap("spam feedback", err)
	}
	f.At = fromMicros(at)
	return f, nil
}

// DeleteSpamFeedback forgets at most limit records of reports taught before before:
// past that time a report may teach again, and a record nobody reads has no reason
// to be kept. Fewer than limit deleted means none is left.
func (s *Store) DeleteSpamFeedback(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM spam_feedback WHERE (scope, digest) IN
		(SELECT scope, digest FROM spam_feedback WHERE taught_at < $1 LIMIT $2)`, micros(before), limit)
	if err != nil {
		return 0, wrap("delete spam feedback", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("delete spam feedback", err)
	}
	return n, nil
}
