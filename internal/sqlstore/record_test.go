package sqlstore_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

func TestRecordReadsAuthorAddressAndBansAtOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		at := func(h int) time.Time { return epoch.Add(time.Duration(h) * time.Hour) }
		for i, st := range []comment.Status{comment.StatusApproved, comment.StatusSpam, comment.StatusSpam, comment.StatusPending} {
			c := newComment("blog", st)
			c.CreatedAt = at(i)
			mustCreate(t, s, c, "/t")
		}
		old := newComment("blog", comment.StatusSpam) // before the window
		old.CreatedAt = at(-100)
		mustCreate(t, s, old, "/t")
		elsewhere := newComment("other", comment.StatusSpam)
		mustCreate(t, s, elsewhere, "/t")

		secret := []byte("s")
		keys := comment.SubmissionBanKeys(secret, comment.DefaultIPv6Prefix, "ada@example.com", "https://ada.example", "192.0.2.1")
		for _, b := range []comment.Ban{
			{SiteID: "blog", Kind: comment.BanEmail, Value: keys.Email, CreatedAt: epoch},
			{SiteID: "blog", Kind: comment.BanDomain, Value: "ada.example", CreatedAt: epoch, ExpiresAt: at(1)}, // expired at now
			{SiteID: "other", Kind: comment.BanIP, Value: keys.IPs[0], CreatedAt: epoch},                        // another site
		} {
			if err := s.CreateBan(ctx, &b); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Record(ctx, "blog", "key-ada", "net-ada", "", 0, keys, at(-10), at(5))
		if err != nil {
			t.Fatal(err)
		}
		if r.Author.Approved != 1 || r.Author.Spam != 3 {
			t.Errorf("author %+v, want 1 approved and 3 spam (all time)", r.Author)
		}
		if want := (comment.StatusCounts{comment.StatusApproved: 1, comment.StatusSpam: 2, comment.StatusPending: 1}); !maps.Equal(r.Address, want) {
			t.Errorf("address %v, want %v within the window", r.Address, want)
		}
		if got := r.Address.Tally(); got != (comment.Tally{Approved: 1, Spam: 2}) {
			t.Errorf("address tally %+v, want 1 approved and 2 spam", got)
		}
		if !slices.Equal(r.Banned, []comment.BanKind{comment.BanEmail}) {
			t.Errorf("bans %v, want only the active email ban of this site", r.Banned)
		}
		stranger, err := s.Record(ctx, "blog", "nobody", "", "", 0, comment.BanKeys{}, at(-10), at(5))
		if err != nil || stranger.Author.Approved != 0 || len(stranger.Address) != 0 || len(stranger.Banned) != 0 {
			t.Errorf("a stranger: %+v %v", stranger, err)
		}
		bans, err := s.Bans(ctx, []string{"blog"}, "")
		if err != nil || len(bans) != 2 {
			t.Fatalf("bans of blog: %v %v", bans, err)
		}
		if err := s.DeleteBan(ctx, []string{"blog"}, bans[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBan(ctx, []string{"blog"}, bans[0].ID); err == nil {
			t.Error("deleting twice succeeded")
		}
	})
}

// TestRecordMatchesBansByNetwork: an IP ban names an address or a network, and a
// submission from any address in it is banned; one outside it, or on another site, is
// not. Bans of IPv6 single addresses cover the client's /64.
func TestRecordMatchesBansByNetwork(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		secret := []byte("s")
		for _, v := range []struct{ site, value string }{
			{"blog", "198.51.100.0/22"}, {"blog", "203.0.113.9"}, {"blog", "2001:db8:1:2::7"},
			{"blog", "2001:db8:aa00::/40"}, {"other", "192.0.2.0/24"},
		} {
			b, err := comment.NewBan(secret, comment.DefaultIPv6Prefix, v.site, comment.BanIP, v.value, "", "mod", epoch, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateBan(ctx, &b); err != nil {
				t.Fatal(err)
			}
		}
		for ip, banned := range map[string]bool{
			"198.51.100.1": true, "198.51.103.254": true, "198.51.104.1": false,
			"203.0.113.9": true, "203.0.113.10": false, "::ffff:203.0.113.9": true,
			"2001:db8:1:2:ffff::1": true, "2001:db8:1:3::7": false,
			"2001:db8:aabb::1": true, "2001:db8:ab00::1": false,
			"192.0.2.1": false, // banned on another site
		} {
			keys := comment.SubmissionBanKeys(secret, comment.DefaultIPv6Prefix, "x@example.org", "", ip)
			r, err := s.Record(ctx, "blog", "k", "", "", 0, keys, epoch, epoch)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(r.Banned, comment.BanIP); got != banned {
				t.Errorf("%s banned = %v, want %v", ip, got, banned)
			}
		}
	})
}

