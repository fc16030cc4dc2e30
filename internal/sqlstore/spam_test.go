package sqlstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

var _ spam.Store = (*sqlstore.Store)(nil)

func TestSpamModelIsSharedThroughTheStore(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, b := spam.NewModel(s, log), spam.NewModel(s, log) // two replicas
		for _, m := range []*spam.Model{a, b} {
			if err := m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var seed []spam.Example
		for range 20 {
			seed = append(seed, spam.Example{Text: "subscribe to my channel for free money", Spam: true},
				spam.Example{Text: "what a lovely song, the chorus is great"})
		}
		if err := a.LearnExamples(ctx, spam.Shared, seed); err != nil {
			t.Fatal(err)
		}
		if sp, hm := a.Classifier(spam.Shared).Documents(); sp != 20 || hm != 20 {
			t.Fatalf("replica a knows %d/%d documents", sp, hm)
		}
		if sp, _ := b.Classifier(spam.Shared).Documents(); sp != 0 {
			t.Fatal("replica b learned before syncing")
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if sp, hm := b.Classifier(spam.Shared).Documents(); sp != 20 || hm != 20 {
			t.Fatalf("after sync replica b knows %d/%d documents", sp, hm)
		}
		p, _ := b.Classifier(spam.Shared).Score(spam.Tokens("free money, subscribe"))
		if p < 0.9 {
			t.Errorf("replica b scores spam %.2f", p)
		}

		// A comment learned as spam, then as ham: the first lesson is undone.
		mustSite(t, s, "blog")
		c := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		c.BodySource = "brand new words zyx"
		got, _ := s.Comment(ctx, c.ID)
		got.BodySource = c.BodySource
		if err := a.LearnComment(ctx, got, spam.LabelSpam); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Comment(ctx, c.ID)
		if got.Trained != spam.LabelSpam {
			t.Fatalf("trained = %q", got.Trained)
		}
		got.BodySource = c.BodySource
		if err := a.LearnComment(ctx, got, spam.LabelHam); err != nil {
			t.Fatal(err)
		}
		if sp, hm := a.Classifier("blog").Documents(); sp != 20 || hm != 21 {
			t.Errorf("after spam then ham: %d/%d documents, want 20/21", sp, hm)
		}
		// A stale copy (still untrained) is a decision another moderator beat: no change.
		stale := got
		stale.Trained = ""
		if err := b.LearnComment(ctx, stale, spam.LabelSpam); err != nil {
			t.Fatal(err)
		}
		b.Sync(ctx)
		if sp, hm := b.Classifier("blog").Documents(); sp != 20 || hm != 21 {
			t.Errorf("a stale lesson counted: %d/%d", sp, hm)
		}
		if err := s.LearnSpam(ctx, spam.Lesson{CommentID: c.ID, From: "", To: "spam"}); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("LearnSpam with a stale label = %v, want ErrConflict", err)
		}

		// The label "" forgets: an undone decision leaves no lesson, and no trace in the
		// comment's trained label; forgetting twice changes nothing.
		for range 2 {
			got, _ = s.Comment(ctx, c.ID)
			got.BodySource = c.BodySource
			if err := a.LearnComment(ctx, got, ""); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ = s.Comment(ctx, c.ID); got.Trained != "" {
			t.Errorf("trained = %q after forgetting", got.Trained)
		}
		if sp, hm := a.Classifier("blog").Documents(); sp != 20 || hm != 20 {
			t.Errorf("after forgetting: %d/%d documents, want 20/20", sp, hm)
		}
		if err := a.LearnComment(ctx, got, "maybe"); err == nil {
			t.Error("an unknown label was learned")
		}
	})
}
