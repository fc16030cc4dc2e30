package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/winnow/winnow/internal/comment"
)

// The statements of ImportComments. An imported comment is written as a submission's
// is (thread upsert, comment, author counts), with its trained label (an importer
// keeps what it imports from teaching the spam model) and without an outbox row: an
// import is no news for webhook consumers.
const (
	claimImportSQL = `INSERT INTO comment_imports (site_id, source, source_id, comment_id, parent_source_id, run, line)
	VALUES ($1, $2, $3, 0, $4, $5, $6) ON CONFLICT (site_id, source, source_id) DO NOTHING`
	claimedImportSQL = `SELECT run, line FROM comment_imports WHERE site_id = $1 AND source = $2 AND source_id = $3`
	setImportSQL     = `UPDATE comment_imports SET comment_id = $4 WHERE site_id = $1 AND source = $2 AND source_id = $3`
)

// importPostgresSQL is the statements of one imported comment as one, on PostgreSQL,
// where every statement is a round trip: unless the source id was imported already
// (seen, whose run and line it returns), it upserts the thread, inserts the comment,
// moves the author's counts and records the source id with the new comment's id. A
// concurrent import of the same id fails on the record's key and rolls back. Its
// parameters: the record's ($1-$6: site, source, source id, parent source id, run,
// line), the thread's ($7-$12: key, url, title, approved count and version deltas,
// created), the comment's ($13-$34, from parent_id to trained), the author's deltas
// ($35, $36), and the comment's email key ($37). Parameters in a SELECT list are cast: PostgreSQL would take them for text.
const importPostgresSQL = `WITH seen AS (
		SELECT run, line FROM comment_imports WHERE site_id = $1 AND source = $2 AND source_id = $3
	),
	thread AS (
		INSERT INTO threads (site_id, key, url, title, approved_count, version, created_at)
		SELECT $1, $7, $8, $9, $10::integer, $11::bigint, $12::bigint WHERE NOT EXISTS (SELECT 1 FROM seen)
		ON CONFLICT (site_id, key) DO UPDATE SET
			approved_count = threads.approved_count + excluded.approved_count,
			version = threads.version + excluded.version,
			url = CASE WHEN threads.url = '' THEN excluded.url ELSE threads.url END,
			title = CASE WHEN threads.title = '' THEN excluded.title ELSE threads.title END
		RETURNING id
	),
	created AS (
		INSERT INTO comments (site_id, thread_id, parent_id, author_name, author_email, author_url, author_key, avatar_hash,
			ip, user_agent, body_source, body_html, status, score, reasons, edit_token_hash, idempotency_key,
			created_at, updated_at, published_at, page_url, page_title, ip_key, trained, email_key)
		SELECT $1, thread.id, $13::bigint, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24::double precision, $25, $26, $27,
			$28::bigint, $29::bigint, $30::bigint, $31, $32, $33, $34, $37
		FROM thread
		RETURNING id, thread_id
	),
	author AS (
		INSERT INTO authors (site_id, key, approved, spam)
		SELECT $1, $17, $35::integer, $36::integer FROM created WHERE ($35::integer <> 0 OR $36::integer <> 0) AND $17 <> ''` + addAuthorCounts + `
	),
	claimed AS (
		INSERT INTO comment_imports (site_id, source, source_id, comment_id, parent_source_id, run, line)
		SELECT $1, $2, $3, created.id, $4, $5, $6::bigint FROM created
	)
	SELECT COALESCE((SELECT id FROM created), 0), COALESCE((SELECT thread_id FROM created), 0),
		COALESCE((SELECT run FROM seen), ''), COALESCE((SELECT line FROM seen), 0)`

// An imported comment carries its spam lesson (trained) and asks for no reply mails.
var insertImportedSQL = strings.TrimSuffix(insertCommentColumns, ")") + `, trained)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, false, $25)
	RETURNING id`

