package comment

import (
	"strings"
	"time"
)

// ErasedText is what stands in a thread where a deleted comment that replies hang from
// was: its name and its text, so that the replies keep their place under it.
const ErasedText = "[deleted]"

// ErasedAvatar is the avatar handle of every stub: derived from nobody's address, the
// same for all of them.
var ErasedAvatar = strings.Repeat("0", 32)

// Stub is what anyone may see of a deleted comment kept in a thread for its published
// replies: its place (id, parent, thread, times) and nothing of its author or text.
func (c Comment) Stub() Comment {
	return Comment{
		ID: c.ID, SiteID: c.SiteID, ThreadID: c.ThreadID, ThreadKey: c.ThreadKey, ParentID: c.ParentID,
		AuthorName: ErasedText, AvatarHash: ErasedAvatar, BodyHTML: "<p>" + ErasedText + "</p>",
		Status: StatusDeleted, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, PublishedAt: c.PublishedAt,
	}
}

// Visible is a thread as readers see it, from its approved and deleted comments in
// the order given: the approved ones, and in the place of each deleted comment that a
// published reply hangs from (directly or further down) its Stub, so that a reply to a
// comment its author or a moderator deleted, or an erased one, stays where it was.
// Every other deleted comment is left out.
func Visible(cs []Comment) []Comment {
	deleted := map[int64]bool{}
	parent := make(map[int64]int64, len(cs))
	for _, c := range cs {
		parent[c.ID] = c.ParentID
		if c.Status == StatusDeleted {
			deleted[c.ID] = false
		}
	}
	// Every published comment keeps its deleted ancestors in view.
	for _, c := range cs {
		if c.Status != StatusApproved {
			continue
		}
		for p := c.ParentID; p != 0; p = parent[p] {
			kept, isDeleted := deleted[p]
			if !isDeleted || kept {
				break // published (its own ancestors are seen to), already kept, or not in the thread
			}
			deleted[p] = true
		}
	}
	out := make([]Comment, 0, len(cs))
	for _, c := range cs {
		switch {
		case c.Status == StatusApproved:
			out = append(out, c)
		case c.Status == StatusDeleted && deleted[c.ID]:
			out = append(out, c.Stub())
		}
	}
	return out
}

// Erased is c with everything it said and everything that identifies its author
// removed, as kept in the database when replies hang from it (the rest of an erased
// commenter's comments are deleted outright): the Stub, nothing more.
func (c Comment) Erased(at time.Time) Comment {
	s := c.Stub()
	s.UpdatedAt = at
	s.BodySource = ErasedText
	s.Trained = "none" // teaches the classifier nothing (spam.LabelNone)
	return s
}

// Erasure is one commenter's data taken out of the database in one transaction,
// as moderation.Commenters decides it: Remove are comments deleted outright, Stubs
// comments kept as Erased stubs because replies hang from them (each with the status
// it had when the erasure was decided, in Was, so a comment changed meanwhile fails
// the erasure with ErrConflict). Every webhook delivery of those comments goes, and
// Notices (by comment id) are written to the outbox in their stead: the
// comment.unpublished of each published one. Authors are the reputation rows
// (site id, author key) that go, and Events the audit log's record that an erasure
// happened, which names nobody. SpamScopes are the classifier scopes the texts were
// unlearned from (before the erasure): their tokens that no lesson counts any more go
// too, so no word of an erased text stays in the database.
type Erasure struct {
	// Email is the commenter's address (NormalizeEmail) and Sites the sites erased (nil:
	// every site): their reply subscriptions on those sites go, and with every site the
	// mails addressed to them too.
	Email      string
	Sites      []string
	Remove     []Comment
	Stubs      []Comment
	Was        map[int64]Status
	Authors    [][2]string
	Notices    map[int64]Notice
	Events     []Event
	SpamScopes []string
}

// MissingParents are the ids of the parents that comments in cs reply to but that
// are not among them, in the order first met: those of published replies whose parent
// is not published, which a thread read looks up to show Visible's stubs.
func MissingParents(cs []Comment) []int64 {
	in := make(map[int64]bool, len(cs))
	for _, c := range cs {
		in[c.ID] = true
	}
	var out []int64
	for _, c := range cs {
		if c.ParentID != 0 && !in[c.ParentID] {
			in[c.ParentID] = true
			out = append(out, c.ParentID)
		}
	}
	return out
}
