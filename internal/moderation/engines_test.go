package moderation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

const (
	mod   = "user:1:mod@example.org"
	other = "user:2:other@example.org"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// rig is a moderation service on a real store with a real classifier, a webhook
// endpoint that takes every event, and a clock that moves a second per reading.
type rig struct {
	t     *testing.T
	ctx   context.Context
	store *sqlstore.Store
	model *spam.Model
	svc   *moderation.Service
	hook  webhook.Endpoint
}

func newRig(t *testing.T, s *sqlstore.Store) *rig {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := s.CreateSite(ctx, site.NewSite("blog", "The Blog")); err != nil {
		t.Fatal(err)
	}
	hook := webhook.Endpoint{SiteID: "blog", URL: "https://hooks.example/blog", Secret: webhook.NewSecret()}
	hook.Normalize()
	if err := s.CreateWebhook(ctx, &hook); err != nil {
		t.Fatal(err)
	}
	model := spam.NewModel(s, log)
	if err := model.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	at := epoch
	clock := func() time.Time { at = at.Add(time.Second); return at }
	return &rig{t: t, ctx: ctx, store: s, model: model, hook: hook,
		svc: moderation.NewService(s, model, sanitize.New(), []byte("secret"), comment.DefaultIPv6Prefix, "", log, clock)}
}

// submit stores a reader's comment in status st on thread /p.
func (r *rig) submit(st comment.Status) comment.Comment {
	r.t.Helper()
	c := comment.Comment{SiteID: "blog", AuthorName: "Ann", AuthorEmail: "ann@example.org", AuthorKey: "key-ann",
		AvatarHash: "avatar-ann", BodySource: "a lovely song zyx", BodyHTML: "<p>a lovely song zyx</p>", Status: st,
		Score: 0.3, Reasons: []string{"first comment"}, CreatedAt: epoch, ThreadKey: "/p"}
	if st == comment.StatusApproved {
		c.PublishedAt = epoch
	}
	notify := comment.CommentNotice(comment.EventFor("", st), epoch, c, "")
	if err := r.store.CreateComment(r.ctx, &c, comment.Thread{Key: "/p", URL: "https://blog.example/p"}, notify); err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) apply(actor string, a moderation.Action, ids ...int64) {
	r.t.Helper()
	if _, err := r.svc.Apply(r.ctx, moderation.Request{Actor: actor, Action: a, IDs: ids}); err != nil {
		r.t.Fatalf("%s: %v", a, err)
	}
}

func (r *rig) get(id int64) comment.Comment {
	r.t.Helper()
	c, err := r.store.Comment(r.ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) thread() comment.Thread {
	r.t.Helper()
	th, err := r.store.ThreadByKey(r.ctx, "blog", "/p")
	if err != nil {
		r.t.Fatal(err)
	}
	return th
}

// outbox is the endpoint's deliveries, oldest first.
func (r *rig) outbox() []webhook.Delivery {
	r.t.Helper()
	ds, _, err := r.store.Deliveries(r.ctx, r.hook.ID, "", "", 100)
	if err != nil {
		r.t.Fatal(err)
	}
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	return ds
}

// events is the comment's audit log as "actor action from>to", oldest first.
func (r *rig) events(id int64) []string {
	r.t.Helper()
	es, _, err := r.store.ListEvents(r.ctx, comment.EventQuery{CommentID: id})
	if err != nil {
		r.t.Fatal(err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e.Actor + " " + e.Action + " " + string(e.From) + ">" + string(e.To)
	}
	return out
}

// documents counts what the classifier learned from the blog's decisions, checking
// that every one (decide, undo, edit) taught the blog's scope and not the shared one.
func (r *rig) documents() (spamDocs, hamDocs int) {
	r.t.Helper()
	if err := r.model.Sync(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	if sp, hm := r.model.Classifier(spam.Shared).Documents(); sp != 0 || hm != 0 {
		r.t.Errorf("the shared scope learned %d/%d documents from the blog's decisions", sp, hm)
	}
	return r.model.Classifier("blog").Documents()
}

func (r *rig) undo(actor string, ids ...int64) ([]comment.Comment, error) {
	return r.svc.Undo(r.ctx, moderation.UndoRequest{Actor: actor, IDs: ids})
}

func TestUndoApproveUnpublishes(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		c := r.submit(comment.StatusPending)
		r.apply(mod, moderation.Approve, c.ID)
		if th := r.thread(); th.ApprovedCount != 1 {
			t.Fatalf("approved thread count %d", th.ApprovedCount)
		}
		if _, ham := r.documents(); ham != 1 {
			t.Fatalf("the approval taught %d ham documents", ham)
		}
		v0 := r.thread().Version

		cs, err := r.undo(mod, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := r.get(c.ID)
		if len(cs) != 1 || cs[0].Status != comment.StatusPending || got.Status != comment.StatusPending || !got.PublishedAt.IsZero() || !cs[0].PublishedAt.IsZero() {
			t.Errorf("after undo: returned %+v, stored %s published %v", cs, got.Status, got.PublishedAt)
		}
		if th := r.thread(); th.ApprovedCount != 0 || th.Version != v0+1 {
			t.Errorf("thread %+v, want no approved comments and version %d", th, v0+1)
		}
		if a, _ := s.Author(r.ctx, "blog", "key-ann"); a.Approved != 0 {
			t.Errorf("author %+v", a)
		}
		ds := r.outbox()
		if len(ds) != 2 || ds[0].Type != comment.EventPublished || ds[1].Type != comment.EventUnpublished || ds[1].CommentID != c.ID {
			t.Fatalf("outbox %+v", ds)
		}
		var p struct {
			Data struct {
				Comment map[string]any `json:"comment"`
			} `json:"data"`
		}
		if err := json.Unmarshal(ds[1].Payload, &p); err != nil || p.Data.Comment["published_at"] != nil {
			t.Errorf("unpublished payload %s (%v)", ds[1].Payload, err)
		}
		if sp, ham := r.documents(); sp != 0 || ham != 0 || got.Trained != "" {
			t.Errorf("classifier knows %d/%d documents and the comment says %q, want nothing", sp, ham, got.Trained)
		}
		want := []string{mod + " approve pending>approved", mod + " undo approved>pending"}
		if ev := r.events(c.ID); strings.Join(ev, "|") != strings.Join(want, "|") {
			t.Errorf("audit log %q, want %q", ev, want)
		}

		// The undo is not undone; the decision is taken again instead.
		var ce *comment.ConflictError
		if _, err := r.undo(mod, c.ID); !errors.As(err, &ce) || !strings.Contains(ce.Message, "already undone") {
			t.Errorf("undo of an undo: %v", err)
		}
	})
}

func TestUndoKeepsAnEarlierPublication(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		c := r.submit(comment.StatusPending)
		r.apply(mod, moderation.Approve, c.ID)
		first := r.get(c.ID).PublishedAt
		r.apply(mod, moderation.Reject, c.ID)
		r.apply(mod, moderation.Approve, c.ID)
		if _, err := r.undo(mod, c.ID); err != nil {
			t.Fatal(err)
		}
		if got := r.get(c.ID); got.Status != comment.StatusRejected || !got.PublishedAt.Equal(first) || got.Trained != spam.LabelSpam {
			t.Errorf("after undoing a second approval: %s published %v trained %q, want rejected, %v, spam", got.Status, got.PublishedAt, got.Trained, first)
		}
	})
}

func TestUndoSpamUnlearns(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		c := r.submit(comment.StatusPending)
		r.apply(mod, moderation.Spam, c.ID)
		if sp, _ := r.documents(); sp != 1 {
			t.Fatalf("the spam decision taught %d spam documents", sp)
		}
		if a, _ := s.Author(r.ctx, "blog", "key-ann"); a.Spam != 1 {
			t.Fatalf("author %+v", a)
		}
		if _, err := r.undo(mod, c.ID); err != nil {
			t.Fatal(err)
		}
		got := r.get(c.ID)
		if sp, ham := r.documents(); sp != 0 || ham != 0 || got.Trained != "" || got.Status != comment.StatusPending {
			t.Errorf("after undo: %d/%d documents, comment %s trained %q", sp, ham, got.Status, got.Trained)
		}
		if a, _ := s.Author(r.ctx, "blog", "key-ann"); a.Spam != 0 {
			t.Errorf("author %+v", a)
		}
		if ds := r.outbox(); len(ds) != 0 {
			t.Errorf("a change consumers never saw sent %+v", ds)
		}
	})
}

