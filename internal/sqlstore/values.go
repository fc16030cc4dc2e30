package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/site"
)

// micros is how a time is stored: unix microseconds UTC, 0 for the zero time. An
// integer sorts and compares the same in both engines, which timestamps do not.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros reverses micros.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// stored returns t as it reads back after being stored.
func stored(t time.Time) time.Time { return fromMicros(micros(t)) }

// now is the current time at the precision it will be stored with, so that a value
// the store fills in equals the value read back.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// list is how a []string is stored: a JSON array, never NULL.
func list(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// fromList reverses list. It returns an empty, non-nil slice for an empty list, so
// that callers encoding it to JSON get [] rather than null.
func fromList(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return []string{}, nil
	}
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("stored list: %w", err)
	}
	return v, nil
}

// storedRate is a site.Rate as stored in a site's rate_limits JSON object.
type storedRate struct {
	Count         int   `json:"count"`
	PeriodSeconds int64 `json:"period_seconds"`
	Burst         int   `json:"burst"`
}

// rates is how a site's limit overrides are stored: a JSON object of the set rates.
func rates(l site.RateLimits) string {
	m := map[string]storedRate{}
	for name, r := range map[string]site.Rate{"ip": l.IP, "email": l.Email, "thread": l.Thread, "site": l.Site} {
		if !r.IsZero() {
			m[name] = storedRate{Count: r.Count, PeriodSeconds: int64(r.Period / time.Second), Burst: r.Burst}
		}
	}
	b, _ := json.Marshal(m) // a map of plain structs always marshals
	return string(b)
}

// fromRates reverses rates.
func fromRates(s string) (site.RateLimits, error) {
	var m map[string]storedRate
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return site.RateLimits{}, fmt.Errorf("stored rate limits: %w", err)
	}
	var l site.RateLimits
	for name, p := range map[string]*site.Rate{"ip": &l.IP, "email": &l.Email, "thread": &l.Thread, "site": &l.Site} {
		if r, ok := m[name]; ok {
			*p = site.Rate{Count: r.Count, Period: time.Duration(r.PeriodSeconds) * time.Second, Burst: r.Burst}
		}
	}
	return l, nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// affectedOne turns the result of an UPDATE by key into an error: the statement's
// own, or one wrapping comment.ErrNotFound when no row matched.
func affectedOne(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return wrap(op, sql.ErrNoRows)
	}
	return nil
}

// placeholders returns n parameters numbered from start: "$1, $2, $3".
func placeholders(start, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(start+i))
	}
	return b.String()
}

// siteKeyArgs are the arguments of a "site_id = $1 AND key IN ($2, ...)" query.
func siteKeyArgs(siteID string, keys []string) []any {
	args := make([]any, 0, len(keys)+1)
	args = append(args, siteID)
	for _, k := range keys {
		args = append(args, k)
	}
	return args
}
