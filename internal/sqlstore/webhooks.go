package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/webhook"
)

const (
	selectWebhooks = `SELECT id, site_id, url, events, description, secret, previous_secret,
	previous_expires_at, disabled, created_at, updated_at FROM webhook_endpoints`
	deliveryColumns = `id, endpoint_id, event_id, event_type, comment_id, payload, thread_url, thread_title,
	status, attempts, next_attempt_at, lease_until, last_status_code, last_error, latency_ms, created_at, updated_at`
	insertDeliveryColumns = `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, comment_id, payload,
	thread_url, thread_title, status, next_attempt_at, created_at, updated_at)`

	// sortDeliveries names the order of a delivery log (newest first), for its cursors.
	sortDeliveries = "deliveries"
	// open is the SQL list of statuses a dispatcher still has work for.
	open = `('pending', 'failed')`
)

// outboxSQL writes one delivery of an event per enabled endpoint of the site that
// subscribes to it, in the transaction of the change that causes it, with the
// comment's id and its thread's url and title as they stand then in their columns:
// $1 event id, $2 type, $3 comment id, $4 payload, $5 time, $6 thread id, $7 site,
// $8 the LIKE pattern of the type in an endpoint's events list.
const outboxSQL = insertDeliveryColumns + `
	SELECT e.id, $1, $2, $3, $4, t.url, t.title, 'pending', $5, $5, $5
	FROM webhook_endpoints e JOIN threads t ON t.id = $6
	WHERE e.site_id = $7 AND NOT e.disabled AND e.events LIKE $8`

// eventPattern matches an event type in an endpoint's stored events list. Event
// types hold no LIKE wildcards, so nothing needs escaping.
func eventPattern(t comment.EventType) string {
	if t == "" {
		return ""
	}
	return `%"` + string(t) + `"%`
}

// outboxEvent is a comment.Notice as outboxSQL's parameters take it; the zero Notice
// (no type) writes nothing.
type outboxEvent struct {
	id, payload, pattern string
	typ                  comment.EventType
	at                   int64
}

func newOutboxEvent(n comment.Notice) outboxEvent {
	if n.Type == "" {
		return outboxEvent{payload: "{}"} // PostgreSQL types the parameter even when unused
	}
	return outboxEvent{id: n.ID, typ: n.Type, payload: string(n.Payload), pattern: eventPattern(n.Type), at: micros(n.At)}
}

// args are outboxSQL's parameters.
func (e outboxEvent) args(commentID, threadID int64, siteID string) []any {
	return []any{e.id, string(e.typ), commentID, e.payload, e.at, threadID, siteID, e.pattern}
}

// CreateWebhook stores an endpoint as given (its creation time is the caller's, see
// admin.Service) and sets w.ID.
func (s *Store) CreateWebhook(ctx context.Context, w *webhook.Endpoint) error {
	w.CreatedAt, w.UpdatedAt = stored(w.CreatedAt), stored(w.UpdatedAt)
	err := s.wdb.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (site_id, url, events, description, secret,
		previous_secret, previous_expires_at, disabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		w.SiteID, w.URL, events(w.Events), w.Description, w.Secret, w.PreviousSecret, micros(w.PreviousExpiresAt),
		w.Disabled, micros(w.CreatedAt), micros(w.UpdatedAt)).Scan(&w.ID)
	if err != nil {
		return wrap("create webhook", err)
	}
	return nil
}

