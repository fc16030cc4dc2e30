package sqlstore_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

func TestListCommentsFilters(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "a")
		mustSite(t, s, "b")
		add := func(site, key string, st comment.Status, edit func(c *comment.Comment)) int64 {
			c := newComment(site, st)
			c.BodySource, c.AuthorName, c.AuthorEmail, c.AuthorURL = "plain words", "Plain", "plain@example.com", ""
			if edit != nil {
				edit(c)
			}
			return mustCreate(t, s, c, key).ID
		}
		p1 := add("a", "/one", comment.StatusPending, nil)
		p2 := add("a", "/two", comment.StatusPending, func(c *comment.Comment) { c.BodySource = "A NeedLe in the body" })
		ap := add("a", "/one", comment.StatusApproved, func(c *comment.Comment) { c.AuthorName = "needle-name" })
		sp := add("a", "/two", comment.StatusSpam, func(c *comment.Comment) { c.AuthorEmail = "NEEDLE@example.com" })
		b1 := add("b", "/one", comment.StatusPending, func(c *comment.Comment) { c.AuthorURL = "https://needle.example" })
		b2 := add("b", "/one", comment.StatusRejected, nil)
		pct := add("b", "/pct", comment.StatusPending, func(c *comment.Comment) { c.BodySource = "save 50% now" })
		nopct := add("b", "/pct", comment.StatusPending, func(c *comment.Comment) { c.BodySource = "save 500 now" })
		und := add("b", "/pct", comment.StatusPending, func(c *comment.Comment) { c.BodySource = "snake_case" })
		noUnd := add("b", "/pct", comment.StatusPending, func(c *comment.Comment) { c.BodySource = "snakeXcase" })
		bs := add("b", "/pct", comment.StatusPending, func(c *comment.Comment) { c.BodySource = `back\slash` })

		tests := []struct {
			name string
			q    comment.Query
			want []int64 // newest first
		}{
			{"all", comment.Query{}, []int64{bs, noUnd, und, nopct, pct, b2, b1, sp, ap, p2, p1}},
			{"scope", comment.Query{Scope: []string{"a"}}, []int64{sp, ap, p2, p1}},
			{"scope two sites", comment.Query{Scope: []string{"a", "b"}, Status: comment.StatusRejected}, []int64{b2}},
			{"site outside scope", comment.Query{Scope: []string{"a"}, SiteID: "b"}, []int64{}},
			{"site", comment.Query{SiteID: "a"}, []int64{sp, ap, p2, p1}},
			{"thread key", comment.Query{ThreadKey: "/one"}, []int64{b2, b1, ap, p1}},
			{"site and thread", comment.Query{SiteID: "a", ThreadKey: "/one"}, []int64{ap, p1}},
			{"status", comment.Query{Status: comment.StatusPending, SiteID: "a"}, []int64{p2, p1}},
			{"spam", comment.Query{Status: comment.StatusSpam}, []int64{sp}},
			{"text in any field, any case", comment.Query{Text: "nEEdle"}, []int64{b1, sp, ap, p2}},
			{"text and status", comment.Query{Text: "needle", Status: comment.StatusPending}, []int64{b1, p2}},
			{"percent is literal", comment.Query{Text: "50%"}, []int64{pct}},
			{"underscore is literal", comment.Query{Text: "e_c"}, []int64{und}},
			{"backslash is literal", comment.Query{Text: `k\s`}, []int64{bs}},
			{"no match", comment.Query{Text: "absent"}, []int64{}},
			{"oldest", comment.Query{SiteID: "a", Sort: comment.SortOldest}, []int64{p1, p2, ap, sp}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, next, err := s.ListComments(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), tt.want) || next != "" {
					t.Errorf("ListComments = %v, %q; want %v, no next page", ids(got), next, tt.want)
				}
			})
		}
		if n := mustCount(t, s, comment.StatusPending); n != 8 {
			t.Errorf("CountComments(pending) = %d, want 8", n)
		}
		if n := mustCount(t, s, ""); n != 11 {
			t.Errorf("CountComments(any) = %d, want 11", n)
		}
	})
}

func TestListCommentsPaging(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		var all []comment.Comment
		for i := range 120 {
			c := newComment("blog", comment.StatusPending)
			c.Score = float64(i*7%5) / 3 // many ties, and scores without an exact decimal form
			all = append(all, *mustCreate(t, s, c, fmt.Sprintf("/t%d", i%3)))
		}
		sorts := map[string]func(a, b comment.Comment) int{
			comment.SortNewest: func(a, b comment.Comment) int { return cmp.Compare(b.ID, a.ID) },
			comment.SortOldest: func(a, b comment.Comment) int { return cmp.Compare(a.ID, b.ID) },
			comment.SortScore: func(a, b comment.Comment) int {
				return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.ID, a.ID))
			},
		}
		for sort, order := range sorts {
			for _, limit := range []int{7, 50, 120, 500} {
				t.Run(fmt.Sprintf("%s by %d", sort, limit), func(t *testing.T) {
					want := ids(slices.SortedFunc(slices.Values(all), order))
					var got []int64
					q := comment.Query{Sort: sort, Limit: limit, Status: comment.StatusPending}
					for pages := 0; ; pages++ {
						if pages > 120 {
							t.Fatal("paging does not end")
						}
						page, next, err := s.ListComments(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						if len(page) > limit {
							t.Fatalf("page of %d, limit %d", len(page), limit)
						}
						got = append(got, ids(page)...)
						if next == "" {
							break
						}
						q.Cursor = next
					}
					if !slices.Equal(got, want) {
						t.Errorf("paged ids =\n%v\nwant\n%v", got, want)
					}
				})
			}
		}
		page, next, err := s.ListComments(ctx, comment.Query{})
		if err != nil || len(page) != sqlstore.DefaultLimit || next == "" {
			t.Errorf("default page: %d comments, next %q, %v; want %d and a cursor", len(page), next, err, sqlstore.DefaultLimit)
		}
	})
}

