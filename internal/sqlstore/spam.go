package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// tokenBatch bounds the rows of one multi-row upsert (5 parameters a row).
const tokenBatch = 200

// SpamTokens returns the classifier counts of every scope changed after revision
// afterRev; -1 returns every row. A scope's row with the empty token holds its
// document totals.
func (s *Store) SpamTokens(ctx context.Context, afterRev int64) ([]spam.TokenCounts, error) {
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
	if err := tx.Commit(); err != nil {
		return wrap("learn spam: commit", err)
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
