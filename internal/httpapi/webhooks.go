package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/webhook"
)

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

func viewWebhook(w webhook.Endpoint, now time.Time) webhookView {
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
	Status        webhook.DeliveryStatus `json:"status"`
	Attempts      int                    `json:"attempts"`
	NextAttemptAt *time.Time             `json:"next_attempt_at,omitempty"`
	ResponseCode  int                    `json:"response_code,omitempty"`
	LatencyMS     int64                  `json:"latency_ms"`
	LastError     string                 `json:"last_error,omitempty"`
	Payload       json.RawMessage        `json:"payload"`
	CreatedAt     time.Time              `json:"created_at"`
	UpdatedAt     time.Time              `json:"updated_at"`
}

func viewDelivery(d webhook.Delivery) deliveryView {
	v := deliveryView{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, Type: d.Type, CommentID: d.CommentID,
		Status: d.Status, Attempts: d.Attempts, ResponseCode: d.LastStatusCode, LatencyMS: d.Latency.Milliseconds(),
		LastError: d.LastError, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if body, err := d.Body(); err == nil {
		v.Payload = body // as it is sent
	}
	if d.Status == webhook.DeliveryPending || d.Status == webhook.DeliveryFailed {
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

func (b webhookBody) applyTo(w *webhook.Endpoint) error {
	if b.Site != "" {
		w.SiteID = b.Site
	}
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
	return nil
}

func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ws, err := s.admin.Webhooks(r.Context(), p, r.URL.Query().Get("site"))
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
	var hook webhook.Endpoint
	_ = body.applyTo(&hook)
	hook, err := s.admin.CreateWebhook(r.Context(), principal(r), hook)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewWebhook(hook, hook.CreatedAt)
	v.Secret = hook.Secret
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": v})
}

func (s *server) getWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.admin.Webhook(r.Context(), principal(r), pathID(r))
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
	hook, err := s.admin.UpdateWebhook(r.Context(), principal(r), pathID(r), body.applyTo)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": viewWebhook(hook, s.now())})
}

// rotateWebhook gives an endpoint a new secret, shown once; the old one keeps signing
// alongside it for webhook.RotationGrace.
func (s *server) rotateWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.admin.RotateWebhook(r.Context(), principal(r), pathID(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewWebhook(hook, s.now())
	v.Secret = hook.Secret
	writeJSON(w, http.StatusOK, map[string]any{"webhook": v})
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.admin.DeleteWebhook(r.Context(), principal(r), pathID(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pingWebhook queues a test event for the endpoint; its delivery shows in the log.
func (s *server) pingWebhook(w http.ResponseWriter, r *http.Request) {
	d, err := s.admin.PingWebhook(r.Context(), principal(r), pathID(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"delivery": viewDelivery(d)})
}

func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := webhook.DeliveryStatus(q.Get("status"))
	fields := map[string]string{}
	switch status {
	case "", webhook.DeliveryPending, webhook.DeliveryFailed, webhook.DeliveryDelivered, webhook.DeliveryDead:
	default:
		fields["status"] = "must be pending, failed, delivered or dead"
	}
	limit, ok := s.checkListing(w, r, fields, "")
	if !ok {
		return
	}
	_, ds, next, err := s.admin.Deliveries(r.Context(), principal(r), pathID(r), status, q.Get("cursor"), limit)
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
	did, _ := strconv.ParseInt(mux.Vars(r)["delivery"], 10, 64)
	d, err := s.admin.Redeliver(r.Context(), principal(r), pathID(r), did)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"delivery": viewDelivery(d)})
}
