package comment

import (
	"fmt"
	"sort"
	"strings"
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

// fieldErrors collects field problems; err returns nil when there were none, so
// validators read as a list of checks.
type fieldErrors map[string]string

func (f fieldErrors) add(field, format string, args ...any) {
	if _, ok := f[field]; !ok { // first problem per field wins: it is the most basic one
		f[field] = fmt.Sprintf(format, args...)
	}
}

func (f fieldErrors) err() error {
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
