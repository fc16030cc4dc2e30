package spam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// Labels a comment can be learned as.
const (
	LabelSpam = "spam"
	LabelHam  = "ham"
	// LabelNone records that a comment was looked at and teaches nothing: a published
	// comment a moderator touched, a reply by the site, or a lesson whose counts a
	// reset dropped. Unlike "", it is not looked at again; like "", unlearning it
	// takes nothing away, so a later decision about the comment only adds its lesson.
	LabelNone = "none"
	// LabelLeft is ham learned because a comment stayed published with nobody
	// touching it. It is weaker evidence than a moderator's decision: under policy
	// none nobody may have read it, and spam the model let through is taught as ham,
	// which lets the model through more of it (confirmation bias). So it teaches the
	// linear model leftWeight of a lesson and the counts nothing (Fisher's method reads
	// a token seen in a few such lessons as sure ham), and a site's implicit lessons
	// may not outnumber leftCap times its moderators' decisions: past that, a comment
	// left alone teaches nothing (LabelNone). Its lesson is undone like any other.
	LabelLeft = "left"
)

// Teaches reports whether a comment learned as label holds a lesson of its text
// (spam, ham or left alone), which unlearning it or changing its text must move.
func Teaches(label string) bool {
	return label == LabelSpam || label == LabelHam || label == LabelLeft
}

// Implicit lessons (LabelLeft), measured on the prequential replays with policy
// none in eval_data_test.go (the YouTube and SMS streams, whose figures they are).
const (
	leftWeight = 0.1
	leftCap    = 0.5
	// tokenLeft is the counts' row of how many implicit lessons a scope holds, so
	// that the cap is read, and undone, like the other counts. No text has the token.
	tokenLeft = "lesson:left"
)

// ErrStale is what Store.SpamTokens answers when rows changed after afterRev were
// deleted (a reset) rather than changed: what changed cannot tell the reader which
// rows went, so it must read everything again.
var ErrStale = errors.New("spam: stored model was reset; read it whole")

// Shared is the scope every site's verdicts start from: the seed data. Every other
// scope is one site's, named by its id, and holds what that site's moderators taught,
// so that one site's decisions never move another site's verdicts.
const Shared = ""

// TokenCounts are a token's stored counts in one scope and the revision that last
// changed them. The empty token holds the scope's document totals.
type TokenCounts struct {
	Scope     string
	Token     string
	Spam, Ham int64
	Rev       int64
}

// Lesson is one change to the stored model in one scope, applied atomically: the token
// and document count changes, and, for a comment, the move of its trained label from
// From to To (which fails with comment.ErrConflict if the label is no longer From, so
// that two moderators cannot teach the same comment twice).
type Lesson struct {
	Scope           string
	CommentID       int64
	From, To        string
	Deltas          []TokenCounts
	DocSpam, DocHam int64
	// Weights are the linear model's changes in the scope (Scope and Rev unset),
	// added to the stored sums in the same transaction as the counts.
	Weights []WeightDelta
	// Feedback, for a lesson about a text that is no stored comment (CommentID 0),
	// records the lesson (To) for the text's digest in the same transaction, guarded
	// like a comment's label: the store fails with comment.ErrConflict when the
	// digest's record is no longer the one the caller read, so that a report sent
	// twice at once teaches once.
	Feedback *FeedbackChange
}

// Feedback is what a scope was taught about one reported text (an Akismet client's
// submit-spam or submit-ham), by the digest of its author and text, which is all
// that is kept of it.
type Feedback struct {
	Digest string
	// Label is the lesson recorded for the digest ("" for none), At when it was taught.
	Label string
	At    time.Time
}

// FeedbackChange records a lesson for a digest: Seen is the time of the record the
// caller read (zero for none), At the time of this lesson.
type FeedbackChange struct {
	Digest   string
	Seen, At time.Time
}

// Store keeps the model's counts and weights, shared by every replica.
type Store interface {
	// SpamTokens returns the rows of every scope changed after revision afterRev (all
	// rows for -1); revisions count the whole installation's changes, not one scope's.
	// It answers ErrStale when a reset deleted rows after afterRev.
	SpamTokens(ctx context.Context, afterRev int64) ([]TokenCounts, error)
	// SpamWeights returns the linear model's rows (sums of deltas) of every scope
	// changed after revision afterRev, on the same revisions as SpamTokens.
	SpamWeights(ctx context.Context, afterRev int64) ([]WeightDelta, error)
	LearnSpam(ctx context.Context, l Lesson) error
}

