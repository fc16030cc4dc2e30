package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

var (
	_ intake.Store     = (*sqlstore.Store)(nil)
	_ moderation.Store = (*sqlstore.Store)(nil)
	_ auth.TokenStore  = (*sqlstore.Store)(nil)
)

// epoch is a fixed time with microseconds, the precision the store keeps.
var epoch = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

func TestMigrateTwiceIsNoop(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		for range 2 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		if _, err := s.Site(ctx, "blog"); err != nil {
			t.Fatalf("data lost by a second migration: %v", err)
		}
	})
}

// TestMigrateConcurrently starts several replicas on one fresh PostgreSQL schema at
// once: the advisory lock lets one migrate while the others wait and find nothing to do.
// (SQLite serves one process, so it has no such race.)
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	dsn := sqlstoretest.PostgresDSN(t)
	var stores []*sqlstore.Store
	for range 4 {
		s, err := sqlstore.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	errs := make(chan error, len(stores))
	for _, s := range stores {
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
	mustSite(t, stores[0], "blog")
	if _, err := stores[3].Site(ctx, "blog"); err != nil {
		t.Fatal(err)
	}
}

func TestDialect(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		if got, want := s.Dialect(), filepath.Base(t.Name()); got != want {
			t.Errorf("Dialect() = %q, want %q", got, want)
		}
		if err := s.Ping(context.Background()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestSecretIsStable(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		first, err := s.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 32 {
			t.Fatalf("secret has %d bytes, want 32", len(first))
		}
		for range 3 {
			again, err := s.Secret(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again) {
				t.Fatal("secret changed between calls")
			}
		}
	})
}

func TestSites(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		b := site.Site{ID: "b-site", Name: "B", Origins: []string{"https://b.example", "http://localhost:1313"},
			Policy: site.PolicyAll, MaxLinks: 3, BlockedWords: []string{"casino", "viagra"}, CreatedAt: epoch, SpamSeed: site.SeedHold,
			Scripts: []string{"Latin", "Greek"},
			Limits:  site.RateLimits{IP: site.Rate{Count: 2, Period: time.Minute, Burst: 1}},
			CDN:     &site.CDNCache{SMaxAge: time.Minute}} // a zero lifetime is kept as zero, not as unset
		a := site.NewSite("a-site", "A") // no origins, words or time
		for _, st := range []site.Site{b, a} {
			if err := s.CreateSite(ctx, st); err != nil {
				t.Fatalf("CreateSite(%s): %v", st.ID, err)
			}
		}
		got, err := s.Site(ctx, "b-site")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Errorf("Site = %+v\nwant   %+v", got, b)
		}
		gotA, err := s.Site(ctx, "a-site")
		if err != nil {
			t.Fatal(err)
		}
		// The creation time is the caller's (admin.Service stamps it): stored as given.
		if !gotA.CreatedAt.IsZero() || len(gotA.Origins) != 0 || gotA.Policy != site.PolicyFirstTime || gotA.SpamSeed != site.SeedFold || gotA.CDN != nil {
			t.Errorf("defaults not kept: %+v", gotA)
		}

		if err := s.CreateSite(ctx, site.NewSite("a-site", "again")); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("CreateSite(existing) = %v, want ErrConflict", err)
		}
		if _, err := s.Site(ctx, "nope"); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("Site(missing) = %v, want ErrNotFound", err)
		}

		b.Name, b.Origins, b.Policy, b.MaxLinks, b.BlockedWords = "B2", []string{"https://b2.example"}, site.PolicyNone, 0, nil
		b.SpamSeed, b.Scripts = site.SeedFold, nil
		b.Limits = site.RateLimits{Site: site.Rate{Count: 100, Period: time.Hour, Burst: 10}}
		b.CDN = nil // back to the server's lifetimes
		if err := s.UpdateSite(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Site(ctx, "b-site")
		b.BlockedWords, b.Scripts = []string{}, []string{}
		if !reflect.DeepEqual(got, b) {
			t.Errorf("after update = %+v\nwant           %+v", got, b)
		}
		if err := s.UpdateSite(ctx, site.NewSite("nope", "x")); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("UpdateSite(missing) = %v, want ErrNotFound", err)
		}

		all, err := s.Sites(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].ID != "a-site" || all[1].ID != "b-site" {
			t.Errorf("Sites = %+v, want a-site, b-site", all)
		}
	})
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		s.Close()
		if _, err := s.Site(context.Background(), "x"); !errors.Is(err, comment.ErrUnavailable) {
			t.Errorf("Site on a closed store = %v, want ErrUnavailable", err)
		}
		c := newComment("x", comment.StatusApproved)
		if err := s.CreateComment(context.Background(), c, comment.Thread{Key: "k"}, comment.Notice{}); !errors.Is(err, comment.ErrUnavailable) {
			t.Errorf("CreateComment on a closed store = %v, want ErrUnavailable", err)
		}
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("unknown scheme", func(t *testing.T) {
		if _, err := sqlstore.Open(ctx, "mysql://x"); err == nil {
			t.Fatal("Open(mysql://) succeeded")
		}
	})
	t.Run("sqlite creates its directory", func(t *testing.T) {
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "a", "b", "winnow.db")
		s, err := sqlstore.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("sqlite with parameters", func(t *testing.T) {
		s := sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t)+"?_pragma=cache_size(-4000)")
		mustSite(t, s, "blog")
	})
	t.Run("sqlite bad parameters", func(t *testing.T) {
		if _, err := sqlstore.Open(ctx, sqlstoretest.SQLiteDSN(t)+"?_busy_timeout=soon"); err == nil {
			t.Fatal("Open with a bad parameter succeeded")
		}
	})
	t.Run("postgresql scheme", func(t *testing.T) {
		dsn := strings.Replace(sqlstoretest.PostgresDSN(t), "postgres://", "postgresql://", 1)
		s := sqlstoretest.Open(t, dsn)
		if s.Dialect() != "postgres" {
			t.Errorf("Dialect() = %q", s.Dialect())
		}
	})
	t.Run("postgres refused", func(t *testing.T) {
		_, err := sqlstore.Open(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
		if !errors.Is(err, comment.ErrUnavailable) {
			t.Fatalf("Open(nothing listening) = %v, want ErrUnavailable", err)
		}
	})
}

