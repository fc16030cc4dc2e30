package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/notify"
	"github.com/winnow/winnow/internal/webhook"
)

// MailPreferences returns every account's mail modes.
func (s *Store) MailPreferences(ctx context.Context) ([]notify.Preference, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, site_id, mode FROM mail_preferences ORDER BY user_id, site_id`)
	if err != nil {
		return nil, wrap("mail preferences", err)
	}
	defer rows.Close()
	ps := []notify.Preference{}
	for rows.Next() {
		var (
			p    notify.Preference
			mode string
		)
		if err := rows.Scan(&p.UserID, &p.SiteID, &mode); err != nil {
			return nil, wrap("mail preferences", err)
		}
		p.Mode = notify.Mode(mode)
		ps = append(ps, p)
	}
	return ps, wrapNil("mail preferences", rows.Err())
}

// SetMailPreference stores an account's mode for a site ("" for every site); an
// empty mode removes it.
func (s *Store) SetMailPreference(ctx context.Context, p notify.Preference) error {
	if p.Mode == "" {
		_, err := s.wdb.ExecContext(ctx, `DELETE FROM mail_preferences WHERE user_id = $1 AND site_id = $2`, p.UserID, p.SiteID)
		return wrapNil("set mail preference", err)
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO mail_preferences (user_id, site_id, mode) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, site_id) DO UPDATE SET mode = excluded.mode`, p.UserID, p.SiteID, string(p.Mode))
	return wrapNil("set mail preference", err)
}

// MailCursors returns how far every moderator has been told of every site's queue.
func (s *Store) MailCursors(ctx context.Context) ([]notify.Cursor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, site_id, last_comment_id, last_mail_at FROM mail_cursors`)
	if err != nil {
		return nil, wrap("mail cursors", err)
	}
	defer rows.Close()
	cs := []notify.Cursor{}
	for rows.Next() {
		var (
			c  notify.Cursor
			at int64
		)
		if err := rows.Scan(&c.UserID, &c.SiteID, &c.LastCommentID, &at); err != nil {
			return nil, wrap("mail cursors", err)
		}
		c.LastMailAt = fromMicros(at)
		cs = append(cs, c)
	}
	return cs, wrapNil("mail cursors", rows.Err())
}

// PendingAfter returns up to limit pending comments of a site with ids above
// afterID, created since then, oldest first.
func (s *Store) PendingAfter(ctx context.Context, siteID string, afterID int64, since time.Time, limit int) ([]comment.Comment, error) {
	return s.queryComments(ctx, "pending after", selectComments+` WHERE c.site_id = $1 AND c.status = 'pending'
		AND c.id > $2 AND c.created_at >= $3 ORDER BY c.id LIMIT `+strconv.Itoa(limit), siteID, afterID, micros(since))
}

// QueueModeratorMail moves a moderator's cursor from from to to and queues m, in one
// transaction; it returns false, writing nothing, when the cursor was no longer at
// from (another replica's sweep told the moderator first).
func (s *Store) QueueModeratorMail(ctx context.Context, m *email.Mail, from, to notify.Cursor) (bool, error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return false, wrap("queue moderator mail", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_cursors (user_id, site_id) VALUES ($1, $2)
		ON CONFLICT (user_id, site_id) DO NOTHING`, to.UserID, to.SiteID); err != nil {
		return false, wrap("queue moderator mail", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE mail_cursors SET last_comment_id = $1, last_mail_at = $2
		WHERE user_id = $3 AND site_id = $4 AND last_comment_id = $5`,
		to.LastCommentID, micros(to.LastMailAt), to.UserID, to.SiteID, from.LastCommentID)
	if err != nil {
		return false, wrap("queue moderator mail", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, wrapNil("queue moderator mail", err)
	}
	ok, err := enqueueMail(ctx, tx, m)
	if err != nil || !ok {
		return false, err
	}
	return true, wrapNil("queue moderator mail", tx.Commit())
}

// UseMailLink records that a mail's link (its hash) was used; an error wrapping
// comment.ErrConflict if it was used before.
func (s *Store) UseMailLink(ctx context.Context, hash string, at time.Time) error {
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO mail_links_used (hash, used_at) VALUES ($1, $2)`, hash, micros(at))
	return wrapNil("use mail link", err)
}

// ReleaseMailLink forgets a link's use, when what it did failed.
func (s *Store) ReleaseMailLink(ctx context.Context, hash string) error {
	_, err := s.wdb.ExecContext(ctx, `DELETE FROM mail_links_used WHERE hash = $1`, hash)
	return wrapNil("release mail link", err)
}

// MailLinkUsed reports whether a link (its hash) was used.
func (s *Store) MailLinkUsed(ctx context.Context, hash string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM mail_links_used WHERE hash = $1`, hash).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, wrapNil("mail link used", err)
}

// ForgetMailLinks deletes the record of links used before then, at most limit: a link
// that old has expired anyway.
func (s *Store) ForgetMailLinks(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM mail_links_used WHERE hash IN (
		SELECT hash FROM mail_links_used WHERE used_at < $1 LIMIT $2)`, micros(before), limit)
	if err != nil {
		return 0, wrap("forget mail links", err)
	}
	return res.RowsAffected()
}

// PublishedAfter returns up to limit comments published after the position
// (published_at at, id) and at or before until, in that order.
func (s *Store) PublishedAfter(ctx context.Context, at time.Time, id int64, until time.Time, limit int) ([]comment.Comment, error) {
	return s.queryComments(ctx, "published after", selectComments+` WHERE c.status = 'approved'
		AND (c.published_at > $1 OR (c.published_at = $1 AND c.id > $2)) AND c.published_at <= $3
		ORDER BY c.published_at, c.id LIMIT `+strconv.Itoa(limit), micros(at), id, micros(until))
}

