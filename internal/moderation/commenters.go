package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// CommenterStore is what finding, exporting and erasing one commenter's data needs
// from storage (sqlstore.Store).
type CommenterStore interface {
	// KeyEmails gives up to limit comments stored without the key of their email the
	// one key returns, and reports how many it keyed.
	KeyEmails(ctx context.Context, limit int, key func(email string) string) (int64, error)
	// CommentsByEmailKey returns every comment whose email has the key, on the sites
	// among sites (all for nil), oldest first.
	CommentsByEmailKey(ctx context.Context, emailKey string, sites []string) ([]comment.Comment, error)
	// Replies returns the ids of the replies (any status) to each of parentIDs.
	Replies(ctx context.Context, parentIDs []int64) (map[int64][]int64, error)
	// Authors returns a site's reputation rows among keys, by key.
	Authors(ctx context.Context, siteID string, keys []string) (map[string]comment.Author, error)
	// EraseCommenter carries out an erasure in one transaction (comment.Erasure).
	EraseCommenter(ctx context.Context, e comment.Erasure) error
	// Site returns a site or comment.ErrNotFound.
	Site(ctx context.Context, id string) (site.Site, error)
}

// Commenters answers a commenter's requests about their own data (GDPR articles 15
// and 17), made to an admin today: everything stored about an email address, as JSON,
// and its erasure. It is the one place the rule lives; the admin API and `winnow
// commenter` call it alike.
type Commenters struct {
	store   CommenterStore
	learner Learner
	secret  []byte
	baseURL string
	log     *slog.Logger
	now     func() time.Time
}

// NewCommenters returns the service on store; learner (may be nil) is the classifier
// an erased text is unlearned from; secret keys the email hashes comments are found
// by; baseURL is how webhook consumers reach winnow (the events an erasure sends).
func NewCommenters(store CommenterStore, learner Learner, secret []byte, baseURL string, log *slog.Logger, now func() time.Time) *Commenters {
	return &Commenters{store: store, learner: learner, secret: secret, baseURL: baseURL, log: log, now: now}
}

// ActionErase is the audit log's action of an erasure. Its events name the stubs
// left in threads and count the comments deleted, but never the commenter.
const ActionErase = "erase"

// keyBatch is how many unkeyed comments one pass of KeyEmails reads.
const keyBatch = 1000

// CommenterRequest names a commenter by email, on some sites (Sites nil: all) on
// behalf of Actor.
type CommenterRequest struct {
	Email string
	Sites []string
	Actor string
}

// CommenterData is everything stored about one email address: each comment with its
// private fields, and the reputation kept for each name it was used with. It is the
// answer to an access request, exported as JSON.
type CommenterData struct {
	Email      string             `json:"email"`
	ExportedAt time.Time          `json:"exported_at"`
	Comments   []CommenterComment `json:"comments"`
	Reputation []Reputation       `json:"reputation"`
}

