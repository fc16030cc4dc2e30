package httpx

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "deflate, gzip": true, "gzip;q=0": false,
		"gzip; q=0.000": false, "gzip;q=0.5": true, "*": true, "br": false, "identity, GZIP;q=1": true} {
		if got := AcceptsGzip(h); got != want {
			t.Errorf("AcceptsGzip(%q) = %v", h, got)
		}
	}
}

func TestETagMatchesWeakly(t *testing.T) {
	tests := []struct {
		header, etag string
		want         bool
	}{
		{`W/"abc"`, `W/"abc"`, true},
		{`"abc"`, `W/"abc"`, true}, // a tag remembered from before tags were weak
		{`W/"abc"`, `"abc"`, true},
		{`"x", W/"abc"`, `W/"abc"`, true},
		{`*`, `W/"abc"`, true},
		{`W/"abd"`, `W/"abc"`, false},
		{`abc`, `W/"abc"`, false},
		{``, `W/"abc"`, false},
	}
	for _, tt := range tests {
		if got := ETagMatches(tt.header, tt.etag); got != tt.want {
			t.Errorf("ETagMatches(%q, %q) = %v", tt.header, tt.etag, got)
		}
	}
}

func TestQueryValue(t *testing.T) {
	tests := []struct{ query, name, want string }{
		{"thread=/p", "thread", "/p"},
		{"a=1&thread=%2Fp%20q&thread=/r", "thread", "/p q"},
		{"thread=a+b", "thread", "a b"},
		{"th%72ead=x", "thread", "x"},
		{"thread=%zz&thread=/ok", "thread", "/ok"}, // a malformed value is skipped
		{"thread=/p;x&thread=/q", "thread", "/q"},  // so is a pair with a semicolon
		{"&&thread&", "thread", ""},
		{"limit=5", "thread", ""},
		{"", "thread", ""},
		{strings.Repeat("a=1&", maxScannedParams) + "thread=/long", "thread", "/long"},
	}
	for _, tt := range tests {
		if got := QueryValue(tt.query, tt.name); got != tt.want {
			t.Errorf("QueryValue(%.40q, %q) = %q, want %q", tt.query, tt.name, got, tt.want)
		}
	}
}

// FuzzQueryValue holds QueryValue to url.ParseQuery's answer.
func FuzzQueryValue(f *testing.F) {
	for _, q := range []string{"thread=/p&sort=newest&limit=50", "thread=%2F%zz&thread=a+b;c", "th%72ead=1&=x&&thread"} {
		f.Add(q, "thread")
	}
	f.Fuzz(func(t *testing.T, query, name string) {
		q, _ := url.ParseQuery(query)
		if got, want := QueryValue(query, name), q.Get(name); got != want {
			t.Errorf("QueryValue(%q, %q) = %q, ParseQuery's %q", query, name, got, want)
		}
	})
}

// TestRequestID finds the id through contexts derived from the one that carries it,
// which still end with their parent.
func TestRequestID(t *testing.T) {
	type other struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), other{}, "kept"))
	ctx := WithRequestID(parent, "abc")
	child, stop := context.WithTimeout(context.WithValue(ctx, other{}, "shadow"), time.Hour)
	defer stop()
	if got := RequestID(child); got != "abc" {
		t.Errorf("RequestID = %q through derived contexts", got)
	}
	if got := RequestID(context.WithoutCancel(ctx)); got != "abc" {
		t.Errorf("RequestID = %q without cancel", got)
	}
	if got := ctx.Value(other{}); got != "kept" {
		t.Errorf("another value: %v", got)
	}
	if RequestID(context.Background()) != "" {
		t.Error("an id without one")
	}
	cancel()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a context derived from the request's did not end with it")
	}
}
