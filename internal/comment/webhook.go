package comment

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// EventType names what happened to a comment, as webhook consumers see it.
type EventType string

// The events winnow sends. Ping is sent only on request, to test an endpoint.
const (
	EventPublished   EventType = "comment.published"
	EventUnpublished EventType = "comment.unpublished"
	EventUpdated     EventType = "comment.updated"
	EventPing        EventType = "webhook.ping"
)

// CommentEvents are the events an endpoint can subscribe to, in a stable order; an
// endpoint created without a list gets all of them.
func CommentEvents() []EventType { return []EventType{EventPublished, EventUnpublished, EventUpdated} }

// EventFor is the business rule that says which event a status change produces: a
// comment becoming approved is published (new comments come from ""), an approved
// comment becoming anything else is unpublished, and every other change is invisible
// to consumers (""). The service that makes the change builds the Notice for what it
// returns (CommentNotice); stores write outbox rows for it, never decide.
func EventFor(from, to Status) EventType {
	switch {
	case from == to:
		return ""
	case to == StatusApproved:
		return EventPublished
	case from == StatusApproved:
		return EventUnpublished
	}
	return ""
}

// Bounds on an endpoint's fields.
const (
	MaxWebhookURLLen     = 2048
	MaxWebhookDescLen    = 500
	WebhookSecretPrefix  = "whsec_"
	webhookSecretBytes   = 32
	WebhookRotationGrace = 24 * time.Hour
)

