package dispatch

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultSchedule is how long to wait before each retry after a failed attempt: eleven
// attempts over about 23.7 hours, then the delivery is dead. Each wait is jittered by
// ±20% so that retries for many events to one consumer do not arrive together. A
// function, so no caller can change the schedule for everyone.
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour,
	}
}

// maxRetryAfter bounds how long a consumer's Retry-After can postpone a delivery.
const maxRetryAfter = 24 * time.Hour

// retryable reports whether an answer with this status is worth trying again: a
// consumer that is overloaded, restarting or briefly in conflict. Other client errors
// will fail the same way every time; redirects are not followed, and count as those.
func retryable(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests
}

// nextAttempt returns when to try again after failed attempt number n (1 for the
// first), or ok false when the schedule is spent. retryAfter, when the consumer sent
// one, postpones the retry to at least then.
func nextAttempt(schedule []time.Duration, n int, now time.Time, retryAfter time.Duration) (time.Time, bool) {
	if n < 1 || n > len(schedule) {
		return time.Time{}, false
	}
	wait := jitter(schedule[n-1])
	if retryAfter > wait {
		wait = min(retryAfter, maxRetryAfter)
	}
	return now.Add(wait), true
}

// jitter spreads d over ±20%.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