func TestUndoDeleteRestores(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		c := r.submit(comment.StatusPending)
		r.apply(mod, moderation.Approve, c.ID)
		published := r.get(c.ID).PublishedAt
		r.apply(mod, moderation.Delete, c.ID)
		if th := r.thread(); th.ApprovedCount != 0 {
			t.Fatalf("deleted, thread count %d", th.ApprovedCount)
		}
		if _, err := r.undo(mod, c.ID); err != nil {
			t.Fatal(err)
		}
		got := r.get(c.ID)
		if got.Status != comment.StatusApproved || !got.PublishedAt.Equal(published) {
			t.Errorf("restored %s published %v, want approved %v", got.Status, got.PublishedAt, published)
		}
		if th := r.thread(); th.ApprovedCount != 1 {
			t.Errorf("thread count %d", th.ApprovedCount)
		}
		if cs, _ := s.ApprovedComments(r.ctx, got.ThreadID); len(cs) != 1 || cs[0].ID != c.ID {
			t.Errorf("public thread %+v", cs)
		}
		ds := r.outbox()
		if n := len(ds); n != 3 || ds[2].Type != comment.EventPublished {
			t.Errorf("outbox %+v, want published, unpublished, published", ds)
		}
		if _, ham := r.documents(); ham != 1 || got.Trained != spam.LabelHam {
			t.Errorf("%d ham documents, trained %q: the approval's lesson stays", ham, got.Trained)
		}
	})
}

