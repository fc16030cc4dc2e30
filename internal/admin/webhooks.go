package admin

import (
	"context"
	"fmt"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/webhook"
)

// Webhooks lists the endpoints of the sites p works on, of siteID alone when it is
// not empty.
func (s *Service) Webhooks(ctx context.Context, p auth.Principal, siteID string) ([]webhook.Endpoint, error) {
	if siteID != "" {
		if err := p.See(siteID); err != nil {
			return nil, err
		}
	}
	ws, err := s.store.Webhooks(ctx, p.Scope(), siteID)
	if err != nil {
		return nil, fmt.Errorf("admin: webhooks: %w", err)
	}
	return ws, nil
}

// Webhook returns endpoint id if p works on its site.
func (s *Service) Webhook(ctx context.Context, p auth.Principal, id int64) (webhook.Endpoint, error) {
	w, err := s.store.Webhook(ctx, id)
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("admin: webhook %d: %w", id, err)
	}
	if err := p.See(w.SiteID); err != nil {
		return webhook.Endpoint{}, err
	}
	return w, nil
}

// CreateWebhook registers w, normalized and validated, on its site, which must exist,
// with a new secret: the answer is the only one that carries it. Its URL must name a
// deliverable address unless private networks are allowed.
func (s *Service) CreateWebhook(ctx context.Context, p auth.Principal, w webhook.Endpoint) (webhook.Endpoint, error) {
	if err := Manage(p); err != nil {
		return webhook.Endpoint{}, err
	}
	w.ID, w.Secret, w.CreatedAt = 0, webhook.NewSecret(), s.now().UTC()
	w.Normalize()
	if err := w.Validate(s.allowPrivate); err != nil {
		return webhook.Endpoint{}, err
	}
	if err := auth.CheckSites(ctx, s.store, "site", w.SiteID); err != nil {
		return webhook.Endpoint{}, err
	}
	if err := s.store.CreateWebhook(ctx, &w); err != nil {
		return webhook.Endpoint{}, fmt.Errorf("admin: create webhook: %w", err)
	}
	return w, nil
}

// UpdateWebhook applies change to endpoint id and stores it, normalized and
// validated. An endpoint stays on its site. Its URL is judged when it changes: an
// endpoint registered before the check (or while private networks were allowed) can
// still be disabled or described, and its deliveries stay refused at connect time.
func (s *Service) UpdateWebhook(ctx context.Context, p auth.Principal, id int64, change func(*webhook.Endpoint) error) (webhook.Endpoint, error) {
	if err := Manage(p); err != nil {
		return webhook.Endpoint{}, err
	}
	w, err := s.Webhook(ctx, p, id)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	before := w
	if err := change(&w); err != nil {
		return webhook.Endpoint{}, err
	}
	if w.SiteID != before.SiteID {
		return webhook.Endpoint{}, comment.Invalid("site", "an endpoint cannot move to another site")
	}
	w.ID, w.CreatedAt = before.ID, before.CreatedAt
	w.Secret, w.PreviousSecret, w.PreviousExpiresAt = before.Secret, before.PreviousSecret, before.PreviousExpiresAt
	w.Normalize()
	w.UpdatedAt = s.now().UTC()
	if err := w.Validate(s.allowPrivate || w.URL == before.URL); err != nil {
		return webhook.Endpoint{}, err
	}
	if err := s.store.UpdateWebhook(ctx, w); err != nil {
		return webhook.Endpoint{}, fmt.Errorf("admin: webhook %d: %w", id, err)
	}
	return w, nil
}

// RotateWebhook gives endpoint id a new secret, which the answer alone carries; the
// old one keeps signing alongside it for webhook.RotationGrace, so a consumer
// can switch without losing events.
func (s *Service) RotateWebhook(ctx context.Context, p auth.Principal, id int64) (webhook.Endpoint, error) {
	if err := Manage(p); err != nil {
		return webhook.Endpoint{}, err
	}
	w, err := s.Webhook(ctx, p, id)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	w.Rotate(webhook.NewSecret(), s.now().UTC())
	if err := s.store.UpdateWebhook(ctx, w); err != nil {
		return webhook.Endpoint{}, fmt.Errorf("admin: webhook %d: %w", id, err)
	}
	return w, nil
}

// DeleteWebhook removes endpoint id and its delivery log.
func (s *Service) DeleteWebhook(ctx context.Context, p auth.Principal, id int64) error {
	if err := Manage(p); err != nil {
		return err
	}
	w, err := s.Webhook(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(ctx, w.ID); err != nil {
		return fmt.Errorf("admin: webhook %d: %w", id, err)
	}
	return nil
}

// PingWebhook queues a test event for endpoint id; its delivery shows in the log.
func (s *Service) PingWebhook(ctx context.Context, p auth.Principal, id int64) (webhook.Delivery, error) {
	if err := Manage(p); err != nil {
		return webhook.Delivery{}, err
	}
	w, err := s.Webhook(ctx, p, id)
	if err != nil {
		return webhook.Delivery{}, err
	}
	now := s.now().UTC()
	d := webhook.Delivery{EndpointID: w.ID, EventID: comment.NewEventID(), Type: comment.EventPing,
		Payload: webhook.PingEvent(now, w), CreatedAt: now}
	if err := s.store.EnqueueDelivery(ctx, &d); err != nil {
		return webhook.Delivery{}, fmt.Errorf("admin: ping webhook %d: %w", id, err)
	}
	return d, nil
}

// Deliveries is endpoint id, which p must work on, and a page of its delivery log,
// newest first, of one status when status is not empty, with the cursor of the next
// page: one read of the endpoint serves the check and a page that shows it.
func (s *Service) Deliveries(ctx context.Context, p auth.Principal, id int64, status webhook.DeliveryStatus, cursor string, limit int) (webhook.Endpoint, []webhook.Delivery, string, error) {
	w, err := s.Webhook(ctx, p, id)
	if err != nil {
		return webhook.Endpoint{}, nil, "", err
	}
	ds, next, err := s.store.Deliveries(ctx, w.ID, status, cursor, limit)
	if err != nil {
		return webhook.Endpoint{}, nil, "", fmt.Errorf("admin: deliveries of webhook %d: %w", id, err)
	}
	return w, ds, next, nil
}

// Redeliver queues delivery of endpoint id again, with the same event id and payload.
func (s *Service) Redeliver(ctx context.Context, p auth.Principal, id, delivery int64) (webhook.Delivery, error) {
	if err := Manage(p); err != nil {
		return webhook.Delivery{}, err
	}
	w, err := s.Webhook(ctx, p, id)
	if err != nil {
		return webhook.Delivery{}, err
	}
	d, err := s.store.Redeliver(ctx, w.ID, delivery, s.now().UTC())
	if err != nil {
		return webhook.Delivery{}, fmt.Errorf("admin: redeliver %d: %w", delivery, err)
	}
	return d, nil
}
