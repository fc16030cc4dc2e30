package ratelimit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/winnow/winnow/internal/site"
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
func (l *Redis) AllowN(ctx context.Context, key string, r site.Rate, n int) (Result, error) {
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

// peek reads the arrival times redis_rate keeps for keys (KEYS[2i-1]) as seconds ahead
// of Redis's clock, each in the scale of its burst offset (ARGV[i]). The burst offset
// a state was computed with is kept beside it (KEYS[2i]); when it differs, the state
// is rescaled first, keeping the used share of the burst (see rescale), so that a
// changed limit holds at once. It never counts an event: a state with no time ahead
// is left alone, and a rescaled one keeps its share. The arithmetic and the clock
// (seconds since 2017, from TIME) are redis_rate's, whose AllowN charges next.
// The rate is kept beside the state rather than in the key's name: a key named by
// its rate would start a changed limit from nothing, a fresh burst, unless the old
// name were looked up first, one more round trip. The burst offset is all of the rate
// the rescale needs; a change that keeps it (count and burst scaled together) needs
// no rescale, since GCRA's state is the time a key's burst is used ahead of now.
var peek = redis.NewScript(`
redis.replicate_commands()
local t = redis.call("TIME")
local now = (t[1] - 1483228800) + (t[2] / 1000000)
local out = {}
for i = 1, #ARGV do
  local key, def = KEYS[2*i-1], KEYS[2*i]
  local burst = tonumber(ARGV[i])
  local tat = tonumber(redis.call("GET", key) or "0")
  local reset = math.max(tat - now, 0)
  local old = tonumber(redis.call("GET", def) or "0")
  if reset > 0 and old > 0 and old ~= burst then
    reset = math.min(reset / old, 1) * burst
    redis.call("SET", key, string.format("%.17g", now + reset), "EX", math.ceil(reset))
  end
  redis.call("SET", def, ARGV[i], "EX", math.ceil(burst) + 2)
  out[i] = string.format("%.17g", reset)
end
return out
`)

// Peek answers what AllowN with n = 1 would answer now, counting nothing. State kept
// with another rate is rescaled to r first.
func (l *Redis) Peek(ctx context.Context, key string, r site.Rate) (Result, error) {
	res, err := l.PeekAll(ctx, []string{key}, []site.Rate{r})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// PeekAll peeks at several keys, keys[i] against rates[i], in one command.
func (l *Redis) PeekAll(ctx context.Context, keys []string, rates []site.Rate) ([]Result, error) {
	const prefix = "rate:" // redis_rate's
	names := make([]string, 0, 2*len(keys))
	args := make([]any, len(keys))
	for i, k := range keys {
		names = append(names, prefix+k, prefix+k+"#burst")
		args[i] = strconv.FormatFloat(burstOffset(rates[i]), 'g', -1, 64)
	}
	v, err := peek.Run(ctx, l.pipe, names, args...).StringSlice()
	if err == nil && len(v) != len(keys) {
		err = fmt.Errorf("%d answers to %d keys", len(v), len(keys))
	}
	if err != nil {
		return nil, fmt.Errorf("ratelimit: redis: %w", err)
	}
	out := make([]Result, len(keys))
	for i, s := range v {
		reset, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: redis: %w", err)
		}
		_, out[i] = gcra(reset, 0, rates[i], 1)
	}
	return out, nil
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
