package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// transition moves c to st, as moderation would ask: publishing at the first approval.
func transition(c *comment.Comment, to comment.Status, actor string, at time.Time) comment.Transition {
	published := c.PublishedAt
	if to == comment.StatusApproved && published.IsZero() {
		published = at
	}
	return comment.Transition{Comment: *c, To: to, PublishedAt: published,
		Event: comment.Event{Actor: actor, Action: string(to), Note: "note", CreatedAt: at}}
}

func TestApplyTransitionsMovesCounts(t *testing.T) {
	tests := []struct {
		from, to comment.Status
		// wanted changes of the thread's approved count and version, and the author's counts
		thread, version, approved, spam int
	}{
		{comment.StatusPending, comment.StatusApproved, 1, 1, 1, 0},
		{comment.StatusPending, comment.StatusRejected, 0, 0, 0, 0},
		{comment.StatusPending, comment.StatusSpam, 0, 0, 0, 1},
		{comment.StatusApproved, comment.StatusPending, -1, 1, -1, 0},
		{comment.StatusApproved, comment.StatusRejected, -1, 1, -1, 0},
		{comment.StatusApproved, comment.StatusSpam, -1, 1, -1, 1},
		{comment.StatusSpam, comment.StatusApproved, 1, 1, 1, -1},
		{comment.StatusSpam, comment.StatusRejected, 0, 0, 0, -1},
		{comment.StatusRejected, comment.StatusDeleted, 0, 0, 0, 0},
	}
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		for i, tt := range tests {
			t.Run(fmt.Sprintf("%s to %s", tt.from, tt.to), func(t *testing.T) {
				key := fmt.Sprintf("/t%d", i)
				// Another approved comment by the same author keeps the counts off zero.
				mustCreate(t, s, newComment("blog", comment.StatusApproved), key)
				c := mustCreate(t, s, newComment("blog", tt.from), key)
				th0, a0 := mustThread(t, s, "blog", key), mustAuthor(t, s, "blog", c.AuthorKey)
				at := epoch.Add(time.Hour)

				if err := s.ApplyTransitions(ctx, []comment.Transition{transition(c, tt.to, "mod", at)}); err != nil {
					t.Fatal(err)
				}

				th, a := mustThread(t, s, "blog", key), mustAuthor(t, s, "blog", c.AuthorKey)
				if d := th.ApprovedCount - th0.ApprovedCount; d != tt.thread {
					t.Errorf("thread approved count moved by %d, want %d", d, tt.thread)
				}
				if d := int(th.Version - th0.Version); d != tt.version {
					t.Errorf("thread version moved by %d, want %d", d, tt.version)
				}
				if d := a.Approved - a0.Approved; d != tt.approved {
					t.Errorf("author approved moved by %d, want %d", d, tt.approved)
				}
				if d := a.Spam - a0.Spam; d != tt.spam {
					t.Errorf("author spam moved by %d, want %d", d, tt.spam)
				}
				got, err := s.Comment(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tt.to || !got.UpdatedAt.Equal(at) {
					t.Errorf("comment = %s updated %v, want %s updated %v", got.Status, got.UpdatedAt, tt.to, at)
				}
				if tt.to == comment.StatusApproved && !got.PublishedAt.Equal(at) {
					t.Errorf("published at %v, want %v", got.PublishedAt, at)
				}
				events, _, err := s.ListEvents(ctx, comment.EventQuery{CommentID: c.ID})
				if err != nil {
					t.Fatal(err)
				}
				want := comment.Event{ID: events[0].ID, SiteID: "blog", CommentID: c.ID, Actor: "mod",
					Action: string(tt.to), From: tt.from, To: tt.to, Note: "note", CreatedAt: at}
				if len(events) != 1 || events[0] != want {
					t.Errorf("events = %+v, want %+v", events, want)
				}
			})
		}
	})
}

func TestApplyTransitionsPublishesOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		c := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		if !c.PublishedAt.IsZero() {
			t.Fatalf("pending comment published at %v", c.PublishedAt)
		}
		steps := []comment.Status{comment.StatusApproved, comment.StatusPending, comment.StatusApproved}
		for i, to := range steps {
			tr := transition(c, to, "mod", epoch.Add(time.Duration(i+1)*time.Hour))
			if err := s.ApplyTransitions(ctx, []comment.Transition{tr}); err != nil {
				t.Fatal(err)
			}
			c.Status, c.PublishedAt = to, tr.PublishedAt
		}
		got, _ := s.Comment(ctx, c.ID)
		if want := epoch.Add(time.Hour); !got.PublishedAt.Equal(want) {
			t.Errorf("published at %v, want the first approval %v", got.PublishedAt, want)
		}
		if want := epoch.Add(3 * time.Hour); !got.UpdatedAt.Equal(want) {
			t.Errorf("updated at %v, want the last change %v", got.UpdatedAt, want)
		}
		if th := mustThread(t, s, "blog", "/t"); th.ApprovedCount != 1 || th.Version != 3 {
			t.Errorf("thread = %+v, want 1 approved, version 3", th)
		}
	})
}

func TestApplyTransitionsBatch(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		a := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		b := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		stale := mustCreate(t, s, newComment("blog", comment.StatusApproved), "/t")
		th0, au0 := mustThread(t, s, "blog", "/t"), mustAuthor(t, s, "blog", "key-ada")

		staleView := *stale
		staleView.Status = comment.StatusPending // what an outdated moderator page shows
		tests := []struct {
			name string
			ts   []comment.Transition
		}{
			{"stale status", []comment.Transition{
				transition(a, comment.StatusApproved, "mod", epoch),
				transition(b, comment.StatusSpam, "mod", epoch),
				transition(&staleView, comment.StatusRejected, "mod", epoch),
			}},
			{"no change", []comment.Transition{
				transition(a, comment.StatusApproved, "mod", epoch),
				transition(b, comment.StatusPending, "mod", epoch),
			}},
			{"missing comment", []comment.Transition{
				transition(a, comment.StatusApproved, "mod", epoch),
				transition(&comment.Comment{ID: 999999, Status: comment.StatusPending}, comment.StatusApproved, "mod", epoch),
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.ApplyTransitions(ctx, tt.ts); !errors.Is(err, comment.ErrConflict) {
					t.Fatalf("ApplyTransitions = %v, want ErrConflict", err)
				}
				for _, c := range []*comment.Comment{a, b, stale} {
					if got, _ := s.Comment(ctx, c.ID); got.Status != c.Status || !got.UpdatedAt.IsZero() {
						t.Errorf("comment %d is %s (updated %v) after a failed batch, want %s", c.ID, got.Status, got.UpdatedAt, c.Status)
					}
				}
				if th := mustThread(t, s, "blog", "/t"); th != th0 {
					t.Errorf("thread = %+v after a failed batch, want %+v", th, th0)
				}
				if au := mustAuthor(t, s, "blog", "key-ada"); au != au0 {
					t.Errorf("author = %+v after a failed batch, want %+v", au, au0)
				}
				if events, _, _ := s.ListEvents(ctx, comment.EventQuery{}); len(events) != 0 {
					t.Errorf("%d events after a failed batch", len(events))
				}
			})
		}

		// The same batch with fresh statuses goes through, all of it.
		ok := []comment.Transition{
			transition(a, comment.StatusApproved, "mod", epoch),
			transition(b, comment.StatusSpam, "mod", epoch),
			transition(stale, comment.StatusRejected, "mod", epoch),
		}
		if err := s.ApplyTransitions(ctx, ok); err != nil {
			t.Fatal(err)
		}
		if th := mustThread(t, s, "blog", "/t"); th.ApprovedCount != 1 || th.Version != th0.Version+2 {
			t.Errorf("thread = %+v, want 1 approved and version %d", th, th0.Version+2)
		}
		if au := mustAuthor(t, s, "blog", "key-ada"); au.Approved != 1 || au.Spam != 1 {
			t.Errorf("author = %+v, want 1 approved, 1 spam", au)
		}
		if n := mustCount(t, s, comment.StatusRejected); n != 1 {
			t.Errorf("%d rejected, want 1", n)
		}
		if err := s.ApplyTransitions(ctx, nil); err != nil {
			t.Errorf("empty batch: %v", err)
		}
		bad := []comment.Transition{transition(a, "weird", "mod", epoch)}
		if err := s.ApplyTransitions(ctx, bad); fieldErr(err, "status") != nil {
			t.Errorf("unknown status: %v", fieldErr(err, "status"))
		}
		// The time of a decision is the service's: the store does not make one up.
		undated := transition(a, comment.StatusPending, "mod", time.Time{})
		if err := s.ApplyTransitions(ctx, []comment.Transition{undated}); fieldErr(err, "created_at") != nil {
			t.Errorf("no time: %v", fieldErr(err, "created_at"))
		}
	})
}

