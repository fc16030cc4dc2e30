// Package comment holds winnow's domain: sites, threads, comments, their statuses and
// validation, and the sentinel errors every other package matches on. It is the leaf of
// the dependency graph and imports no other internal package, so the rules it states
// hold the same for the HTTP API, the CLI and importers.
package comment

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors shared by stores, services and transports. Transports map them to
// statuses in one table; stores wrap them with %w.
var (
	// ErrNotFound means the thing asked for does not exist (or is not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrConflict means a concurrent change or a uniqueness rule got in the way.
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized means no valid credentials came with the request.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden means the credentials are valid but do not reach this resource.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable means a dependency (the database) cannot be reached right now.
	ErrUnavailable = errors.New("unavailable")
	// ErrEditClosed means the author's window to edit or delete a comment has passed.
	ErrEditClosed = errors.New("the edit window has closed")
	// ErrNotVisible is the answer about a comment, webhook, ban or site on a site the
	// credential does not work on. It is an ErrNotFound (404), never an ErrForbidden:
	// a 403 for another site's id beside a 404 for a missing one would tell a moderator
	// of one site which ids exist on the others. Every site-scope check returns it.
	ErrNotVisible = fmt.Errorf("outside the credential's sites: %w", ErrNotFound)
)

// EditWindow is how long an author may edit or delete their comment: long enough to
// fix a typo, short enough that a published text does not change under its replies.
const EditWindow = 15 * time.Minute

// Status is where a comment stands in moderation. Only StatusApproved is public.
type Status string

// The statuses a comment moves between.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusSpam     Status = "spam"
	StatusRejected Status = "rejected"
	StatusDeleted  Status = "deleted"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusApproved, StatusSpam, StatusRejected, StatusDeleted:
		return true
	}
	return false
}

// Tally is what comments add to the counts kept beside them: their thread's approved
// count (and so its version), and their author's approved and spam counts, which feed
// reputation. A store moves the counts by a comment's Tally when it writes the comment,
// and by the difference of two when the comment's status changes, in the same
// transaction; it decides nothing about what counts.
type Tally struct {
	Approved, Spam int
}

// Tally is the rule of what a comment in status s counts as: an approved comment as
// approved, spam as spam, any other as nothing.
func (s Status) Tally() Tally {
	switch s {
	case StatusApproved:
		return Tally{Approved: 1}
	case StatusSpam:
		return Tally{Spam: 1}
	}
	return Tally{}
}

// StatusCounts counts comments by status: what a store reads of a set of comments
// (an address's latest), leaving what they count for to the domain (Tally). A nil
// StatusCounts counts nothing.
type StatusCounts map[Status]int

// Tally adds up the comments counted by what each status counts as (Status.Tally).
func (c StatusCounts) Tally() Tally {
	var t Tally
	for s, n := range c {
		u := s.Tally()
		t.Approved += n * u.Approved
		t.Spam += n * u.Spam
	}
	return t
}

// Minus is what the counts move by when a comment counting as u comes to count as t.
func (t Tally) Minus(u Tally) Tally {
	return Tally{Approved: t.Approved - u.Approved, Spam: t.Spam - u.Spam}
}

// Thread is one page's conversation, created by its first comment.
type Thread struct {
	ID            int64
	SiteID        string
	Key           string
	URL           string
	Title         string
	Locked        bool
	ApprovedCount int
	// Version grows with every change to the thread's public view, so caches and ETags
	// can be keyed by it without reading the comments.
	Version   int64
	CreatedAt time.Time
}

// Comment is one stored comment with its private fields. Code that builds public
// output must copy the public fields explicitly (see Public) rather than serialize this.
type Comment struct {
	ID         int64
	SiteID     string
	ThreadID   int64
	ThreadKey  string
	ParentID   int64 // 0 for a top-level comment
	AuthorName string
	// AuthorEmail, IP and UserAgent are private: never in a public response, page,
	// webhook, log line or metric.
	AuthorEmail string
	AuthorURL   string
	IP          string
	UserAgent   string
	// AddressKey is the keyed hash of IP's network (see AddressKey) that an address's
	// reputation is looked up by (for public addresses only); "" without an IP. It is
	// cleared with IP.
	AddressKey string
	// AuthorKey is a keyed hash of the normalized email: reputation is kept by it.
	AuthorKey string
	// EmailKey is EmailKey(secret, AuthorEmail): what a commenter's comments are found
	// by when they ask for their data or its erasure. It is erased with the email.
	EmailKey string
	// AvatarHash is a different keyed hash of the email, safe to publish.
	AvatarHash     string
	BodySource     string
	BodyHTML       string
	Status         Status
	Score          float64
	Reasons        []string
	EditTokenHash  string
	IdempotencyKey string
	// Trained is what the spam classifier learned from this comment: "" (nothing yet),
	// "spam", "ham", "left" (ham, weakly, because it stayed published untouched) or
	// "none" (looked at and teaches nothing, or its lesson was reset).
	Trained     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt time.Time // zero until first approved
	// PageURL and PageTitle are the page the submission said it came from. They name
	// the thread when the comment is first published (a held spammer names nothing).
	PageURL, PageTitle string
	// NotifyReplies is the author's wish to be mailed when a reply to this comment
	// is published (once they have confirmed their address); private, like the address.
	NotifyReplies bool
}

// Author is what a site knows of one commenter, keyed by AuthorKey.
type Author struct {
	SiteID   string
	Key      string
	Approved int
	Spam     int
}

// ActorAuthor is the actor of an author's own edits and deletions in the audit log;
// every other actor is a moderator (or a token) acting for the site.
const ActorAuthor = "author"

// Event is one entry of the moderation audit log.
type Event struct {
	ID        int64
	SiteID    string
	CommentID int64
	Actor     string
	Action    string
	From      Status
	To        Status
	Note      string
	CreatedAt time.Time
}

// Verdict is the spam scorer's judgement: a score in [0,1], whether a rule asks for a
// human look regardless of the score, and reasons a moderator can read.
type Verdict struct {
	Score   float64
	Hold    bool
	Reasons []string
}
