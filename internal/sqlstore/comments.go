package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// selectComments reads comments with their thread key; every query that returns
// comments starts with it and scans with scanComment.
const selectComments = `SELECT c.id, c.site_id, c.thread_id, t.key, c.parent_id,
	c.author_name, c.author_email, c.author_url, c.author_key, c.avatar_hash, c.ip, c.user_agent,
	c.body_source, c.body_html, c.status, c.score, c.reasons, c.edit_token_hash, c.idempotency_key,
	c.created_at, c.updated_at, c.published_at, c.trained, c.page_url, c.page_title, c.ip_key, c.email_key, c.notify_replies
	FROM comments c JOIN threads t ON t.id = c.thread_id`

// The statements of CreateComment, the hot path. The thread upsert creates the thread
// or moves its counts in one statement, and returns its id either way; $5 and $6 are
// both 1 for an approved comment (PostgreSQL types a parameter once, and the columns
// differ).
const (
	upsertThreadSQL  = upsertThreadCore + `RETURNING id`
	upsertThreadCore = `INSERT INTO threads (site_id, key, url, title, approved_count, version, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (site_id, key) DO UPDATE SET
		approved_count = threads.approved_count + excluded.approved_count,
		version = threads.version + excluded.version,
		url = CASE WHEN threads.url = '' THEN excluded.url ELSE threads.url END,
		title = CASE WHEN threads.title = '' THEN excluded.title ELSE threads.title END
	`
	insertCommentColumns = `INSERT INTO comments (site_id, thread_id, parent_id,
		author_name, author_email, author_url, author_key, avatar_hash, ip, user_agent,
		body_source, body_html, status, score, reasons, edit_token_hash, idempotency_key,
		created_at, updated_at, published_at, page_url, page_title, ip_key, email_key, notify_replies)`
	insertCommentSQL = insertCommentColumns + `
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
	RETURNING id`
	// addAuthorCounts adds to an author's counts; the deltas may be negative.
	addAuthorCounts = ` ON CONFLICT (site_id, key) DO UPDATE SET
		approved = authors.approved + excluded.approved,
		spam = authors.spam + excluded.spam`
	upsertAuthorSQL = `INSERT INTO authors (site_id, key, approved, spam) VALUES ($1, $2, $3, $4)` + addAuthorCounts

	// createCommentPostgresSQL is the statements above and the outbox's as one, the
	// dialect seam of the hot path: on PostgreSQL every statement is a network round
	// trip, and one statement is its own transaction, so this saves five round trips of
	// six. Its parameters are the thread's ($1-$7), the comment's from parent_id on
	// ($8-$25), the author's deltas ($26, $27), then the webhook event's id, type,
	// payload and pattern ($28-$31; type "" writes none; the rows take the new id and
	// the thread's url and title as they stand after the upsert), and the comment's page
	// URL, title, address key, email key and wish for reply mails ($32-$36). SQLite has no writable CTEs and no round trips.
	createCommentPostgresSQL = `WITH thread AS (` + upsertThreadCore + `RETURNING id, url, title),
	author AS (
		INSERT INTO authors (site_id, key, approved, spam)
		SELECT $1, $12, $26, $27 WHERE ($26 <> 0 OR $27 <> 0) AND $12 <> ''` + addAuthorCounts + `
	),
	created AS (
	` + insertCommentColumns + `
	VALUES ($1, (SELECT id FROM thread), $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24, $25, $32, $33, $34, $35, $36)
	RETURNING id, thread_id),
	hooks AS (` + insertDeliveryColumns + `
		SELECT e.id, $28, $29, c.id, $30, t.url, t.title, 'pending', $23, $23, $23
		FROM webhook_endpoints e, created c, thread t
		WHERE $29 <> '' AND e.site_id = $1 AND NOT e.disabled AND e.events LIKE $31
	)
	SELECT id, thread_id FROM created`
)

// hotStmts are CreateComment's statements, prepared once: database/sql then keeps
// them prepared on every connection that runs them, which saves PostgreSQL a round
// trip and SQLite a parse per statement. On PostgreSQL only create is set; on SQLite
// the others.
type hotStmts struct {
	create, thread, comment, author, outbox *sql.Stmt
}

func (h *hotStmts) close() {
	for _, st := range []*sql.Stmt{h.create, h.thread, h.comment, h.author, h.outbox} {
		if st != nil {
			st.Close()
		}
	}
}

