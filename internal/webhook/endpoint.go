// Package webhook holds what a site's webhook consumers are to the domain: endpoints
// (the URL, the events they want, the secrets that sign and their rotation), the
// deliveries of events to them with their attempts, and the one rule of which addresses
// may receive a delivery. The events themselves are comment.Notice, built by the service
// that decides a change; sub-package dispatch sends the deliveries. Like comment and
// site, it is a domain package: it imports those two and nothing else of winnow.
package webhook

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

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// Bounds on an endpoint's fields.
const (
	MaxURLLen         = 2048
	MaxDescriptionLen = 500
	SecretPrefix      = "whsec_"
	secretBytes       = 32
	RotationGrace     = 24 * time.Hour
)

// Endpoint is one consumer endpoint of a site. Secret signs every delivery; while a
// rotation is in its grace period PreviousSecret signs too, so a consumer can switch
// secrets without losing a delivery.
type Endpoint struct {
	ID                int64
	SiteID            string
	URL               string
	Events            []comment.EventType
	Description       string
	Secret            string
	PreviousSecret    string
	PreviousExpiresAt time.Time
	Disabled          bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// NewSecret returns a random secret in the Standard Webhooks form whsec_<base64>.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Rotate gives w a new secret and keeps the old one signing for RotationGrace.
func (w *Endpoint) Rotate(secret string, now time.Time) {
	w.PreviousSecret, w.PreviousExpiresAt = w.Secret, now.Add(RotationGrace)
	w.Secret, w.UpdatedAt = secret, now
}

// Secrets are the secrets that sign a delivery at now: the current one, and the
// previous one while its grace period lasts.
func (w Endpoint) Secrets(now time.Time) []string {
	if w.PreviousSecret != "" && now.Before(w.PreviousExpiresAt) {
		return []string{w.Secret, w.PreviousSecret}
	}
	return []string{w.Secret}
}

// Subscribes reports whether w wants events of type t; pings go to every endpoint.
func (w Endpoint) Subscribes(t comment.EventType) bool {
	return t == comment.EventPing || slices.Contains(w.Events, t)
}

// Normalize trims fields and drops repeated events; no events means all of them.
func (w *Endpoint) Normalize() {
	w.URL = strings.TrimSpace(w.URL)
	w.Description = strings.TrimSpace(w.Description)
	var evs []comment.EventType
	for _, e := range w.Events {
		e = comment.EventType(strings.TrimSpace(string(e)))
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		evs = comment.CommentEvents()
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
func (w Endpoint) Validate(allowPrivateNetworks bool) error {
	f := comment.FieldErrors{}
	if !site.ValidID(w.SiteID) {
		f.Add("site", "required")
	}
	if w.URL == "" {
		f.Add("url", "required")
	} else if len(w.URL) > MaxURLLen {
		f.Add("url", "at most %d bytes", MaxURLLen)
	} else if p, err := url.Parse(w.URL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		f.Add("url", "must be an http or https URL")
	} else if p.User != nil {
		f.Add("url", "must not hold credentials")
	} else if a, err := netip.ParseAddr(p.Hostname()); err == nil && !allowPrivateNetworks && !DeliverableAddress(a) {
		f.Add("url", "%s is a loopback, private or reserved address, which winnow does not deliver to "+
			"(webhooks.allow_private_networks is off)", a)
	}
	for _, e := range w.Events {
		if !slices.Contains(comment.CommentEvents(), e) {
			f.Add("events", "%q is not one of comment.published, comment.unpublished, comment.updated", e)
		}
	}
	if len(w.Description) > MaxDescriptionLen {
		f.Add("description", "at most %d bytes", MaxDescriptionLen)
	}
	if !strings.HasPrefix(w.Secret, SecretPrefix) {
		f.Add("secret", "must start with %s", SecretPrefix)
	}
	return f.Err()
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
	Type       comment.EventType
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
	Endpoint   Endpoint
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

// commentEventPayload is comment.EventPayload with its data typed, to read a stored body back.
type commentEventPayload struct {
	Type      comment.EventType        `json:"type"`
	Timestamp time.Time                `json:"timestamp"`
	Data      comment.CommentEventData `json:"data"`
}

// PingEvent builds the payload of a test event for endpoint w.
func PingEvent(at time.Time, w Endpoint) []byte {
	return comment.EncodeEvent(comment.EventPing, at, map[string]any{"site": w.SiteID, "endpoint_id": w.ID})
}

// Body is the payload as it is signed and sent: for a comment event, the stored
// payload with the values the outbox row holds in columns (the comment's id, its
// thread's URL and title when the event happened) set by typed field; any other
// event (a ping) as stored. An error means a stored payload that is not a comment
// event's.
func (d Delivery) Body() ([]byte, error) {
	if !slices.Contains(comment.CommentEvents(), d.Type) {
		return d.Payload, nil
	}
	var p commentEventPayload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return nil, fmt.Errorf("webhook: delivery %d: payload: %w", d.ID, err)
	}
	p.Data.Comment.ID, p.Data.Thread.URL, p.Data.Thread.Title = d.CommentID, d.ThreadURL, d.ThreadTitle
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("webhook: delivery %d: payload: %w", d.ID, err)
	}
	return b, nil
}
