package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// tokenBatch bounds the rows of one multi-row upsert (4 parameters a row).
const tokenBatch = 200

// SpamTokens returns the classifier counts changed after revision afterRev; -1
// returns every row. The row with the empty token holds the document totals.
func (s *Store) SpamTokens(ctx context.Context, afterRev int64) ([]spam.TokenCounts, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT token, spam, ham, rev FROM spam_tokens WHERE rev > $1`, afterRev)
	if err != nil {
		return nil, wrap("spam tokens", err)
	}
	defer rows.Close()
	var out []spam.TokenCounts
	for rows.Next() {
		var t spam.TokenCounts
		if err := rows.Scan(&t.Token, &t.Spam, &t.Ham, &t.Rev); err != nil {
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
// from l.From to l.To (comment.ErrConflict if it is no longer l.From), the model's
// revision and document totals move, and each token's counts move by its delta,
// stamped with the new revision so that replicas can read just the change.
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
	err = tx.QueryRowContext(ctx, `UPDATE spam_tokens SET spam = spam + $1, ham = ham + $2, rev = rev + 1
		WHERE token = '' RETURNING rev`, l.DocSpam, l.DocHam).Scan(&rev)
	if err != nil {
		return wrap("learn spam: totals", err)
	}
	for start := 0; start < len(l.Deltas); start += tokenBatch {
		if err := upsertTokens(ctx, tx, l.Deltas[start:min(start+tokenBatch, len(l.Deltas))], rev); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("learn spam: commit", err)
	}
	return nil
}

func upsertTokens(ctx context.Context, tx *sql.Tx, ds []spam.TokenCounts, rev int64) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO spam_tokens (token, spam, ham, rev) VALUES `)
	args := make([]any, 0, 4*len(ds))
	for i, d := range ds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + placeholders(4*i+1, 4) + ")")
		args = append(args, d.Token, d.Spam, d.Ham, rev)
	}
	b.WriteString(` ON CONFLICT (token) DO UPDATE SET spam = spam_tokens.spam + excluded.spam,
		ham = spam_tokens.ham + excluded.ham, rev = excluded.rev`)
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return wrap("learn spam: tokens", err)
	}
	return nil
}
