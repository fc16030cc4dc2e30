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
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if tok.ID == 0 {
				t.Fatal("CreateToken did not set the id")
			}
		}
		dup := admin
		if err := s.CreateToken(ctx, &dup); !errors.Is(err, comment.ErrConflict) {
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
