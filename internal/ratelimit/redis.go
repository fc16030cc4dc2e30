package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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
return table.concat(out, " ")
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

// PeekAll peeks at several keys, keys[i] against rates[i], in one command. It
// answers every key's time ahead in one string: a reply of one element per key would
// cost allocations for each.
func (l *Redis) PeekAll(ctx context.Context, keys []string, rates []site.Rate) ([]Result, error) {
	names := keyNames(keys, true)
	args := make([]any, len(keys))
	for i := range keys {
		args[i] = burstOffset(rates[i])
	}
	v, err := peek.Run(ctx, l.pipe, names, args...).Text()
	if err != nil {
		return nil, fmt.Errorf("ratelimit: redis: %w", err)
	}
	out := make([]Result, len(keys))
	for i := range out {
		var s string
		s, v, _ = strings.Cut(v, " ")
		reset, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: redis: %d answers to %d keys: %w", i, len(keys), err)
		}
		_, out[i] = gcra(reset, 0, rates[i], 1)
	}
	if v != "" {
		return nil, fmt.Errorf("ratelimit: redis: more answers than %d keys", len(keys))
	}
	return out, nil
}

// keyNames are the Redis keys of keys, redis_rate's ("rate:" and the key), each
// followed by the key its burst offset is kept in ("#burst") when withBurst: cut from
// one string, since a submission names a dozen.
func keyNames(keys []string, withBurst bool) []string {
	const prefix, burst = "rate:", "#burst" // redis_rate's prefix
	per := 1
	if withBurst {
		per = 2
	}
	size := 0
	for _, k := range keys {
		size += per*(len(prefix)+len(k)) + (per-1)*len(burst)
	}
	var b strings.Builder
	b.Grow(size)
	for _, k := range keys {
		b.WriteString(prefix)
		b.WriteString(k)
		if withBurst {
			b.WriteString(prefix)
			b.WriteString(k)
			b.WriteString(burst)
		}
	}
	all := b.String()
	names := make([]string, 0, per*len(keys))
	for _, k := range keys {
		n := len(prefix) + len(k)
		names, all = append(names, all[:n]), all[n:]
		if withBurst {
			n += len(burst)
			names, all = append(names, all[:n]), all[n:]
		}
	}
	return names
}

// chargeAll is redis_rate's allowN with a cost of one (the arithmetic, the clock and
// the stored value are its script's), for every key (KEYS[i]) at once against the
// emission interval ARGV[2i-1] and burst offset ARGV[2i] of its rate; it answers how
// many keys it charged. A key that refuses is left alone, as allowN leaves it.
var chargeAll = redis.NewScript(`
redis.replicate_commands()
local t = redis.call("TIME")
local now = (t[1] - 1483228800) + (t[2] / 1000000)
local charged = 0
for i = 1, #KEYS do
  local interval, burst = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  local tat = math.max(tonumber(redis.call("GET", KEYS[i]) or now), now)
  local new_tat = tat + interval
  local reset_after = new_tat - now
  if now - (new_tat - burst) >= 0 and reset_after > 0 then
    redis.call("SET", KEYS[i], new_tat, "EX", math.ceil(reset_after))
    charged = charged + 1
  end
end
return charged
`)

// ChargeAll counts one event for each key, keys[i] against rates[i], in one command:
// what AllowN(…, 1) on each would count, answering nothing. The limits a submission
// is refused by go through AllowN; counters whose answer nobody reads (a campaign's)
// are charged here, one command instead of one for each key.
func (l *Redis) ChargeAll(ctx context.Context, keys []string, rates []site.Rate) error {
	names := keyNames(keys, false)
	args := make([]any, 0, 2*len(keys))
	for _, r := range rates {
		args = append(args, r.Period.Seconds()/float64(r.Count), burstOffset(r))
	}
	if err := chargeAll.Run(ctx, l.pipe, names, args...).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis: %w", err)
	}
	return nil
}

// Batched reports that calls made at once travel together, in one AutoPipeline batch:
// a caller with several calls to make gains by making them at once.
func (l *Redis) Batched() bool { return true }

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