// ImportComments stores a batch of imported comments in one transaction (on
// PostgreSQL, one statement each: importPostgresSQL), each with
// the record of its source, and reports for each what became of it (in batch order):
// stored (its new id), imported before by another run (Existing), or a second entry
// with the same source id in this run (DuplicateOf). It upserts each comment's thread
// by (site, key), filling an empty URL and title from the Thread given, moves the
// thread's and the author's counts by the comment's comment.Status.Tally() as
// CreateComment does, and writes no outbox row. The comments' times, status and
// trained label are the caller's; their parent ids are left as given (LinkReplies
// sets them once every comment of a run is in).
func (s *Store) ImportComments(ctx context.Context, run string, batch []comment.Imported) ([]comment.ImportOutcome, error) {
	out := make([]comment.ImportOutcome, len(batch))
	if len(batch) == 0 {
		return out, nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap("import comments", err)
	}
	defer tx.Rollback()
	stmts := map[string]*sql.Stmt{}
	stmt := func(q string) (*sql.Stmt, error) {
		if st, ok := stmts[q]; ok {
			return st, nil
		}
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		stmts[q] = st
		return st, nil
	}
	changed := map[int64]bool{}
	for i := range batch {
		in := &batch[i]
		c := &in.Comment
		if !c.Status.Valid() || c.CreatedAt.IsZero() || (c.Status == comment.StatusApproved) == c.PublishedAt.IsZero() {
			return nil, wrap("import comments", comment.Invalid("status", "an imported comment needs a known status, its time and, when approved, its publication time"))
		}
		if s.dialect == dialectPostgres {
			st, err := stmt(importPostgresSQL)
			if err != nil {
				return nil, wrap("import comments", err)
			}
			c.CreatedAt, c.UpdatedAt, c.PublishedAt = stored(c.CreatedAt), stored(c.UpdatedAt), stored(c.PublishedAt)
			n := c.Status.Tally()
			created := in.Thread.CreatedAt
			if created.IsZero() {
				created = c.CreatedAt
			}
			var (
				id, threadID int64
				earlier      string
				line         int
			)
			err = st.QueryRowContext(ctx, c.SiteID, in.Source, in.SourceID, in.ParentSourceID, run, in.Line,
				in.Thread.Key, in.Thread.URL, in.Thread.Title, n.Approved, n.Approved, micros(created),
				c.ParentID, c.AuthorName, c.AuthorEmail, c.AuthorURL, c.AuthorKey, c.AvatarHash,
				c.IP, c.UserAgent, c.BodySource, c.BodyHTML, string(c.Status), c.Score, list(c.Reasons),
				c.EditTokenHash, c.IdempotencyKey, micros(c.CreatedAt), micros(c.UpdatedAt), micros(c.PublishedAt),
				c.PageURL, c.PageTitle, c.AddressKey, c.Trained, n.Approved, n.Spam, c.EmailKey).Scan(&id, &threadID, &earlier, &line)
			if err != nil {
				return nil, wrap("import comments", err)
			}
			switch {
			case id == 0 && earlier == run:
				out[i].DuplicateOf = max(line, 1)
			case id == 0:
				out[i].Existing = true
			default:
				c.ID, c.ThreadID, c.ThreadKey = id, threadID, in.Thread.Key
				out[i].ID = id
				if n.Approved != 0 {
					changed[threadID] = true
				}
			}
			continue
		}
		claim, err := stmt(claimImportSQL)
		if err != nil {
			return nil, wrap("import comments", err)
		}
		res, err := claim.ExecContext(ctx, c.SiteID, in.Source, in.SourceID, in.ParentSourceID, run, in.Line)
		if err != nil {
			return nil, wrap("import comments", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, wrap("import comments", err)
		} else if n == 0 {
			var (
				earlier string
				line    int
			)
			claimed, err := stmt(claimedImportSQL)
			if err != nil {
				return nil, wrap("import comments", err)
			}
			if err := claimed.QueryRowContext(ctx, c.SiteID, in.Source, in.SourceID).Scan(&earlier, &line); err != nil {
				return nil, wrap("import comments", err)
			}
			if earlier == run {
				out[i].DuplicateOf = max(line, 1)
			} else {
				out[i].Existing = true
			}
			continue
		}
		c.CreatedAt, c.UpdatedAt, c.PublishedAt = stored(c.CreatedAt), stored(c.UpdatedAt), stored(c.PublishedAt)
		n := c.Status.Tally()
		created := in.Thread.CreatedAt
		if created.IsZero() {
			created = c.CreatedAt
		}
		thread, err := stmt(upsertThreadSQL)
		if err != nil {
			return nil, wrap("import comments", err)
		}
		var threadID int64
		if err := thread.QueryRowContext(ctx, c.SiteID, in.Thread.Key, in.Thread.URL, in.Thread.Title, n.Approved, n.Approved, micros(created)).Scan(&threadID); err != nil {
			return nil, wrap("import comments", err)
		}
		insert, err := stmt(insertImportedSQL)
		if err != nil {
			return nil, wrap("import comments", err)
		}
		var id int64
		err = insert.QueryRowContext(ctx, c.SiteID, threadID, c.ParentID, c.AuthorName, c.AuthorEmail, c.AuthorURL, c.AuthorKey, c.AvatarHash,
			c.IP, c.UserAgent, c.BodySource, c.BodyHTML, string(c.Status), c.Score, list(c.Reasons),
			c.EditTokenHash, c.IdempotencyKey, micros(c.CreatedAt), micros(c.UpdatedAt), micros(c.PublishedAt),
			c.PageURL, c.PageTitle, c.AddressKey, c.EmailKey, c.Trained).Scan(&id)
		if err != nil {
			return nil, wrap("import comments", err)
		}
		if n != (comment.Tally{}) && c.AuthorKey != "" {
			author, err := stmt(upsertAuthorSQL)
			if err != nil {
				return nil, wrap("import comments", err)
			}
			if _, err := author.ExecContext(ctx, c.SiteID, c.AuthorKey, n.Approved, n.Spam); err != nil {
				return nil, wrap("import comments", err)
			}
		}
		set, err := stmt(setImportSQL)
		if err != nil {
			return nil, wrap("import comments", err)
		}
		if _, err := set.ExecContext(ctx, c.SiteID, in.Source, in.SourceID, id); err != nil {
			return nil, wrap("import comments", err)
		}
		c.ID, c.ThreadID, c.ThreadKey = id, threadID, in.Thread.Key
		out[i].ID = id
		if n.Approved != 0 {
			changed[threadID] = true
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, wrap("import comments: commit", err)
	}
	for id := range changed {
		s.localThreadChanged(id)
	}
	return out, nil
}

// ImportedReplies returns up to limit replies stored by import run on the site from
// source, whose comment id is above after, in id order, with their parents as the
// site's imports of that source know them: the second pass of an import, which links
// each reply to a parent that came later in the file, or anywhere in an earlier run.
func (s *Store) ImportedReplies(ctx context.Context, siteID, source, run string, after int64, limit int) ([]comment.ImportedReply, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ci.comment_id, c.thread_id, ci.source_id, ci.parent_source_id, ci.line,
		COALESCE(p.comment_id, 0), COALESCE(pc.thread_id, 0)
		FROM comment_imports ci
		JOIN comments c ON c.id = ci.comment_id
		LEFT JOIN comment_imports p ON p.site_id = ci.site_id AND p.source = ci.source AND p.source_id = ci.parent_source_id
		LEFT JOIN comments pc ON pc.id = p.comment_id
		WHERE ci.run = $1 AND ci.parent_source_id <> '' AND ci.comment_id > $2 AND ci.site_id = $3 AND ci.source = $4
		ORDER BY ci.comment_id LIMIT $5`, run, after, siteID, source, limit)
	if err != nil {
		return nil, wrap("imported replies", err)
	}
	defer rows.Close()
	var out []comment.ImportedReply
	for rows.Next() {
		var r comment.ImportedReply
		if err := rows.Scan(&r.CommentID, &r.ThreadID, &r.SourceID, &r.ParentSourceID, &r.Line, &r.ParentID, &r.ParentThreadID); err != nil {
			return nil, wrap("imported replies", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("imported replies", err)
	}
	return out, nil
}

// LinkReplies sets the parent of each comment id in links (comment id -> parent id)
// in one transaction, and moves the version of every thread whose public view that
// changes (a published reply's), so that caches of it miss.
func (s *Store) LinkReplies(ctx context.Context, links map[int64]int64) error {
	if len(links) == 0 {
		return nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return wrap("link replies", err)
	}
	defer tx.Rollback()
	link, err := tx.PrepareContext(ctx, `UPDATE comments SET parent_id = $1 WHERE id = $2 RETURNING thread_id, status`)
	if err != nil {
		return wrap("link replies", err)
	}
	threads := map[int64]bool{}
	for id, parent := range links {
		var (
			threadID int64
			status   string
		)
		if err := link.QueryRowContext(ctx, parent, id).Scan(&threadID, &status); err != nil {
			return wrap("link replies", err)
		}
		if comment.Status(status) == comment.StatusApproved {
			threads[threadID] = true
		}
	}
	for id := range threads {
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET version = version + 1 WHERE id = $1`, id); err != nil {
			return wrap("link replies", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("link replies: commit", err)
	}
	for id := range threads {
		s.localThreadChanged(id)
	}
	return nil
}

// SiteThreads returns up to limit of a site's threads whose id is above after, in id
// order: an export reads a site's threads page by page.
func (s *Store) SiteThreads(ctx context.Context, siteID string, after int64, limit int) ([]comment.Thread, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, site_id, key, url, title, locked, approved_count, version, created_at
		FROM threads WHERE site_id = $1 AND id > $2 ORDER BY id LIMIT $3`, siteID, after, limit)
	if err != nil {
		return nil, wrap("site threads", err)
	}
	defer rows.Close()
	var out []comment.Thread
	for rows.Next() {
		var (
			t       comment.Thread
			created int64
		)
		if err := rows.Scan(&t.ID, &t.SiteID, &t.Key, &t.URL, &t.Title, &t.Locked, &t.ApprovedCount, &t.Version, &created); err != nil {
			return nil, wrap("site threads", err)
		}
		t.CreatedAt = fromMicros(created)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("site threads", err)
	}
	return out, nil
}

// SiteComments returns up to limit of a site's comments in every status whose id is
// above after, in id order, with their private fields, those of one thread when
// threadID is not 0: an export reads a site's comments page by page.
func (s *Store) SiteComments(ctx context.Context, siteID string, threadID, after int64, limit int) ([]comment.Comment, error) {
	if threadID != 0 {
		return s.queryComments(ctx, "site comments", selectComments+` WHERE c.thread_id = $1 AND c.site_id = $2 AND c.id > $3
			ORDER BY c.id LIMIT $4`, threadID, siteID, after, limit)
	}
	return s.queryComments(ctx, "site comments", selectComments+` WHERE c.site_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3`,
		siteID, after, limit)
}