// Model is the classifier kept in step with the stored counts: decisions learned on
// any replica reach this one at the next Sync, and ones learned here at once. It keeps
// the shared scope and one view per site that has learned anything of its own.
//
// Beside the counts it keeps the linear model (linear.go): the built-in seed, which
// lives in the binary, and the weights each scope learned on top of it, which live in
// the database like the counts.
type Model struct {
	shared    *Classifier
	sharedLin *Linear
	seed      *Seed // nil: no seed
	store     Store // nil: in memory only (an evaluation)
	log       *slog.Logger

	mu   sync.Mutex // one Sync at a time
	rev  int64      // of the counts read so far
	wrev int64      // of the weights read so far
	// weightsLoaded says the first full read of the weights was made: wrev stays -1
	// while no weights are stored (a fresh install on the seed alone), so it cannot.
	weightsLoaded bool

	sitesMu sync.RWMutex
	sites   map[string]*Classifier // site id → its view on the shared counts
	lins    map[string]*Linear     // site id → its own weights
}

// NewModel returns a model on store without a seed; Sync loads it. A nil store keeps
// the model in memory, as an evaluation does.
func NewModel(store Store, log *slog.Logger) *Model {
	return &Model{shared: NewClassifier(), sharedLin: NewLinear(), store: store, log: log, rev: -1, wrev: -1,
		sites: map[string]*Classifier{}, lins: map[string]*Linear{}}
}

// WithSeed sets the seed the model's scopes learn on top of (nil for none) and
// returns the model. Set it before the first lesson.
func (m *Model) WithSeed(s *Seed) *Model {
	m.seed = s
	return m
}

// linear is the linear model a site is scored and taught with.
func (m *Model) linear(site string) linearView {
	lv := linearView{seed: m.seed, shared: m.sharedLin}
	if site != Shared {
		m.sitesMu.RLock()
		lv.own = m.lins[site]
		m.sitesMu.RUnlock()
	}
	n := m.documents(site)
	lv.seedWeight = seedWeightFor(n)
	return lv
}

// documents is how many lessons a site's scores rest on: the shared scope's and the
// site's own (for Shared, the shared scope's alone).
func (m *Model) documents(site string) int {
	m.shared.mu.RLock()
	n := m.shared.spam + m.shared.ham
	m.shared.mu.RUnlock()
	if site == Shared {
		return n
	}
	m.sitesMu.RLock()
	c := m.sites[site]
	m.sitesMu.RUnlock()
	if c != nil {
		c.mu.RLock()
		n += c.spam + c.ham
		c.mu.RUnlock()
	}
	return n
}

// Classifier is the classifier a site's submissions are scored with: the shared
// counts plus the site's own. The site Shared, or one that has learned nothing of its
// own yet, gets the shared counts alone.
func (m *Model) Classifier(site string) *Classifier {
	if site == Shared {
		return m.shared
	}
	m.sitesMu.RLock()
	c := m.sites[site]
	m.sitesMu.RUnlock()
	if c == nil {
		return m.shared
	}
	return c
}

// Sync reads the counts changed since the last Sync, in every scope; after a reset,
// it reads them all again.
func (m *Model) Sync(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.store == nil {
		return nil
	}
	rows, err := m.store.SpamTokens(ctx, m.rev)
	if errors.Is(err, ErrStale) {
		return m.reload(ctx)
	}
	if err != nil {
		return fmt.Errorf("spam: sync model: %w", err)
	}
	var weights []WeightDelta
	if !m.weightsLoaded {
		err = m.loadWeights(ctx)
	} else {
		weights, err = m.store.SpamWeights(ctx, m.wrev)
	}
	if err != nil {
		return fmt.Errorf("spam: sync model: %w", err)
	}
	byScope := map[string][]TokenCounts{}
	for _, r := range rows {
		byScope[r.Scope] = append(byScope[r.Scope], r)
		m.rev = max(m.rev, r.Rev)
	}
	for scope, rows := range byScope {
		m.scope(scope).set(rows)
	}
	var lin *Linear
	scope := ""
	for i, w := range weights {
		if i == 0 || w.Scope != scope {
			if lin != nil {
				lin.mu.Unlock()
			}
			scope, lin = w.Scope, m.linearScope(w.Scope)
			lin.mu.Lock()
		}
		lin.set(w.Feature, float32(w.Weight), float32(w.Accum))
		m.wrev = max(m.wrev, w.Rev)
	}
	if lin != nil {
		lin.mu.Unlock()
	}
	return nil
}

