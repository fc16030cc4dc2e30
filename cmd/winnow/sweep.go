package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/winnow/winnow/internal/intake"
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

// addressKeyer gives comments written before schema version 14 their address key
// (sqlstore.Store).
type addressKeyer interface {
	KeyAddresses(ctx context.Context, since time.Time, limit int, key func(ip string) string) (int64, error)
}

// keyOldAddresses gives the comments of the last intake.AddressMemory that were written
// before address keys existed the key of their address's network (key), in batches,
// so that an upgrade does not wipe addresses' reputations. The store remembers when it
// is done; after that a start costs one read. Every replica may run it.
func keyOldAddresses(ctx context.Context, st addressKeyer, key func(ip string) string, log *slog.Logger) {
	var total int64
	for ctx.Err() == nil {
		n, err := st.KeyAddresses(ctx, time.Now().Add(-intake.AddressMemory), sweepBatch, key)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("keying old comments' addresses: failed", slog.String("error", err.Error()))
			}
			return
		}
		total += n
		if n == 0 {
			break
		}
	}
	if total > 0 {
		log.Info("keyed old comments' addresses for their reputation", slog.Int64("comments", total))
	}
}

// emailKeyer gives comments written before schema version 23 the key of their email
// (moderation.Commenters).
type emailKeyer interface {
	KeyEmails(ctx context.Context) (int64, error)
}

// keyOldEmails gives the comments written before email keys existed theirs, once, at
// start, so that the first export or erasure after an upgrade need not. Every replica
// may run it; when none is left it costs one index probe.
func keyOldEmails(ctx context.Context, c emailKeyer, log *slog.Logger) {
	n, err := c.KeyEmails(ctx)
	if err != nil && ctx.Err() == nil {
		log.Warn("keying old comments' emails: failed", slog.String("error", err.Error()))
	}
	if n > 0 {
		log.Info("keyed old comments' emails, by which a commenter's data is found", slog.Int64("comments", n))
	}
}
