package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

func TestCreateCommentCountsFollowStatus(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		statuses := []comment.Status{comment.StatusPending, comment.StatusApproved, comment.StatusSpam,
			comment.StatusApproved, comment.StatusRejected}
		var threadID int64
		for i, st := range statuses {
			c := mustCreate(t, s, newComment("blog", st), "/post")
			if c.ID == 0 || c.ThreadID == 0 || c.ThreadKey != "/post" {
				t.Fatalf("CreateComment did not set ids: %+v", c)
			}
			if i == 0 {
				threadID = c.ThreadID
			} else if c.ThreadID != threadID {
				t.Fatalf("comment %d went to thread %d, want the existing %d", i, c.ThreadID, threadID)
			}
			if st == comment.StatusApproved && !c.PublishedAt.Equal(c.CreatedAt) {
				t.Errorf("approved comment published at %v, want %v", c.PublishedAt, c.CreatedAt)
			}
		}
		th := mustThread(t, s, "blog", "/post")
		if th.ID != threadID || th.ApprovedCount != 2 || th.Version != 2 || th.URL != "https://blog.example//post" {
			t.Errorf("thread = %+v, want id %d, 2 approved, version 2", th, threadID)
		}
		if th.CreatedAt.IsZero() || th.Locked || th.SiteID != "blog" {
			t.Errorf("thread fields = %+v", th)
		}
		if a := mustAuthor(t, s, "blog", "key-ada"); a.Approved != 2 || a.Spam != 1 {
			t.Errorf("author = %+v, want 2 approved, 1 spam", a)
		}
		if a := mustAuthor(t, s, "blog", "nobody"); a != (comment.Author{SiteID: "blog", Key: "nobody"}) {
			t.Errorf("unknown author = %+v, want zero counts", a)
		}
		if _, err := s.ThreadByKey(ctx, "blog", "/other"); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("ThreadByKey(missing) = %v, want ErrNotFound", err)
		}
	})
}

func TestCreateCommentFillsThreadOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		for _, th := range []comment.Thread{
			{Key: "k"},
			{Key: "k", URL: "https://blog.example/k", Title: "First"},
			{Key: "k", URL: "https://blog.example/other", Title: "Second"},
		} {
			if err := s.CreateComment(ctx, newComment("blog", comment.StatusPending), th, comment.Notice{}); err != nil {
				t.Fatal(err)
			}
		}
		th := mustThread(t, s, "blog", "k")
		if th.URL != "https://blog.example/k" || th.Title != "First" || th.ApprovedCount != 0 || th.Version != 0 {
			t.Errorf("thread = %+v, want URL and title from the first comment that had them", th)
		}
	})
}

func TestCreateCommentRejects(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		if err := s.CreateComment(ctx, newComment("ghost", comment.StatusPending), comment.Thread{Key: "k"}, comment.Notice{}); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("comment on a missing site = %v, want ErrNotFound", err)
		}
		if err := s.CreateComment(ctx, newComment("blog", "weird"), comment.Thread{Key: "k"}, comment.Notice{}); fieldErr(err, "status") != nil {
			t.Errorf("unknown status: %v", fieldErr(err, "status"))
		}
		if n := mustCount(t, s, ""); n != 0 {
			t.Errorf("%d comments stored, want 0", n)
		}
	})
}

func TestCreateCommentIdempotencyConflict(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		first := newComment("blog", comment.StatusApproved)
		first.IdempotencyKey = "idem-1"
		mustCreate(t, s, first, "k")

		dup := newComment("blog", comment.StatusApproved)
		dup.IdempotencyKey = "idem-1"
		err := s.CreateComment(ctx, dup, comment.Thread{Key: "new-thread"}, comment.Notice{})
		if !errors.Is(err, comment.ErrConflict) {
			t.Fatalf("duplicate idempotency key = %v, want ErrConflict", err)
		}
		if n := mustCount(t, s, ""); n != 1 {
			t.Errorf("%d comments after the conflict, want 1", n)
		}
		if _, err := s.ThreadByKey(ctx, "blog", "new-thread"); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("the failed comment left its thread behind: %v", err)
		}
		if th := mustThread(t, s, "blog", "k"); th.ApprovedCount != 1 || th.Version != 1 {
			t.Errorf("thread = %+v, want the first comment's counts only", th)
		}
		if a := mustAuthor(t, s, "blog", "key-ada"); a.Approved != 1 {
			t.Errorf("author = %+v, want 1 approved", a)
		}

		got, err := s.CommentByIdempotencyKey(ctx, "blog", "idem-1")
		if err != nil || got.ID != first.ID {
			t.Errorf("CommentByIdempotencyKey = %d, %v; want %d", got.ID, err, first.ID)
		}
		for _, k := range [][2]string{{"other", "idem-1"}, {"blog", "idem-2"}, {"blog", ""}} {
			if _, err := s.CommentByIdempotencyKey(ctx, k[0], k[1]); !errors.Is(err, comment.ErrNotFound) {
				t.Errorf("CommentByIdempotencyKey(%q, %q) = %v, want ErrNotFound", k[0], k[1], err)
			}
		}

		// The key is per site, and empty keys never collide.
		other := newComment("other", comment.StatusPending)
		other.IdempotencyKey = "idem-1"
		mustCreate(t, s, other, "k")
		mustCreate(t, s, newComment("blog", comment.StatusPending), "k")
		mustCreate(t, s, newComment("blog", comment.StatusPending), "k")
	})
}

