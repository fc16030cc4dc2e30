package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/winnow/winnow/internal/site"
)

// Fallback limits through Redis and, while Redis cannot be reached, through a Local
// limiter, so comments keep flowing with per-replica limits instead of failing. It tries
// Redis again after a pause that doubles up to a few seconds, and returns to it by itself.
type Fallback struct {
	redis *Redis
	local *Local
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	down     bool
	retryAt  time.Time
	backoff  time.Duration
	fallback atomic.Uint64 // decisions made locally because Redis was away
	outages  atomic.Uint64
}

// Pauses between attempts to reach Redis again while it is away.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// NewFallback returns a limiter that prefers r and falls back to l.
func NewFallback(r *Redis, l *Local, log *slog.Logger, now func() time.Time) *Fallback {
	return &Fallback{redis: r, local: l, log: log, now: now}
}

// AllowN never fails: when Redis does, the local limiter decides.
func (f *Fallback) AllowN(ctx context.Context, key string, r site.Rate, n int) (Result, error) {
	return decide(f, ctx, func(l limiter) (Result, error) { return l.AllowN(ctx, key, r, n) })
}

// Peek never fails: when Redis does, the local limiter answers.
func (f *Fallback) Peek(ctx context.Context, key string, r site.Rate) (Result, error) {
	return decide(f, ctx, func(l limiter) (Result, error) { return l.Peek(ctx, key, r) })
}

// PeekAll never fails: when Redis does, the local limiter answers.
func (f *Fallback) PeekAll(ctx context.Context, keys []string, rates []site.Rate) ([]Result, error) {
	return decide(f, ctx, func(l limiter) ([]Result, error) { return l.PeekAll(ctx, keys, rates) })
}

// ChargeAll never fails: when Redis does, the local limiter counts.
func (f *Fallback) ChargeAll(ctx context.Context, keys []string, rates []site.Rate) error {
	_, err := decide(f, ctx, func(l limiter) (struct{}, error) { return struct{}{}, l.ChargeAll(ctx, keys, rates) })
	return err
}

// Batched reports that calls made at once travel together to Redis (see Redis.Batched).
func (f *Fallback) Batched() bool { return f.redis.Batched() }

// limiter is what Redis and Local share.
type limiter interface {
	Counter
	Reset(ctx context.Context, key string) error
}

// decide asks Redis while it answers, else the local limiter.
func decide[T any](f *Fallback, ctx context.Context, ask func(limiter) (T, error)) (T, error) {
	var (
		res   T
		tried bool
	)
	if f.tryRedis(ctx, func() (err error) { tried = true; res, err = ask(f.redis); return err }) {
		return res, nil
	}
	if tried && ctx.Err() != nil {
		var zero T
		return zero, ctx.Err() // the caller went away; Redis is not to blame
	}
	f.fallback.Add(1)
	return ask(f.local)
}

// tryRedis runs call on Redis when Redis is to be tried now (useRedis), keeps the
// outage bookkeeping from its answer, and reports whether Redis answered. A call
// whose caller went away does not count against Redis.
func (f *Fallback) tryRedis(ctx context.Context, call func() error) bool {
	use, probe := f.useRedis()
	if !use {
		return false
	}
	err := call()
	switch {
	case err == nil:
		f.recovered()
		return true
	case ctx.Err() == nil:
		f.failed(err, probe)
	}
	return false
}

// useRedis reports whether to try Redis now: always while it works, and once per
// backoff period while it does not (a probe).
func (f *Fallback) useRedis() (use, probe bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.down {
		return true, false
	}
	now := f.now()
	if now.Before(f.retryAt) {
		return false, false
	}
	f.retryAt = now.Add(f.backoff) // one probe per period, not every request at once
	return true, true
}

// failed notes that Redis did not answer. Only a failed probe doubles the pause: the
// calls that were under way when Redis went away (a submission makes several at
// once) all fail together, and must not stretch the pause to its longest at once.
func (f *Fallback) failed(err error, probe bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.down:
		f.down, f.backoff = true, minBackoff
		f.outages.Add(1)
		f.log.Warn("rate limits: redis unreachable, using in-process limits", slog.String("error", err.Error()))
	case probe:
		f.backoff = min(2*f.backoff, maxBackoff)
	default:
		return
	}
	f.retryAt = f.now().Add(f.backoff)
}

func (f *Fallback) recovered() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		f.down = false
		f.log.Info("rate limits: redis is back")
	}
}

// Degraded reports whether decisions are being made locally because Redis is away.
func (f *Fallback) Degraded() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// LocalDecisions counts decisions made locally while Redis was away.
func (f *Fallback) LocalDecisions() uint64 { return f.fallback.Load() }

// Outages counts the times Redis became unreachable.
func (f *Fallback) Outages() uint64 { return f.outages.Load() }

// Reset forgets key in Redis and in the local limiter, since either may hold it.
func (f *Fallback) Reset(ctx context.Context, key string) error {
	err := f.local.Reset(ctx, key)
	f.tryRedis(ctx, func() error { return f.redis.Reset(ctx, key) })
	return err
}
