// Package intake is the submit pipeline as straight-line code: validate, check
// idempotency, sanitize, score, decide and store, in that order, with every dependency
// passed in. The HTTP API and the no-JS form submit through it. Importers do not:
// an imported comment keeps the status it had where it came from, so it is neither
// rate-limited, scored nor decided on, but it is held to the same rules
// (comment.Submission's validation, sanitize.Render; see internal/importer).
package intake

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// AddressMemory is how far back an address's record counts: addresses change hands.
const AddressMemory = 30 * 24 * time.Hour

// MaxIdempotencyKey bounds the Idempotency-Key a client may send.
const MaxIdempotencyKey = 200

// Meta is what the transport knows about a submission besides its fields. IP and
// UserAgent are private: stored for moderators and re-checks, never published.
type Meta struct {
	IP             string
	UserAgent      string
	IdempotencyKey string
}

// Result is the answer to a submission. EditToken lets the author see and change their
// comment; only its hash is stored. Replayed is true when an earlier submission with the
// same Idempotency-Key produced this answer.
type Result struct {
	Comment   comment.Comment
	EditToken string
	Replayed  bool
}

// Service runs submissions.
type Service struct {
	store     Store
	counters  Counters
	sanitizer *sanitize.Sanitizer
	scorer    *spam.Scorer
	secret    []byte
	v6bits    int
	baseURL   string
	now       func() time.Time
	// concurrent is counters.concurrent(), asked once.
	concurrent bool
}

// NewService wires the pipeline. secret is the installation secret that keys author,
// address and avatar hashes and edit tokens; v6bits is the IPv6 prefix that counts as
// one client (http.ipv6_prefix) for limits, reputation and bans alike; baseURL is how
// webhook consumers reach winnow (avatar links in the events it sends); counters are
// the shared limits, nonces and campaign counts (a nil field checks nothing).
func NewService(store Store, counters Counters, sanitizer *sanitize.Sanitizer, scorer *spam.Scorer, secret []byte, v6bits int, baseURL string, now func() time.Time) *Service {
	return &Service{store: store, counters: counters, sanitizer: sanitizer, scorer: scorer, secret: secret, v6bits: v6bits, baseURL: baseURL, now: now,
		concurrent: counters.concurrent()}
}

// notice builds the webhook event a change sends about c, as the change leaves it.
func (s *Service) notice(t comment.EventType, at time.Time, c comment.Comment) comment.Notice {
	return comment.CommentNotice(t, at, c, s.baseURL)
}

