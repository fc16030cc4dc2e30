package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SetAkismetKey stores hash as site's Akismet-compatible API key from at on,
// replacing the key it had; an unknown site is comment.ErrNotFound.
func (s *Store) SetAkismetKey(ctx context.Context, siteID, hash string, at time.Time) error {
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO akismet_keys (site_id, hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (site_id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at`, siteID, hash, micros(at))
	if err != nil {
		return wrap("set akismet key", err)
	}
	return nil
}

// DeleteAkismetKey revokes site's Akismet key; a site without one is
// comment.ErrNotFound.
func (s *Store) DeleteAkismetKey(ctx context.Context, siteID string) error {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM akismet_keys WHERE site_id = $1`, siteID)
	return affectedOne("delete akismet key", res, err)
}

// AkismetKeyIssued returns when site's Akismet key was issued, the zero time when
// it has none.
func (s *Store) AkismetKeyIssued(ctx context.Context, siteID string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT created_at FROM akismet_keys WHERE site_id = $1`, siteID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, wrap("akismet key", err)
	}
	return fromMicros(at), nil
}

// AkismetKeySite returns the site whose Akismet key has hash, or an error wrapping
// comment.ErrNotFound.
func (s *Store) AkismetKeySite(ctx context.Context, hash string) (string, error) {
	var site string
	if err := s.db.QueryRowContext(ctx, `SELECT site_id FROM akismet_keys WHERE hash = $1`, hash).Scan(&site); err != nil {
		return "", wrap("akismet key", err)
	}
	return site, nil
}
