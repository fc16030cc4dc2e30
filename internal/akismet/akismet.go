// Package akismet is winnow's Akismet-compatible API: the rules behind POST
// /1.1/verify-key, /1.1/comment-check, /1.1/submit-spam and /1.1/submit-ham, so that
// WordPress, Drupal, phpBB and every other Akismet client can use a site's own
// scorer and teach its own classifier. The HTTP layer decodes Akismet's form fields
// into a Request and writes Akismet's answers; what a key is worth, what a check
// answers and what a report teaches are decided here.
//
// A key belongs to one site (auth.NewAkismetKey; issued by admin.Service) and is
// looked up by its hash. A wrong key is a wrong credential: it is counted against
// the caller's address by the same guard as a wrong API token. A check scores the
// comment through the submit pipeline's judging step (intake.Service.Check) and
// stores nothing about the commenter; a report (submit-spam, submit-ham) teaches
// the site's classifier once per distinct author and text within FeedbackMemory,
// keeping only a keyed hash of them.
package akismet

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// FeedbackMemory is how long a report is remembered: the same author and text
// reported again within it teach nothing more (a report sent twice, or by two
// moderators, is one lesson); past it, a report teaches again.
const FeedbackMemory = 30 * 24 * time.Hour

// ErrInvalidKey is a key that belongs to no site: Akismet's "invalid".
var ErrInvalidKey = errors.New("akismet: invalid key")

// Request is one call of the API, its form fields as Akismet names them.
type Request struct {
	// Key is the API key, from the api_key or key field or the first label of the
	// host the call was sent to. It is a credential: never logged.
	Key string
	// Client is an opaque key for the caller's address (the machine running the
	// Akismet client, not the commenter), which wrong keys are counted against.
	Client string
	// Blog is the front page of the site calling; it must be on the key's site's
	// origins.
	Blog string
	// The commenter, as the client saw them. Private: used to judge, never stored.
	UserIP, UserAgent string
	// Permalink is the page the comment was made on; whatever kind of content the
	// client checks (comment, forum-post, signup ...), winnow reads it as a comment.
	Permalink                               string
	Author, AuthorEmail, AuthorURL, Content string
	// UserRole is the commenter's role on the client's site; "administrator" is
	// never spam, as with Akismet.
	UserRole string
	// Honeypot is the value of the client's hidden honeypot field
	// (honeypot_field_name names it): anything there is a bot's.
	Honeypot string
	// IsTest marks a test call: it is answered, and a report teaches nothing.
	IsTest bool
}

// Answer is a check's verdict: Spam is Akismet's "true"; Discard its pro tip
// "discard", for a comment so surely spam that keeping it helps nobody.
type Answer struct {
	Spam, Discard bool
}

// Store reads keys and the record of reports.
type Store interface {
	// AkismetKeySite returns the site whose key has this hash (auth.HashToken), or an
	// error wrapping comment.ErrNotFound.
	AkismetKeySite(ctx context.Context, hash string) (string, error)
	// SpamFeedback returns what scope was taught about a reported text by its
	// digest, zero for nothing.
	SpamFeedback(ctx context.Context, scope, digest string) (spam.Feedback, error)
}

// Checker judges a comment another system holds (intake.Service.Check).
type Checker interface {
	Check(ctx context.Context, site site.Site, sub comment.Submission, meta intake.Meta) (comment.Verdict, error)
}

// Learner teaches a site's classifier a reported text (spam.Model.LearnFeedback).
type Learner interface {
	LearnFeedback(ctx context.Context, site string, change spam.FeedbackChange, from, label, author, website, body string) error
}

// Guard counts guesses at credentials per client address (auth.Guard).
type Guard interface {
	Guess(ctx context.Context, client string) error
}

// Service answers the API's calls.
type Service struct {
	store    Store
	loadSite func(ctx context.Context, id string) (site.Site, error)
	checker  Checker
	learner  Learner
	guard    Guard
	secret   []byte
	now      func() time.Time
}

// New returns the service. loadSite loads a site by id (a cache may stand in front of
// the store); secret is the installation secret that keys the digests of reports.
func New(store Store, loadSite func(ctx context.Context, id string) (site.Site, error), checker Checker, learner Learner, guard Guard, secret []byte, now func() time.Time) *Service {
	return &Service{store: store, loadSite: loadSite, checker: checker, learner: learner, guard: guard, secret: secret, now: now}
}

// Verify answers verify-key: the key's site, if the key is valid and blog is on the
// site's origins. A wrong key is ErrInvalidKey (or, past the guard's limit, a
// *comment.RateLimitedError); a wrong blog a *comment.ValidationError naming it.
func (s *Service) Verify(ctx context.Context, r Request) (site.Site, error) {
	return s.siteFor(ctx, r)
}

// Check answers comment-check with the site's own scorer: Spam when winnow would
// hold the comment for its score, Discard when it would send it to the spam
// folder, the same thresholds (moderation.Decide) as a comment posted to winnow. The
// site's moderation policy and its link limit are left to the client, which
// moderates with rules of its own. Nothing about the commenter is stored.
func (s *Service) Check(ctx context.Context, r Request) (Answer, error) {
	st, err := s.siteFor(ctx, r)
	if err != nil {
		return Answer{}, err
	}
	if err := checkIP(r.UserIP); err != nil {
		return Answer{}, err
	}
	if trustedRole(r.UserRole) {
		return Answer{}, nil
	}
	v, err := s.checker.Check(ctx, st, r.submission(), intake.Meta{IP: r.UserIP, UserAgent: r.UserAgent})
	if err != nil {
		return Answer{}, fieldNames(err)
	}
	status := moderation.Decide(comment.Verdict{Score: v.Score}, site.PolicyNone, true)
	return Answer{Spam: status != comment.StatusApproved, Discard: status == comment.StatusSpam}, nil
}

