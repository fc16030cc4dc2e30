package intake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

func TestEditByTheAuthor(t *testing.T) {
	const token = "the-token"
	base := comment.Comment{ID: 3, SiteID: "blog", ThreadKey: "/p", AuthorName: "Ann", AuthorEmail: "ann@example.org",
		Status: comment.StatusApproved, EditTokenHash: hashToken(token), CreatedAt: now().Add(-5 * time.Minute),
		PublishedAt: now().Add(-5 * time.Minute)}
	tests := []struct {
		name  string
		c     func(c *comment.Comment)
		token string
		body  string
		want  error
		check func(t *testing.T, e comment.Edit)
	}{
		{"a published comment stays published and notifies an update", func(*comment.Comment) {}, token, "Fixed a *typo*", nil,
			func(t *testing.T, e comment.Edit) {
				if e.Transition != nil || !e.NewVersion || e.Notify.Type != comment.EventUpdated || e.BodyHTML != "<p>Fixed a <em>typo</em></p>" ||
					!strings.Contains(string(e.Notify.Payload), `typo`) {
					t.Errorf("%+v", e)
				}
			}},
		{"links added to a published comment take it down for a moderator", func(*comment.Comment) {}, token,
			"see https://a.example and https://b.example", nil,
			func(t *testing.T, e comment.Edit) {
				if e.Transition == nil || e.Transition.To != comment.StatusPending || e.Transition.Notify.Type != comment.EventUnpublished || e.NewVersion {
					t.Errorf("%+v (new version %v)", e.Transition, e.NewVersion)
				}
			}},
		{"a held comment stays held", func(c *comment.Comment) { c.Status = comment.StatusPending }, token, "cleaner text", nil,
			func(t *testing.T, e comment.Edit) {
				if e.Transition != nil || e.NewVersion || e.Notify.Type != "" {
					t.Errorf("%+v", e)
				}
			}},
		{"a wrong token", func(*comment.Comment) {}, "guess", "x", comment.ErrNotFound, nil},
		{"a comment judged spam", func(c *comment.Comment) { c.Status = comment.StatusSpam }, token, "x", comment.ErrNotFound, nil},
		{"after the window", func(c *comment.Comment) { c.CreatedAt = now().Add(-comment.EditWindow - time.Second) }, token, "x", comment.ErrEditClosed, nil},
		{"a rejected comment is gone", func(c *comment.Comment) { c.Status = comment.StatusRejected }, token, "x", comment.ErrNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.c(&c)
			var got comment.Edit
			st := fakeStore{t: t,
				get:  func(int64) (comment.Comment, error) { return c, nil },
				edit: func(e comment.Edit) error { got = e; return nil },
			}
			_, err := newService(st).Edit(context.Background(), 3, tt.token, tt.body, Meta{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestEditValidatesTheNewText(t *testing.T) {
	c := comment.Comment{ID: 3, SiteID: "blog", ThreadKey: "/p", AuthorName: "Ann", AuthorEmail: "ann@example.org",
		Status: comment.StatusPending, EditTokenHash: hashToken("t"), CreatedAt: now()}
	for body, want := range map[string]string{
		"  ":            "required",
		"\uFEFF":        "must contain a visible character",
		"\u2800\u200B":  "must contain a visible character",
		"&nbsp;&#8203;": "must contain a visible character",
		"- \n\n***":     "must contain a visible character",
		"\u202E":        "required",
		"\xff":          "must be valid UTF-8",
	} {
		st := fakeStore{t: t, get: func(int64) (comment.Comment, error) { return c, nil }}
		_, err := newService(st).Edit(context.Background(), 3, "t", body, Meta{})
		var ve *comment.ValidationError
		if !errors.As(err, &ve) || ve.Fields["body"] != want {
			t.Errorf("%+q: err = %v, want body: %s", body, err, want)
		}
	}
}

// TestEditStoresTheNormalizedText: the author's new text loses its direction
// overrides and is stored in NFC, as a submission's; a name stored before the name
// rules does not stand in the way of an edit to the text.
func TestEditStoresTheNormalizedText(t *testing.T) {
	c := comment.Comment{ID: 3, SiteID: "blog", ThreadKey: "/p", AuthorName: "\u200B", AuthorEmail: "ann@example.org",
		Status: comment.StatusPending, EditTokenHash: hashToken("t"), CreatedAt: now()}
	var got comment.Edit
	st := fakeStore{t: t, get: func(int64) (comment.Comment, error) { return c, nil },
		edit: func(e comment.Edit) error { got = e; return nil }}
	res, err := newService(st).Edit(context.Background(), 3, "t", "Cafe\u0301 admin\u202Etxt.exe", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Café admintxt.exe"; got.BodySource != want || res.Comment.BodySource != want {
		t.Errorf("stored %+q, answered %+q, want %+q", got.BodySource, res.Comment.BodySource, want)
	}
}

func TestDeleteByTheAuthorUnpublishes(t *testing.T) {
	c := comment.Comment{ID: 3, SiteID: "blog", Status: comment.StatusApproved, EditTokenHash: hashToken("t"), CreatedAt: now()}
	var got []comment.Transition
	st := fakeStore{t: t, get: func(int64) (comment.Comment, error) { return c, nil },
		transitions: func(ts []comment.Transition) error { got = ts; return nil }}
	if err := newService(st).Delete(context.Background(), 3, "t"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].To != comment.StatusDeleted || got[0].Notify.Type != comment.EventUnpublished || got[0].Event.Actor != "author" {
		t.Errorf("%+v", got)
	}
}