// Webhook is one consumer endpoint of a site. Secret signs every delivery; while a
// rotation is in its grace period PreviousSecret signs too, so a consumer can switch
// secrets without losing a delivery.
type Webhook struct {
	ID                int64
	SiteID            string
	URL               string
	Events            []EventType
	Description       string
	Secret            string
	PreviousSecret    string
	PreviousExpiresAt time.Time
	Disabled          bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// NewWebhookSecret returns a random secret in the Standard Webhooks form whsec_<base64>.
func NewWebhookSecret() string {
	b := make([]byte, webhookSecretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Rotate gives w a new secret and keeps the old one signing for WebhookRotationGrace.
func (w *Webhook) Rotate(secret string, now time.Time) {
	w.PreviousSecret, w.PreviousExpiresAt = w.Secret, now.Add(WebhookRotationGrace)
	w.Secret, w.UpdatedAt = secret, now
}

// Secrets are the secrets that sign a delivery at now: the current one, and the
// previous one while its grace period lasts.
func (w Webhook) Secrets(now time.Time) []string {
	if w.PreviousSecret != "" && now.Before(w.PreviousExpiresAt) {
		return []string{w.Secret, w.PreviousSecret}
	}
	return []string{w.Secret}
}

// Subscribes reports whether w wants events of type t; pings go to every endpoint.
func (w Webhook) Subscribes(t EventType) bool {
	return t == EventPing || slices.Contains(w.Events, t)
}

// Normalize trims fields and drops repeated events; no events means all of them.
func (w *Webhook) Normalize() {
	w.URL = strings.TrimSpace(w.URL)
	w.Description = strings.TrimSpace(w.Description)
	var evs []EventType
	for _, e := range w.Events {
		e = EventType(strings.TrimSpace(string(e)))
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		evs = CommentEvents()
	}
	w.Events = evs
}

// nonPublic are ranges beyond the net/netip predicates that are not the public internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and broadcast
	netip.MustParsePrefix("2001::/32"),     // Teredo: tunnels to embedded IPv4
	netip.MustParsePrefix("2001:db8::/32"), // documentation
	netip.MustParsePrefix("2002::/16"),     // 6to4: tunnels to embedded IPv4
}

// globalUnicast6 is where the public IPv6 internet lives. Everything outside it
// (NAT64 64:ff9b::/96, IPv4-compatible ::/96, discard 100::/64, site-local fec0::/10
// ...) can lead to internal IPv4 services and is refused.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// DeliverableAddress reports whether a webhook delivery may connect to a when private
// networks are not allowed (webhooks.allow_private_networks): not loopback, private,
// link-local, multicast, unspecified or reserved. It is the one rule behind both
// checks: the dispatcher's on the resolved address at connect time, and Validate's on
// a URL whose host is a literal address, refused at registration already.
func DeliverableAddress(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Validate checks a normalized endpoint. A URL whose host is a literal address that
// DeliverableAddress refuses is refused here already, unless allowPrivateNetworks;
// a name is judged when delivering, on the address it resolves to then, since a name
// can change what it points at. The HTTP API and the CLI both register through it.
func (w Webhook) Validate(allowPrivateNetworks bool) error {
	f := fieldErrors{}
	if !siteIDPattern.MatchString(w.SiteID) {
		f.add("site", "required")
	}
	if w.URL == "" {
		f.add("url", "required")
	} else if len(w.URL) > MaxWebhookURLLen {
		f.add("url", "at most %d bytes", MaxWebhookURLLen)
	} else if p, err := url.Parse(w.URL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		f.add("url", "must be an http or https URL")
	} else if p.User != nil {
		f.add("url", "must not hold credentials")
	} else if a, err := netip.ParseAddr(p.Hostname()); err == nil && !allowPrivateNetworks && !DeliverableAddress(a) {
		f.add("url", "%s is a loopback, private or reserved address, which winnow does not deliver to "+
			"(webhooks.allow_private_networks is off)", a)
	}
	for _, e := range w.Events {
		if !slices.Contains(CommentEvents(), e) {
			f.add("events", "%q is not one of comment.published, comment.unpublished, comment.updated", e)
		}
	}
	if len(w.Description) > MaxWebhookDescLen {
		f.add("description", "at most %d bytes", MaxWebhookDescLen)
	}
	if !strings.HasPrefix(w.Secret, WebhookSecretPrefix) {
		f.add("secret", "must start with %s", WebhookSecretPrefix)
	}
	return f.err()
}

// DeliveryStatus is where one delivery of an event to an endpoint stands.
type DeliveryStatus string

// The states of a delivery. Failed means tried and waiting for a retry; dead means
// given up (out of retries, or refused for good) until someone redelivers it.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryFailed    DeliveryStatus = "failed"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryDead      DeliveryStatus = "dead"
)

// Delivery is one outbox row: an event for one endpoint, with the log of its attempts.
type Delivery struct {
	ID         int64
	EndpointID int64
	EventID    string
	Type       EventType
	CommentID  int64
	// Payload is the body as the service built it; ThreadURL and ThreadTitle are what
	// the comment's thread showed when the row was written. Body puts them together.
	Payload        []byte
	ThreadURL      string
	ThreadTitle    string
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  time.Time
	LastStatusCode int
	LastError      string
	Latency        time.Duration
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Endpoint and LeaseUntil are filled when a dispatcher claims the delivery: the
	// claim holds until LeaseUntil, and the attempt is recorded against it.
	Endpoint   Webhook
	LeaseUntil time.Time
}

// Attempt is the result of one try at a delivery, as a dispatcher records it.
type Attempt struct {
	DeliveryID    int64
	LeaseUntil    time.Time // the claim it was made under
	Status        DeliveryStatus
	NextAttemptAt time.Time
	StatusCode    int
	Error         string
	Latency       time.Duration
	At            time.Time
}

// NewEventID returns a unique id for an event, sent as webhook-id so that consumers
// can drop repeats; every delivery and retry of one event carries the same id.
func NewEventID() string {
	return "msg_" + strings.ToLower(rand.Text())
}

// EventPayload is the body of a webhook: {"type", "timestamp", "data"}.
type EventPayload struct {
	Type      EventType `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// CommentEventData is the data of a comment event: public fields only.
type CommentEventData struct {
	Site    string             `json:"site"`
	Thread  EventThread        `json:"thread"`
	Comment EventPublicComment `json:"comment"`
}

// EventThread is the page a comment belongs to.
type EventThread struct {
	Key   string `json:"key"`
	URL   string `json:"url"`
	Title string `json:"title"`
}

// EventPublicComment is everything a consumer may see of a comment. It is built field
// by field in CommentNotice, so a private field (email, IP, user agent) can only reach a
// webhook by being added here.
type EventPublicComment struct {
	ID          int64      `json:"id"`
	ParentID    int64      `json:"parent_id"`
	AuthorName  string     `json:"author_name"`
	AuthorURL   string     `json:"author_url"`
	AvatarURL   string     `json:"avatar_url"`
	BodyHTML    string     `json:"body_html"`
	CreatedAt   time.Time  `json:"created_at"`
	PublishedAt *time.Time `json:"published_at"`
}

// commentEventPayload is EventPayload with its data typed, to read a stored body back.
type commentEventPayload struct {
	Type      EventType        `json:"type"`
	Timestamp time.Time        `json:"timestamp"`
	Data      CommentEventData `json:"data"`
}

// Notice is one webhook event on its way into the outbox, built whole by the service
// that decides the change it reports, and written with that change in one transaction,
// one delivery per subscribed endpoint. Its payload is fixed at the moment of the event
// (a comment erased later is never read again to deliver it), but for what only the
// database knows when it writes the rows: a new comment's id, and the URL and title its
// thread has then (the first published claim wins, decided by the write itself). Those
// go into columns of the outbox row, and Delivery.Body sets them in the payload by
// typed field when the dispatcher signs it. The zero Notice (no Type) sends nothing.
type Notice struct {
	ID      string // the webhook-id of every delivery and retry (NewEventID)
	Type    EventType
	At      time.Time
	Payload []byte
}

// CommentNotice builds event t about c, as c stands after the change (its status,
// publication time and text), at time at; "" builds the zero Notice. baseURL is how
// consumers reach winnow, for the avatar link. The comment's id and its thread's URL
// and title in the payload are left to the outbox row (see Notice).
func CommentNotice(t EventType, at time.Time, c Comment, baseURL string) Notice {
	if t == "" {
		return Notice{}
	}
	var published *time.Time
	if !c.PublishedAt.IsZero() {
		p := c.PublishedAt.UTC()
		published = &p
	}
	data := CommentEventData{
		Site:   c.SiteID,
		Thread: EventThread{Key: c.ThreadKey},
		Comment: EventPublicComment{
			ID: c.ID, ParentID: c.ParentID, AuthorName: c.AuthorName, AuthorURL: c.AuthorURL,
			AvatarURL: AvatarURL(baseURL, c.AvatarHash),
			BodyHTML:  c.BodyHTML, CreatedAt: c.CreatedAt.UTC(), PublishedAt: published,
		},
	}
	return Notice{ID: NewEventID(), Type: t, At: at, Payload: eventJSON(t, at, data)}
}

// PingEvent builds the payload of a test event for endpoint w.
func PingEvent(at time.Time, w Webhook) []byte {
	return eventJSON(EventPing, at, map[string]any{"site": w.SiteID, "endpoint_id": w.ID})
}

// Body is the payload as it is signed and sent: for a comment event, the stored
// payload with the values the outbox row holds in columns (the comment's id, its
// thread's URL and title when the event happened) set by typed field; any other
// event (a ping) as stored. An error means a stored payload that is not a comment
// event's.
func (d Delivery) Body() ([]byte, error) {
	if !slices.Contains(CommentEvents(), d.Type) {
		return d.Payload, nil
	}
	var p commentEventPayload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return nil, fmt.Errorf("comment: delivery %d: payload: %w", d.ID, err)
	}
	p.Data.Comment.ID, p.Data.Thread.URL, p.Data.Thread.Title = d.CommentID, d.ThreadURL, d.ThreadTitle
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("comment: delivery %d: payload: %w", d.ID, err)
	}
	return b, nil
}

func eventJSON(t EventType, at time.Time, data any) []byte {
	b, err := json.Marshal(EventPayload{Type: t, Timestamp: at.UTC(), Data: data})
	if err != nil {
		panic(err) // unreachable: plain structs of strings, numbers and times
	}
	return b
}