// SweepPosition returns where a sweep has got to (0 before its first run).
func (s *Store) SweepPosition(ctx context.Context, name string) (int64, error) {
	var pos int64
	err := s.db.QueryRowContext(ctx, `SELECT position FROM mail_sweeps WHERE name = $1`, name).Scan(&pos)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return pos, wrapNil("sweep position", err)
}

// SetSweepPosition records where a sweep has got to; it never moves back, so that a
// slow replica's sweep does not undo a faster one's.
func (s *Store) SetSweepPosition(ctx context.Context, name string, pos int64) error {
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO mail_sweeps (name, position) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE mail_sweeps.position < excluded.position`, name, pos)
	return wrapNil("set sweep position", err)
}

const selectSubscriptions = `SELECT id, site_id, email, status, asked_at, confirmed_at, updated_at FROM reply_subscriptions`

func scanSubscription(row scanner) (notify.Subscription, error) {
	var (
		sub                 notify.Subscription
		status              string
		asked, confirmed, u int64
	)
	if err := row.Scan(&sub.ID, &sub.SiteID, &sub.Email, &status, &asked, &confirmed, &u); err != nil {
		return notify.Subscription{}, err
	}
	sub.Status = notify.SubscriptionStatus(status)
	sub.AskedAt, sub.ConfirmedAt, sub.UpdatedAt = fromMicros(asked), fromMicros(confirmed), fromMicros(u)
	return sub, nil
}

// Subscription returns a site's subscription of an address, or an error wrapping
// comment.ErrNotFound.
func (s *Store) Subscription(ctx context.Context, siteID, email string) (notify.Subscription, error) {
	sub, err := scanSubscription(s.db.QueryRowContext(ctx, selectSubscriptions+` WHERE site_id = $1 AND email = $2`, siteID, email))
	return sub, wrapNil("subscription", err)
}

// SubscriptionByID returns a subscription, or an error wrapping comment.ErrNotFound.
func (s *Store) SubscriptionByID(ctx context.Context, id int64) (notify.Subscription, error) {
	sub, err := scanSubscription(s.db.QueryRowContext(ctx, selectSubscriptions+` WHERE id = $1`, id))
	return sub, wrapNil("subscription", err)
}

// QueueConfirmation marks sub pending, asked at at (creating it when its ID is 0),
// and queues the mail build makes for its id, in one transaction. It returns false,
// writing nothing, when the subscription was created or asked again since sub was
// read.
func (s *Store) QueueConfirmation(ctx context.Context, sub notify.Subscription, at time.Time, build func(id int64) (email.Mail, error)) (bool, error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return false, wrap("queue confirmation", err)
	}
	defer tx.Rollback()
	id := sub.ID
	if id == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO reply_subscriptions (site_id, email, status, asked_at, updated_at)
			VALUES ($1, $2, 'pending', $3, $3) ON CONFLICT (site_id, email) DO NOTHING RETURNING id`,
			sub.SiteID, sub.Email, micros(at)).Scan(&id)
		if err == sql.ErrNoRows {
			return false, nil
		}
		if err != nil {
			return false, wrap("queue confirmation", err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE reply_subscriptions SET status = 'pending', asked_at = $1, updated_at = $1
			WHERE id = $2 AND asked_at = $3 AND status <> 'confirmed'`, micros(at), id, micros(sub.AskedAt))
		if err != nil {
			return false, wrap("queue confirmation", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return false, wrapNil("queue confirmation", err)
		}
	}
	m, err := build(id)
	if err != nil {
		return false, err
	}
	ok, err := enqueueMail(ctx, tx, &m)
	if err != nil || !ok {
		return false, err
	}
	return true, wrapNil("queue confirmation", tx.Commit())
}

// SetSubscriptionStatus moves a subscription to status at at.
func (s *Store) SetSubscriptionStatus(ctx context.Context, id int64, status notify.SubscriptionStatus, at time.Time) error {
	confirmed := int64(0)
	if status == notify.SubscriptionConfirmed {
		confirmed = micros(at)
	}
	res, err := s.wdb.ExecContext(ctx, `UPDATE reply_subscriptions SET status = $1, updated_at = $2,
		confirmed_at = CASE WHEN CAST($3 AS BIGINT) <> 0 THEN CAST($3 AS BIGINT) ELSE confirmed_at END WHERE id = $4`, string(status), micros(at), confirmed, id)
	return affectedOne("set subscription status", res, err)
}

// SubscriptionsAsked counts a site's confirmation requests since then.
func (s *Store) SubscriptionsAsked(ctx context.Context, siteID string, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM reply_subscriptions WHERE site_id = $1 AND asked_at >= $2`,
		siteID, micros(since)).Scan(&n)
	return n, wrapNil("subscriptions asked", err)
}

// DeadDeliveriesAfter returns up to limit deliveries that went dead after the
// position (updated_at at, id) and at or before until, in that order.
func (s *Store) DeadDeliveriesAfter(ctx context.Context, at time.Time, id int64, until time.Time, limit int) ([]webhook.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE status = 'dead'
		AND (updated_at > $1 OR (updated_at = $1 AND id > $2)) AND updated_at <= $3
		ORDER BY updated_at, id LIMIT `+strconv.Itoa(limit), micros(at), id, micros(until))
	if err != nil {
		return nil, wrap("dead deliveries", err)
	}
	ds, err := scanDeliveries(rows)
	return ds, wrapNil("dead deliveries", err)
}
