package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
)

const (
	userColumns = `users.id, users.email, users.role, users.sites, users.password_hash, users.created_at, users.disabled_at`
	insertUser  = `INSERT INTO users (email, role, sites, password_hash, created_at, disabled_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
)

// userArgs are u's columns as given: its creation time is the caller's (auth.Accounts).
func userArgs(u *auth.User) []any {
	return []any{u.Email, string(u.Role), list(u.Sites), u.PasswordHash, micros(u.CreatedAt), micros(u.DisabledAt)}
}

// CreateUser stores an account and sets u.ID; an email in use is comment.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *auth.User) error {
	if err := s.wdb.QueryRowContext(ctx, insertUser, userArgs(u)...).Scan(&u.ID); err != nil {
		return wrap("create user", err)
	}
	return nil
}

// CreateGuardedUser stores u and sets u.ID in one transaction with the guards g
// asks (see auth.UserCreate): first the setup token with g.SetupHash is consumed,
// stored and unexpired at g.At (comment.ErrUnauthorized otherwise), so that on
// PostgreSQL a concurrent insert with the same token waits on its row and then finds
// it gone; then no account may have the role g.UnlessRole (comment.ErrConflict
// otherwise); with the account stored, every setup token goes.
func (s *Store) CreateGuardedUser(ctx context.Context, u *auth.User, g auth.UserCreate) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("create user", err)
	}
	defer tx.Rollback()
	if g.SetupHash != "" {
		res, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens WHERE hash = $1 AND expires_at > $2`, g.SetupHash, micros(g.At))
		if err := affectedOne("create user: setup token", res, err); err != nil {
			if errors.Is(err, comment.ErrNotFound) {
				return fmt.Errorf("sqlstore: create user: %w", comment.ErrUnauthorized)
			}
			return err
		}
	}
	if g.UnlessRole != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = $1`, string(g.UnlessRole)).Scan(&n); err != nil {
			return wrap("create user", err)
		}
		if n > 0 {
			return fmt.Errorf("sqlstore: create user: an account with role %s exists: %w", g.UnlessRole, comment.ErrConflict)
		}
	}
	if err := tx.QueryRowContext(ctx, insertUser, userArgs(u)...).Scan(&u.ID); err != nil {
		return wrap("create user", err)
	}
	if g.SetupHash != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens`); err != nil {
			return wrap("create user", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("create user: commit", err)
	}
	return nil
}

// ClaimSetupToken stores t as the one setup token unless an unexpired one is stored at
// now, and returns the one stored: t, or the one another replica (or an earlier start)
// stored first. The row's fixed key makes concurrent claims on PostgreSQL wait for
// each other, so every replica ends up with the same token.
func (s *Store) ClaimSetupToken(ctx context.Context, t auth.SetupToken, now time.Time) (auth.SetupToken, error) {
	const claim = `INSERT INTO setup_tokens (slot, hash, nonce, expires_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (slot) DO UPDATE SET hash = excluded.hash, nonce = excluded.nonce, expires_at = excluded.expires_at
		WHERE setup_tokens.expires_at <= $4`
	if _, err := s.wdb.ExecContext(ctx, claim, t.Hash, t.Nonce, micros(t.ExpiresAt), micros(now)); err != nil {
		return auth.SetupToken{}, wrap("claim setup token", err)
	}
	var (
		stored  auth.SetupToken
		expires int64
	)
	err := s.wdb.QueryRowContext(ctx, `SELECT hash, nonce, expires_at FROM setup_tokens WHERE slot = 1`).Scan(&stored.Hash, &stored.Nonce, &expires)
	if err != nil {
		return auth.SetupToken{}, wrap("claim setup token", err)
	}
	stored.ExpiresAt = fromMicros(expires)
	return stored, nil
}