func TestUndoRefusals(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		tests := []struct {
			name    string
			prepare func(c comment.Comment)
			want    string
		}{
			{"someone else's decision", func(c comment.Comment) { r.apply(other, moderation.Approve, c.ID) }, "someone else"},
			{"a later change by someone else", func(c comment.Comment) {
				r.apply(mod, moderation.Approve, c.ID)
				if _, err := r.svc.Edit(r.ctx, moderation.EditRequest{Actor: other, ID: c.ID, Body: "edited"}); err != nil {
					t.Fatal(err)
				}
			}, "someone else"},
			{"an own edit", func(c comment.Comment) {
				r.apply(mod, moderation.Approve, c.ID)
				if _, err := r.svc.Edit(r.ctx, moderation.EditRequest{Actor: mod, ID: c.ID, Body: "edited"}); err != nil {
					t.Fatal(err)
				}
			}, "cannot be undone"},
			{"no decision at all", func(comment.Comment) {}, "no moderator decision"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := r.submit(comment.StatusPending)
				mine := r.submit(comment.StatusPending)
				r.apply(mod, moderation.Reject, mine.ID) // undoable alone, not in this batch
				tt.prepare(c)
				before, events := r.get(c.ID), r.events(c.ID)
				_, err := r.undo(mod, mine.ID, c.ID)
				var ce *comment.ConflictError
				if !errors.As(err, &ce) || !errors.Is(err, comment.ErrConflict) || ce.Field != "ids" || !strings.Contains(ce.Message, tt.want) {
					t.Fatalf("err = %v, want a conflict saying %q", err, tt.want)
				}
				if got := r.get(c.ID); got.Status != before.Status || len(r.events(c.ID)) != len(events) {
					t.Errorf("refused undo changed %d: %s, %q", c.ID, got.Status, r.events(c.ID))
				}
				if got := r.get(mine.ID); got.Status != comment.StatusRejected {
					t.Errorf("a refused batch undid comment %d: %s", mine.ID, got.Status)
				}
			})
		}
		// Another site's comment is not found before anything is read about it.
		c := r.submit(comment.StatusPending)
		r.apply(mod, moderation.Approve, c.ID)
		_, err := r.svc.Undo(r.ctx, moderation.UndoRequest{Actor: mod, IDs: []int64{c.ID}, Allowed: func(string) bool { return false }})
		if !errors.Is(err, comment.ErrNotVisible) {
			t.Errorf("out of scope: %v", err)
		}
		if _, err := r.undo(mod, c.ID, 999999); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
	})
}

func TestEditPublishedCommentUpdatesThread(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		c := r.submit(comment.StatusApproved)
		v0 := r.thread().Version
		got, err := r.svc.Edit(r.ctx, moderation.EditRequest{Actor: mod, ID: c.ID, Body: " Fixed a *typo* <script>x</script>\r\n", Note: "typo"})
		if err != nil {
			t.Fatal(err)
		}
		stored := r.get(c.ID)
		if stored.BodySource != "Fixed a *typo* <script>x</script>" || stored.BodyHTML != "<p>Fixed a <em>typo</em> &lt;script&gt;x&lt;/script&gt;</p>" || got.BodyHTML != stored.BodyHTML {
			t.Errorf("stored %q -> %q, answered %q", stored.BodySource, stored.BodyHTML, got.BodyHTML)
		}
		if stored.Status != comment.StatusApproved || stored.Score != 0.3 || len(stored.Reasons) != 1 || !stored.PublishedAt.Equal(c.PublishedAt) {
			t.Errorf("status, score, reasons or publication moved: %+v", stored)
		}
		if th := r.thread(); th.Version != v0+1 || th.ApprovedCount != 1 {
			t.Errorf("thread %+v, want version %d", th, v0+1)
		}
		ds := r.outbox()
		if len(ds) != 2 || ds[1].Type != comment.EventUpdated || !strings.Contains(string(ds[1].Payload), "typo") {
			t.Errorf("outbox %+v", ds)
		}
		if ev := r.events(c.ID); len(ev) != 1 || ev[0] != mod+" edit approved>approved" {
			t.Errorf("audit log %q", ev)
		}

		// A held comment's edit is no news to anyone; a deleted one is gone.
		held := r.submit(comment.StatusPending)
		if _, err := r.svc.Edit(r.ctx, moderation.EditRequest{Actor: mod, ID: held.ID, Body: "quiet"}); err != nil {
			t.Fatal(err)
		}
		if n := len(r.outbox()); n != 2 {
			t.Errorf("a held comment's edit wrote to the outbox: %d rows", n)
		}
		r.apply(mod, moderation.Delete, held.ID)
		if _, err := r.svc.Edit(r.ctx, moderation.EditRequest{Actor: mod, ID: held.ID, Body: "again"}); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("edit of a deleted comment: %v", err)
		}
	})
}

