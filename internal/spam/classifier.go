package spam

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// Classifier is a Bayesian text classifier in the manner of SpamBayes: each token's
// spam probability is estimated from the documents it appeared in, shrunk towards
// 0.5 when it is rare, and the most telling tokens are combined with Fisher's
// chi-square method, which, unlike naive Bayes' product, says "unsure" when the
// evidence points both ways. It learns one document at a time, so every moderator
// decision updates it. Safe for concurrent use.
//
// A site's classifier is a view: it holds the site's own counts and reads the shared
// ones (base) beside them, summing the two at each look-up, so that scoring costs no
// merged copy and a lesson in either scope shows at once.
type Classifier struct {
	mu     sync.RWMutex
	spam   int // documents learned as spam
	ham    int
	counts map[string]tokenCount
	base   *Classifier // the shared counts a site's view adds to its own; nil otherwise
}

// tokenCount is how many spam and ham documents held a token. A site's count may be
// negative: unlearning there a decision that was learned in the shared scope (before
// scopes existed) takes it back from the site's sum, and sums are clamped at zero.
type tokenCount struct{ spam, ham int32 }

// Tuning after SpamBayes's defaults, adjusted on the shared labeled data (see the
// evaluation test): short comments carry few tokens, so a rare token is pulled harder
// towards "unknown" (1.0 rather than 0.45) and fewer clues (50 rather than 150) decide.
const (
	unknownStrength = 1.0 // how strongly a rare token is pulled towards unknownProb
	unknownProb     = 0.5
	minStrength     = 0.1 // tokens closer to 0.5 than this say nothing
	maxClues        = 50
)

// NewClassifier returns an empty classifier: it answers 0.5 until it has learned.
func NewClassifier() *Classifier { return &Classifier{counts: map[string]tokenCount{}} }

// newView returns an empty site classifier that scores on base's counts plus its own.
func newView(base *Classifier) *Classifier {
	return &Classifier{counts: map[string]tokenCount{}, base: base}
}

// Learn adds (n = 1) or removes (n = -1) one document's tokens as spam or ham.
// Removing is how a moderator's changed mind is undone.
func (c *Classifier) Learn(tokens []string, spam bool, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if spam {
		c.spam = max(0, c.spam+n)
	} else {
		c.ham = max(0, c.ham+n)
	}
	for _, t := range tokens {
		tc, ok := c.counts[t]
		if !ok {
			// A token is cut from its text's strings (analyze): a key of its own
			// keeps the model from holding every learned text.
			t = strings.Clone(t)
		}
		if spam {
			tc.spam = max(0, tc.spam+int32(n))
		} else {
			tc.ham = max(0, tc.ham+int32(n))
		}
		if tc == (tokenCount{}) {
			delete(c.counts, t)
		} else {
			c.counts[t] = tc
		}
	}
}

// set replaces counts with stored ones of its scope; the empty token carries the
// document totals. Counts are kept as stored, negative ones too; reads clamp the sums.
func (c *Classifier) set(rows []TokenCounts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rows {
		if r.Token == "" {
			c.spam, c.ham = int(r.Spam), int(r.Ham)
			continue
		}
		tc := tokenCount{spam: int32(r.Spam), ham: int32(r.Ham)}
		if tc == (tokenCount{}) {
			delete(c.counts, r.Token)
		} else {
			c.counts[r.Token] = tc
		}
	}
}

// replace makes rows the scope's whole counts (set changes only the rows given),
// swapped in at once so that a concurrent Score sees the old counts or the new.
func (c *Classifier) replace(rows []TokenCounts) {
	fresh := &Classifier{counts: make(map[string]tokenCount, len(rows))}
	fresh.set(rows)
	c.mu.Lock()
	c.spam, c.ham, c.counts = fresh.spam, fresh.ham, fresh.counts
	c.mu.Unlock()
}

// Documents returns how many spam and ham documents the classifier has learned; a
// site's view counts the shared documents too.
func (c *Classifier) Documents() (spam, ham int) {
	c.mu.RLock()
	spam, ham = c.spam, c.ham
	c.mu.RUnlock()
	if b := c.base; b != nil {
		b.mu.RLock()
		spam, ham = spam+b.spam, ham+b.ham
		b.mu.RUnlock()
	}
	return max(spam, 0), max(ham, 0)
}

// Clue is one token's contribution to a verdict.
type Clue struct {
	Token string
	Prob  float64
}

// Score returns the probability in [0,1] that tokens come from spam and the clues
// that decided it, most telling first. A site's view looks each token up in its own
// counts and the shared ones and sums them.
func (c *Classifier) Score(tokens []string) (float64, []Clue) {
	b := c.base
	c.mu.RLock()
	if b != nil {
		b.mu.RLock() // always after the view's own lock; writers hold one lock at a time
	}
	ns, nh := c.spam, c.ham
	if b != nil {
		ns, nh = ns+b.spam, nh+b.ham
	}
	nspam, nham := float64(max(ns, 1)), float64(max(nh, 1))
	clues := make([]Clue, 0, len(tokens))
	for _, t := range tokens {
		tc, ok := c.counts[t]
		s, h := float64(tc.spam), float64(tc.ham)
		if b != nil {
			if bc, found := b.counts[t]; found {
				s, h, ok = s+float64(bc.spam), h+float64(bc.ham), true
			}
		}
		if !ok {
			continue
		}
		s, h = max(s, 0), max(h, 0)
		if s+h == 0 {
			continue // a site took back all the shared scope knew of it
		}
		spamRatio, hamRatio := s/nspam, h/nham
		p := spamRatio / (spamRatio + hamRatio)
		n := s + h
		p = (unknownStrength*unknownProb + n*p) / (unknownStrength + n)
		if math.Abs(p-0.5) >= minStrength {
			clues = append(clues, Clue{Token: t, Prob: p})
		}
	}
	if b != nil {
		b.mu.RUnlock()
	}
	c.mu.RUnlock()
	if len(clues) == 0 {
		return 0.5, nil
	}
	slices.SortFunc(clues, func(a, b Clue) int {
		da, db := math.Abs(a.Prob-0.5), math.Abs(b.Prob-0.5)
		switch {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return compareStrings(a.Token, b.Token)
	})
	if len(clues) > maxClues {
		clues = clues[:maxClues]
	}
	var lnSpam, lnHam float64 // sums of ln(1-p) and ln(p)
	for _, cl := range clues {
		lnSpam += math.Log(1 - cl.Prob)
		lnHam += math.Log(cl.Prob)
	}
	n := 2 * len(clues)
	s := 1 - chi2Q(-2*lnSpam, n)
	h := 1 - chi2Q(-2*lnHam, n)
	return (s - h + 1) / 2, clues
}

// chi2Q is the chi-square survival function for an even number of degrees of freedom.
func chi2Q(x2 float64, v int) float64 {
	m := x2 / 2
	term := math.Exp(-m)
	sum := term
	for i := 1; i < v/2; i++ {
		term *= m / float64(i)
		sum += term
	}
	return min(sum, 1)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