// mustSite creates a site with the given id.
func mustSite(t testing.TB, s *sqlstore.Store, id string) {
	t.Helper()
	if err := s.CreateSite(context.Background(), site.NewSite(id, "Site "+id)); err != nil {
		t.Fatalf("CreateSite(%s): %v", id, err)
	}
}

// newComment returns a comment with every field set, as intake would hand it over.
func newComment(site string, st comment.Status) *comment.Comment {
	return &comment.Comment{
		SiteID:      site,
		AuthorName:  "Ada",
		AuthorEmail: "ada@example.com",
		AuthorURL:   "https://ada.example",
		AuthorKey:   "key-ada",
		AvatarHash:  "avatar-ada",
		IP:          "192.0.2.1",
		AddressKey:  "net-ada",
		UserAgent:   "Mozilla/5.0",
		BodySource:  "Hello",
		BodyHTML:    "<p>Hello</p>",
		Status:      st,
		Score:       0.25,
		Reasons:     []string{"links"},
		CreatedAt:   epoch,
		PublishedAt: publishedAt(st, epoch),
	}
}

// publishedAt is the publication time a comment created at in status st has: the
// services publish an approved comment when they create it.
func publishedAt(st comment.Status, at time.Time) time.Time {
	if st == comment.StatusApproved {
		return at
	}
	return time.Time{}
}

// mustCreate stores c in the thread with key.
func mustCreate(t testing.TB, s *sqlstore.Store, c *comment.Comment, key string) *comment.Comment {
	t.Helper()
	if err := s.CreateComment(context.Background(), c, comment.Thread{Key: key, URL: "https://blog.example/" + key}, comment.Notice{}); err != nil {
		t.Fatalf("CreateComment: %v", err)
	}
	return c
}

func mustThread(t testing.TB, s *sqlstore.Store, site, key string) comment.Thread {
	t.Helper()
	th, err := s.ThreadByKey(context.Background(), site, key)
	if err != nil {
		t.Fatalf("ThreadByKey(%s, %s): %v", site, key, err)
	}
	return th
}

func mustAuthor(t testing.TB, s *sqlstore.Store, site, key string) comment.Author {
	t.Helper()
	a, err := s.Author(context.Background(), site, key)
	if err != nil {
		t.Fatalf("Author: %v", err)
	}
	return a
}

func mustCount(t testing.TB, s *sqlstore.Store, st comment.Status) int {
	t.Helper()
	n, err := s.CountComments(context.Background(), st)
	if err != nil {
		t.Fatalf("CountComments: %v", err)
	}
	return n
}

func ids(cs []comment.Comment) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func fieldErr(err error, field string) error {
	var v *comment.ValidationError
	if !errors.As(err, &v) {
		return fmt.Errorf("error %v is not a ValidationError", err)
	}
	if _, ok := v.Fields[field]; !ok {
		return fmt.Errorf("error %v names no field %q", err, field)
	}
	return nil
}