func TestEditMovesTheClassifiersLesson(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		c := r.submit(comment.StatusPending)
		r.apply(mod, moderation.Spam, c.ID)
		if _, err := r.svc.Edit(r.ctx, moderation.EditRequest{Actor: mod, ID: c.ID, Body: "entirely different words qqq"}); err != nil {
			t.Fatal(err)
		}
		if got := r.get(c.ID); got.Trained != spam.LabelSpam {
			t.Fatalf("trained %q after the edit", got.Trained)
		}
		r.apply(mod, moderation.NotSpam, c.ID) // unlearns by the text the comment now holds
		rows, err := s.SpamTokens(r.ctx, -1)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if row.Spam != 0 || row.Ham < 0 {
				t.Errorf("token %q counts %d spam, %d ham: the old text's lesson was left behind", row.Token, row.Spam, row.Ham)
			}
		}
		if sp, ham := r.documents(); sp != 0 || ham != 1 {
			t.Errorf("%d/%d documents, want 0/1", sp, ham)
		}
	})
}

func TestReplyIsPublishedAsTheSite(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		parent := r.submit(comment.StatusApproved)
		th0 := r.thread()
		c, err := r.svc.Reply(r.ctx, moderation.ReplyRequest{Actor: mod, Email: "mod@example.org", ParentID: parent.ID, Body: "Thanks, **Ann**!"})
		if err != nil {
			t.Fatal(err)
		}
		got := r.get(c.ID)
		if got.Status != comment.StatusApproved || got.ParentID != parent.ID || got.ThreadID != parent.ThreadID ||
			got.AuthorName != "The Blog" || got.AuthorEmail != "mod@example.org" || got.IP != "" || got.UserAgent != "" ||
			got.AuthorKey != "" || got.PublishedAt.IsZero() || got.BodyHTML != "<p>Thanks, <strong>Ann</strong>!</p>" {
			t.Errorf("reply %+v", got)
		}
		if got.AvatarHash == "" || got.AvatarHash == comment.AvatarHash([]byte("secret"), "mod@example.org") {
			t.Errorf("the reply's avatar %q comes from the moderator's email", got.AvatarHash)
		}
		if th := r.thread(); th.ApprovedCount != th0.ApprovedCount+1 || th.Version != th0.Version+1 {
			t.Errorf("thread %+v after %+v", th, th0)
		}
		cs, err := s.ApprovedComments(r.ctx, parent.ThreadID)
		if err != nil || len(cs) != 2 || cs[1].ID != c.ID {
			t.Errorf("public thread %+v (%v)", cs, err)
		}
		ds := r.outbox()
		if len(ds) != 2 || ds[1].Type != comment.EventPublished || ds[1].CommentID != c.ID || strings.Contains(string(ds[1].Payload), "mod@example.org") {
			t.Errorf("outbox %+v", ds)
		}
		if ev := r.events(c.ID); len(ev) != 1 || ev[0] != mod+" reply >approved" {
			t.Errorf("audit log %q", ev)
		}
		if _, err := r.undo(mod, c.ID); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("undo of a reply: %v", err)
		}

		// No reply under a comment the public cannot see.
		held := r.submit(comment.StatusPending)
		var ce *comment.ConflictError
		if _, err := r.svc.Reply(r.ctx, moderation.ReplyRequest{Actor: mod, ParentID: held.ID, Body: "hi"}); !errors.As(err, &ce) || ce.Field != "parent_id" {
			t.Errorf("reply to a held comment: %v", err)
		}
	})
}

