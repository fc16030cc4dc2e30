package moderation

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// fakeStore is a Store made of function fields, so each test says what storage does.
type fakeStore struct {
	commentsByID     func(ids []int64) ([]comment.Comment, error)
	applyTransitions func(ts []comment.Transition) error
	createBan        func(b *comment.Ban) error
	latestEvents     func(ids []int64) (map[int64]comment.Event, error)
	editComment      func(e comment.Edit) error
	site             func(id string) (site.Site, error)
	createComment    func(c *comment.Comment, e comment.Event) error
	approvedReplies  func(parentIDs []int64) (map[int64][]int64, error)
}

func (f fakeStore) ApprovedReplies(_ context.Context, parentIDs []int64) (map[int64][]int64, error) {
	if f.approvedReplies == nil {
		return nil, errors.New("unexpected ApprovedReplies")
	}
	return f.approvedReplies(parentIDs)
}

func (f fakeStore) LatestEvents(_ context.Context, ids []int64) (map[int64]comment.Event, error) {
	if f.latestEvents == nil {
		return nil, errors.New("unexpected LatestEvents")
	}
	return f.latestEvents(ids)
}

func (f fakeStore) EditComment(_ context.Context, e comment.Edit) error {
	if f.editComment == nil {
		return errors.New("unexpected EditComment")
	}
	return f.editComment(e)
}

func (f fakeStore) Site(_ context.Context, id string) (site.Site, error) {
	if f.site == nil {
		return site.Site{}, errors.New("unexpected Site")
	}
	return f.site(id)
}

func (f fakeStore) CreateCommentWithEvent(_ context.Context, c *comment.Comment, _ comment.Thread, _ comment.Notice, e comment.Event) error {
	if f.createComment == nil {
		return errors.New("unexpected CreateCommentWithEvent")
	}
	return f.createComment(c, e)
}

func (f fakeStore) CommentsByID(_ context.Context, ids []int64) ([]comment.Comment, error) {
	return f.commentsByID(ids)
}

func (f fakeStore) CreateBan(_ context.Context, b *comment.Ban) error {
	if f.createBan == nil {
		return errors.New("unexpected CreateBan")
	}
	return f.createBan(b)
}

func (f fakeStore) ApplyTransitions(_ context.Context, ts []comment.Transition) error {
	return f.applyTransitions(ts)
}

