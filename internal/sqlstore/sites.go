package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/winnow/winnow/internal/site"
)

const siteColumns = `id, name, origins, policy, max_links, blocked_words, rate_limits, spam_seed, scripts,
	cdn_s_maxage, cdn_stale_while_revalidate, created_at`

// Site returns one site, or an error wrapping comment.ErrNotFound.
func (s *Store) Site(ctx context.Context, id string) (site.Site, error) {
	st, err := scanSite(s.db.QueryRowContext(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = $1`, id))
	if err != nil {
		return site.Site{}, wrap("site", err)
	}
	return st, nil
}

// Sites returns every site, ordered by id.
func (s *Store) Sites(ctx context.Context) ([]site.Site, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+siteColumns+` FROM sites ORDER BY id`)
	if err != nil {
		return nil, wrap("sites", err)
	}
	defer rows.Close()
	sites := []site.Site{}
	for rows.Next() {
		st, err := scanSite(rows)
		if err != nil {
			return nil, wrap("sites", err)
		}
		sites = append(sites, st)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("sites", err)
	}
	return sites, nil
}

// CreateSite stores a new site as given (its creation time is the caller's, see
// admin.Service); an existing id is an error wrapping comment.ErrConflict.
func (s *Store) CreateSite(ctx context.Context, st site.Site) error {
	_, err := s.wdb.ExecContext(ctx,
		`INSERT INTO sites (`+siteColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		st.ID, st.Name, list(st.Origins), string(st.Policy), st.MaxLinks,
		list(st.BlockedWords), rates(st.Limits), string(st.SpamSeed), list(st.Scripts),
		cdnSeconds(st.CDN, false), cdnSeconds(st.CDN, true), micros(st.CreatedAt))
	if err != nil {
		return wrap("create site", err)
	}
	return nil
}

// UpdateSite replaces a site's settings (not its id or creation time), or returns an
// error wrapping comment.ErrNotFound.
func (s *Store) UpdateSite(ctx context.Context, st site.Site) error {
	res, err := s.wdb.ExecContext(ctx,
		`UPDATE sites SET name = $1, origins = $2, policy = $3, max_links = $4, blocked_words = $5,
		rate_limits = $6, spam_seed = $7, scripts = $8, cdn_s_maxage = $9, cdn_stale_while_revalidate = $10
		WHERE id = $11`,
		st.Name, list(st.Origins), string(st.Policy), st.MaxLinks, list(st.BlockedWords),
		rates(st.Limits), string(st.SpamSeed), list(st.Scripts),
		cdnSeconds(st.CDN, false), cdnSeconds(st.CDN, true), st.ID)
	return affectedOne("update site", res, err)
}

func scanSite(row scanner) (site.Site, error) {
	var (
		st                      site.Site
		origins, words, scripts string
		limits                  string
		policy, seed            string
		created                 int64
		cdnMaxAge, cdnStale     sql.NullInt64
	)
	if err := row.Scan(&st.ID, &st.Name, &origins, &policy, &st.MaxLinks, &words, &limits, &seed, &scripts,
		&cdnMaxAge, &cdnStale, &created); err != nil {
		return site.Site{}, err
	}
	var err error
	if st.Origins, err = fromList(origins); err != nil {
		return site.Site{}, err
	}
	if st.BlockedWords, err = fromList(words); err != nil {
		return site.Site{}, err
	}
	if st.Scripts, err = fromList(scripts); err != nil {
		return site.Site{}, err
	}
	if st.Limits, err = fromRates(limits); err != nil {
		return site.Site{}, err
	}
	if cdnMaxAge.Valid || cdnStale.Valid {
		st.CDN = &site.CDNCache{SMaxAge: time.Duration(cdnMaxAge.Int64) * time.Second,
			StaleWhileRevalidate: time.Duration(cdnStale.Int64) * time.Second}
	}
	st.Policy = site.Policy(policy)
	st.SpamSeed = site.SeedAction(seed)
	st.CreatedAt = fromMicros(created)
	return st, nil
}

// cdnSeconds is the stored form of one of a site's CDN lifetimes: whole seconds, or
// NULL when the site takes the server's.
func cdnSeconds(c *site.CDNCache, stale bool) sql.NullInt64 {
	if c == nil {
		return sql.NullInt64{}
	}
	d := c.SMaxAge
	if stale {
		d = c.StaleWhileRevalidate
	}
	return sql.NullInt64{Int64: int64(d / time.Second), Valid: true}
}
