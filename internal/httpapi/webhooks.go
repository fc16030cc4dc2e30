package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
)

// webhookStore is what the webhook handlers read and manage.
type webhookStore interface {
	CreateWebhook(ctx context.Context, w *comment.Webhook) error
	UpdateWebhook(ctx context.Context, w comment.Webhook) error
	DeleteWebhook(ctx context.Context, id int64) error
	Webhook(ctx context.Context, id int64) (comment.Webhook, error)
	Webhooks(ctx context.Context, scope []string, siteID string) ([]comment.Webhook, error)
	Deliveries(ctx context.Context, endpointID int64, status comment.DeliveryStatus, cursor string, limit int) ([]comment.Delivery, string, error)
	Redeliver(ctx context.Context, endpointID, id int64, at time.Time) (comment.Delivery, error)
	EnqueueDelivery(ctx context.Context, d *comment.Delivery) error
}

// webhookView is an endpoint on the wire. The secret is present only in the answer
// that created or rotated it: it is shown once.
type webhookView struct {
	ID                      int64               `json:"id"`
	Site                    string              `json:"site"`
	URL                     string              `json:"url"`
	Events                  []comment.EventType `json:"events"`
	Description             string              `json:"description"`
	Disabled                bool                `json:"disabled"`
	PreviousSecretExpiresAt *time.Time          `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               time.Time           `json:"created_at"`
	UpdatedAt               *time.Time          `json:"updated_at,omitempty"`
	Secret                  string              `json:"secret,omitempty"`
}

func viewWebhook(w comment.Webhook, now time.Time) webhookView {
	v := webhookView{ID: w.ID, Site: w.SiteID, URL: w.URL, Events: w.Events, Description: w.Description,
		Disabled: w.Disabled, CreatedAt: w.CreatedAt, UpdatedAt: optionalTime(w.UpdatedAt)}
	if len(w.Secrets(now)) > 1 {
		v.PreviousSecretExpiresAt = optionalTime(w.PreviousExpiresAt)
	}
	if v.Events == nil {
		v.Events = []comment.EventType{}
	}
	return v
}

// deliveryView is one entry of an endpoint's delivery log.
type deliveryView struct {
	ID            int64                  `json:"id"`
	EndpointID    int64                  `json:"endpoint_id"`
	EventID       string                 `json:"event_id"`
	Type          comment.EventType      `json:"type"`
	CommentID     int64                  `json:"comment_id,omitempty"`
	Status        comment.DeliveryStatus `json:"status"`
	Attempts      int                    `json:"attempts"`
	NextAttemptAt *time.Time             `json:"next_attempt_at,omitempty"`
	ResponseCode  int                    `json:"response_code,omitempty"`
	LatencyMS     int64                  `json:"latency_ms"`
	LastError     string                 `json:"last_error,omitempty"`
	Payload       json.RawMessage        `json:"payload"`
	CreatedAt     time.Time              `json:"created_at"`
	UpdatedAt     time.Time              `json:"updated_at"`
}

func viewDelivery(d comment.Delivery) deliveryView {
	v := deliveryView{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, Type: d.Type, CommentID: d.CommentID,
		Status: d.Status, Attempts: d.Attempts, ResponseCode: d.LastStatusCode, LatencyMS: d.Latency.Milliseconds(),
		LastError: d.LastError, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if body, err := d.Body(); err == nil {
		v.Payload = body // as it is sent
	}
	if d.Status == comment.DeliveryPending || d.Status == comment.DeliveryFailed {
		v.NextAttemptAt = optionalTime(d.NextAttemptAt)
	}
	if !json.Valid(v.Payload) {
		v.Payload = json.RawMessage("null")
	}
	return v
}

// webhookBody is an endpoint as a client sends it; nil fields are left as they are.
type webhookBody struct {
	Site        string               `json:"site"`
	URL         *string              `json:"url"`
	Events      *[]comment.EventType `json:"events"`
	Description *string              `json:"description"`
	Disabled    *bool                `json:"disabled"`
}

func (b webhookBody) applyTo(w *comment.Webhook) {
	if b.URL != nil {
		w.URL = *b.URL
	}
	if b.Events != nil {
		w.Events = *b.Events
	}
	if b.Description != nil {
		w.Description = *b.Description
	}
	if b.Disabled != nil {
		w.Disabled = *b.Disabled
	}
}

func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	p, siteID := principal(r), r.URL.Query().Get("site")
	if siteID != "" {
		if err := p.See(siteID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	ws, err := s.store.Webhooks(r.Context(), p.Scope(), siteID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]webhookView, len(ws))
	for i, hook := range ws {
		out[i] = forViewer(viewWebhook(hook, s.now()), p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// forViewer hides an endpoint URL's path and query from a moderator: consumers such
// as chat and build hooks carry their own secret there, and only admins manage them.
func forViewer(v webhookView, p auth.Principal) webhookView {
	if p.IsAdmin() {
		return v
	}
	if u, err := url.Parse(v.URL); err == nil {
		v.URL = u.Scheme + "://" + u.Host + "/…"
	}
	return v
}

func (s *server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var body webhookBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now().UTC()
	hook := comment.Webhook{SiteID: body.Site, Secret: comment.NewWebhookSecret(), CreatedAt: now}
	body.applyTo(&hook)
	hook.Normalize()
	err := hook.Validate(s.allowPrivate)
	if err == nil {
		if _, err = s.store.Site(r.Context(), hook.SiteID); errors.Is(err, comment.ErrNotFound) {
			err = comment.Invalid("site", "no such site")
		}
	}
	if err == nil {
		err = s.store.CreateWebhook(r.Context(), &hook)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewWebhook(hook, now)
	v.Secret = hook.Secret
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": v})
}

// webhook loads the endpoint of the request's {id} if the caller may see its site.
func (s *server) webhook(r *http.Request) (comment.Webhook, error) {
	hook, err := s.store.Webhook(r.Context(), pathID(r))
	if err == nil {
		err = principal(r).See(hook.SiteID)
	}
	return hook, err
}

func (s *server) getWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.webhook(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": forViewer(viewWebhook(hook, s.now()), principal(r))})
}

func (s *server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var body webhookBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	hook, err := s.webhook(r)
	if err == nil && body.Site != "" && body.Site != hook.SiteID {
		err = comment.Invalid("site", "an endpoint cannot move to another site")
	}
	if err == nil {
		before := hook.URL
		body.applyTo(&hook)
		hook.Normalize()
		hook.UpdatedAt = s.now().UTC()
		// A URL is judged when it is set: an endpoint registered before the check (or
		// while private networks were allowed) can still be disabled or described, and
		// its deliveries stay refused at connect time.
		err = hook.Validate(s.allowPrivate || hook.URL == before)
	}
	if err == nil {
		err = s.store.UpdateWebhook(r.Context(), hook)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": viewWebhook(hook, s.now())})
}

// rotateWebhook gives an endpoint a new secret, shown once; the old one keeps signing
// alongside it for comment.WebhookRotationGrace.
func (s *server) rotateWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.webhook(r)
	now := s.now().UTC()
	if err == nil {
		hook.Rotate(comment.NewWebhookSecret(), now)
		err = s.store.UpdateWebhook(r.Context(), hook)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewWebhook(hook, now)
	v.Secret = hook.Secret
	writeJSON(w, http.StatusOK, map[string]any{"webhook": v})
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.webhook(r)
	if err == nil {
		err = s.store.DeleteWebhook(r.Context(), hook.ID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pingWebhook queues a test event for the endpoint; its delivery shows in the log.
func (s *server) pingWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.webhook(r)
	now := s.now().UTC()
	d := comment.Delivery{EndpointID: hook.ID, EventID: comment.NewEventID(), Type: comment.EventPing,
		Payload: comment.PingEvent(now, hook), CreatedAt: now}
	if err == nil {
		err = s.store.EnqueueDelivery(r.Context(), &d)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"delivery": viewDelivery(d)})
}

func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := comment.DeliveryStatus(q.Get("status"))
	fields := map[string]string{}
	switch status {
	case "", comment.DeliveryPending, comment.DeliveryFailed, comment.DeliveryDelivered, comment.DeliveryDead:
	default:
		fields["status"] = "must be pending, failed, delivered or dead"
	}
	limit, ok := s.checkListing(w, r, fields, "")
	if !ok {
		return
	}
	hook, err := s.webhook(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, next, err := s.store.Deliveries(r.Context(), hook.ID, status, q.Get("cursor"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]deliveryView, len(ds))
	for i, d := range ds {
		out[i] = viewDelivery(d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out, "next_cursor": next})
}

// redeliver queues a delivery again, with the same event id and payload.
func (s *server) redeliver(w http.ResponseWriter, r *http.Request) {
	hook, err := s.webhook(r)
	var d comment.Delivery
	if err == nil {
		did, _ := strconv.ParseInt(mux.Vars(r)["delivery"], 10, 64)
		d, err = s.store.Redeliver(r.Context(), hook.ID, did, s.now().UTC())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"delivery": viewDelivery(d)})
}