// TestApprovalNamesTheThread: a thread started by a held comment gets its URL and title
// from the first comment a moderator publishes, not from held or rejected claims.
func TestApprovalNamesTheThread(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		claim := func(st comment.Status, url, title string) *comment.Comment {
			c := newComment("blog", st)
			c.PageURL, c.PageTitle = url, title
			if err := s.CreateComment(ctx, c, comment.Thread{Key: "/held"}, comment.Notice{}); err != nil {
				t.Fatal(err)
			}
			return c
		}
		spam := claim(comment.StatusPending, "https://blog.example/held?spam", "Buy pills")
		real := claim(comment.StatusPending, "https://blog.example/held", "On hedges")
		if err := s.ApplyTransitions(ctx, []comment.Transition{transition(spam, comment.StatusSpam, "mod", epoch)}); err != nil {
			t.Fatal(err)
		}
		if th := mustThread(t, s, "blog", "/held"); th.URL != "" || th.Title != "" {
			t.Fatalf("held comments named the thread: %q %q", th.URL, th.Title)
		}
		if err := s.ApplyTransitions(ctx, []comment.Transition{transition(real, comment.StatusApproved, "mod", epoch)}); err != nil {
			t.Fatal(err)
		}
		if th := mustThread(t, s, "blog", "/held"); th.URL != "https://blog.example/held" || th.Title != "On hedges" {
			t.Fatalf("the published comment did not name the thread: %q %q", th.URL, th.Title)
		}
	})
}

func TestLatestEventsAndStaleUndo(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		a := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		b := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		quiet := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		for i, tr := range []comment.Transition{
			transition(a, comment.StatusApproved, "mod", epoch),
			transition(b, comment.StatusSpam, "mod", epoch),
		} {
			if err := s.ApplyTransitions(ctx, []comment.Transition{tr}); err != nil {
				t.Fatal(err)
			}
			[]*comment.Comment{a, b}[i].Status = tr.To
		}
		// A later event on a that keeps its status, as a moderator's edit writes.
		edit := comment.Edit{Comment: *a, BodySource: "x", BodyHTML: "<p>x</p>", At: epoch.Add(time.Hour), NewVersion: true,
			Event: &comment.Event{Actor: "other", Action: "edit", From: a.Status, To: a.Status, CreatedAt: epoch.Add(time.Hour)}}
		before := mustThread(t, s, "blog", "/t")
		if err := s.EditComment(ctx, edit); err != nil {
			t.Fatal(err)
		}
		if after := mustThread(t, s, "blog", "/t"); after.Version != before.Version+1 || after.ApprovedCount != before.ApprovedCount {
			t.Errorf("an edit with a new version: thread %+v, was %+v", after, before)
		}
		// Without NewVersion the store leaves the thread as it is: the service decides.
		edit.Comment.BodySource, edit.BodySource, edit.NewVersion, edit.Event = "x", "y", false, nil
		if err := s.EditComment(ctx, edit); err != nil {
			t.Fatal(err)
		}
		if again := mustThread(t, s, "blog", "/t"); again.Version != before.Version+1 {
			t.Errorf("an edit without a new version moved the thread to %d", again.Version)
		}
		latest, err := s.LatestEvents(ctx, []int64{a.ID, b.ID, quiet.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 2 || latest[a.ID].Action != "edit" || latest[a.ID].Actor != "other" || latest[b.ID].To != comment.StatusSpam {
			t.Fatalf("latest events %+v", latest)
		}
		all, _, _ := s.ListEvents(ctx, comment.EventQuery{CommentID: a.ID})
		approval := all[len(all)-1]

		// An undo decided on the approval fails: the edit came after it.
		undo := transition(a, comment.StatusPending, "mod", epoch.Add(2*time.Hour))
		undo.AfterEvent = approval.ID
		th0 := mustThread(t, s, "blog", "/t")
		if err := s.ApplyTransitions(ctx, []comment.Transition{undo}); !errors.Is(err, comment.ErrConflict) {
			t.Fatalf("stale undo: %v", err)
		}
		if got, _ := s.Comment(ctx, a.ID); got.Status != comment.StatusApproved || mustThread(t, s, "blog", "/t") != th0 {
			t.Errorf("a stale undo wrote: %s", got.Status)
		}
		undo.AfterEvent = latest[a.ID].ID
		if err := s.ApplyTransitions(ctx, []comment.Transition{undo}); err != nil {
			t.Fatalf("undo on the latest event: %v", err)
		}
	})
}

