package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

func TestTokens(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		if n, err := s.CountTokens(ctx); err != nil || n != 0 {
			t.Fatalf("CountTokens on a fresh store = %d, %v", n, err)
		}
		admin, plain, err := auth.NewToken("ops", auth.RoleAdmin, nil, epoch)
		if err != nil {
			t.Fatal(err)
		}
		mod, _, err := auth.NewToken("mods", auth.RoleModerator, []string{"a", "b"}, epoch.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []*auth.Token{&admin, &mod} {
			if err := s.CreateToken(ctx, tok, 0); err != nil {
				t.Fatal(err)
			}
			if tok.ID == 0 {
				t.Fatal("CreateToken did not set the id")
			}
		}
		dup := admin
		if err := s.CreateToken(ctx, &dup, 0); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("CreateToken(same hash) = %v, want ErrConflict", err)
		}

		got, err := s.TokenByHash(ctx, auth.HashToken(plain))
		if err != nil {
			t.Fatal(err)
		}
		admin.Sites = []string{}
		if !reflect.DeepEqual(got, admin) {
			t.Errorf("TokenByHash = %+v, want %+v", got, admin)
		}
		if _, err := s.TokenByHash(ctx, auth.HashToken("wnw_unknown")); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("TokenByHash(unknown) = %v, want ErrNotFound", err)
		}

		// Authenticate touches the token through the store.
		at := epoch.Add(time.Hour)
		p, err := auth.Authenticate(ctx, s, plain, at)
		if err != nil || p.Role != auth.RoleAdmin {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
		got, _ = s.TokenByHash(ctx, admin.Hash)
		if !got.LastUsedAt.Equal(at) {
			t.Errorf("last used %v, want %v", got.LastUsedAt, at)
		}

		revoked := epoch.Add(2 * time.Hour)
		if err := s.RevokeToken(ctx, admin.ID, revoked); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, admin.ID, revoked.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.TokenByHash(ctx, admin.Hash)
		if !got.RevokedAt.Equal(revoked) {
			t.Errorf("revoked at %v, want the first revocation %v", got.RevokedAt, revoked)
		}
		if _, err := auth.Authenticate(ctx, s, plain, at); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("Authenticate(revoked) = %v, want ErrUnauthorized", err)
		}
		if err := s.RevokeToken(ctx, 999999, revoked); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("RevokeToken(missing) = %v, want ErrNotFound", err)
		}
		if err := s.TouchToken(ctx, 999999, revoked); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("TouchToken(missing) = %v, want ErrNotFound", err)
		}

		all, err := s.Tokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].ID != admin.ID || !reflect.DeepEqual(all[1], mod) {
			t.Errorf("Tokens = %+v", all)
		}
		if n, _ := s.CountTokens(ctx); n != 2 {
			t.Errorf("CountTokens = %d, want 2", n)
		}
	})
}

// TestTokensEndWithTheirCreator: a token records the account that made it, can be made
// under the guard only for an enabled admin, and is revoked, in UpdateUser's
// transaction, when the change asks it (auth.Accounts does when that account is
// disabled or demoted); nobody else's tokens are.
func TestTokensEndWithTheirCreator(t *testing.T) {
	tests := []struct {
		name    string
		change  func(u auth.User) auth.User
		revokes bool
	}{
		{"new password", func(u auth.User) auth.User { u.PasswordHash = "h2"; return u }, false},
		{"disabled", func(u auth.User) auth.User { u.DisabledAt = epoch; return u }, true},
		{"demoted", func(u auth.User) auth.User { u.Role, u.Sites = auth.RoleModerator, []string{"a"}; return u }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
				ctx := context.Background()
				ann := auth.User{Email: "ann@example.org", Role: auth.RoleAdmin, PasswordHash: "h", CreatedAt: epoch}
				bob := auth.User{Email: "bob@example.org", Role: auth.RoleAdmin, PasswordHash: "h", CreatedAt: epoch}
				for _, u := range []*auth.User{&ann, &bob} {
					if err := s.CreateUser(ctx, u); err != nil {
						t.Fatal(err)
					}
				}
				mint := func(name string, by int64, role auth.Role, sites ...string) auth.Token {
					t.Helper()
					tok, _, err := auth.NewToken(name, role, sites, epoch)
					if err != nil {
						t.Fatal(err)
					}
					tok.CreatedBy = by
					if err := s.CreateToken(ctx, &tok, by); err != nil {
						t.Fatal(err)
					}
					return tok
				}
				annAdmin, annMod := mint("ann admin", ann.ID, auth.RoleAdmin), mint("ann mod", ann.ID, auth.RoleModerator, "a")
				bobs, nobodys := mint("bob", bob.ID, auth.RoleAdmin), mint("cli", 0, auth.RoleAdmin)
				earlier := epoch.Add(-time.Hour)
				if err := s.RevokeToken(ctx, annMod.ID, earlier); err != nil {
					t.Fatal(err)
				}
				if got, _ := s.TokenByHash(ctx, annAdmin.Hash); got.CreatedBy != ann.ID {
					t.Errorf("created by %d, want %d", got.CreatedBy, ann.ID)
				}

				at := epoch.Add(time.Hour)
				w := auth.UserWrite{} // what auth.Accounts asks of a change that keeps or takes the admin rights
				if tt.revokes {
					w = auth.UserWrite{KeepAdmin: true, RevokeTokensAt: at}
				}
				if err := s.UpdateUser(ctx, tt.change(ann), w); err != nil {
					t.Fatal(err)
				}
				want := map[int64]time.Time{annAdmin.ID: {}, annMod.ID: earlier, bobs.ID: {}, nobodys.ID: {}}
				if tt.revokes {
					want[annAdmin.ID] = at
				}
				all, err := s.Tokens(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, tok := range all {
					if !tok.RevokedAt.Equal(want[tok.ID]) {
						t.Errorf("%s: revoked at %v, want %v", tok.Name, tok.RevokedAt, want[tok.ID])
					}
				}

				// Only an enabled admin's account may own a new token.
				tok, _, _ := auth.NewToken("late", auth.RoleAdmin, nil, epoch)
				tok.CreatedBy = ann.ID
				err = s.CreateToken(ctx, &tok, ann.ID)
				if tt.revokes != errors.Is(err, comment.ErrUnauthorized) || !tt.revokes && err != nil {
					t.Errorf("CreateToken for ann after the change = %v", err)
				}
				tok, _, _ = auth.NewToken("ghost", auth.RoleAdmin, nil, epoch)
				tok.CreatedBy = 99999
				if err := s.CreateToken(ctx, &tok, 99999); !errors.Is(err, comment.ErrUnauthorized) {
					t.Errorf("CreateToken for an unknown account = %v, want ErrUnauthorized", err)
				}
			})
		})
	}
}
