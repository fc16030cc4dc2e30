package sqlstore

import (
	"context"
	"encoding/base64"
	"math"
	"strconv"
	"strings"

	"github.com/winnow/winnow/internal/comment"
)

// Page sizes of the listings: a Limit of 0 means DefaultLimit, and more than
// MaxLimit is cut to MaxLimit so one request cannot read the whole table.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// sortEvents names the one order of the audit log, for its cursors.
const sortEvents = "events"

const selectEvents = `SELECT id, site_id, comment_id, actor, action, from_status, to_status, note, created_at
	FROM moderation_events`

// scanEvent reads one row of selectEvents.
func scanEvent(row scanner) (comment.Event, error) {
	var (
		e        comment.Event
		from, to string
		created  int64
	)
	if err := row.Scan(&e.ID, &e.SiteID, &e.CommentID, &e.Actor, &e.Action, &from, &to, &e.Note, &created); err != nil {
		return comment.Event{}, err
	}
	e.From, e.To, e.CreatedAt = comment.Status(from), comment.Status(to), fromMicros(created)
	return e, nil
}

// ListComments returns one page of the moderation queue and the cursor of the next
// page ("" after the last). Pages are keyset-paginated on the sort columns, so they
// cost the same at any depth and neither skip nor repeat rows when comments arrive
// between pages. Newest and oldest order by id, which is arrival order. A cursor
// that is malformed or from another sort is a *comment.ValidationError.
//
// Text matching lowercases both sides with the engine's lower(): PostgreSQL folds
// every letter, SQLite only ASCII letters.
func (s *Store) ListComments(ctx context.Context, q comment.Query) ([]comment.Comment, string, error) {
	sort := q.Sort
	if sort == "" {
		sort = comment.SortNewest
	}
	var f filter
	if q.Scope != nil {
		f.in("c.site_id", q.Scope)
	}
	if q.SiteID != "" {
		f.add("c.site_id = " + f.arg(q.SiteID))
	}
	if q.ThreadKey != "" {
		f.add("t.key = " + f.arg(q.ThreadKey))
	}
	if q.Status != "" {
		if !q.Status.Valid() {
			return nil, "", comment.Invalid("status", "unknown status")
		}
		f.add("c.status = " + f.arg(string(q.Status)))
	}
	if q.Text != "" {
		p := f.arg("%" + escapeLike(strings.ToLower(q.Text)) + "%")
		f.add(`(lower(c.body_source) LIKE ` + p + ` ESCAPE '\' OR lower(c.author_name) LIKE ` + p +
			` ESCAPE '\' OR lower(c.author_email) LIKE ` + p + ` ESCAPE '\' OR lower(c.author_url) LIKE ` + p + ` ESCAPE '\')`)
	}
	var order string
	switch sort {
	case comment.SortNewest:
		order = "c.id DESC"
	case comment.SortOldest:
		order = "c.id"
	case comment.SortScore:
		order = "c.score DESC, c.id DESC"
	default:
		return nil, "", comment.Invalid("sort", "must be oldest, newest or score")
	}
	if q.Cursor != "" {
		score, id, err := decodeCursor(q.Cursor, sort)
		if err != nil {
			return nil, "", err
		}
		switch sort {
		case comment.SortNewest:
			f.add("c.id < " + f.arg(id))
		case comment.SortOldest:
			f.add("c.id > " + f.arg(id))
		case comment.SortScore:
			f.add("(c.score, c.id) < (" + f.arg(score) + ", " + f.arg(id) + ")")
		}
	}
	limit := pageLimit(q.Limit)
	cs, err := s.queryComments(ctx, "list comments",
		selectComments+f.where()+" ORDER BY "+order+" LIMIT "+strconv.Itoa(limit+1), f.args...)
	if err != nil || len(cs) <= limit {
		return cs, "", err
	}
	cs = cs[:limit]
	last := cs[limit-1]
	return cs, encodeCursor(sort, last.Score, last.ID), nil
}

