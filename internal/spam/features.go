package spam

import (
	"math"
	"strings"
)

// The linear model reads a comment as hashed features: each token the classifier
// counts (words, word pairs, link domains, shapes), each word's character 4-grams
// (which survive misspellings, inflections and other languages' compounds), and the
// signals below, which carry blog and article spam across sites. A feature is a
// bucket of a 2^featureBits table; collisions are rare enough not to matter.
const (
	featureBits = 20
	featureMask = 1<<featureBits - 1
	// gramScale weighs all of a text's 4-grams together as much as a word or two.
	gramScale = 0.5
	// minVolume is how many token features a text needs for the seed to weigh in
	// full. A text's features are scaled by one over the square root of their number,
	// so that a long mail and a short comment weigh alike; but the seed learned from
	// other kinds of text, and on a text of a few words it would stake everything on
	// them ("reply" is a mail spam word): there the seed's part shrinks with the root of
	// the shortfall. What the site and the shared scope learned counts in full.
	minVolume = 16
)

// signal is a structural feature: something about a submission that is spam
// evidence on any site, with the reason a moderator reads when it counts.
type signal uint8

// The signals, in a fixed order: their feature numbers and the seed's priors
// depend on it, so append only.
const (
	sigBias          signal = iota // always on: the model's prior
	sigWebsite                     // the author's website field is set
	sigPraise                      // generic praise
	sigWebsitePraise               // website set, generic praise and nothing specific
	sigAnchor                      // commercial anchor text on a link
	sigPhone                       // a phone number
	sigSupport                     // customer-support / helpline phrasing
	sigErrorCode                   // "error code" / fix-it phrasing
	sigEssay                       // essay-writing / homework phrasing
	sigEscort                      // escort / adult phrasing
	sigCasino                      // casino / betting phrasing
	sigPharmacy                    // pharmacy phrasing
	sigCrypto                      // crypto-recovery / investment phrasing
	sigSEO                         // SEO / backlink selling
	sigLoan                        // loans and quick money
	sigLinkOnly                    // little but a link
	sigOneWord                     // one word and nothing else
	sigShortener                   // a URL shortener
	sigNameKeywords                // an author name stuffed with keywords
	sigForeignScript               // a script unlike the site's languages
	sigOtherScript                 // mostly letters that are not Latin
	sigCount
)

// signalNames are what a moderator reads for a signal that counted.
var signalNames = [sigCount]string{
	sigBias:          "",
	sigWebsite:       "website given",
	sigPraise:        "generic praise",
	sigWebsitePraise: "website with generic praise and nothing specific",
	sigAnchor:        "commercial link text",
	sigPhone:         "phone number",
	sigSupport:       "customer-support phrasing",
	sigErrorCode:     "error-code phrasing",
	sigEssay:         "essay-writing phrasing",
	sigEscort:        "escort phrasing",
	sigCasino:        "casino phrasing",
	sigPharmacy:      "pharmacy phrasing",
	sigCrypto:        "crypto-recovery phrasing",
	sigSEO:           "SEO phrasing",
	sigLoan:          "loan phrasing",
	sigLinkOnly:      "little but a link",
	sigOneWord:       "one word",
	sigShortener:     "URL shortener",
	sigNameKeywords:  "keywords in the author name",
	sigForeignScript: "a script unlike the site's languages",
	sigOtherScript:   "non-Latin script",
}

// signalPriors are the seed's starting weights (log-odds) for signals the labeled
// data cannot teach, having no author fields and little blog spam: what each says
// about a comment before any site's moderators say more. Generation trains from them.
var signalPriors = [sigCount]float32{
	sigWebsite:       0.3,
	sigPraise:        0.2,
	sigWebsitePraise: 2.0,
	sigAnchor:        2.0,
	sigPhone:         1.5,
	sigSupport:       1.5,
	sigErrorCode:     1.2,
	sigEssay:         2.0,
	sigEscort:        2.0,
	sigCasino:        1.5,
	sigPharmacy:      2.0,
	sigCrypto:        2.0,
	sigSEO:           1.5,
	sigLoan:          1.0,
	sigLinkOnly:      1.0,
	sigOneWord:       0.3,
	sigShortener:     1.2,
	sigNameKeywords:  2.0,
	sigForeignScript: 1.0,
	sigOtherScript:   0,
}

// signalFeature is a signal's bucket: the first buckets of the table are reserved
// for signals (hashes below sigCount are moved up).
func signalFeature(s signal) uint32 { return uint32(s) }

