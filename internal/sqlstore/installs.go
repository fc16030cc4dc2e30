package sqlstore

import (
	"context"

	"github.com/winnow/winnow/internal/site"
)

// RecordInstalls merges what widgets reported (site.Install.Merge, in SQL) into the
// stored rows, one statement per origin in one transaction. A new origin is stored only
// while its site has fewer than max origins, so a page inventing origins cannot grow
// the table; reports about unknown sites are dropped.
func (s *Store) RecordInstalls(ctx context.Context, ins []site.Install, max int) error {
	if len(ins) == 0 {
		return nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("record installs", err)
	}
	defer tx.Rollback()
	for _, in := range ins {
		_, err := tx.ExecContext(ctx, `
				INSERT INTO widget_installs (site_id, origin, page, version, loads, last_load_at, error, error_at)
				SELECT $1, $2, $3, $4, $5, $6, $7, $8
				WHERE EXISTS (SELECT 1 FROM sites WHERE id = $1)
				  AND ((SELECT count(*) FROM widget_installs WHERE site_id = $1) < $9
				       OR EXISTS (SELECT 1 FROM widget_installs WHERE site_id = $1 AND origin = $2))
				ON CONFLICT (site_id, origin) DO UPDATE SET
					loads = widget_installs.loads + excluded.loads,
					last_load_at = CASE WHEN excluded.last_load_at > widget_installs.last_load_at
						THEN excluded.last_load_at ELSE widget_installs.last_load_at END,
					page = CASE WHEN excluded.page <> '' THEN excluded.page ELSE widget_installs.page END,
					version = CASE WHEN excluded.version <> '' THEN excluded.version ELSE widget_installs.version END,
					error = CASE WHEN excluded.error <> '' AND excluded.error_at >= widget_installs.error_at
						THEN excluded.error ELSE widget_installs.error END,
					error_at = CASE WHEN excluded.error <> '' AND excluded.error_at >= widget_installs.error_at
						THEN excluded.error_at ELSE widget_installs.error_at END`,
			in.SiteID, in.Origin, in.Page, in.Version, in.Loads, micros(in.LastLoad), in.Error, micros(in.ErrorAt), max)
		if err != nil {
			return wrap("record installs", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("record installs", err)
	}
	return nil
}

// Installs lists what the widget last reported from each origin of a site, the most
// recently heard from first.
func (s *Store) Installs(ctx context.Context, siteID string) ([]site.Install, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT origin, page, version, loads, last_load_at, error, error_at FROM widget_installs
		WHERE site_id = $1
		ORDER BY CASE WHEN last_load_at > error_at THEN last_load_at ELSE error_at END DESC, origin`, siteID)
	if err != nil {
		return nil, wrap("installs", err)
	}
	defer rows.Close()
	var out []site.Install
	for rows.Next() {
		in := site.Install{SiteID: siteID}
		var last, errAt int64
		if err := rows.Scan(&in.Origin, &in.Page, &in.Version, &in.Loads, &last, &in.Error, &errAt); err != nil {
			return nil, wrap("installs", err)
		}
		in.LastLoad, in.ErrorAt = fromMicros(last), fromMicros(errAt)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("installs", err)
	}
	return out, nil
}
