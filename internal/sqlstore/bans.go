package sqlstore

import (
	"context"

	"github.com/winnow/winnow/internal/comment"
)

const banColumns = `id, site_id, kind, value, hint, note, created_by, created_at, expires_at`

// CreateBan stores a ban and sets b.ID; an unknown site is comment.ErrNotFound.
func (s *Store) CreateBan(ctx context.Context, b *comment.Ban) error {
	err := s.wdb.QueryRowContext(ctx, `INSERT INTO bans (site_id, kind, value, hint, note, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		b.SiteID, string(b.Kind), b.Value, b.Hint, b.Note, b.CreatedBy, micros(b.CreatedAt), micros(b.ExpiresAt)).Scan(&b.ID)
	if err != nil {
		return wrap("create ban", err)
	}
	b.CreatedAt, b.ExpiresAt = stored(b.CreatedAt), stored(b.ExpiresAt)
	return nil
}

// Bans lists the bans of the sites in scope (nil: every site), newest first.
func (s *Store) Bans(ctx context.Context, scope []string, siteID string) ([]comment.Ban, error) {
	var f filter
	if scope != nil {
		f.in("site_id", scope)
	}
	if siteID != "" {
		f.add("site_id = " + f.arg(siteID))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+banColumns+` FROM bans`+f.where()+` ORDER BY id DESC LIMIT 1000`, f.args...)
	if err != nil {
		return nil, wrap("bans", err)
	}
	defer rows.Close()
	out := []comment.Ban{}
	for rows.Next() {
		var (
			b                comment.Ban
			kind             string
			created, expires int64
		)
		if err := rows.Scan(&b.ID, &b.SiteID, &kind, &b.Value, &b.Hint, &b.Note, &b.CreatedBy, &created, &expires); err != nil {
			return nil, wrap("bans", err)
		}
		b.Kind, b.CreatedAt, b.ExpiresAt = comment.BanKind(kind), fromMicros(created), fromMicros(expires)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("bans", err)
	}
	return out, nil
}

// DeleteBan lifts a ban of a site in scope (nil: every site), or returns
// comment.ErrNotFound.
func (s *Store) DeleteBan(ctx context.Context, scope []string, id int64) error {
	f := filter{}
	f.add("id = " + f.arg(id))
	if scope != nil {
		f.in("site_id", scope)
	}
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM bans`+f.where(), f.args...)
	return affectedOne("delete ban", res, err)
}
