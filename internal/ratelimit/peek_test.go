package ratelimit

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/site"
)

// engines runs fn on the in-process limiter and on Redis. Both keep real time: the
// rates are per hour, so the milliseconds a test takes move nothing.
func engines(t *testing.T, fn func(t *testing.T, c Counter)) {
	t.Run("local", func(t *testing.T) { fn(t, NewLocal(time.Now)) })
	t.Run("redis", func(t *testing.T) {
		client := startRedis(t).client()
		t.Cleanup(func() { client.Close() })
		fn(t, newRedis(t, client))
	})
}

func perHour(n, burst int) site.Rate {
	return site.Rate{Count: n, Period: time.Hour, Burst: burst}
}

func near(a, b time.Duration) bool { return (a - b).Abs() < time.Second }

func TestPeekAnswersAsAllowNAndCountsNothing(t *testing.T) {
	engines(t, func(t *testing.T, c Counter) {
		ctx := context.Background()
		r := perHour(3, 3) // one per 20 minutes, burst 3
		for i := range 3 {
			for range 3 { // peeking again changes nothing
				p, err := c.Peek(ctx, "k", r)
				if err != nil || !p.Allowed || p.Remaining != 2-i {
					t.Fatalf("peek before event %d: %+v %v", i, p, err)
				}
			}
			p, _ := c.Peek(ctx, "k", r)
			got, err := c.AllowN(ctx, "k", r, 1)
			if err != nil || got.Allowed != p.Allowed || got.Remaining != p.Remaining || !near(got.ResetAfter, p.ResetAfter) {
				t.Fatalf("event %d: AllowN %+v, Peek said %+v", i, got, p)
			}
		}
		p, _ := c.Peek(ctx, "k", r)
		got, _ := c.AllowN(ctx, "k", r, 1)
		if p.Allowed || got.Allowed || !near(p.RetryAfter, 20*time.Minute) || !near(got.RetryAfter, p.RetryAfter) {
			t.Fatalf("burst spent: Peek %+v, AllowN %+v; want both refused for 20m", p, got)
		}
	})
}

