package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/winnow/winnow/internal/httpx"
)

type ctxKey int

const principalKey ctxKey = 0

// validRequestID accepts a proxy's id only if it is short and plain, so it is safe to log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var h [16]byte
	hex.Encode(h[:], b[:])
	return string(h[:])
}

// statusWriter remembers the status and size for the access log and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe wraps every routed request: request id, size limit, panic recovery, access
// log and metrics. The log names the route template, never the raw path or query (a
// moderator's search can hold an email) and never the client's address or user agent.
//
// routes wraps each route's handler once, with its template (route) and the most its
// requests' bodies may hold (maxBody), where mux's middleware (Router.Use) would build
// the wrapper again on every request and look the route up in the request's context;
// routes that mux did not match are observed as "unmatched".
func (s *server) observe(route string, maxBody int64, next http.Handler) http.Handler {
	m := s.metrics.route(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(httpx.WithRequestID(r.Context(), id))
		if r.Body != http.NoBody { // nothing to limit in a request without a body
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", slog.String("request_id", id), slog.String("panic", fmt.Sprint(p)))
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("panic"))
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			method := methodLabel(r.Method)
			m.requests(method, status).Inc()
			m.duration().Observe(elapsed.Seconds())
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", id), slog.String("method", method), slog.String("route", route),
				slog.Int("status", status), slog.Int("bytes", sw.bytes), slog.Float64("duration_ms", durationMS(elapsed)))
		}()
		next.ServeHTTP(sw, r)
	})
}

// durationMS is d in milliseconds with microsecond precision: a number log
// pipelines sum and compare without parsing Go's duration strings (slog's JSON
// handler writes a time.Duration as integer nanoseconds, which no one reads well).
func durationMS(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// methodLabel keeps the method label to the methods HTTP defines, so a client
// inventing methods cannot create metric series without end.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
