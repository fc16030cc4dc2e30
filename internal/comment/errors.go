package comment

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ValidationError lists every field that was wrong, by its API name, so a client can
// show each message next to its field. The map is never empty.
type ValidationError struct {
	Fields map[string]string
}

// Error joins the fields in a stable order.
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// FieldErrors collects field problems; Err returns nil when there were none, so
// validators read as a list of checks. The other domain packages (site, webhook) use
// it too, so every validation error names its fields the same way.
type FieldErrors map[string]string

// Add records a problem with field; the first problem per field wins.
func (f FieldErrors) Add(field, format string, args ...any) {
	if _, ok := f[field]; !ok { // first problem per field wins: it is the most basic one
		f[field] = fmt.Sprintf(format, args...)
	}
}

// Err is a *ValidationError with every problem, or nil when there was none.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}

// Invalid returns a ValidationError for a single field; transports use it for
// problems found before the domain sees the input (a malformed number, say).
func Invalid(field, message string) error {
	return &ValidationError{Fields: map[string]string{field: message}}
}

// ConflictError is a comment.ErrConflict that says what stands in the way, in words a
// moderator can act on ("comment 7 was changed by someone else since"), where the bare
// sentinel would only say "reload". Field, when set, names the request field it is about.
type ConflictError struct {
	Field   string
	Message string
}

// Error is the message.
func (e *ConflictError) Error() string { return e.Message }

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Conflict returns a ConflictError about field.
func Conflict(field, format string, args ...any) error {
	return &ConflictError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// RateLimitedError says that a limit refused a request and when to try again.
// Nothing was stored.
type RateLimitedError struct {
	// Scope is what was counted: ip, email, thread or site.
	Scope      string
	Limit      int
	Remaining  int
	RetryAfter time.Duration
	ResetAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited by the %s limit; retry after %s", e.Scope, e.RetryAfter.Round(time.Second))
}
