package httpx

import "testing"

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
