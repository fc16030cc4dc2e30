package comment

import "testing"

func TestSiteOriginsAreWrittenAsBrowsersSendThem(t *testing.T) {
	s := NewSite("blog", "Blog")
	s.Origins = []string{" HTTPS://Blog.Example:443/ ", "http://blog.example:80", "https://blog.example:8443", "https://blog.example"}
	s.Normalize()
	want := []string{"https://blog.example", "http://blog.example", "https://blog.example:8443"}
	if len(s.Origins) != len(want) {
		t.Fatalf("origins %q, want %q", s.Origins, want)
	}
	for i := range want {
		if s.Origins[i] != want[i] {
			t.Errorf("origin %d = %q, want %q", i, s.Origins[i], want[i])
		}
	}
	tests := []struct {
		origin string
		allows bool
	}{
		{"https://blog.example", true},
		{"https://blog.example:443", true},
		{"http://blog.example", true},
		{"https://blog.example:8443", true},
		{"https://blog.example:444", false},
		{"https://evil.example", false},
	}
	for _, tt := range tests {
		if got := s.AllowsOrigin(tt.origin); got != tt.allows {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", tt.origin, got, tt.allows)
		}
	}
}
