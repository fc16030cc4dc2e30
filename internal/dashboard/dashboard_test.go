package dashboard

import "testing"

func TestDashboardPathKeepsSignInOnTheDashboard(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/admin/sites/a", "/admin/sites/a"},
		{"/admin/?status=spam&site=a", "/admin/?status=spam&site=a"},
		{"/admin/log?actor=user%3A2%3Aann%40example.org", "/admin/log?actor=user%3A2%3Aann%40example.org"},
		{"", "/admin/"},
		{"/admin", "/admin/"},
		{"//evil.example/admin/", "/admin/"},
		{"https://evil.example/admin/", "/admin/"},
		{"/\\evil.example", "/admin/"},
		{"/admin/\\..\\evil", "/admin/"},
		{"/admin/login?next=/admin/", "/admin/"},
		{"/api/v1/admin/users", "/admin/"},
		{"/admin/\r\nLocation: x", "/admin/"},
		{"javascript:alert(1)", "/admin/"},
	}
	for _, tt := range tests {
		if got := dashboardPath(tt.next); got != tt.want {
			t.Errorf("dashboardPath(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}
