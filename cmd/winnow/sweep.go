package main

import (
	"context"
	"log/slog"
	"time"
)

// sweepBatch bounds one statement, so a large backlog never holds a long transaction.
const sweepBatch = 500

// sweepInterval is how often the sweeps run: hourly, or more often when something is
// kept for less than a couple of hours (tests, small installations).
func sweepInterval(periods ...time.Duration) time.Duration {
	every := time.Hour
	for _, p := range periods {
		if p > 0 {
			every = min(every, max(p/2, time.Second))
		}
	}
	return every
}

// sweep is one rule about comments of a certain age: what it does, after how long, and
// how (a batch of at most limit comments older than before; fewer than limit done
// means nothing is left).
type sweep struct {
	what  string
	after time.Duration
	run   func(ctx context.Context, before time.Time, limit int) (int64, error)
}

// sweepOld runs the sweeps until ctx ends: for example spam is deleted
// spam.discard_after after it got to the spam queue, comments' addresses and user
// agents are cleared privacy.forget_addresses_after after they were written, and
// comments left published spam.learn_published_after teach ham (0 turns any off).
// Every replica may run them; whoever gets to a comment first changes it.
func sweepOld(ctx context.Context, sweeps []sweep, log *slog.Logger) {
	var periods []time.Duration
	for _, s := range sweeps {
		if s.after > 0 {
			periods = append(periods, s.after)
		}
	}
	if len(periods) == 0 {
		return
	}
	t := time.NewTicker(sweepInterval(periods...))
	defer t.Stop()
	for {
		for _, s := range sweeps {
			if s.after > 0 {
				s.once(ctx, log)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// once runs a sweep in batches until nothing is left to do or it fails.
func (s sweep) once(ctx context.Context, log *slog.Logger) {
	var total int64
	for ctx.Err() == nil {
		n, err := s.run(ctx, time.Now().Add(-s.after), sweepBatch)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn(s.what+": failed", slog.String("error", err.Error()))
			}
			break
		}
		total += n
		if n < sweepBatch {
			break
		}
	}
	if total > 0 {
		log.Info(s.what, slog.Int64("comments", total), slog.Duration("older_than", s.after))
	}
}
