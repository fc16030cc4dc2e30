// Package ratelimit counts events with GCRA (the generic cell rate algorithm): one
// stored time per key, exact limits, smooth bursts. Redis holds the state when several
// replicas must share limits (github.com/go-redis/redis_rate); Local holds it in the
// process with the same arithmetic; Fallback uses Redis and falls back to Local while
// Redis cannot be reached, then returns to Redis by itself.
//
// Peek answers what counting one event would answer and counts nothing, so a caller
// can check several limits and count them only when all pass. The state of a key is
// kept with the burst offset of the rate it was computed with; when a peek finds it
// kept with another rate, it rescales it so that the key keeps the share of its burst
// it had used, and a changed limit holds at once. Nonces and Distinct are the form
// tokens' and the campaigns' counters, kept on the same limiter.
package ratelimit

import (
	"time"

	"github.com/winnow/winnow/internal/site"
)

// Result is one decision. Remaining is how many more events the key may have now;
// RetryAfter is how long until the next one is allowed (0 when allowed); ResetAfter
// is how long until the key is back to a full burst.
type Result struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration
	ResetAfter time.Duration
}

// gcra is the algorithm on one key's theoretical arrival time (tat), in seconds. It
// mirrors redis_rate's Lua script so that Local and Redis decide alike: n = 0 asks
// without counting.
func gcra(tat, now float64, r site.Rate, n int) (newTAT float64, res Result) {
	interval := r.Period.Seconds() / float64(r.Count)
	burstOffset := interval * float64(r.Burst)
	tat = max(tat, now)
	newTAT = tat + interval*float64(n)
	diff := now - (newTAT - burstOffset)
	if diff < 0 {
		return tat, Result{RetryAfter: seconds(-diff), ResetAfter: seconds(tat - now)}
	}
	return newTAT, Result{Allowed: true, Remaining: int(diff / interval), ResetAfter: seconds(newTAT - now)}
}

// burstOffset is how far ahead of now a key's arrival time may be while an event is
// still allowed: the burst, in seconds.
func burstOffset(r site.Rate) float64 {
	return r.Period.Seconds() / float64(r.Count) * float64(r.Burst)
}

// rescale moves the time a key is ahead of now (its used burst, reset seconds) from a
// rate with burst offset oldBurst to one with newBurst, keeping the used share of the
// burst: a limit raised frees its clients at once, a limit lowered grants nobody a
// fresh burst.
func rescale(reset, oldBurst, newBurst float64) float64 {
	if reset <= 0 || oldBurst <= 0 {
		return 0
	}
	return min(reset/oldBurst, 1) * newBurst
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
