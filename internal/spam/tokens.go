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
	b.Grow(len(text))
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
	if ascii(f) {
		return isASCIILink(f)
	}
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

// isASCIILink is isLink of an ASCII field, where lowercasing keeps every byte in its
// place, without a lowercase copy of every field of every submission.
func isASCIILink(f string) bool {
	for _, p := range []string{"http://", "https://", "www."} {
		if len(f) > len(p)+3 && strings.EqualFold(f[:len(p)], p) {
			return true
		}
	}
	host, _, _ := strings.Cut(f, "/")
	i := strings.LastIndexByte(host, '.')
	if i <= 0 || len(host)-i-1 > maxTLD {
		return false
	}
	var tld [maxTLD]byte
	n := copy(tld[:], host[i+1:])
	for j, c := range tld[:n] {
		tld[j] = lowerASCII(c)
	}
	if !linkTLDs[string(tld[:n])] {
		return false
	}
	for j := range i {
		c := lowerASCII(host[j])
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// maxTLD is the longest of linkTLDs.
const maxTLD = 4

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
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
	domains        []string // domain of each link, "" for none
	words          []string // lowercase, links excluded
	pairs          []string // pairs[i] is words[i] and words[i+1], space-separated
	letters, upper int
	latin          int    // letters of the Latin script
	script         string // the script most letters are in ("Latin", "Cyrillic", ...)
	tokens         []string
	// What the signals read (features.go).
	phone            bool // a run of 10 to 13 digits, separated or not
	specific         bool // a number, a question or code: something said about the page
	commercialAnchor bool // a link whose text sells
	shortener        bool // a link through a URL shortener
}

func analyze(text string) analysis {
	raw := text
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
	a.domains = make([]string, len(a.links))
	for i, l := range a.links {
		add(prefixShape + "link")
		a.domains[i] = domain(l)
		if d := a.domains[i]; d != "" {
			add(prefixDomain + d)
			a.shortener = a.shortener || shorteners[d] || shorteners[hostOf(l)]
		}
	}
	if len(a.links) > 1 {
		add(prefixShape + "links")
	}

	var scripts [len(scriptNames)]int
	digitRun, maxDigits := 0, 0
	prevRune, runLen := rune(0), 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			a.letters++
			if unicode.IsUpper(r) {
				a.upper++
			}
			scripts[scriptOf(r)]++
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
	a.latin = scripts[0]
	best := 0
	for i, n := range scripts {
		if n > scripts[best] {
			best = i
		}
	}
	a.script = scriptNames[best]
	if a.letters >= 12 && a.upper*10 >= a.letters*6 {
		add(prefixShape + "shouting")
	}
	if maxDigits >= 5 {
		add(prefixShape + "number")
	}

	a.words = splitWords(text)
	// Every pair token is cut from one string, written at once: one allocation for
	// the text instead of one per pair.
	var pairs string
	if len(a.words) > 1 {
		a.pairs = make([]string, 0, len(a.words)-1)
		size := 0
		for i := 1; i < len(a.words); i++ {
			size += len(prefixBigram) + len(a.words[i-1]) + 1 + len(a.words[i])
		}
		var b strings.Builder
		b.Grow(size)
		for i := 1; i < len(a.words); i++ {
			b.WriteString(prefixBigram)
			b.WriteString(a.words[i-1])
			b.WriteByte(' ')
			b.WriteString(a.words[i])
		}
		pairs = b.String()
	}
	for i, w := range a.words {
		stop := functionWords[w]
		if !stop {
			add(w)
		}
		if i > 0 {
			n := len(prefixBigram) + len(a.words[i-1]) + 1 + len(w)
			t := pairs[:n]
			pairs = pairs[n:]
			a.pairs = append(a.pairs, t[len(prefixBigram):])
			if !stop || !functionWords[a.words[i-1]] {
				add(t)
			}
		}
	}
	a.readShape(text, raw)
	if len(a.words) <= 3 {
		add(prefixShape + "short")
	}
	return a
}

// splitWords lowercases text into words of letters and digits; apostrophes join
// ("i'm" is "im"), everything else separates. Very long runs are not words.
func splitWords(text string) []string {
	lower := strings.ToLower(text)
	words := make([]string, 0, len(lower)/6+1)
	start, joined := -1, false // start of the current word; it spans an apostrophe
	var b []byte
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := lower[start:end]
		if joined { // drop the apostrophes: "i'm" is "im"
			b = b[:0]
			for _, r := range w {
				if r != '\'' && r != '’' {
					b = utf8.AppendRune(b, r)
				}
			}
			w = string(b)
		}
		w = strings.TrimRight(w, "'’")
		if n := utf8.RuneCountInString(w); n >= 1 && n <= 30 {
			words = append(words, w)
		}
		start, joined = -1, false
	}
	for i, r := range lower {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = i
			}
		case r == '\'' || r == '’':
			if start >= 0 {
				joined = true
			}
		default:
			flush(i)
		}
	}
	flush(len(lower))
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
	// The hash of the words joined by spaces, a zero byte and the sorted link
	// domains joined by spaces, written at once.
	domains := slices.Sorted(slices.Values(a.domains))
	size := len(a.words) + len(domains)
	for _, w := range a.words {
		size += len(w)
	}
	for _, d := range domains {
		size += len(d)
	}
	msg := make([]byte, 0, size)
	for i, w := range a.words {
		if i > 0 {
			msg = append(msg, ' ')
		}
		msg = append(msg, w...)
	}
	msg = append(msg, 0)
	for i, d := range domains {
		if i > 0 {
			msg = append(msg, ' ')
		}
		msg = append(msg, d...)
	}
	sum := sha256.Sum256(msg)
	var out [24]byte
	hex.Encode(out[:], sum[:12])
	return string(out[:])
}

