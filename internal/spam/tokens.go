package spam

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token kinds. Prefixes keep kinds apart in one vocabulary: the word "com" and the
// domain "x.com" are different evidence.
const (
	prefixBigram = "2:"
	prefixDomain = "url:"
	prefixShape  = "shape:"
)

var (
	tagPattern  = regexp.MustCompile(`(?is)<[^>]*>`)
	hrefPattern = regexp.MustCompile(`(?i)href\s*=\s*["']?([^"'\s>]+)`)
	// autolinkPattern is a Markdown autolink, <https://x.example/>: a link, not a tag.
	autolinkPattern = regexp.MustCompile(`(?i)<((?:https?://|www\.)[^<>\s]*)>`)
)

// linkTLDs are the top-level domains a bare "name.tld" is taken as a link with; a
// scheme or "www." makes anything a link.
var linkTLDs = map[string]bool{"com": true, "net": true, "org": true, "info": true, "biz": true, "ly": true,
	"be": true, "co": true, "io": true, "tk": true, "ru": true, "us": true, "uk": true, "de": true, "me": true, "tv": true}

// splitLinks separates the links in text (by whitespace-separated fields) from the rest,
// in one pass without regular expressions: this runs for every submission.
func splitLinks(text string) (links []string, rest string) {
	if !strings.Contains(text, ".") {
		return nil, text
	}
	var b strings.Builder
	for _, f := range strings.Fields(text) {
		if words, l := linkIn(f); isLink(l) {
			links = append(links, l)
			if words != "" {
				b.WriteString(words)
				b.WriteByte(' ')
			}
			continue
		}
		b.WriteString(f)
		b.WriteByte(' ')
	}
	return links, b.String()
}

// linkIn splits a field into the words before a link and the link it may hold, as
// the comment Markdown writes links: a link or image by its destination ("[buy](",
// then "http://x.example)"), and no brackets, parentheses, quotes or emphasis around
// a URL ("(https://x.example)", "**www.x.example**").
func linkIn(f string) (words, link string) {
	if i := strings.LastIndex(f, "]("); i >= 0 {
		words, f = f[:i], f[i+2:]
	}
	f = strings.TrimLeft(f, "([<*_~'\"")
	return words, strings.TrimRight(f, ".,;:!?)]}>*_~'\"")
}

func isLink(f string) bool {
	lf := strings.ToLower(f)
	for _, p := range []string{"http://", "https://", "www."} {
		if strings.HasPrefix(lf, p) && len(lf) > len(p)+3 {
			return true
		}
	}
	host, _, _ := strings.Cut(lf, "/")
	i := strings.LastIndexByte(host, '.')
	if i <= 0 || !linkTLDs[host[i+1:]] {
		return false
	}
	for _, r := range host[:i] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// linkCount approximates the links the sanitizer would render for text.
func linkCount(text string) int {
	links, _ := splitLinks(plainText(text))
	return len(links)
}

// plainText turns a comment body as submitted (which may hold limited HTML and
// entities) into text, keeping link targets, which are evidence of their own.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	s = autolinkPattern.ReplaceAllString(s, " $1 ")
	var hrefs []string
	for _, m := range hrefPattern.FindAllStringSubmatch(s, -1) {
		hrefs = append(hrefs, m[1])
	}
	s = tagPattern.ReplaceAllString(s, " ")
	s = html.UnescapeString(s)
	if len(hrefs) > 0 {
		s += " " + strings.Join(hrefs, " ")
	}
	return s
}

// Tokens are the features the classifier counts for one text, each once: words,
// adjacent word pairs, the domains of links, and a few shapes that survive a change
// of topic (shouting, repeated punctuation, long numbers, money). Features that hold on
// any site matter more than the words of one video's comments.
func Tokens(text string) []string { return analyze(text).tokens }

// analysis is a body read once for the rules and the classifier alike.
type analysis struct {
	links          []string
	words          []string // lowercase, links excluded
	letters, upper int
	tokens         []string
}

func analyze(text string) analysis {
	text = strings.ReplaceAll(plainText(text), "\ufeff", "")
	var a analysis
	seen := make(map[string]struct{}, 64)
	a.tokens = make([]string, 0, 64)
	add := func(t string) {
		if _, ok := seen[t]; !ok {
			seen[t] = struct{}{}
			a.tokens = append(a.tokens, t)
		}
	}

	a.links, text = splitLinks(text)
	for _, l := range a.links {
		add(prefixShape + "link")
		if d := domain(l); d != "" {
			add(prefixDomain + d)
		}
	}
	if len(a.links) > 1 {
		add(prefixShape + "links")
	}

	digitRun, maxDigits := 0, 0
	prevRune, runLen := rune(0), 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			a.letters++
			if unicode.IsUpper(r) {
				a.upper++
			}
		}
		if unicode.IsDigit(r) {
			digitRun++
			maxDigits = max(maxDigits, digitRun)
		} else if r != ' ' && r != '-' {
			digitRun = 0
		}
		if r == prevRune && (r == '!' || r == '?' || r == '$' || r == '.') {
			runLen++
			if runLen == 2 {
				add(prefixShape + "repeat" + string(r))
			}
		} else {
			runLen = 0
		}
		if r == '£' || r == '$' || r == '€' {
			add(prefixShape + "money")
		}
		prevRune = r
	}
	if a.letters >= 12 && a.upper*10 >= a.letters*6 {
		add(prefixShape + "shouting")
	}
	if maxDigits >= 5 {
		add(prefixShape + "number")
	}

	a.words = splitWords(text)
	for i, w := range a.words {
		add(w)
		if i > 0 {
			add(prefixBigram + a.words[i-1] + " " + w)
		}
	}
	if len(a.words) <= 3 {
		add(prefixShape + "short")
	}
	return a
}

// splitWords lowercases text into words of letters and digits; apostrophes join
// ("i'm" is "im"), everything else separates. Very long runs are not words.
func splitWords(text string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if n := utf8.RuneCountInString(b.String()); n >= 1 && n <= 30 {
			words = append(words, b.String())
		}
		b.Reset()
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == '\'' || r == '’':
		default:
			flush()
		}
	}
	flush()
	return words
}

// domain is a link's host without "www.", cut to its last two labels so that
// subdomains of one site count as one.
func domain(link string) string {
	if !strings.Contains(link, "://") {
		link = "http://" + link
	}
	u, err := url.Parse(link)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	labels := strings.Split(strings.ToLower(u.Hostname()), ".")
	if len(labels) > 2 {
		labels = labels[len(labels)-2:]
	}
	return strings.Join(labels, ".")
}

// Text is a comment body read once, for the campaign check and the scorer alike.
type Text struct{ a analysis }

// Read analyzes a body.
func Read(body string) *Text { return &Text{a: analyze(body)} }

// Fingerprint identifies a text and its near copies: the same words in the same order
// and the same link domains, whatever the case, punctuation, spacing or link paths.
// Texts too short to be a campaign's (under 12 words without a link) have none.
func Fingerprint(text string) string { return Read(text).Fingerprint() }

// Fingerprint is the text's fingerprint (see the function).
func (t *Text) Fingerprint() string {
	a := t.a
	// Readers independently write short things alike ("this worked for me too"); a
	// campaign's text is longer, or carries a link.
	if len(a.words) < 12 && (len(a.links) == 0 || len(a.words) < 3) {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(strings.Join(a.words, " ")))
	var domains []string
	for _, l := range a.links {
		domains = append(domains, domain(l))
	}
	slices.Sort(domains)
	h.Write([]byte("\x00" + strings.Join(domains, " ")))
	return hex.EncodeToString(h.Sum(nil)[:12])
}