func TestAChangedLimitHoldsAtOnce(t *testing.T) {
	engines(t, func(t *testing.T, c Counter) {
		ctx := context.Background()
		spend := func(key string, r site.Rate, n int) {
			t.Helper()
			for i := range n {
				if _, err := c.Peek(ctx, key, r); err != nil {
					t.Fatal(err)
				}
				if res, err := c.AllowN(ctx, key, r, 1); err != nil || !res.Allowed {
					t.Fatalf("%s: event %d of %d refused: %+v %v", key, i, n, res, err)
				}
			}
		}
		tests := []struct {
			name       string
			from       site.Rate
			used       int
			to         site.Rate
			allowed    bool
			remaining  int           // after one more, when allowed
			retryAfter time.Duration // when refused
		}{
			// Without the rescale, each of these would answer as the old rate left the
			// key: a raised limit refusing for most of an old burst, a lowered one
			// granting a fresh burst.
			// A third of the burst used stays a third: 1 of 3, so 1 left after one more.
			{"raised, a third used", perHour(3, 3), 1, perHour(30, 3), true, 1, 0},
			// A spent burst stays spent, but for one new interval (2m), not the old 56m.
			{"raised, spent", perHour(3, 3), 3, perHour(30, 3), false, 0, 2 * time.Minute},
			// Lowering grants no fresh burst: spent stays spent, for one new interval.
			{"lowered, spent", perHour(30, 3), 3, perHour(3, 3), false, 0, 20 * time.Minute},
			// Half used stays half: 2 of 4, so 1 left after one more.
			{"lowered, half used", perHour(30, 4), 2, perHour(4, 4), true, 1, 0},
			// The burst alone raised: 3 of 3 used become 6 of 6.
			{"burst raised, spent", perHour(3, 3), 3, perHour(3, 6), false, 0, 20 * time.Minute},
		}
		for i, tt := range tests {
			key := fmt.Sprintf("change-%d", i)
			spend(key, tt.from, tt.used)
			p, err := c.Peek(ctx, key, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if p.Allowed != tt.allowed || tt.allowed && p.Remaining != tt.remaining || !tt.allowed && !near(p.RetryAfter, tt.retryAfter) {
				t.Errorf("%s: peek %+v, want allowed=%v remaining=%d retry=%v", tt.name, p, tt.allowed, tt.remaining, tt.retryAfter)
			}
			got, err := c.AllowN(ctx, key, tt.to, 1) // the charge that follows a peek
			if err != nil || got.Allowed != p.Allowed || got.Remaining != p.Remaining || !near(got.RetryAfter, p.RetryAfter) {
				t.Errorf("%s: charge %+v %v, peek said %+v", tt.name, got, err, p)
			}
		}
	})
}

// TestChargeAllCountsAsAllowNOnEachKey: one ChargeAll leaves every key as AllowN(…, 1)
// on it would, a key that refuses untouched, whatever the keys' rates.
func TestChargeAllCountsAsAllowNOnEachKey(t *testing.T) {
	engines(t, func(t *testing.T, c Counter) {
		ctx := context.Background()
		run := fmt.Sprintf("charge-%d-", time.Now().UnixNano())
		rates := []site.Rate{perHour(3, 3), perHour(1, 1), perHour(60, 2)}
		for step := range 4 { // the second rate refuses from the second step on
			var keys, refs []string
			for i := range rates {
				keys, refs = append(keys, fmt.Sprintf("%sall-%d", run, i)), append(refs, fmt.Sprintf("%sone-%d", run, i))
			}
			if err := c.ChargeAll(ctx, keys, rates); err != nil {
				t.Fatal(err)
			}
			for i, r := range rates {
				if _, err := c.AllowN(ctx, refs[i], r, 1); err != nil {
					t.Fatal(err)
				}
				got, err1 := c.Peek(ctx, keys[i], r)
				want, err2 := c.Peek(ctx, refs[i], r)
				if err1 != nil || err2 != nil || got.Allowed != want.Allowed || got.Remaining != want.Remaining ||
					!near(got.RetryAfter, want.RetryAfter) || !near(got.ResetAfter, want.ResetAfter) {
					t.Errorf("step %d, rate %d: after ChargeAll %+v, after AllowN %+v (%v %v)", step, i, got, want, err1, err2)
				}
			}
		}
	})
}

// TestDistinctCountsSetsTogether: Peek and Add on several sets at once count each set
// as it would alone: a new member counts once, a member seen again not at all.
func TestDistinctCountsSetsTogether(t *testing.T) {
	engines(t, func(t *testing.T, c Counter) {
		ctx := context.Background()
		d := NewDistinct(c)
		run := fmt.Sprintf("distinct-%d-", time.Now().UnixNano())
		add := func(a, b string) []Tally {
			t.Helper()
			ms := []Member{{Set: run + "a", Member: a}, {Set: run + "b", Member: b}}
			ts, err := d.Peek(ctx, ms, time.Hour, 10)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Add(ctx, ms, ts, time.Hour, 10); err != nil {
				t.Fatal(err)
			}
			return ts
		}
		steps := []struct {
			a, b string
			want []Tally
		}{
			{"x", "p", []Tally{{1, true}, {1, true}}},
			{"y", "p", []Tally{{2, true}, {1, false}}},
			{"x", "q", []Tally{{2, false}, {2, true}}},
			{"z", "q", []Tally{{3, true}, {2, false}}},
		}
		for i, s := range steps {
			if got := add(s.a, s.b); !slices.Equal(got, s.want) {
				t.Errorf("step %d (%s, %s): %+v, want %+v", i, s.a, s.b, got, s.want)
			}
		}
	})
}
