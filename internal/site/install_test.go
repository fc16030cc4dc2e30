package site

import (
	"strings"
	"testing"
	"time"
)

func TestAWidgetsReportLeavesOnlyWhatTheOwnerNeeds(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := NewSite("blog", "Blog")
	s.Origins = []string{"https://blog.example"}
	tests := []struct {
		name                          string
		origin, page, version, errMsg string
		want                          Install
		ok                            bool
	}{
		{"a load", "https://Blog.Example:443", "https://blog.example/2024/post?utm=x&token=secret#comments", "1a2b3c4d5e6f", "",
			Install{SiteID: "blog", Origin: "https://blog.example", Page: "https://blog.example/2024/post", Version: "1a2b3c4d5e6f", Loads: 1, LastLoad: at}, true},
		{"an error", "https://blog.example", "https://blog.example/p", "1a2b3c4d5e6f", "thread: HTTP 500\nat line 2",
			Install{SiteID: "blog", Origin: "https://blog.example", Page: "https://blog.example/p", Version: "1a2b3c4d5e6f", Error: "thread: HTTP 500 at line 2", ErrorAt: at}, true},
		{"another origin's page is not kept", "https://blog.example", "https://evil.example/p", "<script>", "",
			Install{SiteID: "blog", Origin: "https://blog.example", Loads: 1, LastLoad: at}, true},
		{"an origin the site does not allow", "https://www.blog.example", "https://www.blog.example/p", "1a2b3c4d5e6f", "",
			Install{SiteID: "blog", Origin: "https://www.blog.example", Page: "https://www.blog.example/p", Version: "1a2b3c4d5e6f", Error: ErrOriginNotAllowed, ErrorAt: at}, true},
		{"no origin", "", "https://blog.example/p", "", "", Install{}, false},
		{"not an origin", "null", "https://blog.example/p", "", "", Install{}, false},
	}
	for _, tt := range tests {
		got, ok := s.Report(tt.origin, tt.page, tt.version, tt.errMsg, at)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: got %+v %v, want %+v %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	long, _ := s.Report("https://blog.example", "https://blog.example/"+strings.Repeat("é", 400), "", strings.Repeat("x", 1000), at)
	if len(long.Page) > maxInstallPage || len(long.Error) > maxInstallError {
		t.Errorf("unbounded: page %d bytes, error %d bytes", len(long.Page), len(long.Error))
	}
}

func TestInstallsMergeLoadsAndKeepTheLatest(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	a := Install{Origin: "https://blog.example", Page: "https://blog.example/a", Version: "v1", Loads: 2, LastLoad: t0}
	a.Merge(Install{Page: "https://blog.example/b", Version: "v2", Loads: 1, LastLoad: t0.Add(time.Minute)})
	a.Merge(Install{Error: "boom", ErrorAt: t0.Add(2 * time.Minute)})
	a.Merge(Install{Error: "older", ErrorAt: t0})
	want := Install{Origin: "https://blog.example", Page: "https://blog.example/b", Version: "v2", Loads: 3, LastLoad: t0.Add(time.Minute), Error: "boom", ErrorAt: t0.Add(2 * time.Minute)}
	if a != want {
		t.Errorf("merged %+v, want %+v", a, want)
	}
}

func TestAnInstallShowsOnlyTheErrorsStillTrue(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := NewSite("blog", "Blog")
	s.Origins = []string{"https://blog.example"}
	for _, tt := range []struct {
		name string
		in   Install
		want string
	}{
		{"an error after the last load", Install{Origin: "https://blog.example", LastLoad: t0, Error: "boom", ErrorAt: t0.Add(time.Minute)}, "boom"},
		{"a load since the error", Install{Origin: "https://blog.example", LastLoad: t0.Add(time.Minute), Error: "boom", ErrorAt: t0}, ""},
		{"refused, and still not listed", Install{Origin: "https://www.blog.example", Error: ErrOriginNotAllowed, ErrorAt: t0}, ErrOriginNotAllowed},
		{"refused, and listed since", Install{Origin: "https://blog.example", Error: ErrOriginNotAllowed, ErrorAt: t0}, ""},
	} {
		if got := tt.in.CurrentError(s); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if p := (Install{Origin: "https://blog.example", Page: "https://blog.example/2024/post"}).Path(); p != "/2024/post" {
		t.Errorf("path %q", p)
	}
}