// UpdateWebhook writes every field of an existing endpoint but its site and creation time.
func (s *Store) UpdateWebhook(ctx context.Context, w webhook.Endpoint) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $1, events = $2, description = $3,
		secret = $4, previous_secret = $5, previous_expires_at = $6, disabled = $7, updated_at = $8 WHERE id = $9`,
		w.URL, events(w.Events), w.Description, w.Secret, w.PreviousSecret, micros(w.PreviousExpiresAt),
		w.Disabled, micros(w.UpdatedAt), w.ID)
	return affectedOne("update webhook", res, err)
}

// DeleteWebhook removes an endpoint and its delivery log.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
	return affectedOne("delete webhook", res, err)
}

// Webhook returns one endpoint, or an error wrapping comment.ErrNotFound.
func (s *Store) Webhook(ctx context.Context, id int64) (webhook.Endpoint, error) {
	w, err := scanWebhook(s.db.QueryRowContext(ctx, selectWebhooks+` WHERE id = $1`, id))
	if err != nil {
		return webhook.Endpoint{}, wrap("webhook", err)
	}
	return w, nil
}

// Webhooks returns the endpoints of the sites in scope (nil: every site), of one
// site when siteID is set, in creation order.
func (s *Store) Webhooks(ctx context.Context, scope []string, siteID string) ([]webhook.Endpoint, error) {
	var f filter
	if scope != nil {
		f.in("site_id", scope)
	}
	if siteID != "" {
		f.add("site_id = " + f.arg(siteID))
	}
	rows, err := s.db.QueryContext(ctx, selectWebhooks+f.where()+` ORDER BY id`, f.args...)
	if err != nil {
		return nil, wrap("webhooks", err)
	}
	defer rows.Close()
	ws := []webhook.Endpoint{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, wrap("webhooks", err)
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("webhooks", err)
	}
	return ws, nil
}

func scanWebhook(row scanner) (webhook.Endpoint, error) {
	var (
		w                         webhook.Endpoint
		evs                       string
		prevExp, created, updated int64
	)
	err := row.Scan(&w.ID, &w.SiteID, &w.URL, &evs, &w.Description, &w.Secret, &w.PreviousSecret,
		&prevExp, &w.Disabled, &created, &updated)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	names, err := fromList(evs)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	for _, n := range names {
		w.Events = append(w.Events, comment.EventType(n))
	}
	w.PreviousExpiresAt, w.CreatedAt, w.UpdatedAt = fromMicros(prevExp), fromMicros(created), fromMicros(updated)
	return w, nil
}

func events(ts []comment.EventType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return list(names)
}

// EnqueueDelivery adds a delivery outside any other change (a test ping) and sets its
// ID; it is due at once, at its CreatedAt, which is the caller's and required.
func (s *Store) EnqueueDelivery(ctx context.Context, d *webhook.Delivery) error {
	if d.CreatedAt.IsZero() {
		return fmt.Errorf("sqlstore: enqueue delivery: %w", comment.Invalid("created_at", "required"))
	}
	d.CreatedAt = stored(d.CreatedAt)
	d.Status, d.NextAttemptAt, d.UpdatedAt = webhook.DeliveryPending, d.CreatedAt, d.CreatedAt
	err := s.wdb.QueryRowContext(ctx, insertDeliveryColumns+` VALUES ($1, $2, $3, $4, $5, '', '', 'pending', $6, $6, $6) RETURNING id`,
		d.EndpointID, d.EventID, string(d.Type), d.CommentID, string(d.Payload), micros(d.CreatedAt)).Scan(&d.ID)
	if err != nil {
		return wrap("enqueue delivery", err)
	}
	return nil
}

// Redeliver queues delivery id of endpoint endpointID again as a new delivery with the
// same event id and payload, so consumers can tell it is the same event; the original
// keeps its log.
func (s *Store) Redeliver(ctx context.Context, endpointID, id int64, at time.Time) (webhook.Delivery, error) {
	d, err := scanDelivery(s.wdb.QueryRowContext(ctx, insertDeliveryColumns+`
		SELECT endpoint_id, event_id, event_type, comment_id, payload, thread_url, thread_title, 'pending', $3, $3, $3
		FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2
		RETURNING `+deliveryColumns, id, endpointID, micros(at)))
	if err != nil {
		return webhook.Delivery{}, wrap("redeliver", err)
	}
	return d, nil
}

// Deliveries returns one page of an endpoint's delivery log and the cursor of the
// next page ("" after the last).
func (s *Store) Deliveries(ctx context.Context, endpointID int64, status webhook.DeliveryStatus, cursor string, limit int) ([]webhook.Delivery, string, error) {
	var f filter
	f.add("endpoint_id = " + f.arg(endpointID))
	if status != "" {
		f.add("status = " + f.arg(string(status)))
	}
	if cursor != "" {
		_, id, err := decodeCursor(cursor, sortDeliveries)
		if err != nil {
			return nil, "", err
		}
		f.add("id < " + f.arg(id))
	}
	limit = pageLimit(limit)
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries`+f.where()+
		` ORDER BY id DESC LIMIT `+strconv.Itoa(limit+1), f.args...)
	if err != nil {
		return nil, "", wrap("deliveries", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, "", wrap("deliveries", err)
	}
	if len(ds) <= limit {
		return ds, "", nil
	}
	ds = ds[:limit]
	return ds, encodeCursor(sortDeliveries, 0, ds[limit-1].ID), nil
}

