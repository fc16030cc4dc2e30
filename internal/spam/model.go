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
)

// TokenCounts are a token's stored counts and the revision that last changed them.
// The empty token holds the document totals.
type TokenCounts struct {
	Token     string
	Spam, Ham int64
	Rev       int64
}

// Lesson is one change to the stored model, applied atomically: the token and document
// count changes, and, for a comment, the move of its trained label from From to To
// (which fails with comment.ErrConflict if the label is no longer From, so that two
// moderators cannot teach the same comment twice).
type Lesson struct {
	CommentID       int64
	From, To        string
	Deltas          []TokenCounts
	DocSpam, DocHam int64
}

// Store keeps the model's counts, shared by every replica.
type Store interface {
	// SpamTokens returns the rows changed after revision afterRev (all rows for -1).
	SpamTokens(ctx context.Context, afterRev int64) ([]TokenCounts, error)
	LearnSpam(ctx context.Context, l Lesson) error
}

// Model is the classifier kept in step with the stored counts: decisions learned on
// any replica reach this one at the next Sync, and ones learned here at once.
type Model struct {
	classifier *Classifier
	store      Store
	log        *slog.Logger

	mu  sync.Mutex // one Sync at a time
	rev int64
}

// NewModel returns a model on store; Sync loads it.
func NewModel(store Store, log *slog.Logger) *Model {
	return &Model{classifier: NewClassifier(), store: store, log: log, rev: -1}
}

// Classifier is the in-memory classifier the scorer reads.
func (m *Model) Classifier() *Classifier { return m.classifier }

// Sync reads the counts changed since the last Sync.
func (m *Model) Sync(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rows, err := m.store.SpamTokens(ctx, m.rev)
	if err != nil {
		return fmt.Errorf("spam: sync model: %w", err)
	}
	m.classifier.set(rows)
	for _, r := range rows {
		m.rev = max(m.rev, r.Rev)
	}
	return nil
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

// LearnComment teaches the model that c is spam or ham, first unlearning what it was
// taught about c before; the label "" only unlearns, so a moderator's undone decision
// leaves no lesson behind. Teaching a comment what it already taught is a no-op.
func (m *Model) LearnComment(ctx context.Context, c comment.Comment, label string) error {
	if label != LabelSpam && label != LabelHam && label != "" {
		return fmt.Errorf("spam: unknown label %q", label)
	}
	if c.Trained == label {
		return nil
	}
	l := Lesson{CommentID: c.ID, From: c.Trained, To: label}
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

// LearnExamples teaches the model a labeled corpus (seed data) as one change.
func (m *Model) LearnExamples(ctx context.Context, examples []Example) error {
	var l Lesson
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
