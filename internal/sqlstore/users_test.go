package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

var _ auth.AccountStore = (*sqlstore.Store)(nil)

func TestUsersAndSessions(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mod := auth.User{Email: "mod@example.org", Role: auth.RoleModerator, Sites: []string{"a", "b"},
			PasswordHash: "$argon2id$x", CreatedAt: epoch}
		if err := s.CreateUser(ctx, &mod); err != nil || mod.ID == 0 {
			t.Fatalf("CreateUser = %v, id %d", err, mod.ID)
		}
		dup := auth.User{Email: "mod@example.org", Role: auth.RoleAdmin, PasswordHash: "h", CreatedAt: epoch}
		if err := s.CreateUser(ctx, &dup); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("CreateUser(same email) = %v, want ErrConflict", err)
		}
		got, err := s.UserByEmail(ctx, "mod@example.org")
		if err != nil || !reflect.DeepEqual(got, mod) {
			t.Errorf("UserByEmail = %+v, %v; want %+v", got, err, mod)
		}
		if _, err := s.UserByEmail(ctx, "nobody@example.org"); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("UserByEmail(unknown) = %v", err)
		}
		if err := s.SetPassword(ctx, mod.ID, "$argon2id$y"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, 99999, "h"); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("SetPassword(missing) = %v", err)
		}
		if n, _ := s.CountAdmins(ctx); n != 0 {
			t.Errorf("CountAdmins = %d, want 0", n)
		}

		se, plain, _ := auth.NewSession(mod.ID, epoch)
		if err := s.CreateSession(ctx, &se); err != nil || se.ID == 0 {
			t.Fatalf("CreateSession = %v", err)
		}
		gs, gu, err := s.SessionByHash(ctx, auth.HashToken(plain))
		if err != nil || !reflect.DeepEqual(gs, se) || gu.ID != mod.ID || gu.PasswordHash != "$argon2id$y" {
			t.Errorf("SessionByHash = %+v, %+v, %v; want %+v", gs, gu, err, se)
		}
		if err := s.TouchSession(ctx, se.ID, epoch.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		gs, _, _ = s.SessionByHash(ctx, se.Hash)
		if !gs.LastSeenAt.Equal(epoch.Add(time.Hour)) {
			t.Errorf("last seen %v after a touch", gs.LastSeenAt)
		}
		orphan := auth.Session{Hash: "x", UserID: 99999, CreatedAt: epoch, LastSeenAt: epoch}
		if err := s.CreateSession(ctx, &orphan); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("CreateSession(unknown user) = %v, want ErrNotFound", err)
		}

		old, _, _ := auth.NewSession(mod.ID, epoch.Add(-30*24*time.Hour))
		if err := s.CreateSession(ctx, &old); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteExpiredSessions(ctx, mod.ID, epoch.Add(-time.Hour), epoch.Add(-7*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionByHash(ctx, old.Hash); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("an expired session survived: %v", err)
		}
		if _, _, err := s.SessionByHash(ctx, se.Hash); err != nil {
			t.Errorf("a live session was pruned: %v", err)
		}
		second, _, _ := auth.NewSession(mod.ID, epoch)
		if err := s.CreateSession(ctx, &second); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, se.Hash); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, se.Hash); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
		if _, _, err := s.SessionByHash(ctx, second.Hash); err != nil {
			t.Errorf("DeleteSession ended another session: %v", err)
		}
		if err := s.DeleteUserSessions(ctx, mod.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionByHash(ctx, second.Hash); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("DeleteUserSessions left %v", err)
		}
		us, err := s.Users(ctx)
		if err != nil || len(us) != 1 || us[0].Email != mod.Email {
			t.Errorf("Users = %+v, %v", us, err)
		}
	})
}

func TestFirstAdminIsCreatedOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		if got, err := s.ClaimSetupToken(ctx, auth.SetupToken{Hash: "current", Nonce: "n1", ExpiresAt: epoch.Add(time.Hour)}, epoch); err != nil || got.Hash != "current" {
			t.Fatalf("first claim = %+v, %v", got, err)
		}
		// An unexpired token stays: a second claim gets the first.
		got, err := s.ClaimSetupToken(ctx, auth.SetupToken{Hash: "second", Nonce: "n2", ExpiresAt: epoch.Add(2 * time.Hour)}, epoch)
		if err != nil || got.Hash != "current" || got.Nonce != "n1" || !got.ExpiresAt.Equal(epoch.Add(time.Hour)) {
			t.Fatalf("second claim = %+v, %v", got, err)
		}
		for hash, want := range map[string]bool{"second": false, "current": true, "other": false} {
			if ok, err := s.SetupTokenValid(ctx, hash, epoch); ok != want || err != nil {
				t.Errorf("SetupTokenValid(%s) = %v, %v", hash, ok, err)
			}
		}
		if ok, _ := s.SetupTokenValid(ctx, "current", epoch.Add(time.Hour)); ok {
			t.Error("an expired setup token is valid")
		}
		admin := func(email string) *auth.User {
			return &auth.User{Email: email, Role: auth.RoleAdmin, PasswordHash: "h", CreatedAt: epoch}
		}
		first := func(setup string, at time.Time) auth.UserCreate {
			return auth.UserCreate{SetupHash: setup, At: at, UnlessRole: auth.RoleAdmin}
		}
		if err := s.CreateGuardedUser(ctx, admin("late@example.org"), first("current", epoch.Add(time.Hour))); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("with an expired token = %v", err)
		}
		// Concurrent attempts with the same token: exactly one admin.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				errs[i] = s.CreateGuardedUser(ctx, admin("root"+string(rune('a'+i))+"@example.org"), first("current", epoch))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, comment.ErrUnauthorized) && !errors.Is(err, comment.ErrConflict):
				t.Errorf("CreateGuardedUser = %v", err)
			}
		}
		if n, _ := s.CountAdmins(ctx); ok != 1 || n != 1 {
			t.Errorf("%d succeeded, %d admins; want 1 and 1", ok, n)
		}
		if got, err := s.ClaimSetupToken(ctx, auth.SetupToken{Hash: "again", Nonce: "n3", ExpiresAt: epoch.Add(time.Hour)}, epoch); err != nil || got.Hash != "again" {
			t.Fatalf("a claim after use = %+v, %v", got, err)
		}
		if err := s.CreateGuardedUser(ctx, admin("second@example.org"), first("again", epoch)); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("with an admin present = %v, want ErrConflict", err)
		}
		// A refused insert writes nothing: the token it would consume stays.
		if ok, err := s.SetupTokenValid(ctx, "again", epoch); !ok || err != nil {
			t.Errorf("the refused insert consumed the setup token: %v, %v", ok, err)
		}
	})
}