func TestListBadInput(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		for range 3 {
			mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		}
		_, newest, _ := s.ListComments(ctx, comment.Query{Limit: 1})
		_, score, _ := s.ListComments(ctx, comment.Query{Limit: 1, Sort: comment.SortScore})
		tests := []struct {
			name, field string
			q           comment.Query
		}{
			{"not base64", "cursor", comment.Query{Cursor: "%%%"}},
			{"garbage", "cursor", comment.Query{Cursor: enc("hello")}},
			{"bad id", "cursor", comment.Query{Cursor: enc("newest:x")}},
			{"negative id", "cursor", comment.Query{Cursor: enc("newest:-1")}},
			{"bad score", "cursor", comment.Query{Sort: comment.SortScore, Cursor: enc("score:5:NaN")}},
			{"other sort", "cursor", comment.Query{Sort: comment.SortScore, Cursor: newest}},
			{"other sort back", "cursor", comment.Query{Cursor: score}},
			{"sort", "sort", comment.Query{Sort: "random"}},
			{"status", "status", comment.Query{Status: "weird"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.ListComments(ctx, tt.q)
				if err := fieldErr(err, tt.field); err != nil {
					t.Error(err)
				}
			})
		}
		if _, _, err := s.ListEvents(ctx, comment.EventQuery{Cursor: newest}); fieldErr(err, "cursor") != nil {
			t.Errorf("ListEvents with a comment cursor: %v", fieldErr(err, "cursor"))
		}
	})
}

func TestListEvents(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "a")
		mustSite(t, s, "b")
		var cs []*comment.Comment
		for _, site := range []string{"a", "a", "b"} {
			cs = append(cs, mustCreate(t, s, newComment(site, comment.StatusPending), "/t"))
		}
		// Every comment is approved by alice, then moved back to pending by bob.
		for _, c := range cs {
			if err := s.ApplyTransitions(ctx, []comment.Transition{transition(c, comment.StatusApproved, "alice", epoch)}); err != nil {
				t.Fatal(err)
			}
			c.Status = comment.StatusApproved
		}
		var back []comment.Transition
		for _, c := range cs {
			back = append(back, transition(c, comment.StatusPending, "bob", epoch))
		}
		if err := s.ApplyTransitions(ctx, back); err != nil {
			t.Fatal(err)
		}

		all, next, err := s.ListEvents(ctx, comment.EventQuery{})
		if err != nil || next != "" || len(all) != 6 {
			t.Fatalf("ListEvents = %d events, %q, %v; want 6", len(all), next, err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID {
				t.Fatalf("events not newest first: %d after %d", all[i].ID, all[i-1].ID)
			}
		}
		if e := all[0]; e.Actor != "bob" || e.From != comment.StatusApproved || e.To != comment.StatusPending ||
			e.CommentID != cs[2].ID || e.SiteID != "b" || !e.CreatedAt.Equal(epoch) {
			t.Errorf("newest event = %+v", e)
		}

		var paged []int64
		q := comment.EventQuery{Limit: 4}
		for {
			page, next, err := s.ListEvents(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				paged = append(paged, e.ID)
			}
			if next == "" {
				break
			}
			q.Cursor = next
		}
		var want []int64
		for _, e := range all {
			want = append(want, e.ID)
		}
		if !slices.Equal(paged, want) {
			t.Errorf("paged events = %v, want %v", paged, want)
		}

		count := func(q comment.EventQuery) int {
			t.Helper()
			es, _, err := s.ListEvents(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		filters := []struct {
			name string
			q    comment.EventQuery
			want int
		}{
			{"site", comment.EventQuery{SiteID: "a"}, 4},
			{"scope", comment.EventQuery{Scope: []string{"b"}}, 2},
			{"scope both", comment.EventQuery{Scope: []string{"a", "b"}}, 6},
			{"comment", comment.EventQuery{CommentID: cs[1].ID}, 2},
			{"actor", comment.EventQuery{Actor: "alice"}, 3},
			{"actor and site", comment.EventQuery{Actor: "bob", SiteID: "b"}, 1},
			{"nobody", comment.EventQuery{Actor: "carol"}, 0},
		}
		for _, f := range filters {
			if got := count(f.q); got != f.want {
				t.Errorf("%s: %d events, want %d", f.name, got, f.want)
			}
		}

		for _, c := range []struct {
			scope []string
			want  []string
		}{{nil, []string{"alice", "bob"}}, {[]string{"b"}, []string{"alice", "bob"}}, {[]string{}, []string{}}, {[]string{"c"}, []string{}}} {
			if got, err := s.EventActors(ctx, c.scope); err != nil || !slices.Equal(got, c.want) {
				t.Errorf("EventActors(%q) = %q, %v; want %q", c.scope, got, err, c.want)
			}
		}
	})
}
