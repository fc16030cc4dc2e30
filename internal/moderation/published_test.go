package moderation_test

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestLeftAloneTeachesHamOnce is the sweep's rule on a real store: a comment left
// published teaches its site ham once (spam.LabelLeft, an implicit lesson the counts'
// documents do not hold), even with two replicas sweeping at once; one a moderator
// approved taught already and does not teach again; a reply written as the site and a
// comment a moderator edited teach nothing; past the cap (implicit lessons at most
// half the site's decisions) a comment left alone teaches nothing; and a moderator who
// later marks the taught comment spam moves its lesson from left-alone ham to spam.
func TestLeftAloneTeachesHamOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		left := r.submit(comment.StatusApproved)
		held := r.submit(comment.StatusPending)
		r.apply(mod, moderation.Approve, held.ID)
		reply, err := r.svc.Reply(r.ctx, moderation.ReplyRequest{Actor: mod, Email: "mod@example.org", ParentID: left.ID, Body: "Thanks for reading along"})
		if err != nil {
			t.Fatal(err)
		}
		edited := r.submit(comment.StatusApproved)
		if _, err := r.svc.Edit(r.ctx, moderation.EditRequest{Actor: mod, ID: edited.ID, Body: "a lovely song, minus the link"}); err != nil {
			t.Fatal(err)
		}
		if sp, hm := r.documents(); sp != 0 || hm != 1 {
			t.Fatalf("before the sweep the blog learned %d/%d documents, want the approval's 0/1", sp, hm)
		}

		// Two replicas sweep at once, each with its own model on the one store.
		replica := spam.NewModel(s, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := replica.Sync(r.ctx); err != nil {
			t.Fatal(err)
		}
		sweepers := []*moderation.LeftAlone{moderation.NewLeftAlone(s, r.model), moderation.NewLeftAlone(s, replica)}
		before := epoch.Add(time.Hour)
		var wg sync.WaitGroup
		errs := make([]error, len(sweepers))
		for i, sw := range sweepers {
			wg.Go(func() { _, errs[i] = sw.Teach(r.ctx, before, 500) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		want := map[int64]string{left.ID: spam.LabelLeft, held.ID: spam.LabelHam, reply.ID: spam.LabelNone, edited.ID: spam.LabelNone}
		for id, label := range want {
			if got := r.get(id).Trained; got != label {
				t.Errorf("comment %d: trained %q, want %q", id, got, label)
			}
		}
		if sp, hm := r.documents(); sp != 0 || hm != 1 {
			t.Errorf("after the sweep the blog learned %d/%d documents, want 0/1 (an implicit lesson is no document)", sp, hm)
		}
		if n := r.model.Implicit("blog"); n != 1 {
			t.Errorf("after the sweep the blog holds %d implicit lessons, want 1", n)
		}
		if n, err := sweepers[0].Teach(r.ctx, before, 500); err != nil || n != 0 {
			t.Errorf("a second sweep looked at %d comments (%v), want none", n, err)
		}
		// Too recent to teach: published after the cut-off.
		fresh := r.submit(comment.StatusApproved)
		if n, err := sweepers[0].Teach(r.ctx, fresh.PublishedAt, 500); err != nil || n != 0 || r.get(fresh.ID).Trained != "" {
			t.Errorf("a comment published at the cut-off was looked at: %d, %v", n, err)
		}
		// One decision (the approval) leaves room for half an implicit lesson, and
		// the blog holds one: the next comment left alone is past the cap.
		if n, err := sweepers[0].Teach(r.ctx, fresh.PublishedAt.Add(time.Second), 500); err != nil || n != 1 || r.get(fresh.ID).Trained != spam.LabelNone {
			t.Errorf("a comment left alone past the cap: looked at %d (%v), trained %q, want 1 and %q", n, err, r.get(fresh.ID).Trained, spam.LabelNone)
		}

		// The moderator changes their mind about the comment left alone: ham → spam.
		r.apply(mod, moderation.Spam, left.ID)
		if sp, hm := r.documents(); sp != 1 || hm != 1 || r.model.Implicit("blog") != 0 {
			t.Errorf("after marking the taught comment spam: %d/%d documents and %d implicit lessons, want 1/1 and 0",
				sp, hm, r.model.Implicit("blog"))
		}
		// And about the edited one, which taught nothing: its lesson is added alone.
		r.apply(mod, moderation.Reject, edited.ID)
		if sp, hm := r.documents(); sp != 2 || hm != 1 {
			t.Errorf("after rejecting the edited comment: %d/%d documents, want 2/1", sp, hm)
		}
	})
}
