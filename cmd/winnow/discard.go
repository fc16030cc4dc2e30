package main

import (
	"context"
	"log/slog"
	"time"
)

// spamDiscarder is the store's side of discarding old spam (sqlstore.Store).
type spamDiscarder interface {
	DiscardSpam(ctx context.Context, before time.Time, limit int) (int64, error)
}

// discardBatch bounds one delete, so a large backlog never holds a long transaction.
const discardBatch = 500

// discardInterval is how often old spam is looked for: hourly, or more often when
// spam is kept for less than a couple of hours (tests, small installations).
func discardInterval(after time.Duration) time.Duration {
	return min(time.Hour, max(after/2, time.Second))
}

// discardSpam deletes comments that have been in the spam queue for longer than after,
// now and then every discardInterval, until ctx ends. Replicas may all run it: a
// comment is deleted once whoever gets there first. after <= 0 keeps spam for ever.
func discardSpam(ctx context.Context, st spamDiscarder, after time.Duration, log *slog.Logger) {
	if after <= 0 {
		return
	}
	t := time.NewTicker(discardInterval(after))
	defer t.Stop()
	for {
		var total int64
		for ctx.Err() == nil {
			n, err := st.DiscardSpam(ctx, time.Now().Add(-after), discardBatch)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("discarding old spam failed", slog.String("error", err.Error()))
				}
				break
			}
			total += n
			if n < discardBatch {
				break
			}
		}
		if total > 0 {
			log.Info("discarded old spam", slog.Int64("comments", total), slog.Duration("older_than", after))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