// scriptNames are the scripts a text's letters are counted in; Latin first.
var scriptNames = [...]string{"Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Thai", "Hangul", "Japanese", "Han", "Other"}

// scriptOf is a letter's script among scriptNames, by code point range: cheaper than
// unicode.Is for every letter of every submission.
func scriptOf(r rune) int {
	switch {
	case r < 0x250 || r >= 0x1E00 && r < 0x1F00:
		return 0
	case r >= 0x400 && r < 0x530:
		return 1
	case r >= 0x370 && r < 0x400 || r >= 0x1F00 && r < 0x2000:
		return 2
	case r >= 0x600 && r < 0x700 || r >= 0x750 && r < 0x780:
		return 3
	case r >= 0x590 && r < 0x600:
		return 4
	case r >= 0x900 && r < 0x980:
		return 5
	case r >= 0xE00 && r < 0xE80:
		return 6
	case r >= 0xAC00 && r < 0xD7B0 || r >= 0x1100 && r < 0x1200:
		return 7
	case r >= 0x3040 && r < 0x3100:
		return 8
	case r >= 0x4E00 && r < 0xA000 || r >= 0x3400 && r < 0x4DC0:
		return 9
	}
	return 10
}

// readShape finds what the structural signals read beyond words: phone numbers,
// something specific (a number, a question, code) and links whose text sells. raw is
// the body as submitted, where a link's text is still beside its address.
func (a *analysis) readShape(text, raw string) {
	digits, run, seps := 0, false, 0
	endRun := func() {
		if digits >= 10 && digits <= 13 {
			a.phone = true
		}
		digits, run, seps = 0, false, 0
	}
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			digits++
			run = true
		case run && (r == ' ' || r == '-' || r == '.' || r == '(' || r == ')') && seps < 6:
			seps++
		case r == '+' && !run:
			run = true
		default:
			endRun()
		}
		if r == '?' || r == '`' || r == '{' || r == '=' {
			a.specific = true
		}
	}
	endRun()
	if !a.specific {
		for _, w := range a.words {
			if w[0] >= '0' && w[0] <= '9' {
				a.specific = true
				break
			}
		}
	}
	if strings.Contains(raw, "</a>") || strings.Contains(raw, "](") || strings.Contains(raw, "[/url]") {
		a.commercialAnchor = sellingAnchor(raw)
	}
}

// sellingAnchor finds a link (HTML, Markdown or BBCode) whose text has a commercial
// or spam-phrase word: "cheap flights", "best essay service".
func sellingAnchor(raw string) bool {
	lower := strings.ToLower(raw)
	for _, pat := range [][2]string{{">", "</a>"}, {"[", "]("}, {"]", "[/url]"}} {
		for rest := lower; ; {
			end := strings.Index(rest, pat[1])
			if end < 0 {
				break
			}
			start := strings.LastIndex(rest[:end], pat[0])
			if start >= 0 {
				for _, w := range splitWords(rest[start+1 : end]) {
					if commercial[w] || phrases[w] != 0 {
						return true
					}
				}
			}
			rest = rest[end+len(pat[1]):]
		}
	}
	return false
}

// functionWords are the words every text has whatever it is about: pronouns,
// articles, prepositions, auxiliaries. Alone, or paired with each other, they are no
// evidence: which of them a site's spam uses more is a fact of one site's sample (video
// spam says "my" and "you", video fans do not), and it turns into false alarms on the
// next site, where readers say "my" and "you" too. A pair of them ("if you", "with
// my") is none either. They still count in pairs with other words ("my channel",
// "check out") and in the signals.
var functionWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if so as than then too very also just not no
		i im ive id ill me my mine myself we us our ours you youre youve your yours he him his she her
		hers it its they them their theirs this that these those there here what which who whom whose
		when where why how all any some each both such own same other
		to of in on at by for with from into onto about over under up down out off again once
		is are was were be been being am do does did doing have has had having will would shall
		should can could may might must dont doesnt didnt isnt arent wasnt wont cant couldnt
		u ur r`) {
		m[w] = true
	}
	return m
}()
