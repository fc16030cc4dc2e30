// Package outbox is what every worker that drains a table of due jobs shares: the
// webhook dispatcher's deliveries and the mail sender's mails. Both claim due rows
// under a lease (so that any number of workers, in one process or many, share the
// work and a worker that dies loses its rows only until the lease ends), work each
// claimed row in its own goroutine, record the outcome, and retry failures on a
// jittered schedule until it is spent. The claiming SQL stays with each table in
// sqlstore; the loop and the retry arithmetic live here, once.
package outbox

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxRetryAfter bounds how long a remote's own retry hint (Retry-After) can postpone
// a retry.
const MaxRetryAfter = 24 * time.Hour

// NextAttempt returns when to try again after failed attempt number n (1 for the
// first), or ok false when schedule is spent. Each wait is jittered by ±20%, so that
// retries of many jobs to one remote do not arrive together. retryAfter, when the
// remote asked for one, postpones the retry to at least then (at most MaxRetryAfter).
func NextAttempt(schedule []time.Duration, n int, now time.Time, retryAfter time.Duration) (time.Time, bool) {
	if n < 1 || n > len(schedule) {
		return time.Time{}, false
	}
	wait := Jitter(schedule[n-1])
	if retryAfter > wait {
		wait = min(retryAfter, MaxRetryAfter)
	}
	return now.Add(wait), true
}

// Jitter spreads d over ±20%.
func Jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Loop is one worker's claim loop over a table of due jobs of type T.
type Loop[T any] struct {
	// Workers bounds the jobs in flight at once.
	Workers int
	// PollInterval is how often an idle loop looks for due jobs.
	PollInterval time.Duration
	// Claim takes up to n due jobs and holds them under a lease. An error is passed
	// to Failed and the loop tries again after the poll interval.
	Claim func(ctx context.Context, n int) ([]T, error)
	// Work does one claimed job and records its outcome. It does not get the loop's
	// context: a job in flight at shutdown runs to its end (each bounds its own time),
	// so that what was done is also recorded.
	Work func(job T)
	// Failed is told of a claim that failed while the loop was running.
	Failed func(err error)
}

// Run claims and works jobs until ctx is cancelled, then stops claiming and waits for
// the jobs in flight to finish. Jobs it claimed but could not record are taken up by
// any worker once their lease ends.
func (l Loop[T]) Run(ctx context.Context) {
	workers := max(l.Workers, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, workers)
	freed := make(chan struct{}, workers)
	for {
		free := workers - len(slots)
		claimed := 0
		if free > 0 && ctx.Err() == nil {
			jobs, err := l.Claim(ctx, free)
			if err != nil && ctx.Err() == nil && l.Failed != nil {
				l.Failed(err)
			}
			claimed = len(jobs)
			for _, job := range jobs {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					l.Work(job)
					<-slots
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
			}
		}
		if free == 0 || (claimed > 0 && claimed == free) {
			// Every worker is busy and more may be due: claim again when one is free.
			select {
			case <-ctx.Done():
				return
			case <-freed:
			}
			continue
		}
		// Nothing more was due a moment ago: look again after the poll interval.
		t := time.NewTimer(l.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// AgeGauge is the metric of how long the oldest job not yet done has waited (0: none;
// -1 when the table cannot be read, which a dashboard shows, unlike a stale value): it
// grows while a remote is down, which a rate of attempts does not show.
func AgeGauge(name, help string, oldest func(context.Context) (time.Time, error), now func() time.Time) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		t, err := oldest(ctx)
		if err != nil {
			return -1
		}
		if t.IsZero() {
			return 0
		}
		return now().Sub(t).Seconds()
	})
}
