package ratelimit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/winnow/winnow/internal/comment"
)

// Redis keeps GCRA state in Redis, so every replica enforces one limit. Its commands
// go through the client's AutoPipeline: calls made at the same time, by one
// submission's concurrent checks or by concurrent requests, share one write and one
// read on one connection.
type Redis struct {
	limiter *redis_rate.Limiter
	pipe    *redis.AutoPipeliner
	client  *redis.Client
}

// NewRedis limits through client; keys are prefixed by redis_rate ("rate:"). The
// batching follows client's Options.AutoPipelineOptions (a short MaxFlushDelay lets
// one request's concurrent commands meet in one batch).
func NewRedis(client *redis.Client) (*Redis, error) {
	pipe, err := client.AutoPipeline()
	if err != nil {
		return nil, fmt.Errorf("ratelimit: redis: %w", err)
	}
	return &Redis{limiter: redis_rate.NewLimiter(pipe), pipe: pipe, client: client}, nil
}

// AllowN counts n events for key against r (n = 0 only asks). It does not rescale
// state kept with another rate: Peek, which comes before a charge, does that.
func (l *Redis) AllowN(ctx context.Context, key string, r comment.Rate, n int) (Result, error) {
	res, err := l.limiter.AllowN(ctx, key, redis_rate.Limit{Rate: r.Count, Period: r.Period, Burst: r.Burst}, n)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	out := Result{Allowed: res.Allowed == n, Remaining: res.Remaining, ResetAfter: res.ResetAfter}
	if res.RetryAfter > 0 {
		out.RetryAfter = res.RetryAfter
	}
	return out, nil
}

// peek reads the arrival time redis_rate keeps for a key (KEYS[1]) as seconds ahead of
// Redis's clock, in the scale of the burst offset ARGV[1]. The burst offset the state
// was computed with is kept beside it (KEYS[2]); when it differs, the state is
// rescaled first, keeping the used share of the burst (see rescale), so that a
// changed limit holds at once. It never counts an event: a state with no time ahead
// is left alone, and a rescaled one keeps its share. The arithmetic and the clock
// (seconds since 2017, from TIME) are redis_rate's, whose AllowN charges next.
var peek = redis.NewScript(`
redis.replicate_commands()
local burst = tonumber(ARGV[1])
local t = redis.call("TIME")
local now = (t[1] - 1483228800) + (t[2] / 1000000)
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
local reset = math.max(tat - now, 0)
local old = tonumber(redis.call("GET", KEYS[2]) or "0")
if reset > 0 and old > 0 and old ~= burst then
  reset = math.min(reset / old, 1) * burst
  redis.call("SET", KEYS[1], string.format("%.17g", now + reset), "EX", math.ceil(reset))
end
redis.call("SET", KEYS[2], ARGV[1], "EX", math.ceil(burst) + 2)
return string.format("%.17g", reset)
`)

// Peek answers what AllowN with n = 1 would answer now, counting nothing, in one
// command. State kept with another rate is rescaled to r first.
func (l *Redis) Peek(ctx context.Context, key string, r comment.Rate) (Result, error) {
	const prefix = "rate:" // redis_rate's
	bo := strconv.FormatFloat(burstOffset(r), 'g', -1, 64)
	v, err := peek.Run(ctx, l.pipe, []string{prefix + key, prefix + key + "#burst"}, bo).Text()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	reset, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	_, res := gcra(reset, 0, r, 1)
	return res, nil
}

// Ping checks that Redis answers.
func (l *Redis) Ping(ctx context.Context) error {
	return l.client.Ping(ctx).Err()
}

// Reset forgets key, as if it had never been counted.
func (l *Redis) Reset(ctx context.Context, key string) error {
	if err := l.limiter.Reset(ctx, key); err != nil {
		return fmt.Errorf("ratelimit: redis: %w", err)
	}
	return nil
}
