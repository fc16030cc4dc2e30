package sqlstoretest

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RedisTrips is a go-redis hook that counts round trips: each pipeline batch, and each
// command sent alone, is one. Tests of the submit gate pin how many a submission makes.
type RedisTrips struct{ n atomic.Int64 }

// Count is the round trips since the last Reset.
func (h *RedisTrips) Count() int64 { return h.n.Load() }

// Reset starts the count again.
func (h *RedisTrips) Reset() { h.n.Store(0) }

// DialHook implements redis.Hook.
func (h *RedisTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (h *RedisTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h *RedisTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}
