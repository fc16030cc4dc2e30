package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// Record reads in one round trip what a submission is judged by besides its text: the
// author's counts, the address's approved and spam comments since since, and the
// site's bans active at now that keys match.
func (s *Store) Record(ctx context.Context, siteID, authorKey, ip string, keys comment.BanKeys, since, now time.Time) (comment.Record, error) {
	f := filter{}
	site := f.arg(siteID)
	q := `SELECT 'author', approved, spam, '' FROM authors WHERE site_id = ` + site + ` AND key = ` + f.arg(authorKey)
	if ip != "" {
		q += ` UNION ALL SELECT 'ip', COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'spam' THEN 1 ELSE 0 END), 0), '' FROM comments
			WHERE site_id = ` + site + ` AND ip = ` + f.arg(ip) + ` AND created_at > ` + f.arg(micros(since))
	}
	var values []string
	for _, v := range append([]string{keys.Email, keys.IP}, keys.Domains...) {
		if v != "" {
			values = append(values, v)
		}
	}
	if len(values) > 0 {
		in := make([]string, len(values))
		for i, v := range values {
			in[i] = f.arg(v)
		}
		q += ` UNION ALL SELECT 'ban', 0, 0, kind FROM bans WHERE site_id = ` + site +
			` AND (expires_at = 0 OR expires_at > ` + f.arg(micros(now)) + `) AND value IN (` + strings.Join(in, ", ") + `)`
	}
	rows, err := s.db.QueryContext(ctx, q, f.args...)
	if err != nil {
		return comment.Record{}, wrap("record", err)
	}
	defer rows.Close()
	r := comment.Record{Author: comment.Author{SiteID: siteID, Key: authorKey}}
	for rows.Next() {
		var (
			what, kind      string
			approved, spams int
		)
		if err := rows.Scan(&what, &approved, &spams, &kind); err != nil {
			return comment.Record{}, wrap("record", err)
		}
		switch what {
		case "author":
			r.Author.Approved, r.Author.Spam = approved, spams
		case "ip":
			r.IPApproved, r.IPSpam = approved, spams
		case "ban":
			r.Banned = append(r.Banned, comment.BanKind(kind))
		}
	}
	if err := rows.Err(); err != nil {
		return comment.Record{}, wrap("record", err)
	}
	return r, nil
}
