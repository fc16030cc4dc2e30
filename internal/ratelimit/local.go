package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/site"
)

// Local keeps GCRA state in this process: the embedded default, and the fallback
// while Redis is away. Keys whose state has expired are swept as the map grows, so
// memory follows the number of recently active keys.
type Local struct {
	now func() time.Time

	mu        sync.Mutex
	states    map[string]state
	nextSweep int
}

// state is one key's theoretical arrival time (unix seconds) and the burst offset
// (seconds) of the rate it was computed with, so that a changed rate can rescale it.
type state struct{ tat, burst float64 }

// sweepAt is the map size that triggers the first sweep of expired keys.
const sweepAt = 10000

// NewLocal returns an empty in-process limiter; now is the clock.
func NewLocal(now func() time.Time) *Local {
	return &Local{now: now, states: map[string]state{}, nextSweep: sweepAt}
}

// AllowN counts n events for key against r (n = 0 only asks). It never fails.
func (l *Local) AllowN(_ context.Context, key string, r site.Rate, n int) (Result, error) {
	now := float64(l.now().UnixMicro()) / 1e6
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := l.rescaled(key, r, now)
	tat, res := gcra(tat, now, r, n)
	if tat > now {
		l.states[key] = state{tat, burstOffset(r)}
	}
	l.sweep(now)
	return res, nil
}

// ChargeAll counts one event for each key, keys[i] against rates[i], as AllowN(…, 1)
// on each would.
func (l *Local) ChargeAll(ctx context.Context, keys []string, rates []site.Rate) error {
	for i, key := range keys {
		if _, err := l.AllowN(ctx, key, rates[i], 1); err != nil {
			return err
		}
	}
	return nil
}

// Peek answers what AllowN with n = 1 would answer now, counting nothing. State kept
// with another rate is rescaled to r first (see rescale), as Redis.Peek does.
func (l *Local) Peek(ctx context.Context, key string, r site.Rate) (Result, error) {
	res, _ := l.PeekAll(ctx, []string{key}, []site.Rate{r})
	return res[0], nil
}

// PeekAll peeks at several keys, keys[i] against rates[i].
func (l *Local) PeekAll(_ context.Context, keys []string, rates []site.Rate) ([]Result, error) {
	now := float64(l.now().UnixMicro()) / 1e6
	out := make([]Result, len(keys))
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, key := range keys {
		r := rates[i]
		tat := l.rescaled(key, r, now)
		if tat > now {
			l.states[key] = state{tat, burstOffset(r)}
		}
		_, out[i] = gcra(max(tat-now, 0), 0, r, 1)
	}
	return out, nil
}

// rescaled returns key's arrival time in r's scale, and remembers it.
func (l *Local) rescaled(key string, r site.Rate, now float64) float64 {
	s, ok := l.states[key]
	if !ok || s.tat <= now {
		return 0
	}
	if bo := burstOffset(r); s.burst != bo {
		return now + rescale(s.tat-now, s.burst, bo)
	}
	return s.tat
}

func (l *Local) sweep(now float64) {
	if len(l.states) < l.nextSweep {
		return
	}
	for k, s := range l.states {
		if s.tat <= now {
			delete(l.states, k)
		}
	}
	l.nextSweep = max(sweepAt, 2*len(l.states))
}

// Reset forgets key, as if it had never been counted.
func (l *Local) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.states, key)
	return nil
}
