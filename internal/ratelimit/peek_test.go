package ratelimit

import (
	"context"
	"fmt"
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