func TestCreateCommentWithEvent(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		c := newComment("blog", comment.StatusApproved)
		ev := comment.Event{Actor: "mod", Action: "reply", To: comment.StatusApproved, Note: "hi", CreatedAt: epoch}
		if err := s.CreateCommentWithEvent(ctx, c, comment.Thread{Key: "/t"}, comment.Notice{}, ev); err != nil {
			t.Fatal(err)
		}
		if th := mustThread(t, s, "blog", "/t"); th.ApprovedCount != 1 || th.Version != 1 {
			t.Errorf("thread %+v", th)
		}
		es, _, _ := s.ListEvents(ctx, comment.EventQuery{CommentID: c.ID})
		want := comment.Event{SiteID: "blog", CommentID: c.ID, Actor: "mod", Action: "reply", To: comment.StatusApproved, Note: "hi", CreatedAt: epoch}
		if len(es) != 1 || es[0].ID == 0 {
			t.Fatalf("events %+v", es)
		}
		if want.ID = es[0].ID; es[0] != want {
			t.Errorf("event %+v, want %+v", es[0], want)
		}

		// A comment that cannot be stored leaves no event behind.
		dup := newComment("blog", comment.StatusApproved)
		dup.IdempotencyKey = "k"
		mustCreate(t, s, dup, "/t")
		again := newComment("blog", comment.StatusApproved)
		again.IdempotencyKey = "k"
		if err := s.CreateCommentWithEvent(ctx, again, comment.Thread{Key: "/t"}, comment.Notice{}, ev); !errors.Is(err, comment.ErrConflict) {
			t.Fatalf("duplicate key: %v", err)
		}
		if es, _, _ := s.ListEvents(ctx, comment.EventQuery{}); len(es) != 1 {
			t.Errorf("%d events after a failed create", len(es))
		}
	})
}

func TestApprovedReplies(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		reply := func(parent int64, st comment.Status) int64 {
			c := newComment("blog", st)
			c.ParentID = parent
			return mustCreate(t, s, c, "/t").ID
		}
		a, b, lone := reply(0, comment.StatusApproved), reply(0, comment.StatusApproved), reply(0, comment.StatusApproved)
		a1, a2 := reply(a, comment.StatusApproved), reply(a, comment.StatusApproved)
		for _, st := range []comment.Status{comment.StatusPending, comment.StatusRejected, comment.StatusSpam, comment.StatusDeleted} {
			reply(a, st)
			reply(b, st)
		}
		b1 := reply(b, comment.StatusApproved)
		reply(a1, comment.StatusApproved) // a reply to a reply is a1's, not a's

		tests := []struct {
			name    string
			parents []int64
			want    map[int64][]int64
		}{
			{"none asked", nil, map[int64][]int64{}},
			{"one parent", []int64{a}, map[int64][]int64{a: {a1, a2}}},
			{"several, one without", []int64{lone, b, a}, map[int64][]int64{a: {a1, a2}, b: {b1}}},
			{"only unpublished replies", []int64{a2, 99999}, map[int64][]int64{}},
		}
		for _, tt := range tests {
			got, err := s.ApprovedReplies(ctx, tt.parents)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: ApprovedReplies(%v) = %v, %v; want %v", tt.name, tt.parents, got, err, tt.want)
			}
		}

		// The lookup uses comments_replies rather than reading every approved comment,
		// which are most of them.
		for range 200 {
			reply(0, comment.StatusApproved)
		}
		if text := queryPlan(t, s, true, sqlstore.ApprovedRepliesSQL(2), a, b); !strings.Contains(text, "comments_replies") {
			t.Errorf("plan does not use comments_replies:\n%s", text)
		}
	})
}
