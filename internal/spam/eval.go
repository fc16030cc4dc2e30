package spam

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/winnow/winnow/internal/comment"
)

// Metrics are a binary classifier's figures, spam being the positive class.
type Metrics struct {
	N         int     `json:"n"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	TN        int     `json:"tn"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	MCC       float64 `json:"mcc"`
	FPR       float64 `json:"false_positive_rate"`
}

// add counts one prediction.
func (m *Metrics) add(predicted, actual bool) {
	m.N++
	switch {
	case predicted && actual:
		m.TP++
	case predicted:
		m.FP++
	case actual:
		m.FN++
	default:
		m.TN++
	}
}

// Merge adds another run's counts (a fold's) and recomputes the rates.
func (m *Metrics) Merge(o Metrics) {
	m.N, m.TP, m.FP, m.TN, m.FN = m.N+o.N, m.TP+o.TP, m.FP+o.FP, m.TN+o.TN, m.FN+o.FN
	m.finish()
}

func (m *Metrics) finish() {
	tp, fp, tn, fn := float64(m.TP), float64(m.FP), float64(m.TN), float64(m.FN)
	m.Precision = ratio(tp, tp+fp)
	m.Recall = ratio(tp, tp+fn)
	m.F1 = ratio(2*m.Precision*m.Recall, m.Precision+m.Recall)
	m.FPR = ratio(fp, fp+tn)
	m.MCC = ratio(tp*tn-fp*fn, math.Sqrt((tp+fp)*(tp+fn)*(tn+fp)*(tn+fn)))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Train teaches c every example.
func Train(c *Classifier, examples []Example) {
	for _, ex := range examples {
		c.Learn(Tokens(ex.Text), ex.Spam, 1)
	}
}

// Evaluate trains a fresh scorer on train alone and measures it on test. A test
// example counts as caught when the service would not publish it on a site whose
// policy publishes everything else (policy none, the default link limit): held or
// judged spam. That is the scorer as the service runs it, rules included.
func Evaluate(train, test []Example) Metrics {
	c := NewClassifier()
	Train(c, train)
	s := NewScorer(c)
	site := comment.NewSite("eval", "eval")
	var m Metrics
	for _, ex := range test {
		v := s.Score(Input{Site: site, Submission: comment.Submission{AuthorName: ex.Author, Body: ex.Text}, Links: linkCount(ex.Text)})
		m.add(Caught(v), ex.Spam)
	}
	m.finish()
	return m
}

// Caught is the decision the evaluation scores: held or spam, as moderation.Decide
// would make it for a site that publishes everything else. The thresholds are
// moderation's (spam imports no sibling package, so Evaluate takes them as given).
func Caught(v comment.Verdict) bool { return v.Hold || v.Score >= holdThreshold }

// holdThreshold mirrors moderation.HoldThreshold; a test keeps the two equal.
const holdThreshold = 0.5

// CrossValidate runs k-fold cross-validation with the folds drawn by seed. Identical
// texts (after trimming and case folding) always fall in the same fold, so a duplicate
// cannot be learned in training and then "caught" in testing.
func CrossValidate(examples []Example, k int, seed uint64) Metrics {
	groups := map[string][]Example{}
	var keys []string
	for _, ex := range examples {
		key := strings.ToLower(strings.Join(strings.Fields(ex.Text), " "))
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], ex)
	}
	sort.Strings(keys)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	folds := make([][]Example, k)
	for i, key := range keys {
		folds[i%k] = append(folds[i%k], groups[key]...)
	}
	var total Metrics
	for i := range folds {
		var train []Example
		for j, f := range folds {
			if j != i {
				train = append(train, f...)
			}
		}
		total.Merge(Evaluate(train, folds[i]))
	}
	return total
}