// Submit validates, judges and stores one comment on site, which the caller has loaded
// (the HTTP layer needs it first for the origin check). Errors are
// *comment.ValidationError for bad input or a wrapped store error.
func (s *Service) Submit(ctx context.Context, st site.Site, sub comment.Submission, meta Meta) (Result, error) {
	sub.Normalize()
	meta.UserAgent = comment.Truncate(strings.ToValidUTF8(meta.UserAgent, ""), comment.MaxUserAgentLen)
	if err := sub.Validate(); err != nil {
		return Result{}, err
	}
	if sub.ThreadURL != "" && len(st.Origins) > 0 && !st.AllowsURL(sub.ThreadURL) {
		return Result{}, comment.Invalid("thread_url", "must be a page on one of the site's origins")
	}
	if len(meta.IdempotencyKey) > MaxIdempotencyKey {
		return Result{}, comment.Invalid("Idempotency-Key", fmt.Sprintf("at most %d bytes", MaxIdempotencyKey))
	}
	// Every keyed hash of the submission at once: the limits, the record read and the
	// stored row share them.
	keys := comment.SubmissionKeys(s.secret, s.v6bits, sub.AuthorName, sub.AuthorEmail, sub.AuthorURL, meta.IP)
	now := s.now().UTC().Truncate(time.Microsecond) // the precision times are stored at
	var (
		record comment.Record
		read   bool
	)
	if meta.IdempotencyKey != "" {
		// A retry must find its first answer before the limits count it again, so with
		// a key the submission's one read comes first; without one it comes after the
		// limits, which bound what a client can make the database do.
		r, err := s.record(ctx, st.ID, sub, keys, meta, now)
		if err != nil {
			return Result{}, err
		}
		if r.Replay != 0 {
			if res, err := s.replay(ctx, st.ID, sub, meta.IdempotencyKey); !errors.Is(err, comment.ErrNotFound) {
				return res, err
			}
			r.Replay = 0 // deleted since: submit anew
		}
		record, read = r, true
	}
	text := spam.Read(sub.Body)
	g, err := s.peek(ctx, st, sub, meta, keys, text)
	if err != nil {
		return Result{}, err
	}
	if !read {
		if record, err = s.record(ctx, st.ID, sub, keys, meta, now); err != nil {
			return Result{}, err
		}
	}
	if sub.ParentID != 0 {
		if err := checkParent(sub, record); err != nil {
			return Result{}, err
		}
	}
	if err := s.charge(ctx, &g); err != nil {
		return Result{}, err
	}

	j, err := s.judge(st, sub, meta, submitted{form: g.form, campaign: g.campaign(), text: text}, record)
	if err != nil {
		return Result{}, err
	}
	html, verdict := j.html, j.verdict
	status := moderation.Decide(verdict, st.Policy, j.author.Approved > 0)

	token, err := s.editToken(st.ID, sub, meta.IdempotencyKey)
	if err != nil {
		return Result{}, err
	}
	c := comment.Comment{
		SiteID: st.ID, ThreadKey: sub.Thread, ParentID: sub.ParentID,
		AuthorName: sub.AuthorName, AuthorEmail: sub.AuthorEmail, AuthorURL: sub.AuthorURL,
		IP: meta.IP, UserAgent: meta.UserAgent, AddressKey: keys.Address,
		AuthorKey: keys.Author, AvatarHash: keys.Avatar,
		EmailKey:   keys.Email,
		BodySource: sub.Body, BodyHTML: html,
		Status: status, Score: verdict.Score, Reasons: verdict.Reasons,
		EditTokenHash: hashToken(token), IdempotencyKey: meta.IdempotencyKey,
		CreatedAt: now, UpdatedAt: now, PageURL: sub.ThreadURL, PageTitle: sub.ThreadTitle,
		NotifyReplies: sub.NotifyReplies,
	}
	if status == comment.StatusApproved {
		c.PublishedAt = now
	}
	thread := comment.Thread{SiteID: st.ID, Key: sub.Thread, CreatedAt: now}
	if status == comment.StatusApproved {
		// A thread's public title and URL come from published comments only, so a held
		// spammer cannot name someone's page.
		thread.URL, thread.Title = sub.ThreadURL, sub.ThreadTitle
	}
	err = s.store.CreateComment(ctx, &c, thread, s.notice(comment.EventFor("", status), now, c))
	if errors.Is(err, comment.ErrConflict) && meta.IdempotencyKey != "" {
		// A concurrent retry with the same key won the race: answer what it stored.
		return s.replay(ctx, st.ID, sub, meta.IdempotencyKey)
	}
	if err != nil {
		return Result{}, fmt.Errorf("intake: store: %w", err)
	}
	return Result{Comment: c, EditToken: token}, nil
}

// judgement is what judge makes of a text: its safe HTML, the spam verdict, and the
// author's counts it was judged with.
type judgement struct {
	html    string
	verdict comment.Verdict
	author  comment.Author
}

// submitted is what a text's gate read before judging: the form token (an edit,
// sent without the form, has none), the campaign counts of the text, and the text as
// read.
type submitted struct {
	form     spam.Form
	campaign spam.Campaign
	text     *spam.Text
	// check is a text another system holds (Check): one that shows nothing is
	// judged, not refused.
	check bool
}

