package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
)

const selectTokens = `SELECT id, name, role, sites, hash, created_at, last_used_at, revoked_at, created_by FROM api_tokens`

// CreateToken stores a token record as given and sets t.ID. With whileAdmin not 0,
// the token is stored only while that account is an enabled admin, checked with its
// row locked (comment.ErrUnauthorized otherwise, and for an unknown account): an
// admin disabled at the same moment cannot slip in a token that UpdateUser's
// revocation would miss. Whose tokens need the guard is admin.Service's rule.
func (s *Store) CreateToken(ctx context.Context, t *auth.Token, whileAdmin int64) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("create token", err)
	}
	defer tx.Rollback()
	if whileAdmin != 0 {
		q := `SELECT role, disabled_at FROM users WHERE id = $1`
		if s.dialect == dialectPostgres {
			q += ` FOR SHARE` // waits for an UpdateUser of the account, then reads its outcome
		}
		var (
			role     string
			disabled int64
		)
		err := tx.QueryRowContext(ctx, q, whileAdmin).Scan(&role, &disabled)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && (auth.Role(role) != auth.RoleAdmin || disabled != 0):
			return fmt.Errorf("sqlstore: create token: account %d is not an enabled admin: %w", whileAdmin, comment.ErrUnauthorized)
		case err != nil:
			return wrap("create token", err)
		}
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, role, sites, hash, created_at, last_used_at, revoked_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.Name, string(t.Role), list(t.Sites), t.Hash, micros(t.CreatedAt), micros(t.LastUsedAt), micros(t.RevokedAt), t.CreatedBy).
		Scan(&t.ID)
	if err != nil {
		return wrap("create token", err)
	}
	if err := tx.Commit(); err != nil {
		return wrap("create token: commit", err)
	}
	return nil
}

// Tokens returns every token, revoked ones included, in creation order.
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.db.QueryContext(ctx, selectTokens+` ORDER BY id`)
	if err != nil {
		return nil, wrap("tokens", err)
	}
	defer rows.Close()
	ts := []auth.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, wrap("tokens", err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("tokens", err)
	}
	return ts, nil
}

// TokenByHash finds a token, revoked or not, by the hash of its plain text, or
// returns an error wrapping comment.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (auth.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, selectTokens+` WHERE hash = $1`, hash))
	if err != nil {
		return auth.Token{}, wrap("token by hash", err)
	}
	return t, nil
}

// TouchToken records when a token was last used; auth.Authenticate bounds how often.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, micros(at), id)
	return affectedOne("touch token", res, err)
}

// RevokeToken revokes a token from at on, or returns an error wrapping
// comment.ErrNotFound. Revoking twice keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE api_tokens
		SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END WHERE id = $2`, micros(at), id)
	return affectedOne("revoke token", res, err)
}

// CountTokens counts the tokens, revoked ones included; the CLI uses it to tell a
// fresh installation, which needs a first admin token, from a configured one.
func (s *Store) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens`).Scan(&n); err != nil {
		return 0, wrap("count tokens", err)
	}
	return n, nil
}

func scanToken(row scanner) (auth.Token, error) {
	var (
		t                      auth.Token
		role, sites            string
		created, used, revoked int64
	)
	if err := row.Scan(&t.ID, &t.Name, &role, &sites, &t.Hash, &created, &used, &revoked, &t.CreatedBy); err != nil {
		return auth.Token{}, err
	}
	var err error
	if t.Sites, err = fromList(sites); err != nil {
		return auth.Token{}, err
	}
	t.Role = auth.Role(role)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), fromMicros(used), fromMicros(revoked)
	return t, nil
}
