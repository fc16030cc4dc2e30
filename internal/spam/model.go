package spam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
}

// Store keeps the model's counts, shared by every replica.
type Store interface {
	// SpamTokens returns the rows of every scope changed after revision afterRev (all
	// rows for -1); revisions count the whole installation's changes, not one scope's.
	// It answers ErrStale when a reset deleted rows after afterRev.
	SpamTokens(ctx context.Context, afterRev int64) ([]TokenCounts, error)
	LearnSpam(ctx context.Context, l Lesson) error
}

// Model is the classifier kept in step with the stored counts: decisions learned on
// any replica reach this one at the next Sync, and ones learned here at once. It keeps
// the shared scope and one view per site that has learned anything of its own.
type Model struct {
	shared *Classifier
	store  Store
	log    *slog.Logger

	mu  sync.Mutex // one Sync at a time
	rev int64

	sitesMu sync.RWMutex
	sites   map[string]*Classifier // site id → its view on the shared counts
}

// NewModel returns a model on store; Sync loads it.
func NewModel(store Store, log *slog.Logger) *Model {
	return &Model{shared: NewClassifier(), store: store, log: log, rev: -1, sites: map[string]*Classifier{}}
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
	rows, err := m.store.SpamTokens(ctx, m.rev)
	if errors.Is(err, ErrStale) {
		return m.reload(ctx)
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
	return nil
}

// reload replaces every scope's counts with the stored ones, each scope swapped at
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
	return nil
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

// Run syncs every period until ctx ends, so other replicas' lessons arrive.
func (m *Model) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("spam model sync failed", slog.String("error", err.Error()))
			}
		}
	}
}

// LearnComment teaches c's site scope that c is spam or ham, first unlearning what it
// was taught about c before; the label "" only unlearns, so a moderator's undone
// decision leaves no lesson behind, and LabelNone unlearns and marks c as looked at.
// Teaching a comment what it already taught is a no-op. Only the comment's site learns: one site's moderators, careless or hostile,
// cannot move another site's verdicts.
func (m *Model) LearnComment(ctx context.Context, c comment.Comment, label string) error {
	if label != LabelSpam && label != LabelHam && label != LabelNone && label != "" {
		return fmt.Errorf("spam: unknown label %q", label)
	}
	if c.Trained == label {
		return nil
	}
	l := Lesson{Scope: c.SiteID, CommentID: c.ID, From: c.Trained, To: label}
	deltas := map[string]*TokenCounts{}
	toks := Tokens(c.BodySource)
	l.addDoc(deltas, toks, c.Trained, -1)
	l.addDoc(deltas, toks, label, 1)
	l.Deltas = flatten(deltas)
	err := m.store.LearnSpam(ctx, l)
	if errors.Is(err, comment.ErrConflict) {
		return nil // another moderator's decision about c got there first
	}
	if err != nil {
		return fmt.Errorf("spam: learn comment %d: %w", c.ID, err)
	}
	return m.Sync(ctx)
}

// LearnExamples teaches scope (Shared, or a site id) a labeled corpus as one change:
// seed data every site starts from, or one site's own.
func (m *Model) LearnExamples(ctx context.Context, scope string, examples []Example) error {
	l := Lesson{Scope: scope}
	deltas := map[string]*TokenCounts{}
	for _, ex := range examples {
		label := LabelHam
		if ex.Spam {
			label = LabelSpam
		}
		l.addDoc(deltas, Tokens(ex.Text), label, 1)
	}
	l.Deltas = flatten(deltas)
	if err := m.store.LearnSpam(ctx, l); err != nil {
		return fmt.Errorf("spam: learn examples: %w", err)
	}
	return m.Sync(ctx)
}

// addDoc counts one document's tokens n times (n = -1 unlearns) under label.
func (l *Lesson) addDoc(deltas map[string]*TokenCounts, toks []string, label string, n int64) {
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
