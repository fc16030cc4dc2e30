package outbox

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNextAttemptFollowsTheScheduleWithJitterAndRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	schedule := []time.Duration{10 * time.Second, time.Minute}
	cases := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		min, max   time.Duration
		ok         bool
	}{
		{"first failure waits the first step, jittered", 1, 0, 8 * time.Second, 12 * time.Second, true},
		{"second failure waits the second step", 2, 0, 48 * time.Second, 72 * time.Second, true},
		{"a longer Retry-After wins", 1, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, true},
		{"a Retry-After beyond a day is capped", 1, 72 * time.Hour, MaxRetryAfter, MaxRetryAfter, true},
		{"after the schedule the job is dead", 3, 0, 0, 0, false},
		{"attempt zero is no attempt", 0, 0, 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next, ok := NextAttempt(schedule, tc.attempt, now, tc.retryAfter)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if wait := next.Sub(now); ok && (wait < tc.min || wait > tc.max) {
				t.Errorf("wait %s, want %s..%s", wait, tc.min, tc.max)
			}
		})
	}
}

// TestLoopWorksEveryJobOnceAndDrainsOnStop claims from a queue shared by two loops, as
// two replicas would, and checks that every job is worked exactly once, that no loop
// has more than its workers in flight, and that Run returns only after the jobs in
// flight are done.
func TestLoopWorksEveryJobOnceAndDrainsOnStop(t *testing.T) {
	var (
		mu       sync.Mutex
		queue    []int
		worked   = map[int]int{}
		inFlight atomic.Int32
		peak     atomic.Int32
	)
	for i := range 200 {
		queue = append(queue, i)
	}
	claim := func(_ context.Context, n int) ([]int, error) {
		mu.Lock()
		defer mu.Unlock()
		n = min(n, len(queue))
		jobs := queue[:n]
		queue = queue[n:]
		return jobs, nil
	}
	const workers = 3
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Loop[int]{Workers: workers, PollInterval: time.Millisecond, Claim: claim, Work: func(j int) {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond)
				mu.Lock()
				worked[j]++
				mu.Unlock()
				inFlight.Add(-1)
			}}.Run(ctx)
		}()
	}
	for {
		mu.Lock()
		done := len(worked) == 200
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	if n := inFlight.Load(); n != 0 {
		t.Errorf("%d jobs still in flight after Run returned", n)
	}
	for j, n := range worked {
		if n != 1 {
			t.Errorf("job %d worked %d times", j, n)
		}
	}
	if p := peak.Load(); p > 2*workers {
		t.Errorf("%d jobs in flight at once, want at most %d", p, 2*workers)
	}
}
