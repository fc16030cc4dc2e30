package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestASubmissionIsTwoRedisRoundTrips sends submissions with a form token through the
// handler serve runs, on each database engine with limits in Redis, and counts the
// round trips to Redis of one: its four limits, its form token's nonce and its text's
// two campaign counts are read in one and counted in the other.
func TestASubmissionIsTwoRedisRoundTrips(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		u := sqlstoretest.RedisURL(t)
		opts, err := redis.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		// As serve sets it, with a window wide enough for a loaded machine.
		opts.AutoPipelineOptions = redis.DefaultBlockingAutoPipelineOptions()
		opts.AutoPipelineOptions.MaxFlushDelay = 10 * time.Millisecond
		client := redis.NewClient(opts)
		trips := &sqlstoretest.RedisTrips{}
		client.AddHook(trips)
		t.Cleanup(func() { client.Close() })
		r, err := ratelimit.NewRedis(client)
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		lim := ratelimit.NewFallback(r, ratelimit.NewLocal(time.Now), log, time.Now)

		ctx := context.Background()
		blog := site.NewSite(fmt.Sprintf("trips-%d", time.Now().UnixNano()), "Blog")
		blog.Policy = site.PolicyNone
		if err := st.CreateSite(ctx, blog); err != nil {
			t.Fatal(err)
		}
		secret, err := st.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h, err := newHandler(t.Context(), st, secret, lim, spam.NewModel(st, log), log, "http://127.0.0.1:8080", config.Default(), nil)
		if err != nil {
			t.Fatal(err)
		}
		submit := func(email string) {
			t.Helper()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/sites/"+blog.ID+"/form?thread=/p", nil))
			var form struct {
				Token string `json:"form_token"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &form); err != nil || form.Token == "" {
				t.Fatalf("form token: %d %s", w.Code, w.Body)
			}
			trips.Reset()
			body, _ := json.Marshal(map[string]string{"thread": "/p", "author_name": "Ann", "author_email": email,
				"body":       "I read this twice and the second half still puzzles me: why would the cache sit in front of the queue?",
				"form_token": form.Token})
			r := httptest.NewRequest("POST", "/api/v1/sites/"+blog.ID+"/comments", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			r.RemoteAddr = "203.0.113.7:5000"
			w = httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusCreated && w.Code != http.StatusAccepted {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
		submit("first@example.org") // loads the scripts into Redis (EVALSHA, then EVAL, once)
		submit("second@example.org")
		if n := trips.Count(); n != 2 {
			t.Errorf("a submission took %d round trips to Redis, want 2", n)
		}
		if lim.Degraded() {
			t.Error("decided without Redis")
		}
	})
}