// replyTo stores a reader's reply to parent, in status st.
func (r *rig) replyTo(parent comment.Comment, st comment.Status) comment.Comment {
	r.t.Helper()
	c := comment.Comment{SiteID: "blog", ParentID: parent.ID, AuthorName: "Bo", AuthorEmail: "bo@example.org", AuthorKey: "key-bo",
		AvatarHash: "avatar-bo", BodySource: "I agree", BodyHTML: "<p>I agree</p>", Status: st, CreatedAt: epoch, ThreadKey: "/p"}
	if st == comment.StatusApproved {
		c.PublishedAt = epoch
	}
	notify := comment.CommentNotice(comment.EventFor("", st), epoch, c, "")
	if err := r.store.CreateComment(r.ctx, &c, comment.Thread{Key: "/p"}, notify); err != nil {
		r.t.Fatal(err)
	}
	return c
}

// TestUndoApprovalKeepsNoReplyUnderAHiddenComment: undoing an approval would hide the
// comment, so it is refused while replies to it stay published, as a reply to a
// hidden comment is; once they are unpublished, or unpublished in the same undo, it
// goes through. Undoing what publishes a comment is not concerned.
func TestUndoApprovalKeepsNoReplyUnderAHiddenComment(t *testing.T) {
	tests := []struct {
		name string
		// prepare makes a comment and its replies and returns the ids to undo and the
		// comment whose undo must be refused (0: the undo goes through).
		prepare func(r *rig) (ids []int64, refused int64)
	}{
		{"a site's reply", func(r *rig) ([]int64, int64) {
			c := r.submit(comment.StatusPending)
			r.apply(mod, moderation.Approve, c.ID)
			if _, err := r.svc.Reply(r.ctx, moderation.ReplyRequest{Actor: mod, ParentID: c.ID, Body: "Thanks!"}); err != nil {
				r.t.Fatal(err)
			}
			return []int64{c.ID}, c.ID
		}},
		{"a reader's reply, approved by someone else", func(r *rig) ([]int64, int64) {
			c := r.submit(comment.StatusPending)
			r.apply(mod, moderation.Approve, c.ID)
			reply := r.replyTo(c, comment.StatusPending)
			r.apply(other, moderation.Approve, reply.ID)
			return []int64{c.ID}, c.ID
		}},
		{"in a batch with an undoable comment", func(r *rig) ([]int64, int64) {
			mine := r.submit(comment.StatusPending)
			r.apply(mod, moderation.Reject, mine.ID)
			c := r.submit(comment.StatusPending)
			r.apply(mod, moderation.Approve, c.ID)
			r.replyTo(c, comment.StatusApproved)
			return []int64{mine.ID, c.ID}, c.ID
		}},
		{"a reply that is not published", func(r *rig) ([]int64, int64) {
			c := r.submit(comment.StatusPending)
			r.apply(mod, moderation.Approve, c.ID)
			r.replyTo(c, comment.StatusPending)
			r.apply(mod, moderation.Reject, r.replyTo(c, comment.StatusApproved).ID)
			return []int64{c.ID}, 0
		}},
		{"the reply is unpublished in the same undo", func(r *rig) ([]int64, int64) {
			c := r.submit(comment.StatusPending)
			reply := r.replyTo(c, comment.StatusPending)
			r.apply(mod, moderation.Approve, c.ID, reply.ID)
			return []int64{c.ID, reply.ID}, 0
		}},
		{"undoing a delete republishes", func(r *rig) ([]int64, int64) {
			c := r.submit(comment.StatusApproved)
			r.replyTo(c, comment.StatusApproved)
			r.apply(mod, moderation.Delete, c.ID) // ordinary decisions are not concerned
			return []int64{c.ID}, 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
				r := newRig(t, s)
				ids, refused := tt.prepare(r)
				before := map[int64]comment.Status{}
				for _, id := range ids {
					before[id] = r.get(id).Status
				}
				_, err := r.undo(mod, ids...)
				if refused == 0 {
					if err != nil {
						t.Fatalf("undo = %v", err)
					}
					return
				}
				var ce *comment.ConflictError
				want := fmt.Sprintf("comment %d has published replies; unpublish them first", refused)
				if !errors.As(err, &ce) || !errors.Is(err, comment.ErrConflict) || ce.Field != "ids" || ce.Message != want {
					t.Fatalf("undo = %v, want a conflict on ids saying %q", err, want)
				}
				for id, st := range before {
					if got := r.get(id).Status; got != st {
						t.Errorf("a refused undo moved comment %d from %s to %s", id, st, got)
					}
				}
			})
		})
	}
}
