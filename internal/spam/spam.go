// Package spam judges submissions: each rule that fires adds a weighted signal and a
// reason a moderator can read, and the signals combine into one score in [0,1] with
// the text models' (Fisher counts and an online logistic regression over hashed
// features, on top of the built-in seed embedded from seed.bin).
//
// Scoring is pure: everything a verdict needs comes in with the Input or is held in
// memory. Learning is not: a Model keeps the learned state in a Store that its caller
// passes in (the database, shared by every replica), writes each lesson there and
// reads other replicas' lessons when its caller calls Sync; the package starts no
// goroutine of its own.
package spam

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// Input is one submission as the scorer sees it. Links is the number of links in the
// rendered body, counted by the caller that rendered it.
type Input struct {
	Site       site.Site
	Submission comment.Submission
	Links      int
	IP         string
	UserAgent  string
	// Author is what the site knows of this author: earlier approved and spam counts.
	Author comment.Author
	// AddressApproved and AddressSpam count the client address's recent comments.
	AddressApproved, AddressSpam int
	// Campaign is how widely the same text was posted lately.
	Campaign Campaign
	// Banned lists the kinds of ban (email, ip, domain) the submission matched.
	Banned []comment.BanKind
	// Text is the body already read (Read), or nil to read it here.
	Text *Text
	// Form is what the submission's form token says; zero when no check was made
	// (an evaluation, an import).
	Form Form
}

// Campaign counts the distinct authors and threads that posted the same text (by
// Fingerprint) within CampaignWindow, this submission included.
type Campaign struct {
	Authors, Threads int
}

// Form is the verdict on a submission's signed form token.
type Form struct {
	Checked  bool          // the service checked for a token
	Present  bool          // the submission carried one
	Valid    bool          // its signature matched this site and thread
	Age      time.Duration // since the form was served
	Replayed bool          // the token had been used before
}

// Signal weights. A weight is the probability the signal alone gives that the comment
// is spam; independent signals combine as a noisy-OR, so two moderate signals together
// outweigh either one and no number of signals exceeds 1.
const (
	weightHoneypot    = 0.99
	weightTestSpam    = 0.99
	weightBlockedWord = 0.6
)

// Akismet's conventions for a comment that is always spam, which integrators use to
// check their setup end to end: AkismetTestAuthor or AkismetSpamAuthor as the
// author's name (the second is the one Akismet's API documentation gives), or
// AkismetSpamEmail as the email.
const (
	AkismetTestAuthor = "akismet-guaranteed-spam"
	AkismetSpamAuthor = "viagra-test-123"
	AkismetSpamEmail  = "akismet-guaranteed-spam@example.com"
)

// Scorer scores submissions with the rules and, when it has a Model, the text models.
type Scorer struct {
	model *Model // each site's view; nil for the rules alone
}

// NewScorer returns a Scorer of the rules alone, without text models.
func NewScorer() *Scorer { return &Scorer{} }

// NewModelScorer returns a Scorer that judges a submission with its site's classifier
// (m.Classifier), so that each site's moderators teach its own verdicts.
func NewModelScorer(m *Model) *Scorer { return &Scorer{model: m} }

// Score runs every rule and combines what fired.
func (s *Scorer) Score(in Input) comment.Verdict {
	var v verdict
	sub := in.Submission
	if strings.TrimSpace(sub.Honeypot) != "" {
		v.add(weightHoneypot, "hidden honeypot field was filled in")
	}
	switch {
	case strings.EqualFold(sub.AuthorName, AkismetTestAuthor), strings.EqualFold(sub.AuthorName, AkismetSpamAuthor):
		v.add(weightTestSpam, "test author "+strings.ToLower(sub.AuthorName))
	case strings.EqualFold(sub.AuthorEmail, AkismetSpamEmail):
		v.add(weightTestSpam, "test author "+AkismetSpamEmail)
	}
	if max := in.Site.MaxLinks; max > 0 && in.Links >= max {
		v.hold(fmt.Sprintf("%d links (the site holds comments with %d or more)", in.Links, max))
	}
	text := in.Text
	if text == nil {
		text = Read(sub.Body)
	}
	a := text.a
	contentRules(&v, in, a)
	formRules(&v, in.Form)
	fields := []struct{ name, value string }{
		{"body", sub.Body}, {"name", sub.AuthorName}, {"email", sub.AuthorEmail},
		{"website", sub.AuthorURL}, {"IP", in.IP}, {"user agent", in.UserAgent},
	}
	for i := range fields {
		fields[i].value = strings.ToLower(fields[i].value) // once, not once per word
	}
	for _, w := range in.Site.BlockedWords {
		w = strings.ToLower(w)
		for _, f := range fields {
			if containsWord(f.value, w) {
				v.add(weightBlockedWord, fmt.Sprintf("blocked word %q in %s", w, f.name))
				break
			}
		}
	}
	if s.model != nil {
		s.textModel(&v, in, &a, s.model.Classifier(in.Site.ID))
	}
	return comment.Verdict{Score: v.score(), Hold: v.held, Reasons: v.reasons}
}

// verdict accumulates fired signals.
type verdict struct {
	notSpam float64 // product of (1 - weight): the chance that no signal is right
	started bool
	held    bool
	reasons []string
}

func (v *verdict) add(weight float64, reason string) {
	if !v.started {
		v.notSpam, v.started = 1, true
	}
	v.notSpam *= 1 - weight
	v.reasons = append(v.reasons, reason)
}

func (v *verdict) hold(reason string) {
	v.held = true
	v.reasons = append(v.reasons, reason)
}

func (v *verdict) score() float64 {
	if !v.started {
		return 0
	}
	return 1 - v.notSpam
}

// containsWord reports whether lowercase text contains lowercase word, and, where the
// word begins or ends with a letter or digit, not as part of a longer word: "ass" must
// not block "class", the classic flaw of plain substring matching.
func containsWord(lt, lw string) bool {
	if lw == "" || lt == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(lt[from:], lw)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(lw)
		if boundary(lt, start, lw, true) && boundary(lt, end, lw, false) {
			return true
		}
		from = start + 1
	}
}

// boundary checks the character outside one edge of a match.
func boundary(text string, at int, word string, before bool) bool {
	var edge, outside rune
	if before {
		edge, _ = utf8.DecodeRuneInString(word)
		if at == 0 {
			return true
		}
		outside, _ = utf8.DecodeLastRuneInString(text[:at])
	} else {
		edge, _ = utf8.DecodeLastRuneInString(word)
		if at >= len(text) {
			return true
		}
		outside, _ = utf8.DecodeRuneInString(text[at:])
	}
	return !isWordRune(edge) || !isWordRune(outside)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
