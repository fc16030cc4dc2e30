package sqlstore

import (
	"context"

	"github.com/winnow/winnow/internal/comment"
)

const siteColumns = `id, name, origins, policy, max_links, blocked_words, rate_limits, spam_seed, scripts, created_at`

// Site returns one site, or an error wrapping comment.ErrNotFound.
func (s *Store) Site(ctx context.Context, id string) (comment.Site, error) {
	site, err := scanSite(s.db.QueryRowContext(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = $1`, id))
	if err != nil {
		return comment.Site{}, wrap("site", err)
	}
	return site, nil
}

// Sites returns every site, ordered by id.
func (s *Store) Sites(ctx context.Context) ([]comment.Site, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+siteColumns+` FROM sites ORDER BY id`)
	if err != nil {
		return nil, wrap("sites", err)
	}
	defer rows.Close()
	sites := []comment.Site{}
	for rows.Next() {
		site, err := scanSite(rows)
		if err != nil {
			return nil, wrap("sites", err)
		}
		sites = append(sites, site)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("sites", err)
	}
	return sites, nil
}

// CreateSite stores a new site as given (its creation time is the caller's, see
// admin.Service); an existing id is an error wrapping comment.ErrConflict.
func (s *Store) CreateSite(ctx context.Context, site comment.Site) error {
	_, err := s.wdb.ExecContext(ctx,
		`INSERT INTO sites (`+siteColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		site.ID, site.Name, list(site.Origins), string(site.Policy), site.MaxLinks,
		list(site.BlockedWords), rates(site.Limits), seedAction(site.SpamSeed), list(site.Scripts), micros(site.CreatedAt))
	if err != nil {
		return wrap("create site", err)
	}
	return nil
}

// UpdateSite replaces a site's settings (not its id or creation time), or returns an
// error wrapping comment.ErrNotFound.
func (s *Store) UpdateSite(ctx context.Context, site comment.Site) error {
	res, err := s.wdb.ExecContext(ctx,
		`UPDATE sites SET name = $1, origins = $2, policy = $3, max_links = $4, blocked_words = $5,
		rate_limits = $6, spam_seed = $7, scripts = $8 WHERE id = $9`,
		site.Name, list(site.Origins), string(site.Policy), site.MaxLinks, list(site.BlockedWords),
		rates(site.Limits), seedAction(site.SpamSeed), list(site.Scripts), site.ID)
	return affectedOne("update site", res, err)
}

func scanSite(row scanner) (comment.Site, error) {
	var (
		site                    comment.Site
		origins, words, scripts string
		limits                  string
		policy, seed            string
		created                 int64
	)
	if err := row.Scan(&site.ID, &site.Name, &origins, &policy, &site.MaxLinks, &words, &limits, &seed, &scripts, &created); err != nil {
		return comment.Site{}, err
	}
	var err error
	if site.Origins, err = fromList(origins); err != nil {
		return comment.Site{}, err
	}
	if site.BlockedWords, err = fromList(words); err != nil {
		return comment.Site{}, err
	}
	if site.Scripts, err = fromList(scripts); err != nil {
		return comment.Site{}, err
	}
	if site.Limits, err = fromRates(limits); err != nil {
		return comment.Site{}, err
	}
	site.Policy = comment.Policy(policy)
	site.SpamSeed = comment.SeedAction(seed)
	site.CreatedAt = fromMicros(created)
	return site, nil
}

// seedAction is the stored form of a site's seed setting: the domain's default when
// unset, so that every stored site names one.
func seedAction(a comment.SeedAction) string {
	if a == "" {
		return string(comment.SeedFold)
	}
	return string(a)
}
