package spam

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/winnow/winnow/internal/site"
)

// The text models combine: the linear model's log-odds (seed, shared and site
// weights) plus the counts' Fisher score as log-odds, weighted by bayesWeight, make
// one probability p; like the counts alone before, only its lean beyond 0.5 is a
// signal, of weight 2(p-0.5), so the held threshold (0.5) needs p ≥ 0.75 from the
// text alone and the spam folder (0.9) p ≥ 0.95.
const (
	bayesWeight = 0.6
	// minClues is how many telling tokens the counts need for their full say.
	minClues = 4

	// bayesClamp bounds the counts' log-odds: Fisher's scores reach 0 and 1 exactly.
	bayesClamp = 4.0
	// seedFolderCap is the highest score the seed alone may give a site whose
	// SpamSeed is hold: held for review, never in the spam folder.
	seedFolderCap = 0.89
	folderScore   = 0.9 // moderation.SpamThreshold
	// folderAgreement is how sure each learner must be on its own (the linear
	// model, and the counts when they have clues) for the text models alone to
	// reach the spam folder; below, they stop just short of it (seedFolderCap).
	// Chosen on the cross-domain rows of eval_data_test.go (YouTube → SMS: 1.8% of
	// genuine messages foldered before, 0.46% after; held figures unchanged).
	folderAgreement = 0.9
)

var vecPool = sync.Pool{New: func() any {
	return &vec{f: make([]uint32, 0, 2048), x: make([]float32, 0, 2048), tok: make([]int16, 0, 2048)}
}}

// textModel adds the text models' signal to v, with a reason that names the
// features that pushed towards spam.
func (s *Scorer) textModel(v *verdict, in Input, a *analysis, c *Classifier) {
	lv := s.model.linear(in.Site.ID)
	vc := vecPool.Get().(*vec)
	defer vecPool.Put(vc)
	featurize(vc, a, in.Submission.AuthorName, in.Submission.AuthorURL, in.Site.Scripts)
	var top [4]contribution
	z, zSeed := lv.score(vc, &top)
	zLin := z
	pb := 0.5
	var clues []Clue
	if c != nil {
		if ns, nh := c.Documents(); ns > 0 && nh > 0 {
			pb, clues = c.Score(a.tokens)
			pb = min(max(pb, 1e-3), 1-1e-3)
			// Fisher's method is sure of itself on a clue or two ("please" after a
			// hundred lessons of "please subscribe"): its say grows with its clues.
			sure := min(1, float64(len(clues))/minClues)
			z += bayesWeight * sure * max(-bayesClamp, min(bayesClamp, math.Log(pb/(1-pb))))
		}
	}
	p := sigmoid(z)
	w := 2 * (p - 0.5)
	if w <= 0 {
		return
	}
	if w >= folderScore && (sigmoid(zLin) < folderAgreement || (len(clues) > 0 && pb < folderAgreement)) {
		// Only both learners, each sure on its own, may send a text to the spam
		// folder: one of them sure on a few words of a kind of text it never saw
		// ("free", "call me") is what held is for.
		w = seedFolderCap
	}
	reason := textReason(p, a, vc, &top, pb, clues)
	if in.Site.SpamSeed == site.SeedHold {
		rules := v.score()
		noSeed := max(0, 2*(sigmoid(z-zSeed)-0.5))
		if 1-(1-rules)*(1-w) >= folderScore && 1-(1-rules)*(1-noSeed) < folderScore {
			// The seed alone would send it to the spam folder: this site lets it hold.
			w = 1 - (1-seedFolderCap)/(1-rules)
			reason += " (built-in seed alone: held, not foldered)"
		}
	}
	v.add(w, reason)
}

// textReason says what the text models thought and why, for a moderator:
// "classifier: 0.97 spam — pharmacy phrasing, phone number, 'cheap', 'pills'".
func textReason(p float64, a *analysis, vc *vec, top *[4]contribution, pb float64, clues []Clue) string {
	var parts []string
	seen := map[string]bool{}
	for _, t := range top {
		if t.z <= 0.05 {
			continue
		}
		var name string
		switch {
		case t.tok == tokWhole:
			name = "same text as taught before"
		case t.tok <= -2:
			name = signalNames[-2-t.tok]
		case t.tok >= 0 && int(t.tok) < len(a.tokens):
			tok := a.tokens[t.tok]
			if strings.HasPrefix(tok, prefixShape) {
				name = shapeNames[tok]
			} else {
				name = "'" + strings.TrimPrefix(strings.TrimPrefix(tok, prefixBigram), prefixDomain) + "'"
			}
		}
		if name != "" && !seen[name] {
			seen[name] = true
			parts = append(parts, name)
		}
	}
	if pb >= 0.5 {
		for _, c := range clues {
			if c.Prob < 0.5 || strings.HasPrefix(c.Token, prefixShape) {
				continue
			}
			name := "'" + strings.TrimPrefix(strings.TrimPrefix(c.Token, prefixBigram), prefixDomain) + "'"
			if !seen[name] {
				seen[name] = true
				parts = append(parts, name)
			}
			if len(parts) >= 6 {
				break
			}
		}
	}
	r := fmt.Sprintf("classifier: %.2f spam", p)
	if len(parts) > 0 {
		r += " — " + strings.Join(parts, ", ")
	}
	return r
}

// shapeNames are the shape tokens as a moderator reads them.
var shapeNames = map[string]string{
	prefixShape + "link": "a link", prefixShape + "links": "several links", prefixShape + "shouting": "capitals",
	prefixShape + "number": "a long number", prefixShape + "money": "money", prefixShape + "short": "very short",
	prefixShape + "repeat!": "'!!'", prefixShape + "repeat?": "'??'", prefixShape + "repeat$": "'$$'", prefixShape + "repeat.": "'...'",
}
