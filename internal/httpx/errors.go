// Package httpx is what winnow's three HTTP front ends share: the JSON API
// (internal/httpapi), the reader's pages (internal/pages) and the moderators' dashboard
// (internal/dashboard). It holds the one table from errors to statuses, the writing of
// JSON and of HTML pages, the request id, the session cookie's name, the site cache
// and the public view of a comment, so a front end never has a second copy of them.
package httpx

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// Error is a problem found by the transport itself (a malformed body, a wrong
// content type, an unknown route), with the status and code it deserves; WriteError
// answers it as it is.
type Error struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string { return e.Message }

// BadRequest is a 400 for a malformed request, naming the fields at fault.
func BadRequest(msg string, fields map[string]string) error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg, Fields: fields}
}

type ctxKey struct{}

// requestIDContext carries a request's id: context.WithValue with the id boxed in
// its value, in one allocation instead of two, on every request.
type requestIDContext struct {
	context.Context
	id string
}

func (c *requestIDContext) Value(key any) any {
	if key == (ctxKey{}) {
		return c.id
	}
	return c.Context.Value(key)
}

// WithRequestID returns ctx carrying the request's id, which every error answer and
// log line of the request names.
func WithRequestID(ctx context.Context, id string) context.Context {
	return &requestIDContext{Context: ctx, id: id}
}

// RequestID is the id set by WithRequestID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// SetRateLimitHeaders tells a refused client when to come back, in whole seconds
// rounded up: Retry-After (RFC 9110) and the RateLimit-* fields of the IETF draft.
func SetRateLimitHeaders(h http.Header, rl *comment.RateLimitedError) {
	ceil := func(d time.Duration) string { return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10) }
	h.Set("Retry-After", ceil(max(rl.RetryAfter, time.Second)))
	h.Set("RateLimit-Limit", strconv.Itoa(rl.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(rl.Remaining))
	h.Set("RateLimit-Reset", ceil(rl.ResetAfter))
}

// errorBody is the one error shape every endpoint answers with.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// WriteError is the single table from errors to statuses, for every front end.
// Unexpected errors are logged to log with the request id and answered with a bare
// 500: no internals reach the client.
func WriteError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	d := errorDetail{RequestID: RequestID(r.Context())}
	status := http.StatusInternalServerError
	var ve *comment.ValidationError
	var he *Error
	var rl *comment.RateLimitedError
	var ce *comment.ConflictError
	switch {
	case errors.As(err, &rl):
		SetRateLimitHeaders(w.Header(), rl)
		status, d.Code, d.Message = http.StatusTooManyRequests, "rate_limited", "too many requests; try again later"
	case errors.As(err, &he):
		status, d.Code, d.Message, d.Fields = he.Status, he.Code, he.Message, he.Fields
	case errors.As(err, &ve):
		status, d.Code, d.Message, d.Fields = http.StatusUnprocessableEntity, "validation", "some fields are invalid", ve.Fields
	case errors.Is(err, comment.ErrNotFound):
		status, d.Code, d.Message = http.StatusNotFound, "not_found", "not found"
	case errors.As(err, &ce):
		status, d.Code, d.Message = http.StatusConflict, "conflict", ce.Message
		if ce.Field != "" {
			d.Fields = map[string]string{ce.Field: ce.Message}
		}
	case errors.Is(err, comment.ErrConflict):
		status, d.Code, d.Message = http.StatusConflict, "conflict", "changed by someone else; reload and try again"
	case errors.Is(err, comment.ErrUnauthorized):
		w.Header().Set("WWW-Authenticate", `Bearer realm="winnow"`)
		status, d.Code, d.Message = http.StatusUnauthorized, "unauthorized", "a valid API token is required"
	case errors.Is(err, comment.ErrEditClosed):
		status, d.Code, d.Message = http.StatusForbidden, "edit_closed", "the time to edit or delete this comment has passed"
	case errors.Is(err, comment.ErrForbidden):
		status, d.Code, d.Message = http.StatusForbidden, "forbidden", "not allowed for this credential"
	case errors.Is(err, comment.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		status, d.Code, d.Message = http.StatusServiceUnavailable, "unavailable", "temporarily unavailable; try again shortly"
	default:
		d.Code, d.Message = "internal", "internal error"
	}
	if status >= 500 && log != nil {
		log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", d.RequestID), slog.String("error", err.Error()))
	}
	WriteJSON(w, status, errorBody{Error: d})
}