// phrases map a word or an adjacent word pair (lowercase, as splitWords gives them)
// to the kind of spam whose vocabulary it is.
var phrases = map[string]signal{
	"customer support": sigSupport, "customer service": sigSupport, "customer care": sigSupport,
	"support number": sigSupport, "helpline": sigSupport, "toll free": sigSupport, "tollfree": sigSupport,
	"technical support": sigSupport, "tech support": sigSupport, "support team": sigSupport, "contact support": sigSupport,
	"error code": sigErrorCode, "fix error": sigErrorCode, "printer offline": sigErrorCode,
	"quickbooks": sigErrorCode, "troubleshoot": sigErrorCode,
	"essay": sigEssay, "essays": sigEssay, "dissertation": sigEssay, "homework help": sigEssay,
	"assignment help": sigEssay, "write my": sigEssay, "term paper": sigEssay, "coursework": sigEssay,
	"escort": sigEscort, "escorts": sigEscort, "call girls": sigEscort, "call girl": sigEscort,
	"hookup": sigEscort, "hot girls": sigEscort, "xxx": sigEscort, "porn": sigEscort,
	"casino": sigCasino, "casinos": sigCasino, "betting": sigCasino, "poker": sigCasino, "slots": sigCasino,
	"jackpot": sigCasino, "roulette": sigCasino, "sportsbook": sigCasino, "gambling": sigCasino,
	"pharmacy": sigPharmacy, "viagra": sigPharmacy, "cialis": sigPharmacy, "levitra": sigPharmacy,
	"tramadol": sigPharmacy, "xanax": sigPharmacy, "valium": sigPharmacy, "pills": sigPharmacy,
	"prescription": sigPharmacy, "no prescription": sigPharmacy, "meds": sigPharmacy, "oxycodone": sigPharmacy,
	"ambien": sigPharmacy, "phentermine": sigPharmacy, "weight loss": sigPharmacy,
	"bitcoin recovery": sigCrypto, "crypto recovery": sigCrypto, "recover lost": sigCrypto,
	"recovery expert": sigCrypto, "funds recovery": sigCrypto, "scammed": sigCrypto, "recover my": sigCrypto,
	"stolen crypto": sigCrypto, "wallet recovery": sigCrypto, "forex": sigCrypto, "binary options": sigCrypto,
	"investment platform": sigCrypto, "hacker": sigCrypto, "recovery hacker": sigCrypto,
	"backlinks": sigSEO, "backlink": sigSEO, "seo services": sigSEO, "seo": sigSEO, "guest post": sigSEO,
	"page rank": sigSEO, "web traffic": sigSEO, "search engines": sigSEO,
	"loan": sigLoan, "loans": sigLoan, "payday": sigLoan, "credit repair": sigLoan, "cash advance": sigLoan,
	"make money": sigLoan, "earn money": sigLoan, "work from home": sigLoan,
}

// praise are the words and pairs of generic praise: what a bot writes under any post.
var praise = map[string]bool{
	"great post": true, "nice post": true, "great article": true, "nice article": true, "nice blog": true,
	"great blog": true, "awesome post": true, "great content": true, "good post": true, "good article": true,
	"informative": true, "for sharing": true, "keep it": true, "good work": true, "great work": true,
	"well written": true, "useful information": true, "great information": true, "nice information": true,
	"valuable information": true, "this blog": true, "your blog": true, "this website": true, "your website": true,
	"bookmarked": true, "bookmark": true, "thanks for": true, "thank you": true, "very helpful": true,
	"really helpful": true, "great share": true, "amazing post": true, "excellent post": true, "nice one": true,
	"superb": true, "wonderful": true, "awesome": true,
}

// shorteners are URL shorteners: a link that hides where it goes.
var shorteners = map[string]bool{
	"bit.ly": true, "bitly.com": true, "tinyurl.com": true, "goo.gl": true, "t.co": true, "ow.ly": true,
	"is.gd": true, "buff.ly": true, "rebrand.ly": true, "cutt.ly": true, "shorturl.at": true, "tiny.cc": true,
	"rb.gy": true, "v.gd": true, "t.ly": true, "s.id": true, "bl.ink": true, "lnkd.in": true, "adf.ly": true,
	"shorte.st": true, "qr.net": true, "clck.ru": true, "soo.gd": true,
}

// commercial are words that, in a link's text or an author's name, sell.
var commercial = map[string]bool{
	"buy": true, "cheap": true, "best": true, "online": true, "discount": true, "sale": true, "price": true,
	"shop": true, "store": true, "deal": true, "deals": true, "free": true, "order": true, "services": true,
	"service": true, "agency": true, "company": true, "top": true, "affordable": true, "replica": true,
	"review": true, "reviews": true, "marketing": true, "insurance": true, "lawyer": true, "repair": true,
	"near": true, "hire": true, "download": true, "coupon": true, "wholesale": true,
}