// Report answers submit-spam (isSpam) and submit-ham: it teaches the site's
// classifier that the text is spam or ham, once per distinct author and text within
// FeedbackMemory; a report that contradicts the one before within it moves the
// lesson (a false positive corrected). A test call teaches nothing.
func (s *Service) Report(ctx context.Context, r Request, isSpam bool) error {
	st, err := s.siteFor(ctx, r)
	if err != nil {
		return err
	}
	sub := intake.Foreign(r.submission())
	if err := comment.ValidateBody(sub.Body); err != nil {
		return fieldNames(err)
	}
	if r.IsTest {
		return nil
	}
	label := spam.LabelHam
	if isSpam {
		label = spam.LabelSpam
	}
	digest := s.digest(st.ID, sub)
	seen, err := s.store.SpamFeedback(ctx, st.ID, digest)
	if err != nil {
		return fmt.Errorf("akismet: report: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	from := ""
	if !seen.At.IsZero() && now.Sub(seen.At) < FeedbackMemory {
		if seen.Label == label {
			return nil // taught already
		}
		from = seen.Label
	}
	err = s.learner.LearnFeedback(ctx, st.ID, spam.FeedbackChange{Digest: digest, Seen: seen.At, At: now},
		from, label, sub.AuthorName, sub.AuthorURL, sub.Body)
	if errors.Is(err, comment.ErrConflict) {
		return nil // the same report, sent at once, taught it
	}
	if err != nil {
		return fmt.Errorf("akismet: report: %w", err)
	}
	return nil
}

// siteFor is the key's site, checked against blog. A key of any shape that belongs
// to no site counts as a guess from the client.
func (s *Service) siteFor(ctx context.Context, r Request) (site.Site, error) {
	key := strings.ToLower(strings.TrimSpace(r.Key))
	if key == "" {
		return site.Site{}, comment.Invalid("api_key", "required")
	}
	id := ""
	if auth.AkismetKeyShape(key) {
		var err error
		if id, err = s.store.AkismetKeySite(ctx, auth.HashToken(key)); err != nil && !errors.Is(err, comment.ErrNotFound) {
			return site.Site{}, fmt.Errorf("akismet: key: %w", err)
		}
	}
	if id == "" {
		if err := s.guard.Guess(ctx, r.Client); err != nil {
			return site.Site{}, err
		}
		return site.Site{}, ErrInvalidKey
	}
	st, err := s.loadSite(ctx, id)
	if err != nil {
		return site.Site{}, fmt.Errorf("akismet: site: %w", err)
	}
	blog := strings.TrimSpace(r.Blog)
	switch {
	case blog == "":
		return site.Site{}, comment.Invalid("blog", "required")
	case !st.AllowsURL(blog):
		return site.Site{}, comment.Invalid("blog", "must be on one of the site's origins")
	}
	return st, nil
}

// submission is the comment as the scorer reads a submission: its thread is the
// permalink's path.
func (r Request) submission() comment.Submission {
	sub := comment.Submission{ThreadURL: r.Permalink, AuthorName: r.Author, AuthorEmail: r.AuthorEmail,
		AuthorURL: r.AuthorURL, Body: r.Content, Honeypot: r.Honeypot}
	if u, err := url.Parse(strings.TrimSpace(r.Permalink)); err == nil && u.Path != "" {
		sub.Thread = u.Path
	} else {
		sub.Thread = "/"
	}
	return sub
}

// digest identifies a report's author and text (a keyed hash: the text is not
// kept, and the digest cannot be matched against a guessed text without the secret).
func (s *Service) digest(siteID string, sub comment.Submission) string {
	m := hmac.New(sha256.New, s.secret)
	for _, v := range []string{"akismet report", siteID, comment.AuthorKey(s.secret, sub.AuthorName, sub.AuthorEmail), sub.Body} {
		m.Write([]byte(v))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil)[:20])
}

// checkIP requires the commenter's address, as Akismet does.
func checkIP(ip string) error {
	if strings.TrimSpace(ip) == "" {
		return comment.Invalid("user_ip", "required")
	}
	if _, err := netip.ParseAddr(strings.TrimSpace(ip)); err != nil {
		return comment.Invalid("user_ip", "must be an IP address")
	}
	return nil
}

// trustedRole is Akismet's rule that an administrator's comment is never spam.
// WordPress sends the roles comma-separated.
func trustedRole(roles string) bool {
	for _, r := range strings.Split(roles, ",") {
		if strings.EqualFold(strings.TrimSpace(r), "administrator") {
			return true
		}
	}
	return false
}

// akismetFields names a submission's fields as Akismet's form does.
var akismetFields = map[string]string{
	"author_name": "comment_author", "author_email": "comment_author_email", "author_url": "comment_author_url",
	"body": "comment_content", "thread_url": "permalink", "thread": "permalink",
}

// fieldNames renames the fields of a validation error after Akismet's form, so the
// client is told the field it sent.
func fieldNames(err error) error {
	var ve *comment.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &comment.ValidationError{Fields: map[string]string{}}
	for f, msg := range ve.Fields {
		if name, ok := akismetFields[f]; ok {
			f = name
		}
		out.Fields[f] = msg
	}
	return out
}