// reload replaces every scope's counts and weights with the stored ones, each scope swapped at
// once, so that rows a reset deleted are gone here too. m.mu is held.
func (m *Model) reload(ctx context.Context) error {
	rows, err := m.store.SpamTokens(ctx, -1)
	if err != nil {
		return fmt.Errorf("spam: reload model: %w", err)
	}
	byScope := map[string][]TokenCounts{Shared: nil}
	m.sitesMu.RLock()
	for site := range m.sites {
		byScope[site] = nil // a site whose rows all went is emptied
	}
	m.sitesMu.RUnlock()
	rev := int64(-1)
	for _, r := range rows {
		byScope[r.Scope] = append(byScope[r.Scope], r)
		rev = max(rev, r.Rev)
	}
	for scope, rows := range byScope {
		m.scope(scope).replace(rows)
	}
	m.rev = rev
	return m.loadWeights(ctx)
}

// loadWeights reads every scope's weights anew and swaps each scope's in at once, so
// that a concurrent score sees the old weights or the new, and rows deleted in the
// store (a reset) are gone here too. m.mu is held.
func (m *Model) loadWeights(ctx context.Context) error {
	rows, err := m.store.SpamWeights(ctx, -1)
	if err != nil {
		return fmt.Errorf("spam: load weights: %w", err)
	}
	fresh := map[string]*Linear{Shared: NewLinear()}
	m.sitesMu.RLock()
	for site := range m.lins {
		fresh[site] = NewLinear() // a site whose rows all went is emptied
	}
	m.sitesMu.RUnlock()
	rev := int64(-1)
	for _, w := range rows {
		l := fresh[w.Scope]
		if l == nil {
			l = NewLinear()
			fresh[w.Scope] = l
		}
		l.set(w.Feature, float32(w.Weight), float32(w.Accum))
		rev = max(rev, w.Rev)
	}
	for scope, l := range fresh {
		m.linearScope(scope).swap(l)
	}
	m.wrev, m.weightsLoaded = rev, true
	return nil
}

// linearScope returns the weights scope learned itself, creating a site's on its
// first lesson.
func (m *Model) linearScope(scope string) *Linear {
	if scope == Shared {
		return m.sharedLin
	}
	m.sitesMu.Lock()
	defer m.sitesMu.Unlock()
	l := m.lins[scope]
	if l == nil {
		l = NewLinear()
		m.lins[scope] = l
	}
	return l
}

// scope returns the classifier holding scope's own counts, creating a site's view on
// its first lesson.
func (m *Model) scope(scope string) *Classifier {
	if scope == Shared {
		return m.shared
	}
	m.sitesMu.Lock()
	defer m.sitesMu.Unlock()
	c := m.sites[scope]
	if c == nil {
		c = newView(m.shared)
		m.sites[scope] = c
	}
	return c
}

// LearnComment teaches c's site scope that c is spam or ham, first unlearning what it
// was taught about c before; the label "" only unlearns, so a moderator's undone
// decision leaves no lesson behind, and LabelNone unlearns and marks c as looked at.
// Teaching a comment what it already taught is a no-op. Only the comment's site learns: one site's moderators, careless or hostile,
// cannot move another site's verdicts.
func (m *Model) LearnComment(ctx context.Context, c comment.Comment, label string) error {
	if label != LabelSpam && label != LabelHam && label != LabelLeft && label != LabelNone && label != "" {
		return fmt.Errorf("spam: unknown label %q", label)
	}
	label = m.implicit(c.SiteID, c.Trained, label)
	if c.Trained == label {
		return nil
	}
	l := m.textLesson(c.SiteID, c.AuthorName, c.AuthorURL, c.BodySource, c.Trained, label)
	l.CommentID = c.ID
	err := m.teach(ctx, l)
	if errors.Is(err, comment.ErrConflict) {
		// Another moderator's decision about c (or another replica's sweep) got
		// there first: read it, so that this replica's next implicit lesson counts it.
		return m.Sync(ctx)
	}
	if err != nil {
		return fmt.Errorf("spam: learn comment %d: %w", c.ID, err)
	}
	return nil
}

// textLesson is what teaching scope that a text by author (and website), once
// learned as from ("" for nothing), is now label ("" forgets it) changes: the
// counts of its tokens and documents and the linear model's steps. A move between
// labels that teach nothing ("", LabelNone: a comment the sweep only marks as looked
// at) changes no count, and its text is not read.
func (m *Model) textLesson(scope, author, website, body, from, label string) Lesson {
	l := Lesson{Scope: scope, From: from, To: label}
	if !Teaches(from) && !Teaches(label) {
		return l
	}
	deltas := map[string]*TokenCounts{}
	a := analyze(body)
	l.addDoc(deltas, a.tokens, from, -1)
	l.addDoc(deltas, a.tokens, label, 1)
	l.Deltas = flatten(deltas)
	var v vec
	featurize(&v, &a, author, website, nil)
	l.Weights = m.weightSteps(scope, &v, from, label)
	return l
}

