package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// benchEngines runs fn on a fresh, migrated store of each engine with the in-process
// limiter, and on PostgreSQL with limits in Redis: the embedded default and the
// scale-out setup.
func benchEngines(b *testing.B, fn func(b *testing.B, st *sqlstore.Store, lim rateLimiter)) {
	b.Run("sqlite", func(b *testing.B) {
		fn(b, sqlstoretest.Open(b, sqlstoretest.SQLiteDSN(b)), ratelimit.NewLocal(time.Now))
	})
	b.Run("postgres", func(b *testing.B) {
		fn(b, sqlstoretest.Open(b, sqlstoretest.PostgresDSN(b)), ratelimit.NewLocal(time.Now))
	})
	b.Run("postgres+redis", func(b *testing.B) {
		st := sqlstoretest.Open(b, sqlstoretest.PostgresDSN(b))
		u := sqlstoretest.RedisURL(b)
		lim, closeLim, err := newLimiter(config.Redis{URL: u}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			b.Fatal(err)
		}
		defer closeLim()
		fn(b, st, lim)
	})
}

// benchHandler is the handler serve runs, on st, with a site that publishes. The site
// id is fresh for every run, so limiter state in a shared Redis never carries over.
func benchHandler(b *testing.B, st *sqlstore.Store, lim rateLimiter) (http.Handler, string) {
	ctx := context.Background()
	blog := site.NewSite(fmt.Sprintf("blog-%d", time.Now().UnixNano()), "Blog")
	blog.Policy = site.PolicyNone
	blog.MaxLinks = 5
	unlimited := site.Rate{Count: 1_000_000, Period: time.Second, Burst: 1_000_000}
	blog.Limits = site.RateLimits{IP: unlimited, Email: unlimited, Thread: unlimited, Site: unlimited}
	if err := st.CreateSite(ctx, blog); err != nil {
		b.Fatal(err)
	}
	secret, err := st.Secret(ctx)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := newHandler(b.Context(), st, secret, lim, spam.NewModel(st, log), log, "http://127.0.0.1:8080", config.Default(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return h, blog.ID
}

// benchBody is a realistic ~600-byte comment with a link.
const benchBody = `I have been following this series for a while and this post finally made the
trade-offs click for me. The part about keeping the write path to a single transaction is
something I wish I had read before our last migration; we ended up with three round trips per
request and never noticed until the load test. One question: how do you handle a reader who
edits a comment after it was approved? Do you hold it again, or trust the edit? I wrote up our
approach at https://example.org/notes/comments and would love to hear your take. Thanks again
for writing these up so carefully; the diagrams especially helped.`

// BenchmarkSubmit measures the whole submit pipeline through the HTTP handler: decode,
// validate, sanitize, score, decide and store, with 32 concurrent clients.
func BenchmarkSubmit(b *testing.B) {
	benchEngines(b, func(b *testing.B, st *sqlstore.Store, lim rateLimiter) {
		h, site := benchHandler(b, st, lim)
		var n atomic.Int64
		b.SetParallelism(32 / max(1, runtimeProcs()))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				// Distinct texts: the same one from many authors is a campaign, and held.
				body := fmt.Sprintf(`{"thread":"/post-%d","author_name":"Reader %d","author_email":"reader%d@example.org","body":%q}`,
					i%100, i, i%1000, fmt.Sprintf("Note %d. %s", i, benchBody))
				r := httptest.NewRequest("POST", "/api/v1/sites/"+site+"/comments", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusCreated {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comments/s")
	})
}

// BenchmarkThreadRead measures a public read of a 100-comment thread, 32 clients.
func BenchmarkThreadRead(b *testing.B) {
	benchEngines(b, func(b *testing.B, st *sqlstore.Store, lim rateLimiter) {
		h, site := benchHandler(b, st, lim)
		for i := range 100 {
			body := fmt.Sprintf(`{"thread":"/big","author_name":"Reader %d","author_email":"r%d@example.org","body":%q}`, i, i,
				fmt.Sprintf("Note %d. %s", i, benchBody))
			r := httptest.NewRequest("POST", "/api/v1/sites/"+site+"/comments", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusCreated {
				b.Fatalf("seed: %d %s", w.Code, w.Body)
			}
		}
		read := func(etag, encoding string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", "/api/v1/sites/"+site+"/comments?thread=/big", nil)
			if etag != "" {
				r.Header.Set("If-None-Match", etag)
			}
			if encoding != "" {
				r.Header.Set("Accept-Encoding", encoding)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		etag := read("", "").Header().Get("ETag")
		// full-gzip is a browser's read; full a client's that refuses gzip.
		for _, tc := range []struct {
			name, etag, encoding string
			want                 int
		}{{"full", "", "", http.StatusOK}, {"full-gzip", "", "gzip, deflate, br", http.StatusOK},
			{"not-modified", etag, "gzip, deflate, br", http.StatusNotModified}} {
			b.Run(tc.name, func(b *testing.B) {
				b.SetParallelism(32 / max(1, runtimeProcs()))
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if w := read(tc.etag, tc.encoding); w.Code != tc.want {
							b.Fatalf("status %d", w.Code)
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
			})
		}
	})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkQueuePage measures a moderator's queue page, /admin/ with 100 pending
// comments (the page size), rendered for a signed-in admin: the page wp-admin's
// comment screen is compared with.
func BenchmarkQueuePage(b *testing.B) {
	benchEngines(b, func(b *testing.B, st *sqlstore.Store, lim rateLimiter) {
		h, blog := benchHandler(b, st, lim)
		ctx := context.Background()
		s, err := st.Site(ctx, blog)
		if err != nil {
			b.Fatal(err)
		}
		s.Policy = site.PolicyAll
		if err := st.UpdateSite(ctx, s); err != nil {
			b.Fatal(err)
		}
		for i := range 100 {
			body := fmt.Sprintf(`{"thread":"/post-%d","author_name":"Reader %d","author_email":"r%d@example.org","body":%q}`, i%7, i, i%40,
				fmt.Sprintf("Note %d. %s", i, benchBody))
			r := httptest.NewRequest("POST", "/api/v1/sites/"+blog+"/comments", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusAccepted {
				b.Fatalf("seed: %d %s", w.Code, w.Body)
			}
		}
		accounts, err := auth.NewAccounts(st, time.Now, auth.Options{})
		if err != nil {
			b.Fatal(err)
		}
		email := fmt.Sprintf("bench-%d@example.org", time.Now().UnixNano())
		if _, _, err := accounts.AddUser(ctx, email, auth.RoleAdmin, nil, "bench password 1234"); err != nil {
			b.Fatal(err)
		}
		_, session, err := accounts.Login(ctx, email, "bench password 1234")
		if err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(32 / max(1, runtimeProcs()))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest("GET", "/admin/?blog="+blog, nil)
				r.AddCookie(&http.Cookie{Name: "winnow_session", Value: session})
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK || strings.Count(w.Body.String(), `class="comment"`) != 100 {
					b.Fatalf("status %d, %d comments", w.Code, strings.Count(w.Body.String(), `class="comment"`))
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	})
}
