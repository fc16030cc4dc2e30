package spam

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/winnow/winnow/internal/comment"
)

// Weights of the rules in this file: each is what the signal alone says about the
// chance of spam. They are deliberately below the hold threshold where a real reader
// could trip them (shouting, a bare link), so one such signal never holds a comment
// by itself, but two do.
const (
	weightNameIsLink    = 0.7
	weightBBCode        = 0.8
	weightAnchorStuff   = 0.5
	weightBareLink      = 0.35
	weightShouting      = 0.15
	weightRepetition    = 0.15
	weightDisposable    = 0.4
	weightBadReputation = 0.6
	weightBadAddress    = 0.5
	weightNoForm        = 0.2
	weightForgedForm    = 0.5
	weightStaleForm     = 0.3
	weightFastForm      = 0.6
	weightReplayedForm  = 0.6
	weightBanned        = 1.0
	weightCampaign      = 0.7
	weightCrossPosting  = 0.6
	// weightForeignScript is a comment mostly in a script the site said its readers do
	// not write: a real reader may still do so, so it holds only with another signal.
	// The text models also weigh it as a feature, but only a site's own lessons can
	// teach them that weight (the seed's data names no site's scripts), so the rule is
	// what makes the site's setting count from the first comment.
	weightForeignScript = 0.4
)

// CampaignWindow is how far back the same text by other authors or on other threads
// counts, and CampaignSize how many make a campaign.
const (
	CampaignWindow = time.Hour
	CampaignSize   = 3
)

// FormTokenTTL is how long a form token stays good: a reader may leave a tab open for
// a day before posting.
const FormTokenTTL = 24 * time.Hour

// fastForm is how quickly a person cannot read a page and write a comment: bots post
// within a second or two of fetching the form.
const fastForm = 3 * time.Second

// formRules judge the signed form token: absent, forged, stale, too fast or replayed.
func formRules(v *verdict, f Form) {
	switch {
	case !f.Checked:
	case !f.Present:
		v.add(weightNoForm, "no form token")
	case !f.Valid:
		v.add(weightForgedForm, "form token does not match this site and page")
	case f.Replayed:
		v.add(weightReplayedForm, "form token used before")
	case f.Age < fastForm:
		v.add(weightFastForm, fmt.Sprintf("form filled in %.1f s", max(f.Age, 0).Seconds()))
	case f.Age > FormTokenTTL:
		v.add(weightStaleForm, "form token expired")
	}
}

// contentRules are the rules that read the submission's own text, analyzed once.
func contentRules(v *verdict, in Input, a analysis) {
	sub := in.Submission
	if looksLikeLink(sub.AuthorName) {
		v.add(weightNameIsLink, "author name is a web address")
	}
	lower := strings.ToLower(sub.Body)
	if n := strings.Count(lower, "[url") + strings.Count(lower, "[link"); n > 0 {
		v.add(weightBBCode, fmt.Sprintf("%d BBCode links", n))
	}
	if n := strings.Count(lower, "<a "); n >= 3 {
		v.add(weightAnchorStuff, fmt.Sprintf("%d raw HTML links", n))
	}
	if in.Links > 0 && len(a.words) < 3 {
		v.add(weightBareLink, "little but a link")
	}
	if a.letters >= 20 && a.upper*10 >= a.letters*7 {
		v.add(weightShouting, "written in capitals")
	}
	if repetitive(lower, a.words) {
		v.add(weightRepetition, "repeats itself")
	}
	if len(in.Site.Scripts) > 0 && a.letters >= 10 && !inScripts(a.script, in.Site.Scripts) {
		v.add(weightForeignScript, fmt.Sprintf("written mostly in %s, not a script the site's readers use (%s)",
			a.script, strings.Join(in.Site.Scripts, ", ")))
	}
	if d := comment.EmailDomain(sub.AuthorEmail); disposableDomains[d] {
		v.add(weightDisposable, "disposable email address ("+d+")")
	}
	if n := in.Campaign.Authors; n >= CampaignSize {
		v.add(weightCampaign, fmt.Sprintf("same text posted by %d authors within an hour", n))
	}
	if n := in.Campaign.Threads; n >= CampaignSize {
		v.add(weightCrossPosting, fmt.Sprintf("same text posted on %d threads within an hour", n))
	}
	if in.AddressSpam >= 2 && in.AddressSpam > in.AddressApproved {
		v.add(weightBadAddress, fmt.Sprintf("address sent %d spam and %d approved comments here lately", in.AddressSpam, in.AddressApproved))
	}
	for _, kind := range in.Banned {
		v.add(weightBanned, "banned "+string(kind))
	}
	if a := in.Author; a.Spam > 0 && a.Spam >= a.Approved {
		v.add(weightBadReputation, fmt.Sprintf("author has %d spam and %d approved comments here", a.Spam, a.Approved))
	}
}

// looksLikeLink reports an author name that is a URL or a domain ("cheap-pills.com").
func looksLikeLink(name string) bool {
	name = strings.TrimSpace(name)
	if strings.ContainsAny(name, " \t") {
		return strings.Contains(strings.ToLower(name), "http://") || strings.Contains(strings.ToLower(name), "https://")
	}
	return isLink(name)
}

// repetitive is a character run of ten or more, or one word said six times or more.
func repetitive(lower string, words []string) bool {
	run, prev := 0, rune(0)
	for _, r := range lower {
		if r == prev && !unicode.IsSpace(r) {
			if run++; run >= 9 {
				return true
			}
		} else {
			run = 0
		}
		prev = r
	}
	counts := map[string]int{}
	for _, w := range words {
		if len(w) >= 3 {
			if counts[w]++; counts[w] >= 6 {
				return true
			}
		}
	}
	return false
}

// disposableDomains are widely used throwaway-mail services. A real reader rarely
// comments from one; a signal, not a verdict.
var disposableDomains = map[string]bool{
	"mailinator.com": true, "guerrillamail.com": true, "guerrillamail.net": true, "sharklasers.com": true,
	"10minutemail.com": true, "temp-mail.org": true, "tempmail.com": true, "yopmail.com": true,
	"trashmail.com": true, "getnada.com": true, "dispostable.com": true, "maildrop.cc": true,
	"throwawaymail.com": true, "fakeinbox.com": true, "mintemail.com": true, "mohmal.com": true,
	"emailondeck.com": true, "spamgourmet.com": true, "mailnesia.com": true, "tempr.email": true,
	"discard.email": true, "mytemp.email": true, "burnermail.io": true, "moakt.com": true,
}
