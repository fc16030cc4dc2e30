package comment

import (
	"crypto/rand"
	"encoding/json"
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
	return Notice{ID: NewEventID(), Type: t, At: at, Payload: EncodeEvent(t, at, data)}
}

// EncodeEvent is the JSON body of event t at time at with data: the one shape every
// webhook payload has.
func EncodeEvent(t EventType, at time.Time, data any) []byte {
	b, err := json.Marshal(EventPayload{Type: t, Timestamp: at.UTC(), Data: data})
	if err != nil {
		panic(err) // unreachable: plain structs of strings, numbers and times
	}
	return b
}
