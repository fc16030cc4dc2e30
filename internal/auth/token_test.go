package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

func TestNewTokenRefusesScopesThatCouldEscalate(t *testing.T) {
	tests := []struct {
		name  string
		role  Role
		sites []string
		ok    bool
	}{
		{"admin for every site", RoleAdmin, nil, true},
		{"moderator of one site", RoleModerator, []string{"blog"}, true},
		{"admin limited to a site", RoleAdmin, []string{"blog"}, false},
		{"moderator of nothing", RoleModerator, nil, false},
		{"unknown role", Role("root"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, plain, err := NewToken("n", tt.role, tt.sites, time.Now())
			var ve *comment.ValidationError
			if tt.ok != (err == nil) || (!tt.ok && !errors.As(err, &ve)) {
				t.Fatalf("err = %v", err)
			}
			if tt.ok && (HashToken(plain) != tok.Hash || len(plain) < 40) {
				t.Error("token and hash do not match")
			}
		})
	}
}

func TestPrincipalScope(t *testing.T) {
	admin := Principal{Role: RoleAdmin}
	mod := Principal{Role: RoleModerator, Sites: []string{"a"}}
	empty := Principal{Role: RoleModerator}
	if !admin.CanSite("x") || admin.Scope() != nil {
		t.Error("an admin reaches every site")
	}
	if !mod.CanSite("a") || mod.CanSite("b") || len(mod.Scope()) != 1 {
		t.Error("a moderator reaches its own sites only")
	}
	if empty.CanSite("a") || empty.Scope() == nil || len(empty.Scope()) != 0 {
		t.Error("a moderator without sites must reach nothing, not everything")
	}
}

func TestPrincipalAccount(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		want int64
	}{
		{"signed-in user", Principal{UserID: 3, Name: "ann@example.org"}, 3},
		{"a user's token", Principal{TokenID: 7, TokenCreatedBy: 3}, 3},
		{"a token nobody made", Principal{TokenID: 1}, 0},
	}
	for _, tt := range tests {
		if got := tt.p.Account(); got != tt.want {
			t.Errorf("%s: Account() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