// CommenterComment is one stored comment, all of it that concerns its author.
type CommenterComment struct {
	ID          int64      `json:"id"`
	Site        string     `json:"site"`
	Thread      string     `json:"thread"`
	ParentID    int64      `json:"parent_id,omitempty"`
	Status      string     `json:"status"`
	AuthorName  string     `json:"author_name"`
	AuthorEmail string     `json:"author_email"`
	AuthorURL   string     `json:"author_url,omitempty"`
	IP          string     `json:"ip,omitempty"`
	UserAgent   string     `json:"user_agent,omitempty"`
	Body        string     `json:"body"`
	BodyHTML    string     `json:"body_html"`
	PageURL     string     `json:"page_url,omitempty"`
	PageTitle   string     `json:"page_title,omitempty"`
	SpamScore   float64    `json:"spam_score"`
	Reasons     []string   `json:"reasons"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// Reputation is what a site counts of a commenter under one name: comments
// published and comments judged spam.
type Reputation struct {
	Site     string `json:"site"`
	Name     string `json:"name"`
	Approved int    `json:"approved"`
	Spam     int    `json:"spam"`
}

// ErasureResult says what an erasure did, in counts only.
type ErasureResult struct {
	// Comments were found; Deleted of them went outright and Stubs stay as "[deleted]"
	// in their threads because replies hang from them. Unpublished were public, and a
	// comment.unpublished event went out for each.
	Comments    int      `json:"comments"`
	Deleted     int      `json:"deleted"`
	Stubs       int      `json:"stubs"`
	Unpublished int      `json:"unpublished"`
	Sites       []string `json:"sites"`
}

// find checks req and returns the commenter's comments.
func (s *Commenters) find(ctx context.Context, req CommenterRequest) (string, []comment.Comment, error) {
	email := comment.NormalizeEmail(req.Email)
	if email == "" {
		return "", nil, comment.Invalid("email", "required")
	}
	if len(email) > comment.MaxEmailLen || !strings.Contains(email, "@") {
		return "", nil, comment.Invalid("email", "must be an email address")
	}
	for _, id := range req.Sites {
		if _, err := s.store.Site(ctx, id); errors.Is(err, comment.ErrNotFound) {
			return "", nil, comment.Invalid("site", fmt.Sprintf("no site %q", id))
		} else if err != nil {
			return "", nil, fmt.Errorf("moderation: commenter: %w", err)
		}
	}
	// Comments stored before email keys existed get theirs first, so that a search by
	// key finds everything; once none is left this costs one index probe.
	if _, err := s.KeyEmails(ctx); err != nil {
		return "", nil, err
	}
	cs, err := s.store.CommentsByEmailKey(ctx, comment.EmailKey(s.secret, email), req.Sites)
	if err != nil {
		return "", nil, fmt.Errorf("moderation: commenter: %w", err)
	}
	return email, cs, nil
}

// KeyEmails gives every comment stored without the key of its email (written before
// schema version 23) its key, in batches, and reports how many it keyed. Every search
// runs it first; serve runs it at start too, so that the first request after an
// upgrade does not wait for it. Replicas may run it together: a comment is keyed once.
func (s *Commenters) KeyEmails(ctx context.Context) (int64, error) {
	key := func(e string) string { return comment.EmailKey(s.secret, e) }
	var total int64
	for {
		n, err := s.store.KeyEmails(ctx, keyBatch, key)
		total += n
		if err != nil {
			return total, fmt.Errorf("moderation: key emails: %w", err)
		}
		if n < keyBatch {
			return total, nil
		}
	}
}

// Export returns everything stored about req.Email on req.Sites.
func (s *Commenters) Export(ctx context.Context, req CommenterRequest) (CommenterData, error) {
	email, cs, err := s.find(ctx, req)
	if err != nil {
		return CommenterData{}, err
	}
	d := CommenterData{Email: email, ExportedAt: s.now().UTC(), Comments: make([]CommenterComment, 0, len(cs)), Reputation: []Reputation{}}
	keys := map[string][]string{} // site → author keys
	names := map[[2]string]string{}
	for _, c := range cs {
		d.Comments = append(d.Comments, CommenterComment{
			ID: c.ID, Site: c.SiteID, Thread: c.ThreadKey, ParentID: c.ParentID, Status: string(c.Status),
			AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail, AuthorURL: c.AuthorURL, IP: c.IP, UserAgent: c.UserAgent,
			Body: c.BodySource, BodyHTML: c.BodyHTML, PageURL: c.PageURL, PageTitle: c.PageTitle,
			SpamScore: c.Score, Reasons: append([]string{}, c.Reasons...), CreatedAt: c.CreatedAt.UTC(),
			UpdatedAt: optionalTime(c.UpdatedAt), PublishedAt: optionalTime(c.PublishedAt),
		})
		if c.AuthorKey != "" && !slices.Contains(keys[c.SiteID], c.AuthorKey) {
			keys[c.SiteID] = append(keys[c.SiteID], c.AuthorKey)
			names[[2]string{c.SiteID, c.AuthorKey}] = c.AuthorName
		}
	}
	sites := make([]string, 0, len(keys))
	for site := range keys {
		sites = append(sites, site)
	}
	slices.Sort(sites)
	for _, site := range sites {
		as, err := s.store.Authors(ctx, site, keys[site])
		if err != nil {
			return CommenterData{}, fmt.Errorf("moderation: commenter export: %w", err)
		}
		for _, k := range keys[site] {
			if a, ok := as[k]; ok {
				d.Reputation = append(d.Reputation, Reputation{Site: site, Name: names[[2]string{site, k}], Approved: a.Approved, Spam: a.Spam})
			}
		}
	}
	return d, nil
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// Erase removes everything stored about req.Email on req.Sites: what the comments
// taught the classifier is unlearned first (an erasure that cannot unlearn stops
// before it deletes anything); then, in one transaction, the comments go, but for
// those replies hang from, which stay as "[deleted]" stubs holding nothing of their
// author; their webhook deliveries of every state go (the payloads hold the text),
// and each published one is announced as comment.unpublished with the stub's fields
// only; the author's reputation rows go; the audit log keeps an "erase" event per stub
// and per site, which counts comments and names nobody. A comment changed meanwhile
// makes it start over once before it fails with comment.ErrConflict.
func (s *Commenters) Erase(ctx context.Context, req CommenterRequest) (ErasureResult, error) {
	for attempt := 0; ; attempt++ {
		res, err := s.erase(ctx, req)
		if errors.Is(err, comment.ErrConflict) && attempt == 0 {
			continue
		}
		return res, err
	}
}

func (s *Commenters) erase(ctx context.Context, req CommenterRequest) (ErasureResult, error) {
	_, cs, err := s.find(ctx, req)
	if err != nil {
		return ErasureResult{Sites: []string{}}, err
	}
	if len(cs) == 0 {
		// No comment left (erased before, or discarded as spam): what the mail outbox
		// holds of the address still goes.
		if err := s.store.EraseCommenter(ctx, comment.Erasure{Email: comment.NormalizeEmail(req.Email), Sites: req.Sites}); err != nil {
			return ErasureResult{}, fmt.Errorf("moderation: erase: %w", err)
		}
		return ErasureResult{Sites: []string{}}, nil
	}
	cs, scopes, err := s.unlearn(ctx, req, cs)
	if err != nil {
		return ErasureResult{}, err
	}
	ids := make([]int64, len(cs))
	erased := make(map[int64]bool, len(cs))
	for i, c := range cs {
		ids[i], erased[c.ID] = c.ID, true
	}
	replies, err := s.store.Replies(ctx, ids)
	if err != nil {
		return ErasureResult{}, fmt.Errorf("moderation: erase: %w", err)
	}
	stub := stubs(replies, erased)

	now := s.now().UTC().Truncate(time.Microsecond)
	e := comment.Erasure{Email: comment.NormalizeEmail(req.Email), Sites: req.Sites,
		Was: map[int64]comment.Status{}, Notices: map[int64]comment.Notice{}, SpamScopes: scopes}
	res := ErasureResult{Comments: len(cs), Sites: []string{}}
	perSite := map[string]int{}
	seen := map[[2]string]bool{}
	for _, c := range cs {
		e.Was[c.ID] = c.Status
		gone := c.Erased(now)
		if c.Status == comment.StatusApproved {
			// The event carries the stub's fields only: nothing of the author or the text.
			e.Notices[c.ID] = comment.CommentNotice(comment.EventUnpublished, now, gone, s.baseURL)
			res.Unpublished++
		}
		if stub[c.ID] {
			e.Stubs = append(e.Stubs, gone)
			e.Events = append(e.Events, comment.Event{SiteID: c.SiteID, CommentID: c.ID, Actor: req.Actor, Action: ActionErase,
				From: c.Status, To: comment.StatusDeleted, Note: "kept as a stub for its replies", CreatedAt: now})
			res.Stubs++
		} else {
			e.Remove = append(e.Remove, c)
			res.Deleted++
		}
		if a := [2]string{c.SiteID, c.AuthorKey}; c.AuthorKey != "" && !seen[a] {
			seen[a] = true
			e.Authors = append(e.Authors, a)
		}
		if perSite[c.SiteID] == 0 {
			res.Sites = append(res.Sites, c.SiteID)
		}
		perSite[c.SiteID]++
	}
	slices.Sort(res.Sites)
	for _, site := range res.Sites {
		e.Events = append(e.Events, comment.Event{SiteID: site, Actor: req.Actor, Action: ActionErase,
			Note: fmt.Sprintf("erased one commenter's data on request: %d comments", perSite[site]), CreatedAt: now})
	}
	if err := s.store.EraseCommenter(ctx, e); err != nil {
		return ErasureResult{}, fmt.Errorf("moderation: erase: %w", err)
	}
	return res, nil
}

// unlearn takes back what each comment taught the classifier, and reads the comments
// again until none holds a lesson: a moderator's decision at the same moment may teach
// one again, and an erased text must not stay counted. It returns the comments as they
// now stand and the scopes (sites) that unlearned something.
func (s *Commenters) unlearn(ctx context.Context, req CommenterRequest, cs []comment.Comment) ([]comment.Comment, []string, error) {
	var scopes []string
	for range 3 {
		taught := false
		for _, c := range cs {
			if c.Trained == "" || c.Trained == spam.LabelNone {
				continue
			}
			taught = true
			if !slices.Contains(scopes, c.SiteID) {
				scopes = append(scopes, c.SiteID)
			}
			if s.learner == nil {
				return nil, nil, fmt.Errorf("moderation: erase: comment %d taught the classifier, and no classifier is here to unlearn it", c.ID)
			}
			if err := s.learner.LearnComment(ctx, c, ""); err != nil {
				return nil, nil, fmt.Errorf("moderation: erase: unlearn comment %d: %w", c.ID, err)
			}
		}
		if !taught {
			return cs, scopes, nil
		}
		var err error
		if _, cs, err = s.find(ctx, req); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("moderation: erase: the classifier kept learning from the comments meanwhile: %w", comment.ErrConflict)
}

// stubs says which erased comments stay as stubs: those a reply hangs from that is not
// erased, or that is itself a stub.
func stubs(replies map[int64][]int64, erased map[int64]bool) map[int64]bool {
	memo := map[int64]bool{}
	var keep func(id int64) bool
	keep = func(id int64) bool {
		if k, ok := memo[id]; ok {
			return k
		}
		memo[id] = false // replies are younger than their parents: no cycle, but be safe
		for _, r := range replies[id] {
			if !erased[r] || keep(r) {
				memo[id] = true
				break
			}
		}
		return memo[id]
	}
	out := map[int64]bool{}
	for id := range erased {
		out[id] = keep(id)
	}
	return out
}
