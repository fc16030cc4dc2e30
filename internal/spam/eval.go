package spam

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
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

// Caught is the decision the evaluation scores at the held threshold: held or spam,
// as moderation.Decide would make it for a site that publishes everything else. The
// thresholds are moderation's (spam imports no sibling package, so they are copied).
func Caught(v comment.Verdict) bool { return v.Hold || v.Score >= holdThreshold }

// holdThreshold mirrors moderation.HoldThreshold; a test keeps the two equal.
const holdThreshold = 0.5

// Report is a protocol's figures: at the held threshold (held or foldered, as a
// site with policy none would see it), at the spam folder's, and the area under the
// ROC curve of the scores.
type Report struct {
	Held   Metrics `json:"held"`
	Folder Metrics `json:"folder"`
	AUC    float64 `json:"roc_auc"`
	scored []scored
}

type scored struct {
	score float64
	spam  bool
}

// add counts one verdict.
func (r *Report) add(v comment.Verdict, spam bool) {
	r.Held.add(Caught(v), spam)
	r.Folder.add(v.Score >= folderScore, spam)
	r.scored = append(r.scored, scored{score: v.Score, spam: spam})
}

// Merge adds another run's verdicts (a fold's) and recomputes the figures.
func (r *Report) Merge(o Report) {
	r.Held.Merge(o.Held)
	r.Folder.Merge(o.Folder)
	r.scored = append(r.scored, o.scored...)
	r.finish()
}

func (r *Report) finish() {
	r.Held.finish()
	r.Folder.finish()
	r.AUC = auc(r.scored)
}

// auc is the probability that a random spam scores above a random ham (ties half).
func auc(s []scored) float64 {
	sorted := slices.Clone(s)
	slices.SortFunc(sorted, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	var rankSum, npos float64
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].score == sorted[i].score {
			j++
		}
		rank := float64(i+j+1) / 2 // average rank of the tie, from 1
		for k := i; k < j; k++ {
			if sorted[k].spam {
				rankSum += rank
				npos++
			}
		}
		i = j
	}
	nneg := float64(len(sorted)) - npos
	if npos == 0 || nneg == 0 {
		return 0
	}
	return (rankSum - npos*(npos+1)/2) / (npos * nneg)
}

// Options are what an evaluation's model starts from.
type Options struct {
	// Seed is the built-in seed (or another) the model learns on top of; nil starts
	// from nothing.
	Seed *Seed
	// Policy is the site's moderation policy for a prequential replay: with
	// PolicyNone only what the model holds gets a moderator's label (see Prequential).
	Policy site.Policy
	// SpamSeed is the evaluated site's seed setting (empty: fold).
	SpamSeed site.SeedAction
}

func (o Options) site() site.Site {
	s := site.NewSite("eval", "eval")
	s.Policy = cmp.Or(o.Policy, site.PolicyNone)
	s.SpamSeed = o.SpamSeed
	return s
}

// learnExample teaches the in-memory model m that ex, on site scope, is label, as a
// moderator's decision (or the sweep) teaches a comment.
func learnExample(m *Model, scope string, ex Example, label string) {
	// Without a store LearnComment writes nothing and fails only on an unknown label.
	_ = m.LearnComment(context.Background(), comment.Comment{SiteID: scope, AuthorName: ex.Author, BodySource: ex.Text}, label)
}

// score is one example's verdict as the service gives it: the rules and the text
// models, on a site with the default link limit.
func score(s *Scorer, st site.Site, ex Example) comment.Verdict {
	return s.Score(Input{Site: st, Submission: comment.Submission{AuthorName: ex.Author, Body: ex.Text}, Links: linkCount(ex.Text)})
}

// Evaluate learns train in the shared scope of a fresh in-memory model (on the seed,
// if opt has one), as `spam train` would, and measures the service's verdicts on test.
func Evaluate(train, test []Example, opt Options) Report {
	m := NewModel(nil, nil).WithSeed(opt.Seed)
	m.LearnExamples(context.Background(), Shared, train)
	s := NewModelScorer(m)
	site := opt.site()
	var r Report
	for _, ex := range test {
		r.add(score(s, site, ex), ex.Spam)
	}
	r.finish()
	return r
}

// CrossValidate runs k-fold cross-validation with the folds drawn by seed. Identical
// texts (after trimming and case folding) always fall in the same fold, so a duplicate
// cannot be learned in training and then "caught" in testing.
func CrossValidate(examples []Example, k int, seed uint64, opt Options) Report {
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
	var total Report
	for i := range folds {
		var train []Example
		for j, f := range folds {
			if j != i {
				train = append(train, f...)
			}
		}
		total.Merge(Evaluate(train, folds[i], opt))
	}
	return total
}