// textSignals finds the structural signals of a submission: its author's name and
// website and its analyzed body; scripts are the site's expected scripts, if it set any.
func textSignals(fire func(signal), author, website string, a *analysis, scripts []string) {
	fire(sigBias)
	kinds := [sigCount]bool{}
	praised := false
	for i, w := range a.words {
		if s, ok := phrases[w]; ok {
			kinds[s] = true
		}
		if praise[w] {
			praised = true
		}
		if i > 0 {
			pair := a.pairs[i-1]
			if s, ok := phrases[pair]; ok {
				kinds[s] = true
			}
			if praise[pair] {
				praised = true
			}
		}
	}
	for s := sigSupport; s <= sigLoan; s++ {
		if kinds[s] {
			fire(s)
		}
	}
	hasSite := strings.TrimSpace(website) != ""
	if hasSite {
		fire(sigWebsite)
	}
	if praised {
		fire(sigPraise)
		// Nothing specific: a short text with no number, no question and no code.
		if hasSite && len(a.words) <= 40 && !a.specific {
			fire(sigWebsitePraise)
		}
	}
	if a.commercialAnchor {
		fire(sigAnchor)
	}
	if a.phone {
		fire(sigPhone)
	}
	switch {
	case len(a.links) > 0 && len(a.words) < 3:
		fire(sigLinkOnly)
	case len(a.links) == 0 && len(a.words) == 1:
		fire(sigOneWord)
	}
	if a.shortener {
		fire(sigShortener)
	}
	if keywordName(author) {
		fire(sigNameKeywords)
	}
	if a.letters >= 10 && a.latin*2 < a.letters {
		fire(sigOtherScript)
	}
	if len(scripts) > 0 && a.letters >= 10 && !inScripts(a.script, scripts) {
		fire(sigForeignScript)
	}
}

// hostOf is a link's whole host, lowercase, without "www.".
func hostOf(link string) string {
	l := strings.ToLower(link)
	if i := strings.Index(l, "://"); i >= 0 {
		l = l[i+3:]
	}
	l = strings.TrimPrefix(l, "www.")
	if i := strings.IndexAny(l, "/?#:"); i >= 0 {
		l = l[:i]
	}
	return l
}

// keywordName is an author name that sells: a commercial or spam-phrase word in a
// name of two words or more ("Best Essay Writers", "Cheap Flights Deals").
func keywordName(name string) bool {
	if name == "" {
		return false
	}
	lower := strings.ToLower(name)
	words, hits := 0, 0
	prev := ""
	for rest := lower; rest != ""; {
		i := strings.IndexFunc(rest, isWordRune)
		if i < 0 {
			break
		}
		rest = rest[i:]
		j := strings.IndexFunc(rest, func(r rune) bool { return !isWordRune(r) })
		if j < 0 {
			j = len(rest)
		}
		w := rest[:j]
		rest = rest[j:]
		words++
		if commercial[w] || phrases[w] != 0 || prev != "" && len(prev)+len(w) < 40 && phrases[prev+" "+w] != 0 {
			hits++
		}
		prev = w
	}
	if words < 2 {
		return words == 1 && phrases[prev] != 0
	}
	return hits >= 1 && (hits >= 2 || words >= 3)
}

// inScripts says whether a script name is among the site's.
func inScripts(script string, scripts []string) bool {
	for _, s := range scripts {
		if strings.EqualFold(s, script) {
			return true
		}
	}
	return false
}

// fnv32 is FNV-1a, the feature hash.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func hashString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

// bucket maps a hash to a feature above the signals' reserved ones.
func bucket(h uint32) uint32 {
	f := h & featureMask
	if f < uint32(sigCount) {
		f += uint32(sigCount)
	}
	return f
}

// features calls fn with every hashed feature of a text and its value; tok is the
// index of the token in a.tokens for token features (for the reasons), -1 for
// character 4-grams. Signals are not included (textSignals).
func (a *analysis) features(fn func(f uint32, x float32, tok int)) {
	nt := len(a.tokens)
	tx := float32(1 / math.Sqrt(float64(max(nt, 1))))
	for i, t := range a.tokens {
		fn(bucket(hashString(fnvOffset, t)), tx, i)
	}
	ngrams := 0
	for _, w := range a.words {
		if n := len(w) + 2 - 3; n > 0 && !functionWords[w] {
			ngrams += n
		}
	}
	if ngrams == 0 {
		return
	}
	gx := float32(gramScale / math.Sqrt(float64(ngrams)))
	for _, w := range a.words {
		// 4-grams of " word ": a word of two letters or fewer has none, so function
		// words weigh through the token features alone.
		if len(w) < 2 || functionWords[w] {
			continue
		}
		n := len(w) + 2
		for i := 0; i+4 <= n; i++ {
			h := uint32(fnvOffset ^ 0x5bd1e995)
			for j := i; j < i+4; j++ {
				var c byte = ' '
				if j > 0 && j < n-1 {
					c = w[j-1]
				}
				h ^= uint32(c)
				h *= fnvPrime
			}
			fn(bucket(h), gx, -1)
		}
	}
}