// ListEvents returns one page of the audit log, newest first, and the cursor of the
// next page ("" after the last).
func (s *Store) ListEvents(ctx context.Context, q comment.EventQuery) ([]comment.Event, string, error) {
	var f filter
	if q.Scope != nil {
		f.in("site_id", q.Scope)
	}
	if q.SiteID != "" {
		f.add("site_id = " + f.arg(q.SiteID))
	}
	if q.CommentID != 0 {
		f.add("comment_id = " + f.arg(q.CommentID))
	}
	if q.Actor != "" {
		f.add("actor = " + f.arg(q.Actor))
	}
	if q.Cursor != "" {
		_, id, err := decodeCursor(q.Cursor, sortEvents)
		if err != nil {
			return nil, "", err
		}
		f.add("id < " + f.arg(id))
	}
	limit := pageLimit(q.Limit)
	rows, err := s.db.QueryContext(ctx, selectEvents+f.where()+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit+1), f.args...)
	if err != nil {
		return nil, "", wrap("list events", err)
	}
	defer rows.Close()
	events := []comment.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, "", wrap("list events", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrap("list events", err)
	}
	if len(events) <= limit {
		return events, "", nil
	}
	events = events[:limit]
	return events, encodeCursor(sortEvents, 0, events[limit-1].ID), nil
}

// EventActors lists the distinct actors of the audit events on the scope's sites
// (nil: every site), in order, for the audit log's filter. At most MaxLimit.
func (s *Store) EventActors(ctx context.Context, scope []string) ([]string, error) {
	var f filter
	if scope != nil {
		f.in("site_id", scope)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT actor FROM moderation_events"+f.where()+
		" ORDER BY actor LIMIT "+strconv.Itoa(MaxLimit), f.args...)
	if err != nil {
		return nil, wrap("event actors", err)
	}
	defer rows.Close()
	actors := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, wrap("event actors", err)
		}
		actors = append(actors, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("event actors", err)
	}
	return actors, nil
}

// CountComments counts the comments in a status ("" counts them all), for the
// queue-size metric.
func (s *Store) CountComments(ctx context.Context, status comment.Status) (int, error) {
	var f filter
	if status != "" {
		f.add("status = " + f.arg(string(status)))
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM comments"+f.where(), f.args...).Scan(&n); err != nil {
		return 0, wrap("count comments", err)
	}
	return n, nil
}

// filter builds a WHERE clause, numbering placeholders as arguments are added.
type filter struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (f *filter) arg(v any) string {
	f.args = append(f.args, v)
	return "$" + strconv.Itoa(len(f.args))
}

func (f *filter) add(cond string) { f.conds = append(f.conds, cond) }

// in adds "col IN (...)" for vals, which must not be empty.
// in matches col against vals; an empty list matches nothing.
func (f *filter) in(col string, vals []string) {
	if len(vals) == 0 {
		f.add("1 = 0")
		return
	}
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = f.arg(v)
	}
	f.add(col + " IN (" + strings.Join(ps, ", ") + ")")
}

func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// escapeLike makes % and _ (and the escape character itself) match literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// encodeCursor returns the opaque position after a row: the sort's name, the row's
// id and, for the score sort, its score, in URL-safe base64. A float's shortest
// decimal form parses back to the same float, so score comparisons stay exact.
func encodeCursor(sort string, score float64, id int64) string {
	v := sort + ":" + strconv.FormatInt(id, 10)
	if sort == comment.SortScore {
		v += ":" + strconv.FormatFloat(score, 'g', -1, 64)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(v))
}

// decodeCursor reverses encodeCursor for the expected sort.
func decodeCursor(cursor, sort string) (score float64, id int64, err error) {
	bad := comment.Invalid("cursor", "not a cursor from this listing")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, 0, bad
	}
	parts := strings.Split(string(b), ":")
	want := 2
	if sort == comment.SortScore {
		want = 3
	}
	if len(parts) != want || parts[0] != sort {
		return 0, 0, bad
	}
	if id, err = strconv.ParseInt(parts[1], 10, 64); err != nil || id <= 0 {
		return 0, 0, bad
	}
	if want == 3 {
		if score, err = strconv.ParseFloat(parts[2], 64); err != nil || math.IsNaN(score) || math.IsInf(score, 0) {
			return 0, 0, bad
		}
	}
	return score, id, nil
}
