package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// WriteJSONBytes writes an already encoded JSON body.
func WriteJSONBytes(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteJSON writes v with status. Values are the front ends' own view types, which
// always encode.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	WriteJSONBytes(w, status, append(body, '\n'))
}

// IntParam reads an optional integer query parameter within [lo, hi].
func IntParam(q url.Values, name string, def, lo, hi int) (int, error) {
	return IntValue(q.Get(name), def, lo, hi)
}

// IntValue reads an optional integer (a query parameter's value, v) within [lo, hi].
func IntValue(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// SessionCookie is the name of the moderator's session cookie, which the JSON API
// sets and reads and the dashboard's pages read.
const SessionCookie = "winnow_session"

// Session is the request's session cookie, or "".
func Session(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// Origin is the origin (scheme and host) of winnow's own pages at baseURL, or "".
func Origin(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// maxScannedParams bounds the queries QueryValue reads itself; a longer one goes
// through url.ParseQuery, whose limit on the number of parameters then applies.
const maxScannedParams = 100

// QueryValue is url.ParseQuery(rawQuery).Get(name), the first value of name, without
// building a map of every parameter: the public reads take a few parameters on every
// request. Like ParseQuery it skips a pair with a semicolon, or with a malformed
// escape in its name or value (FuzzQueryValue compares the two).
func QueryValue(rawQuery, name string) string {
	if strings.Count(rawQuery, "&") >= maxScannedParams {
		q, _ := url.ParseQuery(rawQuery)
		return q.Get(name)
	}
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		// QueryUnescape returns its argument, unallocated, when there is nothing to unescape.
		if k, err := url.QueryUnescape(k); err != nil || k != name {
			continue
		}
		if v, err := url.QueryUnescape(v); err == nil {
			return v
		}
	}
	return ""
}

// ETagMatches reports whether an If-None-Match header names etag (or "*"), by
// If-None-Match's weak comparison (RFC 9110, 8.8.3.2): two tags match when their
// opaque parts do, whether either is marked weak (W/) or not.
func ETagMatches(header, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for {
		t, rest, more := strings.Cut(header, ",")
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
		if !more {
			return false
		}
		header = rest
	}
}

// AcceptsGzip reads Accept-Encoding: gzip (or *) unless its weight is zero.
func AcceptsGzip(header string) bool {
	for {
		part, rest, more := strings.Cut(header, ",")
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding)) // allocates only for upper case
		if coding == "gzip" || coding == "*" {
			q := strings.ReplaceAll(strings.ToLower(params), " ", "")
			return !strings.HasPrefix(q, "q=0") || strings.HasPrefix(q, "q=0.") && strings.Trim(q[4:], "0") != ""
		}
		if !more {
			return false
		}
		header = rest
	}
}
