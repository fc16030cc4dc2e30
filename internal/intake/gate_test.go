package intake

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// redisClient connects to the test Redis (WINNOW_TEST_REDIS_URL), with a window in
// which the AutoPipeline gathers commands wide enough for a loaded machine, and the
// hooks given. It skips without one, or fails when CI=true or WINNOW_TEST_REQUIRE=1.
func redisClient(t *testing.T, hooks ...redis.Hook) *redis.Client {
	t.Helper()
	u := sqlstoretest.RedisURL(t)
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	opts.AutoPipelineOptions = redis.DefaultBlockingAutoPipelineOptions()
	opts.AutoPipelineOptions.MaxFlushDelay = 10 * time.Millisecond
	client := redis.NewClient(opts)
	for _, h := range hooks {
		client.AddHook(h)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// counterEngines runs fn with the in-process counters and with Redis behind the
// fallback, as serve wires them.
func counterEngines(t *testing.T, fn func(t *testing.T, c Counters)) {
	t.Run("local", func(t *testing.T) { fn(t, localCounters(ratelimit.NewLocal(time.Now))) })
	t.Run("redis", func(t *testing.T) {
		r, err := ratelimit.NewRedis(redisClient(t))
		if err != nil {
			t.Fatal(err)
		}
		f := ratelimit.NewFallback(r, ratelimit.NewLocal(time.Now), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
		fn(t, Counters{Limits: f, Nonces: ratelimit.NewNonces(f), Distinct: ratelimit.NewDistinct(f)})
		if f.Degraded() {
			t.Error("decided without Redis")
		}
	})
}

// limitedSite is a fresh site (so state in a shared Redis never carries over) with
// per-hour limits.
func limitedSite(ip, email, thread, whole int) site.Site {
	s := site.NewSite(fmt.Sprintf("gate-%d", time.Now().UnixNano()), "Gate")
	s.Policy = site.PolicyNone
	per := func(n int) site.Rate { return site.Rate{Count: n, Period: time.Hour, Burst: n} }
	s.Limits = site.RateLimits{IP: per(ip), Email: per(email), Thread: per(thread), Site: per(whole)}
	return s
}

// storing is a store that keeps what is created.
func storing(t *testing.T, stored *[]comment.Comment) fakeStore {
	return fakeStore{t: t, create: func(c *comment.Comment, _ comment.Thread) error {
		c.ID = int64(len(*stored) + 1)
		*stored = append(*stored, *c)
		return nil
	}}
}

func TestARefusedSubmissionChargesNoKeyAndSpendsNoNonce(t *testing.T) {
	counterEngines(t, func(t *testing.T, c Counters) {
		var stored []comment.Comment
		s := NewService(storing(t, &stored), c, sanitize.New(), spam.NewScorer(), secret, comment.DefaultIPv6Prefix, "", time.Now)
		st := limitedSite(2, 1, 3, 3)
		ctx := context.Background()
		token := func() string {
			tok, err := s.FormToken(st.ID, "/p")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		submit := func(ip, email, tok string) error {
			sub := comment.Submission{Thread: "/p", AuthorName: "Ann", AuthorEmail: email, Body: "A fine comment on " + email, FormToken: tok}
			_, err := s.Submit(ctx, st, sub, Meta{IP: ip})
			return err
		}
		scope := func(err error) string {
			var rl *comment.RateLimitedError
			if errors.As(err, &rl) {
				return rl.Scope
			}
			if err != nil {
				t.Fatal(err)
			}
			return ""
		}
		second := token()
		steps := []struct {
			ip, email, token, refused string
		}{
			{"203.0.113.1", "a@example.org", token(), ""},
			{"203.0.113.1", "a@example.org", second, "email"}, // counts nothing, spends no nonce
			{"203.0.113.1", "b@example.org", second, ""},      // the address's second of 2
			{"203.0.113.2", "c@example.org", token(), ""},     // the thread's and site's third of 3
			{"203.0.113.3", "d@example.org", token(), "thread"},
		}
		for i, step := range steps {
			if got := scope(submit(step.ip, step.email, step.token)); got != step.refused {
				t.Fatalf("step %d: refused by %q, want %q", i, got, step.refused)
			}
		}
		if len(stored) != 3 {
			t.Fatalf("%d stored, want 3", len(stored))
		}
		if r := stored[1].Reasons; slices.ContainsFunc(r, func(s string) bool { return strings.Contains(s, "used before") }) {
			t.Errorf("a refused submission spent the nonce: %q", r)
		}
		// The nonce is spent once a submission passed: a third use is a replay.
		if err := submit("203.0.113.4", "e@example.org", second); scope(err) != "thread" {
			t.Fatalf("fourth on the thread: %v", err)
		}
		spent, err := c.Nonces.Spent(ctx, nonceOf(t, second), nonceTTL)
		if err != nil || !spent {
			t.Errorf("the nonce of an accepted submission is not spent: %v %v", spent, err)
		}
	})
}

// nonceOf is a form token's nonce, as the gate looks it up.
func nonceOf(t *testing.T, token string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != formTokenLen {
		t.Fatalf("form token %q: %v", token, err)
	}
	return hex.EncodeToString(b[8 : 8+formNonceLen])
}

func TestASubmissionIsTwoRedisRoundTrips(t *testing.T) {
	trips := &sqlstoretest.RedisTrips{}
	r, err := ratelimit.NewRedis(redisClient(t, trips))
	if err != nil {
		t.Fatal(err)
	}
	c := Counters{Limits: r, Nonces: ratelimit.NewNonces(r), Distinct: ratelimit.NewDistinct(r)}
	var stored []comment.Comment
	s := NewService(storing(t, &stored), c, sanitize.New(), spam.NewScorer(), secret, comment.DefaultIPv6Prefix, "", time.Now)
	st := limitedSite(100, 100, 100, 100)
	ctx := context.Background()
	body := "I read this twice and the second half still puzzles me: why would the cache sit in front of the queue rather than behind it?"
	if spam.Read(body).Fingerprint() == "" {
		t.Fatal("the text counts towards no campaign: the test would count too few commands")
	}
	submit := func(email string) {
		t.Helper()
		tok, err := s.FormToken(st.ID, "/p")
		if err != nil {
			t.Fatal(err)
		}
		sub := comment.Submission{Thread: "/p", AuthorName: "Ann", AuthorEmail: email, Body: body, FormToken: tok}
		if _, err := s.Submit(ctx, st, sub, Meta{IP: "203.0.113.9"}); err != nil {
			t.Fatal(err)
		}
	}
	submit("first@example.org") // loads the scripts into Redis (EVALSHA, then EVAL, once)
	trips.Reset()
	submit("second@example.org")
	// Four limits, the nonce and two campaign counts: peeked in one, charged in one.
	if n := trips.Count(); n != 2 {
		t.Errorf("a submission took %d round trips to Redis, want 2", n)
	}
}

func TestTheGateAnswersAsSequentialRedisRate(t *testing.T) {
	ref := redis_rate.NewLimiter(redisClient(t)) // plain calls, one after another
	counterEngines(t, func(t *testing.T, c Counters) {
		var stored []comment.Comment
		s := NewService(storing(t, &stored), c, sanitize.New(), spam.NewScorer(), secret, comment.DefaultIPv6Prefix, "", time.Now)
		st := limitedSite(3, 2, 5, 12)
		l := st.Limits.Effective()
		ctx := context.Background()
		refused := 0
		for i := range 40 {
			ip, email, thread := fmt.Sprintf("203.0.113.%d", i%3+1), fmt.Sprintf("r%d@example.org", i%4), fmt.Sprintf("/t%d", i%2)
			sub := comment.Submission{Thread: thread, AuthorName: "Reader", AuthorEmail: email, Body: fmt.Sprintf("Comment number %d.", i)}
			_, err := s.Submit(ctx, st, sub, Meta{IP: ip})
			var got *comment.RateLimitedError
			if err != nil && !errors.As(err, &got) {
				t.Fatal(err)
			}

			// What plain redis_rate calls answer: each limit asked, narrowest first,
			// and all counted only when all pass.
			checks := []struct {
				scope, key string
				rate       site.Rate
			}{{"ip", ip, l.IP}, {"email", email, l.Email}, {"thread", thread, l.Thread}, {"site", "", l.Site}}
			var want *comment.RateLimitedError
			for _, ch := range checks {
				key, lim := "ref:"+st.ID+":"+ch.scope+":"+ch.key, redis_rate.Limit{Rate: ch.rate.Count, Period: ch.rate.Period, Burst: ch.rate.Burst}
				res, err := ref.AllowN(ctx, key, lim, 0)
				if err != nil {
					t.Fatal(err)
				}
				if res.Remaining < 1 {
					if res, err = ref.AllowN(ctx, key, lim, 1); err != nil || res.Allowed != 0 { // refused: stores nothing
						t.Fatalf("reference: %+v %v", res, err)
					}
					want = &comment.RateLimitedError{Scope: ch.scope, RetryAfter: res.RetryAfter}
					break
				}
			}
			for _, ch := range checks {
				if want != nil {
					break
				}
				lim := redis_rate.Limit{Rate: ch.rate.Count, Period: ch.rate.Period, Burst: ch.rate.Burst}
				if _, err := ref.AllowN(ctx, "ref:"+st.ID+":"+ch.scope+":"+ch.key, lim, 1); err != nil {
					t.Fatal(err)
				}
			}

			switch {
			case (got == nil) != (want == nil):
				t.Fatalf("submission %d: gate %v, redis_rate %v", i, got, want)
			case got != nil && (got.Scope != want.Scope || (got.RetryAfter-want.RetryAfter).Abs() > time.Second):
				t.Fatalf("submission %d: gate refused by %s for %v, redis_rate by %s for %v", i, got.Scope, got.RetryAfter, want.Scope, want.RetryAfter)
			case got != nil:
				refused++
			}
		}
		if refused == 0 || refused == 40 {
			t.Errorf("%d of 40 refused: the sequence tests nothing", refused)
		}
	})
}

// TestRoundsRunAtOnceOnlyThroughRedis: a round's calls are made at once when they can
// share a Redis round trip, and one after another in process, where goroutines only cost.
func TestRoundsRunAtOnceOnlyThroughRedis(t *testing.T) {
	local := ratelimit.NewLocal(time.Now)
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { client.Close() })
	r, err := ratelimit.NewRedis(client)
	if err != nil {
		t.Fatal(err)
	}
	f := ratelimit.NewFallback(r, local, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	for _, tc := range []struct {
		name string
		c    Counters
		want bool
	}{{"local", localCounters(local), false}, {"redis", Counters{Limits: r}, true}, {"fallback", Counters{Limits: f}, true}, {"none", Counters{}, false}} {
		if got := tc.c.concurrent(); got != tc.want {
			t.Errorf("%s: concurrent %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestLimitAndCampaignKeysAreAsStored: the keys a submission is limited and counted
// by are those earlier versions wrote, so that state in Redis carries over an upgrade.
func TestLimitAndCampaignKeysAreAsStored(t *testing.T) {
	s := NewService(nil, localCounters(ratelimit.NewLocal(time.Now)), nil, nil, secret, comment.DefaultIPv6Prefix, "", time.Now)
	st := limitedSite(1, 1, 1, 1)
	keys := comment.SubmissionKeys(secret, comment.DefaultIPv6Prefix, "Ann", "ann@example.org", "", "203.0.113.9")
	thread := sha256.Sum256([]byte("/p"))
	threadHex := hex.EncodeToString(thread[:12])
	prefix := "submit:" + st.ID + ":"
	want := []string{prefix + "ip:" + comment.AddressKey(secret, "203.0.113.9", comment.DefaultIPv6Prefix),
		prefix + "email:" + comment.EmailKey(secret, "ann@example.org"), prefix + "thread:" + threadHex, prefix + "site"}
	var got []string
	for _, c := range s.limitChecks(st, threadKey("/p"), keys, "203.0.113.9") {
		got = append(got, c.key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("limit keys %q, want %q", got, want)
	}
	text := spam.Read("I read this twice and the second half still puzzles me: why would the cache sit in front of the queue?")
	fp := text.Fingerprint()
	sets := s.campaignSets(st.ID, threadKey("/p"), text, keys.Author)
	if len(sets) != 2 || sets[0] != (ratelimit.Member{Set: "campaign:" + st.ID + ":" + fp + ":authors", Member: keys.Author}) ||
		sets[1] != (ratelimit.Member{Set: "campaign:" + st.ID + ":" + fp + ":threads", Member: threadHex}) {
		t.Errorf("campaign sets %+v", sets)
	}
}