func TestUpdateUserKeepsAnEnabledAdmin(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		add := func(email string, role auth.Role, sites ...string) auth.User {
			t.Helper()
			u := auth.User{Email: email, Role: role, Sites: sites, PasswordHash: "h", CreatedAt: epoch}
			if u.Sites == nil {
				u.Sites = []string{}
			}
			if err := s.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		// guarded is how auth.Accounts writes a change that leaves an account without
		// admin rights; kept, one that leaves it an admin.
		guarded, kept := auth.UserWrite{KeepAdmin: true}, auth.UserWrite{}
		// Before any admin exists, moderators change freely.
		mod := add("mod@example.org", auth.RoleModerator, "a")
		mod.Sites, mod.PasswordHash = []string{"a", "b"}, "h2"
		if err := s.UpdateUser(ctx, mod, guarded); err != nil {
			t.Fatalf("UpdateUser(moderator) = %v", err)
		}
		if got, err := s.UserByID(ctx, mod.ID); err != nil || !reflect.DeepEqual(got, mod) {
			t.Errorf("UserByID = %+v, %v; want %+v", got, err, mod)
		}
		if _, err := s.UserByID(ctx, 99999); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("UserByID(unknown) = %v", err)
		}
		if err := s.UpdateUser(ctx, auth.User{ID: 99999, Role: auth.RoleAdmin}, kept); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("UpdateUser(unknown) = %v", err)
		}

		a, b := add("a@example.org", auth.RoleAdmin), add("b@example.org", auth.RoleAdmin)
		demoted := func(u auth.User) auth.User { u.Role, u.Sites = auth.RoleModerator, []string{"a"}; return u }
		disabled := func(u auth.User) auth.User { u.DisabledAt = epoch; return u }
		if err := s.UpdateUser(ctx, demoted(a), guarded); err != nil {
			t.Fatalf("demoting one of two admins = %v", err)
		}
		for name, u := range map[string]auth.User{"demote": demoted(b), "disable": disabled(b)} {
			if err := s.UpdateUser(ctx, u, guarded); !errors.Is(err, auth.ErrLastAdmin) {
				t.Errorf("%s the last admin = %v, want ErrLastAdmin", name, err)
			}
		}
		if got, _ := s.UserByID(ctx, b.ID); !reflect.DeepEqual(got, b) {
			t.Errorf("a refused change was written: %+v", got)
		}
		// A disabled admin does not count: with a disabled, b is still the last.
		a.DisabledAt = epoch
		if err := s.UpdateUser(ctx, a, guarded); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateUser(ctx, disabled(b), guarded); !errors.Is(err, auth.ErrLastAdmin) {
			t.Errorf("disabling the last enabled admin = %v", err)
		}

		// Two admins demoting each other at once: one wins, one admin is left.
		a.DisabledAt = time.Time{}
		if err := s.UpdateUser(ctx, a, kept); err != nil {
			t.Fatal(err)
		}
		for round := range 5 {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, u := range []auth.User{disabled(a), demoted(b)} {
				wg.Go(func() { errs[i] = s.UpdateUser(ctx, u, guarded) })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, auth.ErrLastAdmin) && !errors.Is(err, comment.ErrConflict):
					t.Fatalf("round %d: %v", round, err)
				}
			}
			us, _ := s.Users(ctx)
			enabled := 0
			for _, u := range us {
				if u.Role == auth.RoleAdmin && !u.Disabled() {
					enabled++
				}
			}
			if ok != 1 || enabled != 1 {
				t.Fatalf("round %d: %d changes went through, %d enabled admins left; want 1 and 1", round, ok, enabled)
			}
			for _, u := range []auth.User{a, b} { // both admins again
				if err := s.UpdateUser(ctx, u, kept); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
