package dispatch

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultSchedule is how long to wait before each retry after a failed attempt: eleven
// attempts over about 23.7 hours, then the delivery is dead. Each wait is jittered by
// ±20% (outbox.NextAttempt) so that retries for many events to one consumer do not
// arrive together. A function, so no caller can change the schedule for everyone.
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour,
	}
}

// retryable reports whether an answer with this status is worth trying again: a
// consumer that is overloaded, restarting or briefly in conflict. Other client errors
// will fail the same way every time; redirects are not followed, and count as those.
func retryable(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests
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
