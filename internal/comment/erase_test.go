package comment

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVisible(t *testing.T) {
	c := func(id, parent int64, st Status) Comment {
		return Comment{ID: id, ParentID: parent, Status: st, AuthorName: "Ann", AuthorEmail: "ann@example.org",
			BodySource: "secret words", BodyHTML: "<p>secret words</p>", IP: "192.0.2.1", AvatarHash: "abc"}
	}
	tests := []struct {
		name  string
		in    []Comment
		want  []int64
		stubs []int64
	}{
		{"nothing deleted", []Comment{c(1, 0, StatusApproved), c(2, 1, StatusApproved)}, []int64{1, 2}, nil},
		{"deleted without replies", []Comment{c(1, 0, StatusDeleted), c(2, 0, StatusApproved)}, []int64{2}, nil},
		{"deleted parent of a published reply", []Comment{c(1, 0, StatusDeleted), c(2, 1, StatusApproved)}, []int64{1, 2}, []int64{1}},
		{"two deleted levels", []Comment{c(1, 0, StatusDeleted), c(2, 1, StatusDeleted), c(3, 2, StatusApproved)}, []int64{1, 2, 3}, []int64{1, 2}},
		{"deleted reply under a deleted parent", []Comment{c(1, 0, StatusDeleted), c(2, 1, StatusDeleted), c(3, 0, StatusApproved)}, []int64{3}, nil},
		{"held comments never show", []Comment{c(1, 0, StatusPending), c(2, 1, StatusApproved)}, []int64{2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Visible(tt.in)
			var ids, stubs []int64
			for _, g := range got {
				ids = append(ids, g.ID)
				if g.Status == StatusDeleted {
					stubs = append(stubs, g.ID)
					if g.AuthorName != ErasedText || strings.Contains(g.BodyHTML, "secret") || g.AuthorEmail != "" || g.IP != "" || g.BodySource != "" || g.AvatarHash != ErasedAvatar {
						t.Errorf("stub %+v", g)
					}
				}
			}
			if !slices.Equal(ids, tt.want) || !slices.Equal(stubs, tt.stubs) {
				t.Errorf("Visible = %v (stubs %v), want %v (stubs %v)", ids, stubs, tt.want, tt.stubs)
			}
		})
	}
}

func TestErased(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Comment{ID: 7, ParentID: 3, SiteID: "blog", ThreadID: 9, AuthorName: "Ann", AuthorEmail: "ann@example.org", EmailKey: "k",
		AuthorKey: "a", AuthorURL: "https://ann.example", IP: "192.0.2.1", AddressKey: "x", UserAgent: "UA", BodySource: "hi",
		BodyHTML: "<p>hi</p>", Status: StatusApproved, Reasons: []string{"r"}, EditTokenHash: "e", IdempotencyKey: "i",
		Trained: "ham", PageURL: "https://blog.example/p", PageTitle: "P", CreatedAt: at}
	want := Comment{ID: 7, ParentID: 3, SiteID: "blog", ThreadID: 9, AuthorName: ErasedText, AvatarHash: ErasedAvatar,
		BodySource: ErasedText, BodyHTML: "<p>" + ErasedText + "</p>", Status: StatusDeleted, Trained: "none", CreatedAt: at, UpdatedAt: at.Add(time.Hour)}
	if got := c.Erased(at.Add(time.Hour)); !reflect.DeepEqual(got, want) {
		t.Errorf("Erased = %+v\nwant %+v", got, want)
	}
}
