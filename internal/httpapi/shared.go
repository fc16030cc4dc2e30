package httpapi

import (
	"net/http"
	"net/url"

	"github.com/winnow/winnow/internal/httpx"
)

// The JSON API's handlers write through these, which are the shared ones of httpx
// (the pages and the dashboard use the same): one error table, one JSON writer.

// httpError is a problem found by the transport itself (httpx.Error).
type httpError = httpx.Error

func badRequest(msg string, fields map[string]string) error { return httpx.BadRequest(msg, fields) }

func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(s.log, w, r, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	return httpx.IntParam(q, name, def, lo, hi)
}

func sessionFrom(r *http.Request) string { return httpx.Session(r) }
