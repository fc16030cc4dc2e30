package sqlstore

import (
	"context"

	"github.com/winnow/winnow/internal/comment"
)

// approvedCommentsSQL is the public thread read. It is answered from the index on
// (thread_id, status, created_at, id) alone, in order, without a sort.
const approvedCommentsSQL = selectComments + ` WHERE c.thread_id = $1 AND c.status = 'approved'
	ORDER BY c.created_at, c.id`

// ThreadByKey returns a site's thread by its key, or an error wrapping comment.ErrNotFound.
func (s *Store) ThreadByKey(ctx context.Context, siteID, key string) (comment.Thread, error) {
	var (
		t       comment.Thread
		created int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT id, site_id, key, url, title, locked, approved_count, version, created_at
		FROM threads WHERE site_id = $1 AND key = $2`, siteID, key).
		Scan(&t.ID, &t.SiteID, &t.Key, &t.URL, &t.Title, &t.Locked, &t.ApprovedCount, &t.Version, &created)
	if err != nil {
		return comment.Thread{}, wrap("thread", err)
	}
	t.CreatedAt = fromMicros(created)
	return t, nil
}

// ApprovedComments returns a thread's approved comments, oldest first. It only reads:
// a thread read must never write.
func (s *Store) ApprovedComments(ctx context.Context, threadID int64) ([]comment.Comment, error) {
	return s.queryComments(ctx, "approved comments", approvedCommentsSQL, threadID)
}

// Counts returns the approved count of each thread among keys that exists on the
// site, in one query; keys without a thread are left out. Each key is a query
// parameter, so callers bound their number (the engines allow some 30,000).
func (s *Store) Counts(ctx context.Context, siteID string, keys []string) (map[string]int, error) {
	out := make(map[string]int, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := siteKeyArgs(siteID, keys)
	rows, err := s.db.QueryContext(ctx, `SELECT key, approved_count FROM threads
		WHERE site_id = $1 AND key IN (`+placeholders(2, len(keys))+`)`, args...)
	if err != nil {
		return nil, wrap("counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			key string
			n   int
		)
		if err := rows.Scan(&key, &n); err != nil {
			return nil, wrap("counts", err)
		}
		out[key] = n
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("counts", err)
	}
	return out, nil
}
