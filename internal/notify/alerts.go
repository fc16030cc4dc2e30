package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/webhook"
)

// AlertStore is what the alerts about dead webhook deliveries read.
type AlertStore interface {
	DeadDeliveriesAfter(ctx context.Context, at time.Time, id int64, until time.Time, limit int) ([]webhook.Delivery, error)
	Webhook(ctx context.Context, id int64) (webhook.Endpoint, error)
	SweepPosition(ctx context.Context, name string) (int64, error)
	SetSweepPosition(ctx context.Context, name string, pos int64) error
}

// Positions of the dead-delivery sweep in mail_sweeps.
const (
	deadTime = "dead_at"
	deadID   = "dead_id"
)

// SweepDeadDeliveries mails the admins when webhook deliveries have gone dead (every
// retry failed) since the last sweep: one mail per endpoint, admin and hour at most,
// with the count, the last error and the endpoint's page, where they can be sent
// again. An admin whose mails are off for every site is not told.
func (s *Service) SweepDeadDeliveries(ctx context.Context) (int, error) {
	st := s.store
	t, err := st.SweepPosition(ctx, deadTime)
	if err != nil {
		return 0, fmt.Errorf("notify: dead deliveries: %w", err)
	}
	id, err := st.SweepPosition(ctx, deadID)
	if err != nil {
		return 0, fmt.Errorf("notify: dead deliveries: %w", err)
	}
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	if t == 0 {
		// Deliveries dead before mail was set up are in the dashboard already.
		t = now.Add(-settle).UnixMicro()
		if err := st.SetSweepPosition(ctx, deadTime, t); err != nil {
			return 0, wrapSweep(err)
		}
	}
	ds, err := st.DeadDeliveriesAfter(ctx, time.UnixMicro(t).UTC(), id, now.Add(-settle), 500)
	if err != nil || len(ds) == 0 {
		return 0, wrapSweep(err)
	}
	byEndpoint := map[int64][]webhook.Delivery{}
	var order []int64
	for _, d := range ds {
		if _, ok := byEndpoint[d.EndpointID]; !ok {
			order = append(order, d.EndpointID)
		}
		byEndpoint[d.EndpointID] = append(byEndpoint[d.EndpointID], d)
	}
	admins, err := s.alertedAdmins(ctx)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, epID := range order {
		ep, err := st.Webhook(ctx, epID)
		if err != nil {
			continue // deleted since: nothing to alert about
		}
		for _, u := range admins {
			m := s.deadMail(u, ep, byEndpoint[epID], now)
			ok, err := s.store.EnqueueMail(ctx, &m)
			if err != nil {
				return queued, fmt.Errorf("notify: dead deliveries: %w", err)
			}
			if ok {
				queued++
				s.opts.Logger.Info("mail queued", slog.Int64("mail_id", m.ID), slog.String("kind", string(m.Kind)),
					slog.Int64("endpoint_id", epID))
			}
		}
	}
	last := ds[len(ds)-1]
	if err := st.SetSweepPosition(ctx, deadTime, last.UpdatedAt.UnixMicro()); err != nil {
		return queued, wrapSweep(err)
	}
	return queued, wrapSweep(st.SetSweepPosition(ctx, deadID, last.ID))
}

func wrapSweep(err error) error {
	if err != nil {
		return fmt.Errorf("notify: dead deliveries: %w", err)
	}
	return nil
}

// alertedAdmins are the enabled admins whose mails are not off for every site.
func (s *Service) alertedAdmins(ctx context.Context) ([]auth.User, error) {
	users, err := s.store.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: dead deliveries: %w", err)
	}
	prefs, err := s.store.MailPreferences(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: dead deliveries: %w", err)
	}
	off := map[int64]bool{}
	for _, p := range prefs {
		if p.SiteID == "" && p.Mode == Off {
			off[p.UserID] = true
		}
	}
	var out []auth.User
	for _, u := range users {
		if u.Role == auth.RoleAdmin && !u.Disabled() && !off[u.ID] {
			out = append(out, u)
		}
	}
	return out, nil
}

// deadMail tells admin u that deliveries ds to ep went dead. It names the endpoint by
// its scheme and host only: consumers keep secrets in their URLs' paths and queries.
func (s *Service) deadMail(u auth.User, ep webhook.Endpoint, ds []webhook.Delivery, now time.Time) email.Mail {
	where := "the endpoint"
	if pu, err := url.Parse(ep.URL); err == nil && pu.Host != "" {
		where = pu.Scheme + "://" + pu.Host + "/…"
	}
	last := ds[len(ds)-1]
	page := fmt.Sprintf("%s/admin/sites/%s/webhooks/%d", s.opts.BaseURL, url.PathEscape(ep.SiteID), ep.ID)
	n := fmt.Sprintf("%d webhook deliveries", len(ds))
	if len(ds) == 1 {
		n = "1 webhook delivery"
	}
	body := fmt.Sprintf("%s from %s to %s failed every retry and were given up.\n\nLast error: %s\n\n"+
		"See them, fix the endpoint, and send them again:\n%s\n", n, ep.SiteID, where, last.LastError, page)
	return email.Mail{Kind: email.KindAlert, To: u.Email, MessageID: email.NewMessageID(s.opts.From),
		DedupeKey: fmt.Sprintf("webhook-dead:%d:%d:%s", ep.ID, u.ID, now.Format("2006010215")),
		Subject:   fmt.Sprintf("[%s] Webhook deliveries to %s are failing", ep.SiteID, where), Body: body, CreatedAt: now}
}