// prepared returns the hot statements, preparing them on first use (after Migrate,
// since preparing needs the tables). It must not be called inside a transaction:
// on SQLite the writer's only connection would be taken.
func (s *Store) prepared(ctx context.Context) (*hotStmts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hot != nil {
		return s.hot, nil
	}
	h := &hotStmts{}
	type prep struct {
		st    **sql.Stmt
		query string
	}
	ps := []prep{{&h.thread, upsertThreadSQL}, {&h.comment, insertCommentSQL}, {&h.author, upsertAuthorSQL}, {&h.outbox, outboxSQL}}
	if s.dialect == dialectPostgres {
		ps = []prep{{&h.create, createCommentPostgresSQL}}
	}
	for _, p := range ps {
		st, err := s.wdb.PrepareContext(ctx, p.query)
		if err != nil {
			h.close()
			return nil, err
		}
		*p.st = st
	}
	s.hot = h
	return h, nil
}

// Comment returns one comment with its thread key, or an error wrapping comment.ErrNotFound.
func (s *Store) Comment(ctx context.Context, id int64) (comment.Comment, error) {
	c, err := scanComment(s.db.QueryRowContext(ctx, selectComments+` WHERE c.id = $1`, id))
	if err != nil {
		return comment.Comment{}, wrap("comment", err)
	}
	return c, nil
}

// CommentByIdempotencyKey returns the comment that an earlier submission with this
// key created on the site, or an error wrapping comment.ErrNotFound.
func (s *Store) CommentByIdempotencyKey(ctx context.Context, siteID, key string) (comment.Comment, error) {
	if key == "" {
		return comment.Comment{}, wrap("comment by idempotency key", sql.ErrNoRows)
	}
	c, err := scanComment(s.db.QueryRowContext(ctx,
		selectComments+` WHERE c.site_id = $1 AND c.idempotency_key = $2`, siteID, key))
	if err != nil {
		return comment.Comment{}, wrap("comment by idempotency key", err)
	}
	return c, nil
}

