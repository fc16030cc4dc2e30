package httpapi

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/winnow/winnow/internal/akismet"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
)

// akismetThanks is Akismet's answer to a report, which its clients compare.
const akismetThanks = "Thanks for making the web a better place."

// akismetRequest decodes an Akismet call: the form fields winnow reads (from the body
// only: a key in a URL would reach proxies' logs; the others Akismet defines, such as
// referrer, comment_type and blog_lang, are accepted and not read), and the key from the api_key or key field or,
// as Akismet's clients send it, the first label of the host
// (KEY.rest.akismet.example). The host is never logged (observe logs the route's
// template), so neither is a key in it.
func (s *server) akismetRequest(w http.ResponseWriter, r *http.Request) (akismet.Request, bool) {
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeAkismet(w, status, "invalid", "the request body could not be read as a form")
		return akismet.Request{}, false
	}
	f := r.PostForm
	req := akismet.Request{
		Key: f.Get("api_key"), Client: s.addressKey(r), Blog: f.Get("blog"),
		UserIP: f.Get("user_ip"), UserAgent: f.Get("user_agent"), Permalink: f.Get("permalink"),
		Author: f.Get("comment_author"), AuthorEmail: f.Get("comment_author_email"),
		AuthorURL: f.Get("comment_author_url"), Content: f.Get("comment_content"),
		UserRole: f.Get("user_role"),
	}
	if req.Key == "" {
		req.Key = f.Get("key")
	}
	if req.Key == "" {
		req.Key = hostKey(r.Host)
	}
	if name := f.Get("honeypot_field_name"); name != "" {
		req.Honeypot = f.Get(name)
	}
	switch strings.ToLower(strings.TrimSpace(f.Get("is_test"))) {
	case "", "0", "false":
	default:
		req.IsTest = true
	}
	return req, true
}

// hostKey is the first label of host when it has the shape of a key, else "".
func hostKey(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label, rest, ok := strings.Cut(strings.ToLower(host), ".")
	if !ok || rest == "" || !auth.AkismetKeyShape(label) {
		return ""
	}
	return label
}

// akismetVerify is POST /1.1/verify-key: "valid" or "invalid".
func (s *server) akismetVerify(w http.ResponseWriter, r *http.Request) {
	req, ok := s.akismetRequest(w, r)
	if !ok {
		return
	}
	if _, err := s.akismet.Verify(r.Context(), req); err != nil {
		s.akismetError(w, r, err)
		return
	}
	writeAkismet(w, http.StatusOK, "valid", "")
}

// akismetCheck is POST /1.1/comment-check: "true" (spam) or "false", with the pro
// tip "discard" for a comment winnow would send to the spam folder, and a guid
// naming the answer (winnow keeps nothing under it).
func (s *server) akismetCheck(w http.ResponseWriter, r *http.Request) {
	req, ok := s.akismetRequest(w, r)
	if !ok {
		return
	}
	a, err := s.akismet.Check(r.Context(), req)
	if err != nil {
		s.akismetError(w, r, err)
		return
	}
	w.Header().Set("X-akismet-guid", newGUID())
	body := "false"
	if a.Spam {
		body = "true"
	}
	if a.Discard {
		w.Header().Set("X-akismet-pro-tip", "discard")
	}
	writeAkismet(w, http.StatusOK, body, "")
}

// akismetReport is POST /1.1/submit-spam (isSpam) and /1.1/submit-ham.
func (s *server) akismetReport(isSpam bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := s.akismetRequest(w, r)
		if !ok {
			return
		}
		if err := s.akismet.Report(r.Context(), req, isSpam); err != nil {
			s.akismetError(w, r, err)
			return
		}
		writeAkismet(w, http.StatusOK, akismetThanks, "")
	}
}

// akismetError answers as Akismet does: "invalid" with a 200 and the reason in
// X-akismet-debug-help for a wrong key or field, which its clients read; 429 with
// Retry-After once an address has sent too many wrong keys; a 5xx, which clients
// retry, when winnow cannot answer.
func (s *server) akismetError(w http.ResponseWriter, r *http.Request, err error) {
	var ve *comment.ValidationError
	var rl *comment.RateLimitedError
	switch {
	case errors.Is(err, akismet.ErrInvalidKey):
		writeAkismet(w, http.StatusOK, "invalid", "the API key is not valid: issue one with `winnow site akismet-key --site SITE`")
	case errors.As(err, &ve):
		writeAkismet(w, http.StatusOK, "invalid", fieldsHelp(ve))
	case errors.As(err, &rl):
		httpx.SetRateLimitHeaders(w.Header(), rl)
		writeAkismet(w, http.StatusTooManyRequests, "invalid", "too many wrong keys from this address; try again later")
	case errors.Is(err, comment.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		writeAkismet(w, http.StatusServiceUnavailable, "", "temporarily unavailable; try again shortly")
	default:
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", httpx.RequestID(r.Context())), slog.String("error", err.Error()))
		writeAkismet(w, http.StatusInternalServerError, "", "internal error")
	}
}

// fieldsHelp says which fields were wrong and why, in one header line.
func fieldsHelp(ve *comment.ValidationError) string {
	parts := make([]string, 0, len(ve.Fields))
	for f, msg := range ve.Fields {
		parts = append(parts, fmt.Sprintf("%s: %s", f, msg))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// writeAkismet writes a plain-text answer, with help for the client's developer.
func writeAkismet(w http.ResponseWriter, status int, body, help string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if help != "" {
		h.Set("X-akismet-debug-help", help)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// newGUID is a random version-4 UUID.
func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
