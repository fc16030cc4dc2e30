// Package site holds what a website that embeds winnow is to the domain: its origins,
// moderation policy, link and word rules, rate limits, spam-seed choice and CDN
// lifetimes, with the rules that normalize and validate them. Like comment, it is a
// domain package: it imports comment (for the shared text and error rules) and nothing
// else of winnow, so that every service, store and front end can name a site.
package site

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// Policy says which comments a site publishes without a moderator.
type Policy string

// The moderation policies a site can choose.
const (
	// PolicyAll holds every comment for a moderator.
	PolicyAll Policy = "all"
	// PolicyFirstTime publishes authors with an earlier approved comment on the site.
	PolicyFirstTime Policy = "first_time"
	// PolicyNone publishes everything not judged spam or held by a rule.
	PolicyNone Policy = "none"
)

// Bounds on a site's blocked words, which every submission is matched against.
const (
	MaxBlockedWords   = 5000
	MaxBlockedWordLen = 100
)

// SeedAction says how far the built-in spam seed, the model every fresh install ships
// with, may act on a site's comments by itself: the seed was trained on other people's
// comments, so a site may prefer that it only holds comments for review.
type SeedAction string

// The seed actions a site can choose.
const (
	// SeedFold lets the seed alone send a comment to the spam folder (the default: a
	// fresh install keeps obvious spam out of the queue from its first comment).
	SeedFold SeedAction = "fold"
	// SeedHold lets the seed alone hold a comment for review, never fold it: only the
	// site's own lessons, the shared training and the rules can send to the spam folder.
	SeedHold SeedAction = "hold"
)

// Scripts are the writing systems a site may name as its readers' (Site.Scripts): the
// ones the spam scorer tells apart.
var Scripts = []string{"Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Thai", "Hangul", "Japanese", "Han"}

// DefaultMaxLinks is WordPress's comment_max_links: this many links or more hold a comment.
const DefaultMaxLinks = 2

// Site is one website that embeds winnow, with its moderation settings.
type Site struct {
	ID      string
	Name    string
	Origins []string
	Policy  Policy
	// MaxLinks holds a comment with this many links or more; 0 disables the rule.
	MaxLinks     int
	BlockedWords []string
	// Limits override the default submission rate limits; zero rates take the default.
	Limits RateLimits
	// SpamSeed says how far the built-in seed may act alone; empty means SeedFold.
	SpamSeed SeedAction
	// Scripts are the writing systems the site's readers write in (Scripts names
	// them); a comment mostly in another is a spam signal. Empty: no such signal.
	Scripts []string
	// CDN overrides how long a CDN may keep the site's thread and count answers; nil
	// takes the server's configured lifetimes.
	CDN       *CDNCache
	CreatedAt time.Time
}

// CDNCache is how long a shared cache (a CDN) may serve a public read of a site
// without asking winnow (SMaxAge), and then stale while it refreshes
// (StaleWhileRevalidate). Their sum is the longest a removed comment may stay visible
// through a CDN, which is the site owner's trade against load. Whole seconds, since
// Cache-Control counts in seconds; both zero make every cache revalidate every time.
type CDNCache struct {
	SMaxAge              time.Duration
	StaleWhileRevalidate time.Duration
}

// MaxCDNLifetime bounds each of a site's CDN lifetimes: a removed comment must not
// stay at a CDN for days because of a typo.
const MaxCDNLifetime = 24 * time.Hour

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidID reports whether id can name a site: 1-63 lowercase letters, digits or dashes,
// starting with a letter or a digit, so that it is safe in a URL path, a file name and
// a Redis key as it is.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// NewSite returns a site with the defaults filled in: first-time policy, the link
// limit and the seed's default action.
func NewSite(id, name string) Site {
	return Site{ID: id, Name: name, Policy: PolicyFirstTime, MaxLinks: DefaultMaxLinks, SpamSeed: SeedFold}
}

