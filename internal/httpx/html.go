package httpx

import (
	"bytes"
	"log/slog"
	"net/http"
)

// WriteHTML renders a winnow page into a buffer, so nothing is sent if the template
// fails, and sends it with its Content-Security-Policy and headers that keep it out of
// frames, caches and other sites' Referer headers.
func WriteHTML(log *slog.Logger, w http.ResponseWriter, r *http.Request, status int, csp string, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		WriteError(log, w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