func TestCommentRoundTrip(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		parent := mustCreate(t, s, newComment("blog", comment.StatusApproved), "/p")
		berlin := time.FixedZone("CET", 3600)
		in := comment.Comment{
			SiteID: "blog", ParentID: parent.ID,
			AuthorName: "Zoë 'Bobby' Tables", AuthorEmail: "zoe+x@example.org", AuthorURL: "https://zoe.example/?a=1&b=2",
			AuthorKey: "k-zoe", AvatarHash: "a-zoe", IP: "2001:db8::1", UserAgent: "curl/8.0 \"quoted\"",
			BodySource: "Hi 👋\nline two; DROP TABLE comments; --", BodyHTML: "<p>Hi 👋<br>line two</p>",
			Status: comment.StatusApproved, Score: 0.1 + 0.2, Reasons: []string{"links: 3", "blocked word \"casino\""},
			EditTokenHash: "edit-hash", IdempotencyKey: "idem",
			CreatedAt:   time.Date(2025, 1, 2, 4, 4, 5, 123456789, berlin),
			UpdatedAt:   time.Date(2025, 1, 2, 3, 5, 0, 1000, time.UTC),
			PublishedAt: time.Date(2025, 1, 2, 3, 6, 0, 999999000, time.UTC),
		}
		c := in
		mustCreate(t, s, &c, "/p")

		want := in
		want.ID, want.ThreadID, want.ThreadKey = c.ID, parent.ThreadID, "/p"
		want.CreatedAt = time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC) // µs, UTC
		want.UpdatedAt = time.Date(2025, 1, 2, 3, 5, 0, 1000, time.UTC)
		if !reflect.DeepEqual(c, want) {
			t.Errorf("CreateComment left\n%+v\nwant\n%+v", c, want)
		}
		got, err := s.Comment(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Comment =\n%+v\nwant\n%+v", got, want)
		}
		byID, err := s.CommentsByID(ctx, []int64{c.ID, 999999, parent.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(byID) != 2 || !reflect.DeepEqual(byID[1], want) || byID[0].ID != parent.ID {
			t.Errorf("CommentsByID = %+v", byID)
		}
		if none, err := s.CommentsByID(ctx, nil); err != nil || len(none) != 0 {
			t.Errorf("CommentsByID(nil) = %v, %v", none, err)
		}
		if _, err := s.Comment(ctx, 999999); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("Comment(missing) = %v, want ErrNotFound", err)
		}

		// Empty and zero fields come back empty and zero (the creation time is required).
		bare := comment.Comment{SiteID: "blog", AuthorName: "B", AuthorEmail: "b@example.com",
			BodySource: "b", BodyHTML: "<p>b</p>", Status: comment.StatusPending, CreatedAt: epoch}
		mustCreate(t, s, &bare, "/p")
		got, err = s.Comment(ctx, bare.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() || !got.PublishedAt.IsZero() ||
			len(got.Reasons) != 0 || got.ParentID != 0 || got.Score != 0 {
			t.Errorf("bare comment read back as %+v", got)
		}
	})
}