// LeaveOneOut tests each set on a model learned from all the others (leave one
// video out, or one domain).
func LeaveOneOut(sets [][]Example, opt Options) []Report {
	out := make([]Report, len(sets))
	for i := range sets {
		var train []Example
		for j := range sets {
			if j != i {
				train = append(train, sets[j]...)
			}
		}
		out[i] = Evaluate(train, sets[i], opt)
	}
	return out
}

// Prequential is a replay of a labeled stream as the service lives it: each comment
// is scored, then learned in the site's scope.
type Prequential struct {
	// Stream is over every comment; AfterWarmUp over those after the first
	// WarmUp comments (the figures a site sees once it has taught a little; with
	// every comment labelled, after WarmUp labels).
	Stream, AfterWarmUp Report
	WarmUp              int
	// Labels counts the moderator labels given, and Published the comments learned as
	// ham because they stayed up (policy none; LabelLeft, within its cap).
	Labels, Published int
	// Campaigns are, for each spam text that recurs (the same words, three times or
	// more), how many of its copies were labelled before a copy was held; -1 if none
	// ever was. Sorted.
	Campaigns []int
}

// StayUp is how long a published comment stays up before a prequential replay under
// policy none learns it as ham; files without dates count stayUpItems comments.
const (
	StayUp      = 24 * time.Hour
	stayUpItems = 20
)

// Replay runs a prequential evaluation over stream in date order (undated examples
// keep their place in the file order, after the dated ones before them).
//
// With every policy but none, a moderator labels every comment after its verdict,
// as a site that reviews everything. With PolicyNone, only what the model holds or
// foldered gets a moderator's label (the true one); what it publishes teaches ham
// once it has stayed up for StayUp — spam included, since under this policy no
// moderator reads published comments (the worst case: nobody corrects it) — as the
// service's sweep teaches it: an implicit lesson (LabelLeft), weaker than a
// moderator's and capped by the moderators' number.
func Replay(stream []Example, warmUp int, opt Options) Prequential {
	stream = slices.Clone(stream)
	slices.SortStableFunc(stream, func(a, b Example) int {
		if a.Date.IsZero() || b.Date.IsZero() {
			return 0
		}
		return a.Date.Compare(b.Date)
	})
	m := NewModel(nil, nil).WithSeed(opt.Seed)
	s := NewModelScorer(m)
	st := opt.site()
	out := Prequential{WarmUp: warmUp}
	type pending struct {
		ex Example
		i  int
	}
	var queue []pending
	campaign := map[string]int{} // fingerprint → copies labelled spam before one was held
	heldCampaign := map[string]bool{}
	copies := map[string]int{}
	for _, ex := range stream {
		if fp := campaignKey(ex); fp != "" && ex.Spam {
			copies[fp]++
		}
	}
	for i, ex := range stream {
		for len(queue) > 0 && stayedUp(queue[0].ex, queue[0].i, ex, i) {
			// Taught as the sweep teaches it, unless the site's cap turns it into LabelNone.
			before := m.Implicit(st.ID)
			learnExample(m, st.ID, queue[0].ex, LabelLeft)
			if m.Implicit(st.ID) > before {
				out.Published++
			}
			queue = queue[1:]
		}
		v := score(s, st, ex)
		out.Stream.add(v, ex.Spam)
		if i >= warmUp {
			out.AfterWarmUp.add(v, ex.Spam)
		}
		caught := Caught(v)
		if fp := campaignKey(ex); fp != "" && ex.Spam && copies[fp] >= 3 && !heldCampaign[fp] {
			if caught {
				heldCampaign[fp] = true
			} else {
				campaign[fp]++
			}
		}
		if opt.Policy == site.PolicyNone && !caught {
			queue = append(queue, pending{ex, i})
			continue
		}
		label := LabelHam
		if ex.Spam {
			label = LabelSpam
		}
		learnExample(m, st.ID, ex, label)
		out.Labels++
	}
	for fp, n := range campaign {
		if !heldCampaign[fp] {
			n = -1
		}
		out.Campaigns = append(out.Campaigns, n)
	}
	for fp := range heldCampaign {
		if _, ok := campaign[fp]; !ok {
			out.Campaigns = append(out.Campaigns, 0)
		}
	}
	slices.Sort(out.Campaigns)
	out.Stream.finish()
	out.AfterWarmUp.finish()
	return out
}

// campaignKey identifies a spam text's copies: the same words in the same order.
func campaignKey(ex Example) string {
	w := splitWords(plainText(ex.Text))
	if len(w) < 3 {
		return ""
	}
	return strings.Join(w, " ")
}

// stayedUp says whether published comment p (at position pi) has stayed up long
// enough by the time of comment now (at position ni).
func stayedUp(p Example, pi int, now Example, ni int) bool {
	if !p.Date.IsZero() && !now.Date.IsZero() {
		return now.Date.Sub(p.Date) >= StayUp
	}
	return ni-pi >= stayUpItems
}
