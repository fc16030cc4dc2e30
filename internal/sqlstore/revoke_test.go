package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// jamSessionDeletes makes every deletion of a session fail, as a lost connection or a
// full disk would, until the returned function is called.
func jamSessionDeletes(t *testing.T, s *sqlstore.Store) (unjam func()) {
	t.Helper()
	ctx := context.Background()
	jam := []string{`CREATE TRIGGER jam BEFORE DELETE ON sessions BEGIN SELECT RAISE(ABORT, 'jammed'); END`}
	undo := []string{`DROP TRIGGER jam`}
	if s.Dialect() == "postgres" {
		jam = []string{
			`CREATE FUNCTION jam() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'jammed'; END $$`,
			`CREATE TRIGGER jam BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION jam()`,
		}
		undo = []string{`DROP TRIGGER jam ON sessions`, `DROP FUNCTION jam()`}
	}
	exec := func(stmts []string) {
		t.Helper()
		for _, q := range stmts {
			if _, err := sqlstore.WriteDB(s).ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	exec(jam)
	return func() { exec(undo) }
}

// TestAccountChangesEndSessionsAtomically: a change that ends an account's sessions
// (a new password, disabling) is written with their deletion or not at all, so a
// failed deletion never leaves old sessions valid after a password change.
func TestAccountChangesEndSessionsAtomically(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		now := func() time.Time { return epoch }
		a, err := auth.NewAccounts(s, now, auth.Options{Params: auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSite(ctx, site.NewSite("a", "A")); err != nil {
			t.Fatal(err)
		}
		const pw, newPW = "a long old password", "a long new password"
		root, _, err := a.AddUser(ctx, "root@example.org", auth.RoleAdmin, nil, pw)
		if err != nil {
			t.Fatal(err)
		}
		mod, _, err := a.AddUser(ctx, "mod@example.org", auth.RoleAdmin, nil, pw)
		if err != nil {
			t.Fatal(err)
		}
		_, session, err := a.Login(ctx, mod.Email, pw)
		if err != nil {
			t.Fatal(err)
		}
		actor, err := a.Authenticate(ctx, session)
		if err != nil {
			t.Fatal(err)
		}
		actor.UserID, actor.Name = root.ID, root.Email // root acts on mod
		before, _ := s.UserByID(ctx, mod.ID)
		yes, pass := true, newPW
		changes := []struct {
			name   string
			change func() error
		}{
			{"new password", func() error {
				_, err := a.UpdateUser(ctx, actor, mod.ID, auth.UserChange{Password: &pass})
				return err
			}},
			{"disable", func() error {
				_, err := a.UpdateUser(ctx, actor, mod.ID, auth.UserChange{Disabled: &yes})
				return err
			}},
			{"demote", func() error {
				r, sites := auth.RoleModerator, []string{"a"}
				_, err := a.UpdateUser(ctx, actor, mod.ID, auth.UserChange{Role: &r, Sites: &sites})
				return err
			}},
			{"user passwd", func() error { return a.SetUserPassword(ctx, mod.Email, newPW) }},
		}
		unjam := jamSessionDeletes(t, s)
		for _, c := range changes {
			if err := c.change(); err == nil {
				t.Errorf("%s: no error while sessions cannot be deleted", c.name)
			}
			if after, _ := s.UserByID(ctx, mod.ID); !reflect.DeepEqual(after, before) {
				t.Errorf("%s: the change was written without ending the sessions: %+v", c.name, after)
			}
		}
		if _, err := a.Authenticate(ctx, session); err != nil {
			t.Fatalf("the session ended though the change failed: %v", err)
		}
		unjam()
		if err := changes[0].change(); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, session); err == nil {
			t.Error("a password change left the session valid")
		}
		if _, _, err := a.Login(ctx, mod.Email, newPW); err != nil {
			t.Errorf("the new password: %v", err)
		}
	})
}

// TestUpdateUserEndsSessionsWithTheChange checks the store's side of the rule: the
// change and the deletion of the sessions are one transaction.
func TestUpdateUserEndsSessionsWithTheChange(t *testing.T) {
	tests := []struct {
		name        string
		change      func(u auth.User) auth.User
		endSessions bool
		jam         bool
		wantErr     error // nil: success; errAny: any error
		written     bool
		sessionsEnd bool
	}{
		{"keeps sessions", func(u auth.User) auth.User { u.PasswordHash = "h2"; return u }, false, false, nil, true, false},
		{"ends sessions", func(u auth.User) auth.User { u.PasswordHash = "h2"; return u }, true, false, nil, true, true},
		{"last admin: nothing", func(u auth.User) auth.User { u.DisabledAt = epoch; return u }, true, false, auth.ErrLastAdmin, false, false},
		{"failed deletion: nothing", func(u auth.User) auth.User { u.PasswordHash = "h2"; return u }, true, true, errAny, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
				ctx := context.Background()
				u := auth.User{Email: "root@example.org", Role: auth.RoleAdmin, Sites: []string{}, PasswordHash: "h", CreatedAt: epoch}
				if err := s.CreateUser(ctx, &u); err != nil {
					t.Fatal(err)
				}
				se, _, _ := auth.NewSession(u.ID, epoch)
				if err := s.CreateSession(ctx, &se); err != nil {
					t.Fatal(err)
				}
				if tt.jam {
					defer jamSessionDeletes(t, s)()
				}
				changed := tt.change(u)
				// Guarded as auth.Accounts guards a change that takes the admin rights away.
				err := s.UpdateUser(ctx, changed, auth.UserWrite{EndSessions: tt.endSessions, KeepAdmin: changed.Disabled()})
				switch {
				case tt.wantErr == nil && err != nil, tt.wantErr == errAny && err == nil,
					tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
					t.Fatalf("UpdateUser = %v, want %v", err, tt.wantErr)
				}
				want := u
				if tt.written {
					want = changed
				}
				if got, _ := s.UserByID(ctx, u.ID); !reflect.DeepEqual(got, want) {
					t.Errorf("stored %+v, want %+v", got, want)
				}
				_, _, serr := s.SessionByHash(ctx, se.Hash)
				if ended := errors.Is(serr, comment.ErrNotFound); ended != tt.sessionsEnd {
					t.Errorf("session ended %v (%v), want %v", ended, serr, tt.sessionsEnd)
				}
			})
		})
	}
}

// errAny stands for any error in a table.
var errAny = errors.New("any error")

// TestSetPasswordEndsSessionsWithTheChange: the new hash and the end of the sessions
// are written together or not at all.
func TestSetPasswordEndsSessionsWithTheChange(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		u := auth.User{Email: "mod@example.org", Role: auth.RoleModerator, Sites: []string{"a"}, PasswordHash: "h", CreatedAt: epoch}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		se, _, _ := auth.NewSession(u.ID, epoch)
		if err := s.CreateSession(ctx, &se); err != nil {
			t.Fatal(err)
		}
		unjam := jamSessionDeletes(t, s)
		if err := s.SetPassword(ctx, u.ID, "h2"); err == nil {
			t.Error("SetPassword succeeded while sessions cannot be deleted")
		}
		if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "h" {
			t.Errorf("hash %q written without ending the sessions", got.PasswordHash)
		}
		unjam()
		if err := s.SetPassword(ctx, u.ID, "h2"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "h2" {
			t.Errorf("hash %q after SetPassword", got.PasswordHash)
		}
		if _, _, err := s.SessionByHash(ctx, se.Hash); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("a session survived a new password: %v", err)
		}
	})
}