func TestApprovedComments(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		// Creation order differs from time order, and two share a time.
		at := []time.Duration{3, 1, 2, 2, 0, 5}
		sts := []comment.Status{comment.StatusApproved, comment.StatusApproved, comment.StatusPending,
			comment.StatusApproved, comment.StatusApproved, comment.StatusSpam}
		var cs []*comment.Comment
		for i := range at {
			c := newComment("blog", sts[i])
			c.CreatedAt = epoch.Add(at[i] * time.Minute)
			cs = append(cs, mustCreate(t, s, c, "/t"))
		}
		other := mustCreate(t, s, newComment("blog", comment.StatusApproved), "/other")

		got, err := s.ApprovedComments(ctx, cs[0].ThreadID)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{cs[4].ID, cs[1].ID, cs[3].ID, cs[0].ID}
		if !slices.Equal(ids(got), want) {
			t.Errorf("ApprovedComments = %v, want %v", ids(got), want)
		}
		for _, c := range got {
			if c.ThreadKey != "/t" || c.Status != comment.StatusApproved {
				t.Errorf("comment %d: thread %q, status %s", c.ID, c.ThreadKey, c.Status)
			}
		}
		got, _ = s.ApprovedComments(ctx, other.ThreadID)
		if !slices.Equal(ids(got), []int64{other.ID}) {
			t.Errorf("other thread = %v", ids(got))
		}
		if got, err := s.ApprovedComments(ctx, 424242); err != nil || len(got) != 0 {
			t.Errorf("missing thread = %v, %v", got, err)
		}
	})
}

// TestApprovedCommentsUsesIndex checks that the public thread read is answered from
// the (thread_id, status, created_at, id) index, in order, without sorting.
func TestApprovedCommentsUsesIndex(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		mustSite(t, s, "blog")
		for i := range 200 {
			st := comment.StatusApproved
			if i%3 == 0 {
				st = comment.StatusPending
			}
			mustCreate(t, s, newComment("blog", st), fmt.Sprintf("/t%d", i%10))
		}
		text := queryPlan(t, s, false, sqlstore.ApprovedCommentsSQL, int64(1))
		if !strings.Contains(text, "comments_thread_public") {
			t.Errorf("plan does not use comments_thread_public:\n%s", text)
		}
		if strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "Sort") {
			t.Errorf("plan sorts:\n%s", text)
		}
	})
}

func TestCounts(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		for range 3 {
			mustCreate(t, s, newComment("blog", comment.StatusApproved), "a")
		}
		mustCreate(t, s, newComment("blog", comment.StatusApproved), "b")
		mustCreate(t, s, newComment("blog", comment.StatusPending), "c")
		mustCreate(t, s, newComment("other", comment.StatusApproved), "d")

		got, err := s.Counts(ctx, "blog", []string{"a", "b", "c", "d", "missing", "a"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"a": 3, "b": 1, "c": 0}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Counts = %v, want %v", got, want)
		}
		if got, err := s.Counts(ctx, "blog", nil); err != nil || len(got) != 0 {
			t.Errorf("Counts(no keys) = %v, %v", got, err)
		}
	})
}

func TestConcurrentCreateComment(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		const workers, each = 16, 20
		mustSite(t, s, "blog")
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					c := newComment("blog", comment.StatusApproved)
					c.AuthorKey = fmt.Sprintf("author-%d", w%4)
					c.IdempotencyKey = fmt.Sprintf("w%d-%d", w, i)
					if err := s.CreateComment(context.Background(), c, comment.Thread{Key: "/hot"}, comment.Notice{}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("CreateComment: %v", err)
		}
		th := mustThread(t, s, "blog", "/hot")
		if th.ApprovedCount != workers*each || th.Version != workers*each {
			t.Errorf("thread = %+v, want %d approved and version %d", th, workers*each, workers*each)
		}
		if n := mustCount(t, s, comment.StatusApproved); n != workers*each {
			t.Errorf("%d approved comments, want %d", n, workers*each)
		}
		for a := range 4 {
			if got := mustAuthor(t, s, "blog", fmt.Sprintf("author-%d", a)); got.Approved != workers/4*each {
				t.Errorf("author %d = %+v, want %d approved", a, got, workers/4*each)
			}
		}
	})
}

