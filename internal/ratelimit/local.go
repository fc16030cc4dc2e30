package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// Local keeps GCRA state in this process: the embedded default, and the fallback
// while Redis is away. Keys whose state has expired are swept as the map grows, so
// memory follows the number of recently active keys.
type Local struct {
	now func() time.Time

	mu        sync.Mutex
	tats      map[string]float64 // key -> theoretical arrival time, unix seconds
	nextSweep int
}

// sweepAt is the map size that triggers the first sweep of expired keys.
const sweepAt = 10000

// NewLocal returns an empty in-process limiter; now is the clock.
func NewLocal(now func() time.Time) *Local {
	return &Local{now: now, tats: map[string]float64{}, nextSweep: sweepAt}
}

// AllowN counts n events for key against r (n = 0 only asks). It never fails.
func (l *Local) AllowN(_ context.Context, key string, r comment.Rate, n int) (Result, error) {
	now := float64(l.now().UnixMicro()) / 1e6
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, res := gcra(l.tats[key], now, r, n)
	if tat > now {
		l.tats[key] = tat
	}
	if len(l.tats) >= l.nextSweep {
		for k, t := range l.tats {
			if t <= now {
				delete(l.tats, k)
			}
		}
		l.nextSweep = max(sweepAt, 2*len(l.tats))
	}
	return res, nil
}

// Reset forgets key, as if it had never been counted.
func (l *Local) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.tats, key)
	return nil
}