// teach applies l: to the model in memory when it has no store, else in the database
// (in one transaction, see Store.LearnSpam), then read back with what other replicas
// taught meanwhile (Sync).
func (m *Model) teach(ctx context.Context, l Lesson) error {
	if m.store == nil {
		m.apply(l)
		return nil
	}
	if err := m.store.LearnSpam(ctx, l); err != nil {
		return err
	}
	return m.Sync(ctx)
}

// LearnFeedback teaches site's scope that a reported text (one that is no stored
// comment, such as an Akismet client's) is label (spam or ham), first unlearning
// from ("" for nothing), and records the lesson for the text's digest (change) in
// the same transaction. Whether a report teaches, and what it unlearns, is the
// caller's rule; a record changed since the caller read it fails with
// comment.ErrConflict and teaches nothing.
func (m *Model) LearnFeedback(ctx context.Context, site string, change FeedbackChange, from, label, author, website, body string) error {
	if label != LabelSpam && label != LabelHam {
		return fmt.Errorf("spam: feedback label %q", label)
	}
	if from != "" && from != LabelSpam && from != LabelHam {
		return fmt.Errorf("spam: feedback label %q", from)
	}
	l := m.textLesson(site, author, website, body, from, label)
	l.Feedback = &change
	if err := m.teach(ctx, l); err != nil {
		return fmt.Errorf("spam: learn feedback: %w", err)
	}
	return nil
}

// LearnExamples teaches scope (Shared, or a site id) a labeled corpus as one change:
// seed data every site starts from, or one site's own.
//
// The linear model learns the examples one after the other, each step seeing the
// ones before, in a fixed shuffled order (a file sorted by label must not teach one
// class and then the other), trainEpochs times over; in the database they are one
// lesson.
func (m *Model) LearnExamples(ctx context.Context, scope string, examples []Example) error {
	examples = shuffled(examples)
	l := Lesson{Scope: scope}
	deltas := map[string]*TokenCounts{}
	scratch := NewLinear()
	lv := m.linear(scope)
	lv.own = scratch // learned on top of what the scope knows; its own past is not read
	vecs := make([]vec, len(examples))
	for i, ex := range examples {
		label := LabelHam
		if ex.Spam {
			label = LabelSpam
		}
		a := analyze(ex.Text)
		l.addDoc(deltas, a.tokens, label, 1)
		featurize(&vecs[i], &a, ex.Author, "", nil)
	}
	docs := m.documents(scope)
	for epoch := range trainEpochs {
		var nspam, nham int
		for i, ex := range examples {
			// The seed's weight goes down as if each example were its own lesson.
			lv.seedWeight = seedWeightFor(docs + min(i+epoch*len(examples), len(examples)))
			w := balance(nham, nspam)
			if ex.Spam {
				w, nspam = balance(nspam, nham), nspam+1
			} else {
				nham++
			}
			lv.step(&vecs[i], ex.Spam, w, 1, func(f uint32, dw, dg float32) { scratch.add(f, dw, dg) })
		}
	}
	l.Deltas = flatten(deltas)
	for f, a := range scratch.w {
		l.Weights = append(l.Weights, WeightDelta{Feature: f, Weight: float64(a.w), Accum: float64(a.g)})
	}
	slices.SortFunc(l.Weights, func(a, b WeightDelta) int { return cmp.Compare(a.Feature, b.Feature) })
	if err := m.teach(ctx, l); err != nil {
		return fmt.Errorf("spam: learn examples: %w", err)
	}
	return nil
}

// addDoc counts one document's tokens n times (n = -1 unlearns) under label.
func (l *Lesson) addDoc(deltas map[string]*TokenCounts, toks []string, label string, n int64) {
	if label == LabelLeft {
		// Counted, so the cap can be read, but in no document: the counts learn
		// nothing from the text.
		d := deltas[tokenLeft]
		if d == nil {
			d = &TokenCounts{Token: tokenLeft}
			deltas[tokenLeft] = d
		}
		d.Ham += n
		return
	}
	if label != LabelSpam && label != LabelHam {
		return
	}
	if label == LabelSpam {
		l.DocSpam += n
	} else {
		l.DocHam += n
	}
	for _, t := range toks {
		d := deltas[t]
		if d == nil {
			d = &TokenCounts{Token: t}
			deltas[t] = d
		}
		if label == LabelSpam {
			d.Spam += n
		} else {
			d.Ham += n
		}
	}
}

