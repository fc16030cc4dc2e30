package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// recordSQL has one shape for every submission so it is prepared once: an empty
// address key or ban value matches nothing. An address's record counts its latest 20
// comments only, by status (what each counts for is the domain's rule), found by the
// key of the client's network (comment.AddressKey) on the index comments_site_ip_key. $1 site, $2 author key, $3 address key, $4 since,
// $5 now, $6 idempotency key, $7 parent id, $8 the ban values (email key, the keys of
// the address's networks, domains) as one JSON array: one parameter, not one per value,
// which each cost the driver an allocation or two on every submission. bans is the
// dialect's test that a ban's value is one of them. The idempotency key's row repeats
// the partial index's predicate (idempotency_key <> ”) so that a generic plan, which
// cannot see that $6 is not empty, still uses comments_idempotency.
func recordSQL(bans string) string {
	return `SELECT 'author', approved, spam, '', '' FROM authors WHERE site_id = $1 AND key = $2
	UNION ALL SELECT 'address', COUNT(*), 0, status, '' FROM (SELECT status FROM comments
		WHERE site_id = $1 AND ip_key = $3 AND $3 <> '' AND created_at > $4
		ORDER BY created_at DESC LIMIT 20) recent GROUP BY status
	UNION ALL SELECT 'ban', 0, 0, kind, '' FROM bans WHERE site_id = $1 AND (expires_at = 0 OR expires_at > $5)
		AND ` + bans + ` AND value <> ''
	UNION ALL SELECT 'replay', id, 0, '', '' FROM comments WHERE site_id = $1 AND idempotency_key = $6
		AND idempotency_key <> ''
	UNION ALL SELECT 'parent', 0, 0, c.status, t.key FROM comments c JOIN threads t ON t.id = c.thread_id
		WHERE c.id = $7 AND c.site_id = $1`
}

var (
	recordSQLite = recordSQL(`value IN (SELECT j.value FROM json_each($8) j)`)
	// As an array (an init plan), not IN (SELECT ...), so that the generic plan finds
	// the bans on the index (site_id, value) instead of reading all the site's bans.
	recordPostgres = recordSQL(`value = ANY(ARRAY(SELECT jsonb_array_elements_text($8::jsonb)))`)
)

// Record reads in one round trip what a submission is judged by besides its text:
// the author's counts, the statuses of the client's network's (addressKey, "" for
// none) latest 20 comments since since (the cost stays flat however much it sent), the site's bans active at now that keys match, the id of
// the comment stored under idempotencyKey ("" for none), and the thread and status of
// the site's comment parentID (0 for none), so that a submission's only read is this one.
func (s *Store) Record(ctx context.Context, siteID, authorKey, addressKey, idempotencyKey string, parentID int64, keys comment.BanKeys, since, now time.Time) (comment.Record, error) {
	query := recordSQLite
	if s.dialect == dialectPostgres {
		query = recordPostgres
	}
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return comment.Record{}, wrap("record", err)
	}
	bans, err := banValues(keys)
	if err != nil {
		return comment.Record{}, fmt.Errorf("sqlstore: record: %w", err)
	}
	rows, err := st.QueryContext(ctx, siteID, authorKey, addressKey, micros(since), micros(now), idempotencyKey, parentID, bans)
	if err != nil {
		return comment.Record{}, wrap("record", err)
	}
	defer rows.Close()
	r := comment.Record{Author: comment.Author{SiteID: siteID, Key: authorKey}}
	// The text columns are read as the driver holds them: only a ban's kind and a
	// parent's need to outlive the row, and most submissions have neither.
	var (
		what, kind, detail sql.RawBytes
		approved, spams    int64
	)
	for rows.Next() {
		if err := rows.Scan(&what, &approved, &spams, &kind, &detail); err != nil {
			return comment.Record{}, wrap("record", err)
		}
		switch string(what) {
		case "author":
			r.Author.Approved, r.Author.Spam = int(approved), int(spams)
		case "address":
			if r.Address == nil {
				r.Address = comment.StatusCounts{}
			}
			r.Address[comment.Status(kind)] = int(approved)
		case "ban":
			r.Banned = append(r.Banned, comment.BanKind(kind))
		case "replay":
			r.Replay = approved
		case "parent":
			r.ParentStatus, r.ParentThread = comment.Status(kind), string(detail)
		}
	}
	if err := rows.Err(); err != nil {
		return comment.Record{}, wrap("record", err)
	}
	return r, nil
}

// banValues is the JSON array of keys' values (Email, IPs, Domains), at most
// comment.MaxBanKeys, written at once: the keys are hex and the domains plain, so
// only a value that needs escaping goes through the JSON encoder.
func banValues(keys comment.BanKeys) (string, error) {
	n := 1 + len(keys.IPs) + len(keys.Domains)
	if n > comment.MaxBanKeys {
		return "", fmt.Errorf("%d ban keys, at most %d", n, comment.MaxBanKeys)
	}
	size := 1 + 3*n
	for _, vs := range [][]string{{keys.Email}, keys.IPs, keys.Domains} {
		for _, v := range vs {
			size += len(v)
		}
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteByte('[')
	for i, vs := range [][]string{{keys.Email}, keys.IPs, keys.Domains} {
		for j, v := range vs {
			if i > 0 || j > 0 {
				b.WriteByte(',')
			}
			if !plainJSON(v) {
				q, err := json.Marshal(v)
				if err != nil {
					return "", err
				}
				b.Write(q)
				continue
			}
			b.WriteByte('"')
			b.WriteString(v)
			b.WriteByte('"')
		}
	}
	b.WriteByte(']')
	return b.String(), nil
}

// plainJSON reports whether v is written in JSON as it is, between quotes: printable
// ASCII that encoding/json leaves alone.
func plainJSON(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// readStmt returns query prepared on the read pool, preparing it on first use: the
// statements of every request skip a parse, and on PostgreSQL a round trip.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.reads[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.reads == nil {
		s.reads = map[string]*sql.Stmt{}
	}
	s.reads[query] = st
	return st, nil
}
