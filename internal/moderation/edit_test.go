package moderation

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sanitize"
)

// untouched is a store any read or write of fails the test.
func untouched(t *testing.T) fakeStore {
	return fakeStore{
		commentsByID:     func([]int64) ([]comment.Comment, error) { t.Fatal("storage read"); return nil, nil },
		applyTransitions: func([]comment.Transition) error { t.Fatal("storage write"); return nil },
	}
}

func TestWritingRefusesBadInputBeforeTouchingStorage(t *testing.T) {
	s := NewService(untouched(t), nil, sanitize.New(), nil, comment.DefaultIPv6Prefix, "", discard, clock)
	ctx := context.Background()
	tests := []struct {
		name, field string
		call        func() error
	}{
		{"an empty edit", "body", func() error {
			_, err := s.Edit(ctx, EditRequest{ID: 1, Body: " \r\n "})
			return err
		}},
		{"an oversized edit", "body", func() error {
			_, err := s.Edit(ctx, EditRequest{ID: 1, Body: strings.Repeat("é", comment.MaxBodyLen+1)})
			return err
		}},
		{"a control character", "body", func() error {
			_, err := s.Edit(ctx, EditRequest{ID: 1, Body: "bell\a"})
			return err
		}},
		{"an invisible edit", "body", func() error {
			_, err := s.Edit(ctx, EditRequest{ID: 1, Body: "\uFEFF\u200B"})
			return err
		}},
		{"an edit of direction overrides only", "body", func() error {
			_, err := s.Edit(ctx, EditRequest{ID: 1, Body: "\u202E\u2066"})
			return err
		}},
		{"an edit that renders as nothing", "body", func() error {
			_, err := s.Edit(ctx, EditRequest{ID: 1, Body: "&#x200B; [ ](https://x.example/)"})
			return err
		}},
		{"a reply that renders as nothing", "body", func() error {
			_, err := s.Reply(ctx, ReplyRequest{ParentID: 1, Body: "# &#8203;"})
			return err
		}},
		{"an invisible reply", "body", func() error {
			_, err := s.Reply(ctx, ReplyRequest{ParentID: 1, Body: "\u2800"})
			return err
		}},
		{"a long edit note", "note", func() error {
			_, err := s.Edit(ctx, EditRequest{ID: 1, Body: "ok", Note: strings.Repeat("n", MaxNote+1)})
			return err
		}},
		{"an empty reply", "body", func() error {
			_, err := s.Reply(ctx, ReplyRequest{ParentID: 1})
			return err
		}},
		{"an oversized reply", "body", func() error {
			_, err := s.Reply(ctx, ReplyRequest{ParentID: 1, Body: strings.Repeat("x", comment.MaxBodyLen+1)})
			return err
		}},
		{"undo of nothing", "ids", func() error {
			_, err := s.Undo(ctx, UndoRequest{})
			return err
		}},
		{"undo of a zero id", "ids", func() error {
			_, err := s.Undo(ctx, UndoRequest{IDs: []int64{0}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *comment.ValidationError
			if err := tt.call(); !errors.As(err, &ve) || ve.Fields[tt.field] == "" {
				t.Errorf("err = %v, want a validation error on %s", err, tt.field)
			}
		})
	}
}

func TestUndoable(t *testing.T) {
	const me = "user:1:me@example.org"
	approved := comment.Comment{ID: 7, Status: comment.StatusApproved}
	decision := comment.Event{ID: 3, Actor: me, Action: string(Approve), From: comment.StatusPending, To: comment.StatusApproved}
	with := func(f func(e *comment.Event)) comment.Event { e := decision; f(&e); return e }
	tests := []struct {
		name string
		c    comment.Comment
		e    comment.Event
		ok   bool
		want string // in the message; "" for undoable
	}{
		{"my approval", approved, decision, true, ""},
		{"my deletion", comment.Comment{ID: 7, Status: comment.StatusDeleted},
			with(func(e *comment.Event) {
				e.Action, e.From, e.To = string(Delete), comment.StatusApproved, comment.StatusDeleted
			}), true, ""},
		{"no event", approved, comment.Event{}, false, "no moderator decision"},
		{"another moderator", approved, with(func(e *comment.Event) { e.Actor = "token:2:ci" }), true, "someone else"},
		{"the author", approved, with(func(e *comment.Event) { e.Actor, e.Action = "author", "edit" }), true, "someone else"},
		{"an undo", approved, with(func(e *comment.Event) { e.Action = ActionUndo }), true, "already undone"},
		{"an edit", approved, with(func(e *comment.Event) { e.Action, e.From = ActionEdit, comment.StatusApproved }), true, "cannot be undone"},
		{"a reply", approved, with(func(e *comment.Event) { e.Action, e.From = ActionReply, "" }), true, "cannot be undone"},
		{"changed since", comment.Comment{ID: 7, Status: comment.StatusRejected}, decision, true, "changed since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := undoable(tt.c, tt.e, tt.ok, me)
			var ce *comment.ConflictError
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (!errors.As(err, &ce) || !strings.Contains(ce.Message, tt.want) || !strings.Contains(ce.Message, "7")):
				t.Errorf("err = %v, want a conflict about comment 7 saying %q", err, tt.want)
			}
		})
	}
}

func TestLessonOfARestoredStatus(t *testing.T) {
	for st, want := range map[comment.Status]string{
		comment.StatusApproved: "ham", comment.StatusSpam: "spam", comment.StatusRejected: "spam",
		comment.StatusPending: "", comment.StatusDeleted: "",
	} {
		if got := lessonOf(st); got != want {
			t.Errorf("lessonOf(%s) = %q, want %q", st, got, want)
		}
	}
}