// CommentsByID returns the comments that exist among ids, in id order.
func (s *Store) CommentsByID(ctx context.Context, ids []int64) ([]comment.Comment, error) {
	if len(ids) == 0 {
		return []comment.Comment{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return s.queryComments(ctx, "comments by id",
		selectComments+` WHERE c.id IN (`+placeholders(1, len(ids))+`) ORDER BY c.id`, args...)
}

// Author returns an author's counts on a site; an author never seen is a zero Author
// with the site and key filled in, not an error.
func (s *Store) Author(ctx context.Context, siteID, key string) (comment.Author, error) {
	as, err := s.Authors(ctx, siteID, []string{key})
	if err != nil {
		return comment.Author{}, err
	}
	if a, ok := as[key]; ok {
		return a, nil
	}
	return comment.Author{SiteID: siteID, Key: key}, nil
}

// Authors returns the counts of a site's authors by key, in one query; an author never
// seen has no entry.
func (s *Store) Authors(ctx context.Context, siteID string, keys []string) (map[string]comment.Author, error) {
	out := make(map[string]comment.Author, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := siteKeyArgs(siteID, keys)
	rows, err := s.db.QueryContext(ctx, `SELECT key, approved, spam FROM authors WHERE site_id = $1 AND key IN (`+
		placeholders(2, len(keys))+`)`, args...)
	if err != nil {
		return nil, wrap("authors", err)
	}
	defer rows.Close()
	for rows.Next() {
		a := comment.Author{SiteID: siteID}
		if err := rows.Scan(&a.Key, &a.Approved, &a.Spam); err != nil {
			return nil, wrap("authors", err)
		}
		out[a.Key] = a
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("authors", err)
	}
	return out, nil
}

// CreateComment stores c atomically in as few round trips as the engine allows: one
// statement on PostgreSQL, one transaction of at most four statements on SQLite. It
// upserts the thread by (site, key), moving its approved count and version by what c
// counts (comment.Status.Tally), inserts c, moves the author's counts likewise
// (authors with an empty key are not counted), and writes notify, when it has a type,
// to the outbox for every subscribed endpoint, with c's new id and the thread's url
// and title. It sets c.ID, c.ThreadID and c.ThreadKey. Its times are the caller's:
// CreatedAt is required, and an approved comment needs its PublishedAt. A duplicate
// idempotency key is an error wrapping comment.ErrConflict, and nothing is written.
func (s *Store) CreateComment(ctx context.Context, c *comment.Comment, thread comment.Thread, notify comment.Notice) error {
	return s.createComment(ctx, c, thread, notify, nil)
}

// CreateCommentWithEvent stores c as CreateComment does and appends e to the audit log
// in the same transaction, with c's new id: a moderator's reply, published at once,
// is on the record like every other moderator action. It is off the hot path and
// takes a transaction on either engine.
func (s *Store) CreateCommentWithEvent(ctx context.Context, c *comment.Comment, thread comment.Thread, notify comment.Notice, e comment.Event) error {
	return s.createComment(ctx, c, thread, notify, &e)
}

func (s *Store) createComment(ctx context.Context, c *comment.Comment, thread comment.Thread, notice comment.Notice, event *comment.Event) error {
	if !c.Status.Valid() {
		return fmt.Errorf("sqlstore: create comment: %w", comment.Invalid("status", "unknown status"))
	}
	if thread.SiteID != "" && thread.SiteID != c.SiteID {
		return fmt.Errorf("sqlstore: create comment: %w", comment.Invalid("thread", "belongs to another site"))
	}
	if c.CreatedAt.IsZero() {
		return fmt.Errorf("sqlstore: create comment: %w", comment.Invalid("created_at", "required"))
	}
	if (c.Status == comment.StatusApproved) == c.PublishedAt.IsZero() {
		return fmt.Errorf("sqlstore: create comment: %w", comment.Invalid("published_at", "set exactly when the comment is approved"))
	}
	// Times are kept at the precision stored, so that c equals the comment read back.
	c.CreatedAt, c.UpdatedAt, c.PublishedAt = stored(c.CreatedAt), stored(c.UpdatedAt), stored(c.PublishedAt)
	if thread.CreatedAt.IsZero() {
		thread.CreatedAt = c.CreatedAt
	}
	n := c.Status.Tally()
	h, err := s.prepared(ctx)
	if err != nil {
		return wrap("create comment", err)
	}
	// A new comment's times and its thread's are mostly one instant: it is boxed once
	// for every argument it is, since each boxed int64 is an allocation.
	created := any(micros(c.CreatedAt))
	at := func(t time.Time) any {
		if t.Equal(c.CreatedAt) {
			return created
		}
		return micros(t)
	}
	threadArgs := []any{c.SiteID, thread.Key, thread.URL, thread.Title, n.Approved, n.Approved, at(thread.CreatedAt)}
	// The comment's columns, after two slots that SQLite's insert fills with its site
	// and thread, and with room for the five it adds.
	commentArgs := append(make([]any, 2, 2+18+5), c.ParentID, c.AuthorName, c.AuthorEmail, c.AuthorURL, c.AuthorKey, c.AvatarHash,
		c.IP, c.UserAgent, c.BodySource, c.BodyHTML, string(c.Status), c.Score, list(c.Reasons),
		c.EditTokenHash, c.IdempotencyKey, created, at(c.UpdatedAt), at(c.PublishedAt))
	var id, threadID int64
	notify := newOutboxEvent(notice)
	var pgArgs []any
	if h.create != nil {
		pgArgs = make([]any, 0, len(threadArgs)+len(commentArgs)-2+11)
		pgArgs = append(append(append(pgArgs, threadArgs...), commentArgs[2:]...), n.Approved, n.Spam,
			notify.id, string(notify.typ), notify.payload, notify.pattern, c.PageURL, c.PageTitle, c.AddressKey, c.EmailKey, c.NotifyReplies)
	}
	if h.create != nil && event == nil {
		err = h.create.QueryRowContext(ctx, pgArgs...).Scan(&id, &threadID)
	} else {
		id, threadID, err = createInTx(ctx, s.wdb, h, c, pgArgs, threadArgs, commentArgs, n, notify, event)
	}
	if err != nil {
		return wrap("create comment", err)
	}
	c.ID, c.ThreadID, c.ThreadKey = id, threadID, thread.Key
	if c.Status == comment.StatusApproved {
		s.localThreadChanged(threadID)
	}
	return nil
}

// createInTx runs CreateComment's statements in a transaction: on SQLite one by one
// (commentArgs begins with two slots for the comment's site and thread), on PostgreSQL
// the one statement (pgArgs); then event, when set, with the new id.
func createInTx(ctx context.Context, db *sql.DB, h *hotStmts, c *comment.Comment, pgArgs, threadArgs, commentArgs []any,
	n comment.Tally, notify outboxEvent, event *comment.Event) (id, threadID int64, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	if h.create != nil {
		if err := tx.StmtContext(ctx, h.create).QueryRowContext(ctx, pgArgs...).Scan(&id, &threadID); err != nil {
			return 0, 0, err
		}
		return id, threadID, commitWithEvent(ctx, tx, event, c.SiteID, id)
	}
	if err := tx.StmtContext(ctx, h.thread).QueryRowContext(ctx, threadArgs...).Scan(&threadID); err != nil {
		return 0, 0, err
	}
	commentArgs[0], commentArgs[1] = c.SiteID, threadID
	args := append(commentArgs, c.PageURL, c.PageTitle, c.AddressKey, c.EmailKey, c.NotifyReplies)
	if err := tx.StmtContext(ctx, h.comment).QueryRowContext(ctx, args...).Scan(&id); err != nil {
		return 0, 0, err
	}
	if n != (comment.Tally{}) && c.AuthorKey != "" {
		if _, err := tx.StmtContext(ctx, h.author).ExecContext(ctx, c.SiteID, c.AuthorKey, n.Approved, n.Spam); err != nil {
			return 0, 0, err
		}
	}
	if notify.typ != "" {
		if _, err := tx.StmtContext(ctx, h.outbox).ExecContext(ctx, notify.args(id, threadID, c.SiteID)...); err != nil {
			return 0, 0, err
		}
	}
	return id, threadID, commitWithEvent(ctx, tx, event, c.SiteID, id)
}

// commitWithEvent appends event (when set) about the new comment id and commits.
func commitWithEvent(ctx context.Context, tx *sql.Tx, event *comment.Event, siteID string, id int64) error {
	if event != nil {
		if err := insertEvent(ctx, tx, *event, siteID, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// queryComments runs a query that starts with selectComments.
func (s *Store) queryComments(ctx context.Context, op, query string, args ...any) ([]comment.Comment, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	cs := []comment.Comment{}
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return cs, nil
}

// scanComment reads one row of selectComments.
func scanComment(row scanner) (comment.Comment, error) {
	var (
		c                           comment.Comment
		status, reasons             string
		created, updated, published int64
	)
	err := row.Scan(&c.ID, &c.SiteID, &c.ThreadID, &c.ThreadKey, &c.ParentID,
		&c.AuthorName, &c.AuthorEmail, &c.AuthorURL, &c.AuthorKey, &c.AvatarHash, &c.IP, &c.UserAgent,
		&c.BodySource, &c.BodyHTML, &status, &c.Score, &reasons, &c.EditTokenHash, &c.IdempotencyKey,
		&created, &updated, &published, &c.Trained, &c.PageURL, &c.PageTitle, &c.AddressKey, &c.EmailKey, &c.NotifyReplies)
	if err != nil {
		return comment.Comment{}, err
	}
	if c.Reasons, err = fromList(reasons); err != nil {
		return comment.Comment{}, err
	}
	c.Status = comment.Status(status)
	c.CreatedAt, c.UpdatedAt, c.PublishedAt = fromMicros(created), fromMicros(updated), fromMicros(published)
	return c, nil
}

// DiscardSpam deletes up to limit comments that have been in the spam queue since
// before, oldest first, and reports how many went. Nothing references a comment by
// foreign key; the author's counts and what the classifier learned stay.
func (s *Store) DiscardSpam(ctx context.Context, before time.Time, limit int) (int64, error) {
	// The conditions stand twice: PostgreSQL re-checks only the outer ones on a row a
	// moderator changed (rescued) while the delete waited for its lock.
	return s.execCount(ctx, "discard spam", `DELETE FROM comments WHERE id IN (
		SELECT id FROM comments WHERE status = 'spam' AND updated_at < $1 ORDER BY id LIMIT $2)
		AND status = 'spam' AND updated_at < $1`, micros(before), limit)
}

// untaughtPublishedSQL finds published comments that taught the spam model nothing yet,
// oldest published first, from the comments_untaught index.
const untaughtPublishedSQL = selectComments + ` WHERE c.status = 'approved' AND c.trained = ''
	AND c.published_at >= $1 AND c.published_at < $2 ORDER BY c.published_at, c.id LIMIT $3`

// UntaughtPublished returns up to limit comments first published from since until
// before that are still published and have taught the spam model nothing (their
// trained label is empty), oldest published first: the candidates for learning ham
// from what stays up. Which of them teach is the caller's rule; each leaves this list
// when its label is set.
func (s *Store) UntaughtPublished(ctx context.Context, since, before time.Time, limit int) ([]comment.Comment, error) {
	return s.queryComments(ctx, "untaught published comments", s.untaughtPublishedSQL(), micros(since), micros(before), limit)
}

// untaughtPublishedSQLite is the sweep's read on SQLite, which without statistics would
// rather read every approved comment by the status index and sort them; it is told to
// use the partial index, which also fails loudly if the index ever stops matching.
var untaughtPublishedSQLite = strings.Replace(untaughtPublishedSQL, "FROM comments c ", "FROM comments c INDEXED BY comments_untaught ", 1)

// untaughtPublishedSQL is the sweep's read in the store's dialect.
func (s *Store) untaughtPublishedSQL() string {
	if s.dialect == dialectSQLite {
		return untaughtPublishedSQLite
	}
	return untaughtPublishedSQL
}

// ForgetAddresses clears the IP address (and the key of its network: there is none
// without an address) and user agent of up to limit comments written before before,
// oldest first, and reports how many it cleared. Nothing else about the comments
// changes; an address's reputation looks back less far than this.
func (s *Store) ForgetAddresses(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.execCount(ctx, "forget addresses", `UPDATE comments SET ip = '', ip_key = '', user_agent = '' WHERE id IN (
		SELECT id FROM comments WHERE created_at < $1 AND (ip <> '' OR user_agent <> '') ORDER BY created_at LIMIT $2)`,
		micros(before), limit)
}

// addressKeysDone is the settings key that says every comment written before schema
// version 14 that still mattered has been given its address key (KeyAddresses).
const addressKeysDone = "address_keys_backfilled"

// KeyAddresses gives up to limit comments created after since that keep an address
// but no key of its network (comments written before schema version 14) the key that
// key returns for their address, oldest first, and reports how many it keyed: without
// it an upgrade would wipe every address's reputation. Older comments do not count
// towards a reputation and are left alone. Once none is left it says so in settings,
// and later calls cost one read. Which network and which secret make a key is the
// caller's rule; key must return a key for every address. Replicas may run it
// together: a row is keyed once.
func (s *Store) KeyAddresses(ctx context.Context, since time.Time, limit int, key func(ip string) string) (int64, error) {
	var done int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = $1`, addressKeysDone).Scan(&done); err != nil {
		return 0, wrap("key addresses", err)
	}
	if done > 0 {
		return 0, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, ip FROM comments WHERE ip <> '' AND ip_key = '' AND created_at > $1
		ORDER BY created_at LIMIT $2`, micros(since), limit)
	if err != nil {
		return 0, wrap("key addresses", err)
	}
	type addressed struct {
		id int64
		ip string
	}
	var found []addressed
	for rows.Next() {
		var a addressed
		if err := rows.Scan(&a.id, &a.ip); err != nil {
			rows.Close()
			return 0, wrap("key addresses", err)
		}
		found = append(found, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("key addresses", err)
	}
	if len(found) == 0 {
		if _, err := s.wdb.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, 'done') ON CONFLICT (key) DO NOTHING`, addressKeysDone); err != nil {
			return 0, wrap("key addresses", err)
		}
		return 0, nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap("key addresses", err)
	}
	defer tx.Rollback()
	var n int64
	for _, a := range found {
		k := key(a.ip)
		if k == "" {
			return 0, fmt.Errorf("sqlstore: key addresses: no key for the address of comment %d", a.id)
		}
		res, err := tx.ExecContext(ctx, `UPDATE comments SET ip_key = $1 WHERE id = $2 AND ip = $3 AND ip_key = ''`, k, a.id, a.ip)
		if err != nil {
			return 0, wrap("key addresses", err)
		}
		changed, err := res.RowsAffected()
		if err != nil {
			return 0, wrap("key addresses", err)
		}
		n += changed
	}
	if err := tx.Commit(); err != nil {
		return 0, wrap("key addresses: commit", err)
	}
	return n, nil
}

// execCount runs a write and reports how many rows it changed.
func (s *Store) execCount(ctx context.Context, op, query string, args ...any) (int64, error) {
	res, err := s.wdb.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}
