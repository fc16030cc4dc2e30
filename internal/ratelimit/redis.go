package ratelimit

import (
	"context"
	"fmt"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/winnow/winnow/internal/comment"
)

// Redis keeps GCRA state in Redis, so every replica enforces one limit.
type Redis struct {
	limiter *redis_rate.Limiter
	client  *redis.Client
}

// NewRedis limits through client; keys are prefixed by redis_rate ("rate:").
func NewRedis(client *redis.Client) *Redis {
	return &Redis{limiter: redis_rate.NewLimiter(client), client: client}
}

// AllowN counts n events for key against r (n = 0 only asks).
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