func pendingComments(ids []int64) ([]comment.Comment, error) {
	var cs []comment.Comment
	for _, id := range ids {
		cs = append(cs, comment.Comment{ID: id, SiteID: "blog", Status: comment.StatusPending})
	}
	return cs, nil
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

var clock = func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

func TestApplyWritesOneTransitionPerChangedComment(t *testing.T) {
	var got []comment.Transition
	s := NewService(fakeStore{
		commentsByID: func(ids []int64) ([]comment.Comment, error) {
			cs, _ := pendingComments(ids)
			cs[0].Status, cs[0].PublishedAt = comment.StatusApproved, clock() // already there: no event
			return cs, nil
		},
		applyTransitions: func(ts []comment.Transition) error { got = ts; return nil },
	}, nil, nil, nil, comment.DefaultIPv6Prefix, "", discard, clock)
	cs, err := s.Apply(context.Background(), Request{Actor: "token:a", Action: Approve, IDs: []int64{2, 1, 2, 3}, Note: " ok "})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 || len(got) != 2 {
		t.Fatalf("%d comments, %d transitions", len(cs), len(got))
	}
	for _, tr := range got {
		e := tr.Event
		if tr.To != comment.StatusApproved || e.From != comment.StatusPending || e.Actor != "token:a" || e.Note != "ok" || !e.CreatedAt.Equal(clock()) {
			t.Errorf("transition %+v", tr)
		}
	}
	for _, c := range cs {
		if c.Status != comment.StatusApproved || c.PublishedAt.IsZero() {
			t.Errorf("returned %+v", c)
		}
	}
}

func TestApplyRefusesBadRequestsBeforeTouchingStorage(t *testing.T) {
	s := NewService(fakeStore{
		commentsByID:     func([]int64) ([]comment.Comment, error) { t.Fatal("storage read"); return nil, nil },
		applyTransitions: func([]comment.Transition) error { t.Fatal("storage write"); return nil },
	}, nil, nil, nil, comment.DefaultIPv6Prefix, "", discard, clock)
	many := make([]int64, MaxBatch+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	for name, req := range map[string]Request{
		"unknown action": {Action: "publish", IDs: []int64{1}},
		"no ids":         {Action: Approve},
		"zero id":        {Action: Approve, IDs: []int64{0}},
		"too many":       {Action: Approve, IDs: many},
		"long note":      {Action: Approve, IDs: []int64{1}, Note: string(make([]byte, MaxNote+1))},
	} {
		var ve *comment.ValidationError
		if _, err := s.Apply(context.Background(), req); !errors.As(err, &ve) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestApplyAllOrNothing(t *testing.T) {
	tests := []struct {
		name    string
		store   fakeStore
		allowed func(string) bool
		want    error
	}{
		{"a missing comment fails the batch", fakeStore{
			commentsByID: func(ids []int64) ([]comment.Comment, error) { cs, _ := pendingComments(ids[:1]); return cs, nil },
		}, nil, comment.ErrNotFound},
		{"a comment of another site fails the batch", fakeStore{commentsByID: pendingComments},
			func(site string) bool { return site != "blog" }, comment.ErrNotFound},
		{"a deleted comment cannot come back", fakeStore{commentsByID: func(ids []int64) ([]comment.Comment, error) {
			return []comment.Comment{{ID: ids[0], Status: comment.StatusDeleted}}, nil
		}}, nil, comment.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.store.applyTransitions = func([]comment.Transition) error { t.Fatal("wrote"); return nil }
			s := NewService(tt.store, nil, nil, nil, comment.DefaultIPv6Prefix, "", discard, clock)
			ids := []int64{1, 2}
			if tt.name == "a deleted comment cannot come back" {
				ids = ids[:1]
			}
			if _, err := s.Apply(context.Background(), Request{Action: Spam, IDs: ids, Allowed: tt.allowed}); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestApplyRetriesOnceAfterAConcurrentChange(t *testing.T) {
	writes := 0
	s := NewService(fakeStore{commentsByID: pendingComments, applyTransitions: func([]comment.Transition) error {
		writes++
		return comment.ErrConflict
	}}, nil, nil, nil, comment.DefaultIPv6Prefix, "", discard, clock)
	_, err := s.Apply(context.Background(), Request{Action: Reject, IDs: []int64{1}})
	if !errors.Is(err, comment.ErrConflict) || writes != 2 {
		t.Errorf("err %v after %d writes, want a conflict after 2", err, writes)
	}
}

func TestApplyPublishesOnceAtTheFirstApproval(t *testing.T) {
	first := clock().Add(-time.Hour)
	var got []comment.Transition
	s := NewService(fakeStore{
		commentsByID: func(ids []int64) ([]comment.Comment, error) {
			return []comment.Comment{{ID: 1, Status: comment.StatusRejected, PublishedAt: first}, {ID: 2, Status: comment.StatusPending}}, nil
		},
		applyTransitions: func(ts []comment.Transition) error { got = ts; return nil },
	}, nil, nil, nil, comment.DefaultIPv6Prefix, "", discard, clock)
	if _, err := s.Apply(context.Background(), Request{Action: Approve, IDs: []int64{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if !got[0].PublishedAt.Equal(first) || !got[1].PublishedAt.Equal(clock()) {
		t.Errorf("published at %v and %v, want the earlier first approval and now", got[0].PublishedAt, got[1].PublishedAt)
	}
}

// learnerFunc adapts a function to Learner.
type learnerFunc func(c comment.Comment, label string) error

func (f learnerFunc) LearnComment(_ context.Context, c comment.Comment, label string) error {
	return f(c, label)
}

func TestDecisionsTeachTheClassifier(t *testing.T) {
	tests := []struct {
		action Action
		want   string
	}{{Spam, "spam"}, {Reject, "spam"}, {Approve, "ham"}, {NotSpam, "ham"}, {Delete, ""}}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			var taught []string
			learner := learnerFunc(func(c comment.Comment, label string) error {
				taught = append(taught, label)
				return errors.New("a failure to learn must not fail the decision")
			})
			s := NewService(fakeStore{commentsByID: pendingComments, applyTransitions: func([]comment.Transition) error { return nil }},
				learner, nil, nil, comment.DefaultIPv6Prefix, "", discard, clock)
			if _, err := s.Apply(context.Background(), Request{Action: tt.action, IDs: []int64{1, 2}}); err != nil {
				t.Fatal(err)
			}
			if tt.want == "" && len(taught) != 0 || tt.want != "" && (len(taught) != 2 || taught[0] != tt.want) {
				t.Errorf("taught %v, want %q twice", taught, tt.want)
			}
		})
	}
}