// ClaimDeliveries takes up to limit due deliveries for a dispatcher and holds them
// until leaseUntil; a dispatcher that dies with them loses its hold then, and another
// takes them up. A delivery waits while an earlier one for the same comment and
// endpoint is still open, so that consumers see a comment's events in order, and
// while its endpoint is disabled. On PostgreSQL, replicas claiming together skip
// each other's rows (SKIP LOCKED) instead of waiting for them.
func (s *Store) ClaimDeliveries(ctx context.Context, at, leaseUntil time.Time, limit int) ([]webhook.Delivery, error) {
	lock := ""
	if s.dialect == dialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := s.wdb.QueryContext(ctx, `UPDATE webhook_deliveries SET lease_until = $1, updated_at = $2
	WHERE id IN (
		SELECT d.id FROM webhook_deliveries d
		WHERE d.status IN `+open+` AND d.next_attempt_at <= $2 AND d.lease_until <= $2
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
			AND p.comment_id = d.comment_id AND p.id < d.id AND p.status IN `+open+`)
		AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND NOT e.disabled)
		ORDER BY d.next_attempt_at, d.id LIMIT $3`+lock+`)
	RETURNING `+deliveryColumns, micros(leaseUntil), micros(at), limit)
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil || len(ds) == 0 {
		return ds, wrapNil("claim deliveries", err)
	}
	// RETURNING follows no ORDER BY (PostgreSQL returns rows as the plan updated
	// them): put the claim in the order it was taken in.
	slices.SortFunc(ds, func(a, b webhook.Delivery) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	ids := make([]any, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.EndpointID)
	}
	eps := make(map[int64]webhook.Endpoint, len(ids))
	erows, err := s.wdb.QueryContext(ctx, selectWebhooks+` WHERE id IN (`+placeholders(1, len(ids))+`)`, ids...)
	if err != nil {
		return nil, wrap("claim deliveries: endpoints", err)
	}
	defer erows.Close()
	for erows.Next() {
		w, err := scanWebhook(erows)
		if err != nil {
			return nil, wrap("claim deliveries: endpoints", err)
		}
		eps[w.ID] = w
	}
	if err := erows.Err(); err != nil {
		return nil, wrap("claim deliveries: endpoints", err)
	}
	for i := range ds {
		ds[i].Endpoint = eps[ds[i].EndpointID]
	}
	return ds, nil
}

// RecordAttempt logs the result of an attempt made under a claim and releases the
// claim. If the claim was lost (it expired and another dispatcher took the delivery),
// nothing is written and the error wraps comment.ErrConflict.
func (s *Store) RecordAttempt(ctx context.Context, a webhook.Attempt) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1,
		next_attempt_at = $2, last_status_code = $3, last_error = $4, latency_ms = $5, lease_until = 0, updated_at = $6
		WHERE id = $7 AND lease_until = $8`,
		string(a.Status), micros(a.NextAttemptAt), a.StatusCode, comment.Truncate(a.Error, 500), a.Latency.Milliseconds(),
		micros(a.At), a.DeliveryID, micros(a.LeaseUntil))
	if err := affectedOne("record attempt", res, err); err != nil {
		if errors.Is(err, comment.ErrNotFound) {
			return fmt.Errorf("sqlstore: record attempt: delivery %d: claim lost: %w", a.DeliveryID, comment.ErrConflict)
		}
		return err
	}
	return nil
}

// OldestOpenDelivery returns when the oldest delivery still to be made was created,
// or the zero time when there is none: the age of the queue.
func (s *Store) OldestOpenDelivery(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(created_at) FROM webhook_deliveries WHERE status IN `+open).Scan(&v)
	if err != nil {
		return time.Time{}, wrap("oldest open delivery", err)
	}
	return fromMicros(v.Int64), nil
}

func scanDeliveries(rows *sql.Rows) ([]webhook.Delivery, error) {
	defer rows.Close()
	ds := []webhook.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

func scanDelivery(row scanner) (webhook.Delivery, error) {
	var (
		d                                 webhook.Delivery
		typ, payload, status              string
		next, lease, latency, created, up int64
	)
	err := row.Scan(&d.ID, &d.EndpointID, &d.EventID, &typ, &d.CommentID, &payload, &d.ThreadURL, &d.ThreadTitle, &status, &d.Attempts,
		&next, &lease, &d.LastStatusCode, &d.LastError, &latency, &created, &up)
	if err != nil {
		return webhook.Delivery{}, err
	}
	d.Type, d.Payload, d.Status = comment.EventType(typ), []byte(payload), webhook.DeliveryStatus(status)
	d.NextAttemptAt, d.LeaseUntil = fromMicros(next), fromMicros(lease)
	d.Latency = time.Duration(latency) * time.Millisecond
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(up)
	return d, nil
}

// wrapNil is wrap for an error that may be nil.
func wrapNil(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}
