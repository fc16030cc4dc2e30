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
	err = addSums(ctx, tx, tokenSums, l.Scope, ds, rev, func(d spam.TokenCounts) (any, any, any) { return d.Token, d.Spam, d.Ham })
	if err == nil {
		err = addSums(ctx, tx, weightSums, l.Scope, l.Weights, rev, func(w spam.WeightDelta) (any, any, any) {
			return int64(w.Feature), w.Weight, w.Accum
		})
	}
	if err != nil {
		return err
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

// sumTable is a table of a scope's learned sums, one row per key, which a lesson adds
// to: the classifier's counts (spam_tokens) and the linear model's weights
// (spam_weights).
type sumTable struct {
	table, key, a, b string // the table, its key column and its two summed columns
	op               string // what a failure is wrapped as
}

var (
	tokenSums  = sumTable{table: "spam_tokens", key: "token", a: "spam", b: "ham", op: "learn spam: tokens"}
	weightSums = sumTable{table: "spam_weights", key: "feature", a: "weight", b: "accum", op: "learn spam: weights"}
)

// addSums adds rows, each a key and its two deltas (values), to scope's stored sums in
// t and stamps the rows with rev: multi-row upserts of at most tokenBatch rows.
func addSums[T any](ctx context.Context, tx *sql.Tx, t sumTable, scope string, rows []T, rev int64, values func(T) (key, a, b any)) error {
	upsert := fmt.Sprintf(` ON CONFLICT (scope, %[2]s) DO UPDATE SET %[3]s = %[1]s.%[3]s + excluded.%[3]s,
		%[4]s = %[1]s.%[4]s + excluded.%[4]s, rev = excluded.rev`, t.table, t.key, t.a, t.b)
	for start := 0; start < len(rows); start += tokenBatch {
		batch := rows[start:min(start+tokenBatch, len(rows))]
		var b strings.Builder
		b.WriteString(`INSERT INTO ` + t.table + ` (scope, ` + t.key + `, ` + t.a + `, ` + t.b + `, rev) VALUES `)
		args := make([]any, 0, 5*len(batch))
		for i, r := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(5*i+1, 5) + ")")
			key, x, y := values(r)
			args = append(args, scope, key, x, y, rev)
		}
		b.WriteString(upsert)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return wrap(t.op, err)
		}
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
