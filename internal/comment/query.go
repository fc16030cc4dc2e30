package comment

import "time"

// Sort orders for listings.
const (
	SortOldest = "oldest"
	SortNewest = "newest"
	SortScore  = "score" // highest spam score first
)

// Query selects comments for the moderation queue. The zero value of a field means
// "any"; Cursor is opaque and comes from the previous page.
type Query struct {
	// Scope limits the result to these sites (a moderator's); nil means every site and
	// an empty, non-nil list none.
	Scope     []string
	SiteID    string
	ThreadKey string
	Status    Status
	// Text matches, case-insensitively, the body, author name, email and URL.
	Text   string
	Sort   string
	Cursor string
	Limit  int
}

// EventQuery selects audit events, newest first.
type EventQuery struct {
	Scope     []string // as in Query
	SiteID    string
	CommentID int64
	Actor     string
	Cursor    string
	Limit     int
}

// Transition is one moderator decision about one comment, as the store applies it:
// the comment's status moves from Comment.Status to To (only if it is still
// Comment.Status), counts follow, and Event is appended to the audit log, all in the
// transaction that applies the batch.
type Transition struct {
	Comment Comment
	To      Status
	// PublishedAt is the comment's publication time after the change: set at its first
	// approval and kept after, zero while it has never been published.
	PublishedAt time.Time
	Event       Event
	// Notify is the webhook event the change sends (EventFor; CommentNotice about the
	// comment as the change leaves it), written to the outbox in the same transaction;
	// the zero Notice sends none.
	Notify Notice
	// AfterEvent, when set, is the id of the comment's latest audit event the decision
	// was made on (an undo reverses that event): if a later event exists by the time the
	// transition is applied, it fails with ErrConflict, even if the status is the same.
	AfterEvent int64
}

// Edit is a change to a comment's text, by its author or a moderator, applied in one
// transaction: the new text and verdict are stored only if the comment still has
// Comment.Status; Transition, when set, moves it (a published comment the new text gets
// held); NewVersion moves the thread's version and Notify, when set, is sent, for a
// comment that stays published (comment.updated); Event, when set, is appended to the
// audit log (a moderator's edit, which keeps the status). The services decide each
// part; the store writes what is set.
type Edit struct {
	Comment    Comment // as stored before the edit
	BodySource string
	BodyHTML   string
	Score      float64
	Reasons    []string
	At         time.Time
	Transition *Transition
	// NewVersion moves the thread's version, since its public view changed: the text
	// of a comment that stays published.
	NewVersion bool
	Notify     Notice
	Event      *Event
	// EndAuthorEdits voids the author's edit token: once a moderator has changed the
	// text, the author cannot put the old one back.
	EndAuthorEdits bool
}