// TestRecordFindsTheIdempotencyKey: the submission's one read also finds the comment
// an earlier submission with its Idempotency-Key stored on the same site, and only it.
func TestRecordFindsTheIdempotencyKey(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		mustCreate(t, s, newComment("blog", comment.StatusPending), "/t") // no key
		keyed := newComment("blog", comment.StatusPending)
		keyed.IdempotencyKey = "idem-1"
		mustCreate(t, s, keyed, "/t")
		elsewhere := newComment("other", comment.StatusPending)
		elsewhere.IdempotencyKey = "idem-2"
		mustCreate(t, s, elsewhere, "/t")
		for key, want := range map[string]int64{"idem-1": keyed.ID, "idem-2": 0, "": 0, "idem-3": 0} {
			r, err := s.Record(ctx, "blog", "key-ada", "net-ada", key, 0, comment.BanKeys{}, epoch, epoch)
			if err != nil {
				t.Fatal(err)
			}
			if r.Replay != want {
				t.Errorf("key %q: Replay = %d, want %d", key, r.Replay, want)
			}
			if r.Author.Spam != 0 || r.Author.Approved != 0 {
				t.Errorf("key %q: author %+v, want no counts (all pending)", key, r.Author)
			}
		}
	})
}

// TestRecordFindsTheParent: the same read finds the thread and status of the comment a
// reply answers, on the same site only.
func TestRecordFindsTheParent(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		published := mustCreate(t, s, newComment("blog", comment.StatusApproved), "/t")
		held := mustCreate(t, s, newComment("blog", comment.StatusPending), "/u")
		elsewhere := mustCreate(t, s, newComment("other", comment.StatusApproved), "/t")
		for _, tc := range []struct {
			parent int64
			thread string
			status comment.Status
		}{
			{published.ID, "/t", comment.StatusApproved}, {held.ID, "/u", comment.StatusPending},
			{elsewhere.ID, "", ""}, {0, "", ""}, {elsewhere.ID + 100, "", ""},
		} {
			r, err := s.Record(ctx, "blog", "key-ada", "", "", tc.parent, comment.BanKeys{}, epoch, epoch)
			if err != nil {
				t.Fatal(err)
			}
			if r.ParentThread != tc.thread || r.ParentStatus != tc.status {
				t.Errorf("parent %d: %q %q, want %q %q", tc.parent, r.ParentThread, r.ParentStatus, tc.thread, tc.status)
			}
		}
	})
}

// TestRecordPlanUsesTheIndexes: the submission's one read finds the Idempotency-Key
// on comments_idempotency and the bans on bans_site_value. On PostgreSQL the plan is
// the generic one a prepared statement settles on, which cannot see the values: the
// key's row must repeat the partial index's predicate, and the ban values must be an
// array, not a subquery, for the index to serve them.
func TestRecordPlanUsesTheIndexes(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		conn, err := sqlstore.ReadDB(s).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		query, args := "EXPLAIN QUERY PLAN "+sqlstore.RecordSQL(s), []any{"blog", "a", "n", int64(0), int64(0), "k", int64(1), `["x","y"]`}
		if s.Dialect() == "postgres" {
			for _, q := range []string{"SET plan_cache_mode = force_generic_plan", "SET enable_seqscan = off",
				"PREPARE record AS " + sqlstore.RecordSQL(s)} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			query, args = `EXPLAIN EXECUTE record('blog', 'a', 'n', 0, 0, 'k', 1, '["x","y"]')`, nil
		}
		rows, err := conn.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		text := strings.Join(plan, "\n")
		for _, want := range []string{"comments_idempotency", "bans_site_value"} {
			if !strings.Contains(text, want) {
				t.Errorf("plan does not use %s:\n%s", want, text)
			}
		}
		if s.Dialect() == "postgres" && !strings.Contains(text, "value = ANY") {
			t.Errorf("the bans are not looked up by value on the index:\n%s", text)
		}
	})
}