func BenchmarkCreateComment(b *testing.B) {
	engines := sqlstoretest.Engines()
	for _, e := range engines {
		b.Run(e.Name, func(b *testing.B) {
			s := sqlstoretest.Open(b, e.DSN(b))
			mustSite(b, s, "blog")
			var n atomic.Int64
			b.SetParallelism(16) // 32 clients on 2 cores, as in the design target
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					c := newComment("blog", comment.StatusApproved)
					c.AuthorKey = fmt.Sprintf("author-%d", i%1000)
					if err := s.CreateComment(context.Background(), c, comment.Thread{Key: fmt.Sprintf("/post-%d", i%100)}, comment.Notice{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestDiscardSpamDeletesOnlyOldSpam: spam older than the cut-off goes, in batches;
// newer spam and every other status stay.
func TestDiscardSpamDeletesOnlyOldSpam(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		old, recent := epoch, epoch.Add(48*time.Hour)
		create := func(st comment.Status, at time.Time) *comment.Comment {
			c := newComment("blog", st)
			c.CreatedAt, c.UpdatedAt = at, at
			return mustCreate(t, s, c, "/spam")
		}
		var oldSpam []*comment.Comment
		for range 3 {
			oldSpam = append(oldSpam, create(comment.StatusSpam, old))
		}
		keep := []*comment.Comment{create(comment.StatusSpam, recent), create(comment.StatusPending, old),
			create(comment.StatusRejected, old), create(comment.StatusApproved, old)}
		cut := epoch.Add(24 * time.Hour)
		if n, err := s.DiscardSpam(ctx, cut, 2); err != nil || n != 2 {
			t.Fatalf("first batch: %d, %v; want 2", n, err)
		}
		if n, err := s.DiscardSpam(ctx, cut, 2); err != nil || n != 1 {
			t.Fatalf("second batch: %d, %v; want 1", n, err)
		}
		for _, c := range oldSpam {
			if _, err := s.Comment(ctx, c.ID); !errors.Is(err, comment.ErrNotFound) {
				t.Errorf("old spam %d: %v, want not found", c.ID, err)
			}
		}
		for _, c := range keep {
			if _, err := s.Comment(ctx, c.ID); err != nil {
				t.Errorf("%s comment %d is gone: %v", c.Status, c.ID, err)
			}
		}
	})
}

// TestDiscardSpamSparesARescuedComment: a moderator's "not spam" that commits while
// DiscardSpam waits for the row's lock keeps the comment (PostgreSQL; SQLite has one
// writer and cannot interleave).
func TestDiscardSpamSparesARescuedComment(t *testing.T) {
	dsn := sqlstoretest.PostgresDSN(t)
	s := sqlstoretest.Open(t, dsn)
	ctx := context.Background()
	mustSite(t, s, "blog")
	c := newComment("blog", comment.StatusSpam)
	c.CreatedAt, c.UpdatedAt = epoch, epoch
	c = mustCreate(t, s, c, "/spam")

	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// What transitionSQL does for a not-spam decision: status pending, updated now.
	if _, err := tx.ExecContext(ctx, `UPDATE comments SET status = 'pending', updated_at = $1 WHERE id = $2 AND status = 'spam'`,
		time.Now().UnixMicro(), c.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan int64)
	go func() {
		n, err := s.DiscardSpam(ctx, epoch.Add(24*time.Hour), 500)
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	time.Sleep(500 * time.Millisecond) // DiscardSpam is now waiting on the row lock
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	n := <-done
	got, err := s.Comment(ctx, c.ID)
	if err != nil || n != 0 || got.Status != comment.StatusPending {
		t.Errorf("discarded %d; the rescued comment is %q (%v), want pending", n, got.Status, err)
	}
}

// TestForgetAddressesClearsOnlyOldOnes: comments older than the cut-off lose their
// address and user agent, in batches; newer ones keep them; nothing else changes.
func TestForgetAddressesClearsOnlyOldOnes(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		create := func(at time.Time) *comment.Comment {
			c := newComment("blog", comment.StatusApproved)
			c.CreatedAt, c.UpdatedAt = at, at
			return mustCreate(t, s, c, "/addr")
		}
		old := []*comment.Comment{create(epoch), create(epoch.Add(time.Minute)), create(epoch.Add(2 * time.Minute))}
		recent := create(epoch.Add(48 * time.Hour))
		cut := epoch.Add(24 * time.Hour)
		if n, err := s.ForgetAddresses(ctx, cut, 2); err != nil || n != 2 {
			t.Fatalf("first batch: %d, %v; want 2", n, err)
		}
		if n, err := s.ForgetAddresses(ctx, cut, 2); err != nil || n != 1 {
			t.Fatalf("second batch: %d, %v; want 1", n, err)
		}
		if n, err := s.ForgetAddresses(ctx, cut, 2); err != nil || n != 0 {
			t.Fatalf("third batch: %d, %v; want 0", n, err)
		}
		for _, c := range old {
			got, err := s.Comment(ctx, c.ID)
			if err != nil || got.IP != "" || got.AddressKey != "" || got.UserAgent != "" || got.AuthorEmail != c.AuthorEmail || got.Status != c.Status {
				t.Errorf("old comment %d: ip %q key %q ua %q email %q status %s (%v)", c.ID, got.IP, got.AddressKey, got.UserAgent, got.AuthorEmail, got.Status, err)
			}
		}
		if got, err := s.Comment(ctx, recent.ID); err != nil || got.IP != recent.IP || got.AddressKey != recent.AddressKey || got.UserAgent != recent.UserAgent {
			t.Errorf("a recent comment lost its address: %q %q (%v)", got.IP, got.UserAgent, err)
		}
	})
}

// TestAuthorsReadsASitesAuthorsAtOnce: known authors come back with their counts,
// unknown keys and other sites' authors do not.
func TestAuthorsReadsASitesAuthorsAtOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		for _, c := range []struct {
			site, key string
			st        comment.Status
		}{{"blog", "k1", comment.StatusApproved}, {"blog", "k1", comment.StatusApproved}, {"blog", "k2", comment.StatusSpam}, {"other", "k3", comment.StatusApproved}} {
			cm := newComment(c.site, c.st)
			cm.AuthorKey = c.key
			mustCreate(t, s, cm, "/a")
		}
		got, err := s.Authors(ctx, "blog", []string{"k1", "k2", "k3", "nobody"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]comment.Author{"k1": {SiteID: "blog", Key: "k1", Approved: 2}, "k2": {SiteID: "blog", Key: "k2", Spam: 1}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Authors = %v, want %v", got, want)
		}
	})
}

// queryPlan is the engine's plan for query with args, one line per step. On
// PostgreSQL sequential scans are off: tiny test tables make a scan cheapest, and the
// question is whether an index serves the query at all; analyze refreshes the
// statistics first, for a plan that depends on how values are spread.
func queryPlan(t *testing.T, s *sqlstore.Store, analyze bool, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := sqlstore.ReadDB(s).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if s.Dialect() == "postgres" {
		explain = "EXPLAIN "
		setup := []string{"SET enable_seqscan = off"}
		if analyze {
			setup = append(setup, "ANALYZE comments")
		}
		for _, q := range setup {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := conn.QueryContext(ctx, explain+query, args...)
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
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// TestKeyAddressesGivesOldCommentsTheirNetworkKey: comments written before address keys
// existed get one in batches, oldest first; those too old to count are left alone, as
// are comments without an address; once done it stays done.
func TestKeyAddressesGivesOldCommentsTheirNetworkKey(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		create := func(at time.Time, ip string) *comment.Comment {
			c := newComment("blog", comment.StatusApproved)
			c.CreatedAt, c.UpdatedAt, c.IP, c.AddressKey = at, at, ip, ""
			return mustCreate(t, s, c, "/keys")
		}
		tooOld := create(epoch, "203.0.113.1")
		unkeyed := []*comment.Comment{create(epoch.Add(2*time.Hour), "203.0.113.2"), create(epoch.Add(3*time.Hour), "2001:db8::1"),
			create(epoch.Add(4*time.Hour), "10.0.0.1")}
		noAddress := create(epoch.Add(5*time.Hour), "")
		key := func(ip string) string { return "key:" + ip }
		since := epoch.Add(time.Hour)
		for i, want := range []int64{2, 1, 0} {
			if n, err := s.KeyAddresses(ctx, since, 2, key); err != nil || n != want {
				t.Fatalf("batch %d: %d, %v; want %d", i, n, err, want)
			}
		}
		for _, c := range unkeyed {
			if got, err := s.Comment(ctx, c.ID); err != nil || got.AddressKey != "key:"+c.IP {
				t.Errorf("comment from %s: key %q (%v)", c.IP, got.AddressKey, err)
			}
		}
		for _, c := range []*comment.Comment{tooOld, noAddress} {
			if got, _ := s.Comment(ctx, c.ID); got.AddressKey != "" {
				t.Errorf("comment %d keyed: %q", c.ID, got.AddressKey)
			}
		}
		create(epoch.Add(6*time.Hour), "203.0.113.3") // no such comment is written any more
		if n, err := s.KeyAddresses(ctx, since, 2, key); err != nil || n != 0 {
			t.Errorf("after done: %d, %v", n, err)
		}
	})
}
