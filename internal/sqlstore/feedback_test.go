package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestSpamFeedbackIsRecordedWithItsLesson keeps the record of a reported text (an
// Akismet report) in its lesson's transaction, guarded by the record the caller read:
// a second first lesson, or one from a stale record, is comment.ErrConflict and
// teaches nothing. Old records are swept in batches, and a scope's reset drops them.
func TestSpamFeedbackIsRecordedWithItsLesson(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		t1 := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
		t2 := t1.Add(time.Hour)
		docs := func() (int64, int64) {
			rows, err := s.SpamTokens(ctx, -1)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Scope == "blog" && r.Token == "" {
					return r.Spam, r.Ham
				}
			}
			return 0, 0
		}
		lesson := func(from, to string, seen, at time.Time) spam.Lesson {
			l := spam.Lesson{Scope: "blog", From: from, To: to, Feedback: &spam.FeedbackChange{Digest: "d1", Seen: seen, At: at}}
			if from == spam.LabelSpam {
				l.DocSpam--
			}
			if to == spam.LabelSpam {
				l.DocSpam++
			} else {
				l.DocHam++
			}
			return l
		}
		if f, err := s.SpamFeedback(ctx, "blog", "d1"); err != nil || f.Label != "" || !f.At.IsZero() {
			t.Fatalf("before any report: %+v %v", f, err)
		}
		if err := s.LearnSpam(ctx, lesson("", spam.LabelSpam, time.Time{}, t1)); err != nil {
			t.Fatal(err)
		}
		if f, err := s.SpamFeedback(ctx, "blog", "d1"); err != nil || f.Label != spam.LabelSpam || !f.At.Equal(t1) {
			t.Fatalf("after a spam report: %+v %v", f, err)
		}
		if err := s.LearnSpam(ctx, lesson("", spam.LabelSpam, time.Time{}, t1)); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("a second first report: %v, want ErrConflict", err)
		}
		if ds, dh := docs(); ds != 1 || dh != 0 {
			t.Errorf("after the refused report: %d spam %d ham documents, want 1 0", ds, dh)
		}
		if err := s.LearnSpam(ctx, lesson(spam.LabelSpam, spam.LabelHam, t1, t2)); err != nil {
			t.Fatal(err)
		}
		if err := s.LearnSpam(ctx, lesson(spam.LabelSpam, spam.LabelHam, t1, t2)); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("a report from a stale record: %v, want ErrConflict", err)
		}
		if ds, dh := docs(); ds != 0 || dh != 1 {
			t.Errorf("after the contrary report: %d spam %d ham documents, want 0 1", ds, dh)
		}
		if f, _ := s.SpamFeedback(ctx, "blog", "d1"); f.Label != spam.LabelHam || !f.At.Equal(t2) {
			t.Errorf("after the contrary report: %+v", f)
		}

		if n, err := s.DeleteSpamFeedback(ctx, t2, 10); err != nil || n != 0 {
			t.Errorf("sweep before the record's time: %d %v", n, err)
		}
		if n, err := s.DeleteSpamFeedback(ctx, t2.Add(time.Second), 10); err != nil || n != 1 {
			t.Errorf("sweep after it: %d %v", n, err)
		}
		if err := s.LearnSpam(ctx, lesson("", spam.LabelSpam, time.Time{}, t2)); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetSpam(ctx, "blog"); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.SpamFeedback(ctx, "blog", "d1"); f.Label != "" {
			t.Errorf("after a reset: %+v", f)
		}
	})
}