// SetupTokenValid reports whether hash is a stored setup token unexpired at now.
func (s *Store) SetupTokenValid(ctx context.Context, hash string, at time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM setup_tokens WHERE hash = $1 AND expires_at > $2`, hash, micros(at)).Scan(&n)
	if err != nil {
		return false, wrap("setup token", err)
	}
	return n > 0, nil
}

// CountAdmins counts the admin accounts; serve offers first-run setup when there are none.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&n); err != nil {
		return 0, wrap("count admins", err)
	}
	return n, nil
}

// UserByEmail finds an account by its normalized email, or returns an error wrapping
// comment.ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
	if err != nil {
		return auth.User{}, wrap("user by email", err)
	}
	return u, nil
}

// UserByID finds an account by its id, or returns an error wrapping comment.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (auth.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return auth.User{}, wrap("user by id", err)
	}
	return u, nil
}

// UpdateUser stores u's role, sites, password hash and disabled time (its email and
// creation time stay) and, in the same transaction, all or nothing, what w asks:
// deleting u's sessions, so a new password or a lost role never leaves an old
// session valid because a second write failed; revoking the tokens u made; and, with
// w.KeepAdmin, refusing with auth.ErrLastAdmin, writing nothing, when u is the only
// enabled admin: the enabled admins' rows are locked first, so two admins demoting
// each other at once cannot both succeed. Which change needs which is
// auth.Accounts' rule. An unknown id is comment.ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, u auth.User, w auth.UserWrite) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("update user", err)
	}
	defer tx.Rollback()
	if w.KeepAdmin {
		admins, err := s.lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		if slices.Equal(admins, []int64{u.ID}) {
			return fmt.Errorf("sqlstore: update user %d: %w", u.ID, auth.ErrLastAdmin)
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, sites = $2, password_hash = $3, disabled_at = $4 WHERE id = $5`,
		string(u.Role), list(u.Sites), u.PasswordHash, micros(u.DisabledAt), u.ID)
	if err := affectedOne("update user", res, err); err != nil {
		return err
	}
	if w.EndSessions {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
			return wrap("update user: end sessions", err)
		}
	}
	if !w.RevokeTokensAt.IsZero() {
		_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at = 0`,
			micros(w.RevokeTokensAt), u.ID)
		if err != nil {
			return wrap("update user: revoke tokens", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("update user: commit", err)
	}
	return nil
}

// lockAdmins returns the ids of the enabled admins and, on PostgreSQL, locks their rows
// until tx ends, in id order so that concurrent callers queue rather than deadlock. A
// SQLite write transaction holds the whole database already.
func (s *Store) lockAdmins(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	q := `SELECT id FROM users WHERE role = 'admin' AND disabled_at = 0 ORDER BY id`
	if s.dialect == dialectPostgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, wrap("lock admins", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("lock admins", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("lock admins", err)
	}
	return ids, nil
}

// Users returns every account in creation order.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, wrap("users", err)
	}
	defer rows.Close()
	us := []auth.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("users", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("users", err)
	}
	return us, nil
}

// SetPassword replaces an account's password hash and deletes its sessions in one
// transaction, so whoever knew the old password is signed out or the password stays;
// an unknown account is comment.ErrNotFound.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("set password", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
	if err := affectedOne("set password", res, err); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return wrap("set password: end sessions", err)
	}
	if err := tx.Commit(); err != nil {
		return wrap("set password: commit", err)
	}
	return nil
}

// CreateSession stores a session and sets its ID; an unknown user is comment.ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, se *auth.Session) error {
	err := s.wdb.QueryRowContext(ctx, `INSERT INTO sessions (hash, user_id, created_at, last_seen_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, se.Hash, se.UserID, micros(se.CreatedAt), micros(se.LastSeenAt)).Scan(&se.ID)
	if err != nil {
		return wrap("create session", err)
	}
	return nil
}

// SessionByHash returns a session and its user in one query, or an error wrapping
// comment.ErrNotFound.
func (s *Store) SessionByHash(ctx context.Context, hash string) (auth.Session, auth.User, error) {
	row := s.db.QueryRowContext(ctx, `SELECT sessions.id, sessions.hash, sessions.created_at, sessions.last_seen_at, `+
		userColumns+` FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.hash = $1`, hash)
	var (
		se            auth.Session
		created, seen int64
	)
	u, err := scanUser(row, &se.ID, &se.Hash, &created, &seen)
	if err != nil {
		return auth.Session{}, auth.User{}, wrap("session by hash", err)
	}
	se.UserID, se.CreatedAt, se.LastSeenAt = u.ID, fromMicros(created), fromMicros(seen)
	return se, u, nil
}

// TouchSession records when a session was last used; auth.Accounts bounds how often.
// A session deleted meanwhile is not an error: it simply ends.
func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.wdb.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, micros(at), id); err != nil {
		return wrap("touch session", err)
	}
	return nil
}

// DeleteSession ends the session with hash; an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return wrap("delete session", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return wrap("delete user sessions", err)
	}
	return nil
}

// DeleteExpiredSessions removes a user's sessions last seen before idleBefore or
// created before createdBefore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, userID int64, idleBefore, createdBefore time.Time) error {
	_, err := s.wdb.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND (last_seen_at < $2 OR created_at < $3)`,
		userID, micros(idleBefore), micros(createdBefore))
	if err != nil {
		return wrap("delete expired sessions", err)
	}
	return nil
}

// scanUser reads userColumns after any leading destinations.
func scanUser(row scanner, lead ...any) (auth.User, error) {
	var (
		u                 auth.User
		role, sites       string
		created, disabled int64
	)
	dest := append(lead, &u.ID, &u.Email, &role, &sites, &u.PasswordHash, &created, &disabled)
	if err := row.Scan(dest...); err != nil {
		return auth.User{}, err
	}
	var err error
	if u.Sites, err = fromList(sites); err != nil {
		return auth.User{}, err
	}
	u.Role = auth.Role(role)
	u.CreatedAt, u.DisabledAt = fromMicros(created), fromMicros(disabled)
	return u, nil
}
