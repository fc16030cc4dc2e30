// Package email is winnow's outgoing mail: the Mail a notification becomes, the outbox
// it waits in (the mails table, through the Store a Sender declares), and the Sender
// that claims due mails and hands them to an SMTP server, retrying with backoff. A mail
// is decided and written by its cause (a sweep of the pending queue, a published
// reply, an opt-in) and sent later by any replica, so that a mail server's outage never
// slows a submission and loses nothing.
//
// A mail's recipient is private: it is read to send the mail and nowhere else; logs
// name a mail by its id.
package email

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Status is where a mail is in the outbox.
type Status string

// The statuses of a mail: pending (never tried), failed (tried, a retry is due), sent
// (the server took it), dead (given up).
const (
	StatusPending Status = "pending"
	StatusFailed  Status = "failed"
	StatusSent    Status = "sent"
	StatusDead    Status = "dead"
)

// Kind says what a mail is for, for the metrics and the outbox's listing.
type Kind string

// The kinds of mail winnow sends.
const (
	KindModerator Kind = "moderator" // comments wait (instant or digest)
	KindConfirm   Kind = "confirm"   // a reader confirms their address (double opt-in)
	KindReply     Kind = "reply"     // a reply to a reader's comment was published
	KindTest      Kind = "test"      // an admin's test mail
	KindAlert     Kind = "alert"     // webhook deliveries went dead
	KindReset     Kind = "password"  // a link to set an account's password (reset, invitation)
)

// The dedupe keys of the mails that carry a comment's text, written here once: the
// notifications queue mails by them, and erasing a commenter finds their mails by them.

// ReplyKey is the key of the mail that tells a reader of published reply commentID.
func ReplyKey(commentID int64) string { return fmt.Sprintf("reply:%d", commentID) }

// ModeratorKey is the key of the mail that tells moderator userID of siteID's comments
// waiting up to lastCommentID.
func ModeratorKey(userID int64, siteID string, lastCommentID int64) string {
	return fmt.Sprintf("moderator:%d:%s:%d", userID, siteID, lastCommentID)
}

// ModeratorKeysLike is a SQL LIKE pattern of every ModeratorKey of siteID (site ids hold
// no "%" or "_").
func ModeratorKeysLike(siteID string) string { return "moderator:%:" + siteID + ":%" }

// Mail is one message in the outbox. Its text is fixed when it is queued; every
// attempt sends the same bytes under the same Message-ID, so that a receiver can tell
// a retry from a second message.
type Mail struct {
	ID   int64
	Kind Kind
	// DedupeKey names what the mail is about ("moderator:3:blog:41"); the outbox
	// holds one mail per key, so that deciding a mail twice queues it once.
	DedupeKey string
	// To is the recipient's address: private.
	To        string
	MessageID string
	Subject   string
	// Body is the text/plain UTF-8 body.
	Body string
	// Headers are extra header fields (List-Unsubscribe, List-Unsubscribe-Post).
	Headers map[string]string

	Status        Status
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Attempt is the outcome of one try at sending a claimed mail, as the outbox records it.
type Attempt struct {
	MailID int64
	// LeaseUntil is the claim the attempt was made under; recording it fails if the
	// claim was lost.
	LeaseUntil    time.Time
	Status        Status
	NextAttemptAt time.Time
	Error         string
	At            time.Time
}

// NewMessageID returns a fresh Message-ID (without angle brackets) in the domain of
// from, the sender's address: random, so it names no recipient.
func NewMessageID(from string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	domain := "winnow.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 && at < len(a.Address)-1 {
			domain = a.Address[at+1:]
		}
	}
	return hex.EncodeToString(b) + "@" + domain
}