func flatten(deltas map[string]*TokenCounts) []TokenCounts {
	out := make([]TokenCounts, 0, len(deltas))
	for _, d := range deltas {
		if d.Spam != 0 || d.Ham != 0 {
			out = append(out, *d)
		}
	}
	return out
}

// implicit is the label a lesson moving from to label teaches in scope: label,
// or LabelNone for an implicit lesson (LabelLeft) past the scope's cap, leftCap
// times its moderators' decisions. The counts are this replica's: two replicas
// sweeping at once may pass the cap by what the other taught since its last sync.
func (m *Model) implicit(scope, from, label string) string {
	if label != LabelLeft || from == LabelLeft {
		return label
	}
	m.sitesMu.RLock()
	c := m.sites[scope]
	m.sitesMu.RUnlock()
	if scope == Shared {
		c = m.shared
	}
	if c == nil {
		return LabelNone // no decision yet: no room for an implicit lesson
	}
	c.mu.RLock()
	left, decided := float64(c.counts[tokenLeft].ham), float64(c.spam+c.ham)
	c.mu.RUnlock()
	if left >= leftCap*decided {
		return LabelNone
	}
	return label
}

// Implicit is how many implicit lessons (LabelLeft) a site's scope holds.
func (m *Model) Implicit(site string) int {
	c := m.shared
	if site != Shared {
		m.sitesMu.RLock()
		c = m.sites[site]
		m.sitesMu.RUnlock()
	}
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return int(c.counts[tokenLeft].ham)
}

// weightSteps are the linear model's changes for a comment whose lesson moves from
// one label to another: unlearning from (a step towards the other label at the
// current weights, see linearView.step), then learning to. Each is weighted by the
// class balance of the scope's own lessons.
func (m *Model) weightSteps(scope string, v *vec, from, to string) []WeightDelta {
	lv := m.linear(scope)
	target := lv.own
	if scope == Shared {
		target = nil
	} else if target == nil {
		// The site's first lesson: step against an empty scope of its own.
		target = NewLinear()
		lv.own = target
	}
	c := m.scope(scope)
	c.mu.RLock()
	nspam, nham := c.spam, c.ham
	c.mu.RUnlock()
	sum := map[uint32]*WeightDelta{}
	emit := func(f uint32, dw, dg float32) {
		d := sum[f]
		if d == nil {
			d = &WeightDelta{Feature: f}
			sum[f] = d
		}
		d.Weight += float64(dw)
		d.Accum += float64(dg)
	}
	weight := func(label string) float64 {
		if label == LabelSpam {
			return balance(nspam, nham)
		}
		return balance(nham, nspam)
	}
	scale := func(label string) float64 {
		if label == LabelLeft {
			return leftWeight
		}
		return 1
	}
	if from == LabelSpam || from == LabelHam || from == LabelLeft {
		lv.step(v, from == LabelSpam, weight(from), -scale(from), emit)
	}
	if to == LabelSpam || to == LabelHam || to == LabelLeft {
		lv.step(v, to == LabelSpam, weight(to), scale(to), emit)
	}
	out := make([]WeightDelta, 0, len(sum))
	for _, d := range sum {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b WeightDelta) int { return cmp.Compare(a.Feature, b.Feature) })
	return out
}

// apply adds a lesson to the in-memory model: what Sync does after the store
// applied it, for a model without a store.
func (m *Model) apply(l Lesson) {
	c := m.scope(l.Scope)
	c.mu.Lock()
	c.spam += int(l.DocSpam)
	c.ham += int(l.DocHam)
	for _, d := range l.Deltas {
		tc, ok := c.counts[d.Token]
		tc.spam += int32(d.Spam)
		tc.ham += int32(d.Ham)
		if tc == (tokenCount{}) {
			delete(c.counts, d.Token)
		} else if ok {
			c.counts[d.Token] = tc
		} else {
			c.counts[strings.Clone(d.Token)] = tc // not the text it was cut from
		}
	}
	c.mu.Unlock()
	lin := m.linearScope(l.Scope)
	lin.mu.Lock()
	for _, w := range l.Weights {
		lin.add(w.Feature, float32(w.Weight), float32(w.Accum))
	}
	lin.mu.Unlock()
}

// shuffled is examples in a pseudo-random order fixed by their number.
func shuffled(examples []Example) []Example {
	out := slices.Clone(examples)
	rng := rand.New(rand.NewPCG(uint64(len(out)), 0x5eed))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// trainEpochs is how many passes a corpus taught at once (spam train) makes.
const trainEpochs = 1
