package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestUntaughtPublished checks the candidates of the ham sweep: published comments in
// the window that taught nothing yet, oldest published first, a batch at a time, and
// none once its label is set.
func TestUntaughtPublished(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		at := func(st comment.Status, published time.Time) comment.Comment {
			t.Helper()
			c := newComment("blog", st)
			c.CreatedAt, c.PublishedAt = published, published
			if st != comment.StatusApproved {
				c.PublishedAt = time.Time{}
			}
			return *mustCreate(t, s, c, "/t")
		}
		since, before := epoch.Add(-24*time.Hour), epoch
		second := at(comment.StatusApproved, epoch.Add(-2*time.Hour))
		first := at(comment.StatusApproved, epoch.Add(-3*time.Hour))
		third := at(comment.StatusApproved, epoch.Add(-time.Hour))
		at(comment.StatusApproved, epoch.Add(time.Minute))   // too recent
		at(comment.StatusApproved, epoch.Add(-25*time.Hour)) // before the window
		at(comment.StatusPending, epoch.Add(-3*time.Hour))   // not published
		at(comment.StatusSpam, epoch.Add(-3*time.Hour))      // not published
		taught := at(comment.StatusApproved, epoch.Add(-4*time.Hour))
		if err := s.LearnSpam(ctx, spam.Lesson{Scope: "blog", CommentID: taught.ID, From: "", To: spam.LabelHam, DocHam: 1}); err != nil {
			t.Fatal(err)
		}

		got, err := s.UntaughtPublished(ctx, since, before, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), []int64{first.ID, second.ID}) {
			t.Errorf("first batch = %v, want %v", ids(got), []int64{first.ID, second.ID})
		}
		if len(got) > 0 && (got[0].BodySource != "Hello" || got[0].SiteID != "blog") {
			t.Errorf("candidate read without its text or site: %+v", got[0])
		}
		if err := s.LearnSpam(ctx, spam.Lesson{Scope: "blog", CommentID: first.ID, From: "", To: spam.LabelNone}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.UntaughtPublished(ctx, since, before, 10)
		if !slices.Equal(ids(got), []int64{second.ID, third.ID}) {
			t.Errorf("after one is marked = %v, want %v", ids(got), []int64{second.ID, third.ID})
		}
	})
}

// TestUntaughtPublishedUsesIndex checks that the sweep's read is answered from the
// partial comments_untaught index, in order, so it stays cheap however many comments
// were taught before.
func TestUntaughtPublishedUsesIndex(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		for i := range 300 {
			st := comment.StatusApproved
			if i%4 == 0 {
				st = comment.StatusPending
			}
			c := mustCreate(t, s, newComment("blog", st), "/t")
			if i%3 != 0 && st == comment.StatusApproved {
				if err := s.LearnSpam(ctx, spam.Lesson{Scope: "blog", CommentID: c.ID, From: "", To: spam.LabelHam, DocHam: 1}); err != nil {
					t.Fatal(err)
				}
			}
		}
		text := queryPlan(t, s, true, sqlstore.UntaughtPublishedSQL(s), int64(0), time.Now().UnixMicro(), 5)
		if !strings.Contains(text, "comments_untaught") {
			t.Errorf("plan does not use comments_untaught:\n%s", text)
		}
		if strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "Sort") {
			t.Errorf("plan sorts:\n%s", text)
		}
	})
}