// Normalize trims fields, lowercases origins, drops duplicate origins and words and
// fills in the defaults of an unset policy and seed action, so that the stored form is
// the form compared against and every stored site names its choices. The name and the words are
// put in NFC, as comments are (comment.NormalizeLine), or a word typed decomposed would never
// match.
func (s *Site) Normalize() {
	s.ID = strings.TrimSpace(s.ID)
	s.Name = comment.NormalizeLine(s.Name)
	s.Origins = uniqueNonEmpty(s.Origins, normalizeOrigin)
	s.BlockedWords = uniqueNonEmpty(s.BlockedWords, func(w string) string {
		return strings.ToLower(comment.NormalizeLine(w))
	})
	s.Scripts = uniqueNonEmpty(s.Scripts, func(w string) string {
		w = strings.TrimSpace(w)
		for _, k := range Scripts {
			if strings.EqualFold(w, k) {
				return k
			}
		}
		return w
	})
	if s.Policy == "" {
		s.Policy = PolicyFirstTime
	}
	if s.SpamSeed == "" {
		s.SpamSeed = SeedFold
	}
}

// Validate checks a normalized site.
func (s Site) Validate() error {
	f := comment.FieldErrors{}
	if !ValidID(s.ID) {
		f.Add("id", "must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit")
	}
	// The site's name signs its moderators' replies: an author name like any other,
	// held to the same rules (characters, not bytes; no control characters).
	comment.CheckName(f, "name", s.Name, 200)
	for _, o := range s.Origins {
		if !validOrigin(o) {
			f.Add("origins", "%q is not an origin like https://blog.example", o)
		}
	}
	switch s.Policy {
	case PolicyAll, PolicyFirstTime, PolicyNone:
	default:
		f.Add("policy", "must be all, first_time or none")
	}
	switch s.SpamSeed {
	case "", SeedFold, SeedHold:
	default:
		f.Add("spam_seed", "must be fold or hold")
	}
	for _, w := range s.Scripts {
		if !slices.Contains(Scripts, w) {
			f.Add("scripts", "%q is not one of %s", w, strings.Join(Scripts, ", "))
		}
	}
	if s.CDN != nil {
		for _, d := range []struct {
			field string
			v     time.Duration
		}{{"cdn_cache.s_maxage", s.CDN.SMaxAge}, {"cdn_cache.stale_while_revalidate", s.CDN.StaleWhileRevalidate}} {
			if d.v < 0 || d.v > MaxCDNLifetime || d.v%time.Second != 0 {
				f.Add(d.field, "must be whole seconds from 0s to 24h")
			}
		}
	}
	if s.MaxLinks < 0 || s.MaxLinks > 100 {
		f.Add("max_links", "must be between 0 and 100")
	}
	for name, r := range map[string]Rate{"ip": s.Limits.IP, "email": s.Limits.Email, "thread": s.Limits.Thread, "site": s.Limits.Site} {
		if !r.valid() {
			f.Add("rate_limits."+name, "count and burst must be positive and the period between 1s and 24h")
		}
	}
	if len(s.BlockedWords) > MaxBlockedWords {
		f.Add("blocked_words", "at most %d words", MaxBlockedWords)
	}
	for _, w := range s.BlockedWords {
		if len(w) > MaxBlockedWordLen {
			f.Add("blocked_words", "each at most %d bytes", MaxBlockedWordLen)
		}
	}
	return f.Err()
}

// AllowsOrigin reports whether a browser origin (scheme://host[:port]) may use the
// site's public API.
func (s Site) AllowsOrigin(origin string) bool {
	origin = normalizeOrigin(origin)
	for _, o := range s.Origins {
		if o == origin {
			return true
		}
	}
	return false
}

// AllowsURL reports whether u is a page on one of the site's origins; it guards
// redirects back to a thread so that winnow is no open redirector.
func (s Site) AllowsURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	return s.AllowsOrigin(p.Scheme + "://" + p.Host)
}

// normalizeOrigin writes an origin as browsers send it: lowercase, no trailing slash,
// no default port ("https://blog.example:443" is "https://blog.example").
func normalizeOrigin(o string) string {
	o = strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
	if rest, ok := strings.CutSuffix(o, ":443"); ok && strings.HasPrefix(o, "https://") {
		return rest
	}
	if rest, ok := strings.CutSuffix(o, ":80"); ok && strings.HasPrefix(o, "http://") {
		return rest
	}
	return o
}

func validOrigin(o string) bool {
	p, err := url.Parse(o)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return false
	}
	return p.Path == "" && p.RawQuery == "" && p.Fragment == "" && p.User == nil
}

func uniqueNonEmpty(in []string, norm func(string) string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, v := range in {
		v = norm(v)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}
