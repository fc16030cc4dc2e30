package site

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

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

func TestSiteValidateAndOrigins(t *testing.T) {
	s := NewSite("blog", " My blog ")
	s.Origins = []string{"https://Blog.Example/", "https://blog.example", ""}
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Scripts = []string{" latin", "Latin", "cyrillic"}
	s.Normalize()
	if err := s.Validate(); err != nil || len(s.Scripts) != 2 || s.Scripts[0] != "Latin" || s.Scripts[1] != "Cyrillic" {
		t.Errorf("scripts %q: %v", s.Scripts, err)
	}
	for _, c := range []*CDNCache{nil, {}, {SMaxAge: 5 * time.Second, StaleWhileRevalidate: 30 * time.Second}, {SMaxAge: MaxCDNLifetime, StaleWhileRevalidate: MaxCDNLifetime}} {
		if s.CDN = c; s.Validate() != nil {
			t.Errorf("CDN lifetimes %+v refused: %v", c, s.Validate())
		}
	}
	if len(s.Origins) != 1 || !s.AllowsOrigin("https://blog.example") || s.AllowsOrigin("https://evil.example") {
		t.Errorf("origins %v", s.Origins)
	}
	if !s.AllowsURL("https://blog.example/2023/post") || s.AllowsURL("https://blog.example.evil.example/") || s.AllowsURL("//blog.example") {
		t.Error("AllowsURL")
	}
	bad := []Site{
		{ID: "Bad Id", Name: "x", Policy: PolicyAll},
		{ID: "ok", Name: "", Policy: PolicyAll},
		{ID: "ok", Name: "x", Policy: "sometimes"},
		{ID: "ok", Name: "x", Policy: PolicyAll, Origins: []string{"https://x.example/path"}},
		{ID: "ok", Name: "x", Policy: PolicyAll, MaxLinks: -1},
		{ID: "ok", Name: "x", Policy: PolicyAll, Scripts: []string{"Klingon"}},
		{ID: "ok", Name: "x", Policy: PolicyAll, CDN: &CDNCache{SMaxAge: -time.Second}},
		{ID: "ok", Name: "x", Policy: PolicyAll, CDN: &CDNCache{StaleWhileRevalidate: 1500 * time.Millisecond}},
		{ID: "ok", Name: "x", Policy: PolicyAll, CDN: &CDNCache{SMaxAge: MaxCDNLifetime + time.Second}},
	}
	for _, b := range bad {
		if b.Validate() == nil {
			t.Errorf("accepted %+v", b)
		}
	}
}

func TestSiteNameAndBlockedWordsAreNormalized(t *testing.T) {
	s := NewSite("blog", " Cafe\u0301 ")
	s.BlockedWords = []string{"Cafe\u0301", "café"}
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Name != "Café" || len(s.BlockedWords) != 1 || s.BlockedWords[0] != "café" {
		t.Errorf("name %+q, words %+q", s.Name, s.BlockedWords)
	}
	for _, name := range []string{"\u200B", "\u3164", "Blog\u202E", "Blog\x00", "Blog\nNews", "Blog\u2028News", strings.Repeat("x", 201)} {
		s := NewSite("blog", name)
		s.Normalize()
		var ve *comment.ValidationError
		if err := s.Validate(); !errors.As(err, &ve) || ve.Fields["name"] == "" {
			t.Errorf("site name %+q: err = %v", name, err)
		}
	}
	// The limit is in characters, as the message says.
	if s := NewSite("blog", strings.Repeat("博", 200)); s.Validate() != nil {
		t.Errorf("a 200-character name in three-byte characters: %v", s.Validate())
	}
}