// judge is the one judging step of a new text, a submission's or an author's edit:
// it renders the text and scores it with the author's and the address's record and
// the bans that match (record, the caller's one read) and what the text's gate read
// (g). What the verdict makes of the comment's status is the caller's rule
// (moderation.Decide for a submission, moderation.AfterEdit for an edit). The rate
// limits are checked before, by the caller, so that work refused for them costs
// little.
func (s *Service) judge(st site.Site, sub comment.Submission, meta Meta, g submitted, record comment.Record) (judgement, error) {
	// Rendered after the limits, which bound what a client can make the renderer do.
	rendered := s.sanitizer.Render(sub.Body)
	if err := comment.ValidateShown(rendered.Text); err != nil && !g.check {
		return judgement{}, err
	}
	address := record.Address.Tally()
	v := s.scorer.Score(spam.Input{
		Site: st, Submission: sub, Links: len(rendered.Links), IP: meta.IP, UserAgent: meta.UserAgent,
		Author: record.Author, AddressApproved: address.Approved, AddressSpam: address.Spam, Form: g.form,
		Banned: record.Banned, Campaign: g.campaign, Text: g.text,
	})
	return judgement{html: rendered.HTML, verdict: v, author: record.Author}, nil
}

// record reads what the site knows of the submission's author, address,
// Idempotency-Key (meta's) and parent, and the bans it matches: a submission's one read.
// keys are the submission's (comment.SubmissionKeys of its author and meta.IP).
func (s *Service) record(ctx context.Context, siteID string, sub comment.Submission, keys comment.Keys, meta Meta, now time.Time) (comment.Record, error) {
	r, err := s.store.Record(ctx, siteID, keys.Author, reputationKey(meta.IP, keys.Address), meta.IdempotencyKey, sub.ParentID,
		keys.Bans, now.Add(-AddressMemory), now)
	if err != nil {
		return comment.Record{}, fmt.Errorf("intake: record: %w", err)
	}
	return r, nil
}

// reputationKey is the key an address's reputation is kept by, its addressKey
// (comment.AddressKey), or "" for an address that is not public: a loopback or private
// peer is most likely a reverse proxy that is not configured as trusted, and its
// record would hold every reader behind it against each other.
func reputationKey(ip, addressKey string) string {
	if publicAddress(ip) == "" {
		return ""
	}
	return addressKey
}

// publicAddress returns ip when it is a public address, else "".
func publicAddress(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	if a = a.Unmap(); a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
		return ""
	}
	return ip
}

// replay answers a retried submission with what the first one stored. The edit token
// is derived from the key and the submission, so a key reused for a different
// submission (another client's, or a guess) does not match the stored token's hash and
// is refused rather than answered with someone else's comment. The status is the one
// the first answer gave: published at once, or held.
func (s *Service) replay(ctx context.Context, siteID string, sub comment.Submission, key string) (Result, error) {
	c, err := s.store.CommentByIdempotencyKey(ctx, siteID, key)
	if err != nil {
		return Result{}, fmt.Errorf("intake: idempotency key: %w", err)
	}
	token, err := s.editToken(siteID, sub, key)
	if err != nil {
		return Result{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(c.EditTokenHash)) != 1 {
		return Result{}, comment.Invalid("Idempotency-Key", "already used for a different submission")
	}
	c.Status = comment.StatusPending
	if !c.PublishedAt.IsZero() && c.PublishedAt.Equal(c.CreatedAt) {
		c.Status = comment.StatusApproved
	}
	return Result{Comment: c, EditToken: token, Replayed: true}, nil
}

// checkParent accepts replies only to published comments of the same thread; the
// record holds the parent the site has under the submission's parent id, if any.
func checkParent(sub comment.Submission, r comment.Record) error {
	if r.ParentThread != sub.Thread || r.ParentStatus != comment.StatusApproved {
		return comment.Invalid("parent_id", "no such published comment in this thread")
	}
	return nil
}

// editToken is derived from the Idempotency-Key and the submission when there is a
// key, so a retried submission gets the same token back although only its hash is
// stored; without a key it is random.
func (s *Service) editToken(siteID string, sub comment.Submission, idempotencyKey string) (string, error) {
	if idempotencyKey != "" {
		m := hmac.New(sha256.New, s.secret)
		for _, v := range []string{"edit", siteID, idempotencyKey, sub.Thread, strconv.FormatInt(sub.ParentID, 10),
			sub.AuthorName, comment.NormalizeEmail(sub.AuthorEmail), sub.AuthorURL, sub.Body} {
			m.Write([]byte(v))
			m.Write([]byte{0})
		}
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("intake: edit token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
