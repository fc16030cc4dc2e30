package auth_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// clock is a fake time that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

// testAccounts returns Accounts on st, where sites a, b and blog exist, and the
// clock it reads.
func testAccounts(t *testing.T, st *sqlstore.Store) (*auth.Accounts, *clock) {
	t.Helper()
	for _, id := range []string{"a", "b", "blog"} {
		if err := st.CreateSite(context.Background(), site.NewSite(id, "Site "+id)); err != nil {
			t.Fatal(err)
		}
	}
	c := newClock()
	a, err := auth.NewAccounts(st, c.now, auth.Options{Params: auth.FastParams()})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

const pw = "a long enough password"

func TestSessionExpiry(t *testing.T) {
	tests := []struct {
		name   string
		steps  []time.Duration // the session is used after each wait
		wait   time.Duration   // then, after this, is it still alive?
		expect bool
	}{
		{"fresh", nil, 0, true},
		{"idle just under 12h", nil, 12*time.Hour - time.Second, true},
		{"idle 12h", nil, 12 * time.Hour, false},
		{"used every 11h for 6 days", []time.Duration{11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour,
			11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour,
			11 * time.Hour, 11 * time.Hour}, 0, true},
		{"used every 11h past 7 days", []time.Duration{11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour,
			11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour,
			11 * time.Hour, 11 * time.Hour, 11 * time.Hour, 11 * time.Hour}, 11 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
				a, c := testAccounts(t, st)
				ctx := context.Background()
				if _, _, err := a.AddUser(ctx, "Mod@Example.org ", auth.RoleModerator, []string{"blog"}, pw); err != nil {
					t.Fatal(err)
				}
				_, session, err := a.Login(ctx, "mod@example.ORG", pw)
				if err != nil {
					t.Fatal(err)
				}
				for i, d := range tt.steps {
					c.add(d)
					if _, err := a.Authenticate(ctx, session); err != nil {
						t.Fatalf("use %d after %v: %v", i, d, err)
					}
				}
				c.add(tt.wait)
				p, err := a.Authenticate(ctx, session)
				if tt.expect != (err == nil) || (err != nil && !errors.Is(err, comment.ErrUnauthorized)) {
					t.Fatalf("Authenticate = %+v, %v; want alive=%v", p, err, tt.expect)
				}
				if !tt.expect {
					c.t = c.t.Add(-tt.wait) // even back in time, an expired session stays deleted
					if _, err := a.Authenticate(ctx, session); !errors.Is(err, comment.ErrUnauthorized) {
						t.Errorf("an expired session came back: %v", err)
					}
				}
			})
		})
	}
}

func TestSessionTouchedAtMostOnceAMinute(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, c := testAccounts(t, st)
		ctx := context.Background()
		if _, _, err := a.AddUser(ctx, "a@example.org", auth.RoleAdmin, nil, pw); err != nil {
			t.Fatal(err)
		}
		_, session, err := a.Login(ctx, "a@example.org", pw)
		if err != nil {
			t.Fatal(err)
		}
		// Every write moves the last-seen time, for the clock moves between uses.
		lastSeen := func() time.Time {
			t.Helper()
			s, _, err := st.SessionByHash(ctx, auth.HashToken(session))
			if err != nil {
				t.Fatal(err)
			}
			return s.LastSeenAt
		}
		seen, touches := lastSeen(), 0
		for range 30 {
			c.add(5 * time.Second)
			if _, err := a.Authenticate(ctx, session); err != nil {
				t.Fatal(err)
			}
			if now := lastSeen(); !now.Equal(seen) {
				seen, touches = now, touches+1
			}
		}
		if touches < 2 || touches > 3 {
			t.Errorf("%d writes for 30 uses over 150 s, want 2 or 3", touches)
		}
	})
}

func TestLoginFailuresLookAlike(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, _ := testAccounts(t, st)
		ctx := context.Background()
		if _, _, err := a.AddUser(ctx, "mod@example.org", auth.RoleModerator, []string{"blog"}, pw); err != nil {
			t.Fatal(err)
		}
		verifications := 0
		auth.CountVerifications(a, &verifications)
		for _, tt := range []struct{ email, password string }{
			{"mod@example.org", "wrong password here"},
			{"nobody@example.org", pw},
			{"", ""},
		} {
			verifications = 0
			if _, _, err := a.Login(ctx, tt.email, tt.password); !errors.Is(err, comment.ErrUnauthorized) {
				t.Errorf("Login(%q) = %v, want ErrUnauthorized", tt.email, err)
			}
			if verifications != 1 {
				t.Errorf("Login(%q) verified %d times, want 1 (the same cost either way)", tt.email, verifications)
			}
		}
	})
}

func TestAddUserRolesAndScope(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		role     auth.Role
		sites    []string
		password string
		fields   []string
	}{
		{"admin", "root@example.org", auth.RoleAdmin, nil, pw, nil},
		{"moderator", "mod@example.org", auth.RoleModerator, []string{"a"}, pw, nil},
		{"moderator of nothing", "m2@example.org", auth.RoleModerator, nil, pw, []string{"sites"}},
		{"admin limited to a site", "a2@example.org", auth.RoleAdmin, []string{"a"}, pw, []string{"sites"}},
		{"unknown role", "r@example.org", auth.Role("root"), nil, pw, []string{"role"}},
		{"not an email", "nobody", auth.RoleAdmin, nil, pw, []string{"email"}},
		{"a site that does not exist", "m3@example.org", auth.RoleModerator, []string{"a", "nope"}, pw, []string{"sites"}},
		{"no email and no site", "", auth.RoleModerator, []string{"nope"}, pw, []string{"email", "sites"}},
		{"short password and no email", "", auth.RoleAdmin, nil, "short", []string{"email", "password"}},
	}
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, _ := testAccounts(t, st)
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, _, err := a.AddUser(ctx, tt.email, tt.role, tt.sites, tt.password)
				var ve *comment.ValidationError
				if len(tt.fields) == 0 {
					if err != nil {
						t.Fatal(err)
					}
					_, session, err := a.Login(ctx, tt.email, tt.password)
					if err != nil {
						t.Fatal(err)
					}
					p, err := a.Authenticate(ctx, session)
					if err != nil || p.UserID != u.ID || p.Role != tt.role || p.Actor() != "user:"+strconv.FormatInt(u.ID, 10)+":"+tt.email {
						t.Fatalf("principal %+v (%s), %v", p, p.Actor(), err)
					}
					if tt.role == auth.RoleModerator && (!p.CanSite("a") || p.CanSite("b") || len(p.Scope()) != 1 || p.IsAdmin()) {
						t.Error("a moderator reaches its own sites only")
					}
					if tt.role == auth.RoleAdmin && (!p.CanSite("b") || p.Scope() != nil) {
						t.Error("an admin reaches every site")
					}
					return
				}
				if !errors.As(err, &ve) || len(ve.Fields) != len(tt.fields) {
					t.Fatalf("err = %v, want fields %v", err, tt.fields)
				}
				for _, f := range tt.fields {
					if ve.Fields[f] == "" {
						t.Errorf("no problem reported for %s: %v", f, ve)
					}
				}
			})
		}
		if _, _, err := a.AddUser(ctx, " ROOT@example.org", auth.RoleAdmin, nil, pw); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("the same email in another case = %v, want ErrConflict", err)
		}
	})
}

func TestPasswordChangeAndRevocationEndSessions(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, _ := testAccounts(t, st)
		ctx := context.Background()
		u, _, err := a.AddUser(ctx, "mod@example.org", auth.RoleModerator, []string{"a"}, pw)
		if err != nil {
			t.Fatal(err)
		}
		login := func() string {
			t.Helper()
			_, session, err := a.Login(ctx, "mod@example.org", pw)
			if err != nil {
				t.Fatal(err)
			}
			return session
		}
		s1, s2 := login(), login()
		if err := a.Logout(ctx, s1); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, s1); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("after logout: %v", err)
		}
		if _, err := a.Authenticate(ctx, s2); err != nil {
			t.Errorf("logout ended another session: %v", err)
		}
		if err := a.RevokeSessions(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, s2); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("after revocation: %v", err)
		}
		s3 := login()
		if err := a.SetUserPassword(ctx, "MOD@example.org", "another long password"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, s3); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("a password change left a session: %v", err)
		}
		if _, _, err := a.Login(ctx, "mod@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("the old password still works: %v", err)
		}
		if _, _, err := a.Login(ctx, "mod@example.org", "another long password"); err != nil {
			t.Errorf("the new password: %v", err)
		}
		if _, err := a.Authenticate(ctx, "not-a-session"); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("a malformed session: %v", err)
		}
	})
}

func TestSetupCreatesTheFirstAdminOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, c := testAccounts(t, st)
		ctx := context.Background()
		secret := []byte("installation secret")
		plain, _, err := auth.OfferSetup(ctx, st, secret, c.now())
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := a.SetupValid(ctx, plain); !ok {
			t.Fatal("a fresh setup token is not valid")
		}
		if _, _, err := a.Setup(ctx, plain+"x", "root@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("a wrong token = %v", err)
		}
		u, session, err := a.Setup(ctx, plain, "root@example.org", pw)
		if err != nil || u.Role != auth.RoleAdmin {
			t.Fatalf("Setup = %+v, %v", u, err)
		}
		if p, err := a.Authenticate(ctx, session); err != nil || !p.IsAdmin() {
			t.Errorf("the new admin is not signed in: %+v, %v", p, err)
		}
		if _, _, err := a.Setup(ctx, plain, "other@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("a used token = %v", err)
		}
		if plain, _, err = auth.OfferSetup(ctx, st, secret, c.now()); err != nil {
			t.Fatal(err)
		}
		c.add(auth.SetupValidity)
		if _, _, err := a.Setup(ctx, plain, "late@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("an expired token = %v", err)
		}
	})
}

// TestSetupLinkIsTheSameEverywhereUntilUsedOrExpired: every offer (each replica, each
// restart, racing or not) gets the same token while it is unused and unexpired; it
// expires after SetupValidity, and a new one is offered after that or after use.
func TestSetupLinkIsTheSameEverywhereUntilUsedOrExpired(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, c := testAccounts(t, st)
		ctx := context.Background()
		secret := []byte("installation secret")
		tokens := make([]string, 8)
		errs := make([]error, len(tokens))
		var wg sync.WaitGroup
		for i := range tokens {
			wg.Go(func() { tokens[i], _, errs[i] = auth.OfferSetup(ctx, st, secret, c.now()) })
		}
		wg.Wait()
		for i := range tokens {
			if errs[i] != nil || tokens[i] != tokens[0] {
				t.Fatalf("concurrent offers: %q, %v", tokens, errs)
			}
		}
		first := tokens[0]
		c.add(auth.SetupValidity - time.Minute)
		again, expires, err := auth.OfferSetup(ctx, st, secret, c.now())
		if err != nil || again != first || !expires.Equal(newClock().now().Add(auth.SetupValidity)) {
			t.Fatalf("a later offer = %q, %s, %v; want %q until %s", again, expires, err, first, newClock().now().Add(auth.SetupValidity))
		}
		if ok, _ := a.SetupValid(ctx, first); !ok {
			t.Fatal("the token is not valid before it expires")
		}
		c.add(time.Minute)
		if ok, _ := a.SetupValid(ctx, first); ok {
			t.Fatal("the token is valid after 24 hours")
		}
		renewed, _, err := auth.OfferSetup(ctx, st, secret, c.now())
		if err != nil || renewed == first {
			t.Fatalf("after expiry: %q, %v", renewed, err)
		}
		if again, _, _ := auth.OfferSetup(ctx, st, secret, c.now()); again != renewed {
			t.Errorf("the renewed token changed: %q then %q", renewed, again)
		}
		if _, _, err := a.Setup(ctx, renewed, "root@example.org", pw); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Setup(ctx, renewed, "twice@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("a used token = %v", err)
		}
		// Another secret cannot produce a token the stored hash accepts.
		if _, _, err := auth.OfferSetup(ctx, st, []byte("other"), c.now()); err != nil {
			t.Fatal(err) // used: a fresh nonce is stored for it
		}
		if _, _, err := auth.OfferSetup(ctx, st, secret, c.now()); err == nil {
			t.Error("a token stored under another secret was offered")
		}
	})
}

func TestAddUserGeneratesAMissingPassword(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, _ := testAccounts(t, st)
		ctx := context.Background()
		u, generated, err := a.AddUser(ctx, "gen@example.org", auth.RoleModerator, []string{"b", "a", "b"}, "")
		if err != nil || auth.CheckPassword(generated) != nil {
			t.Fatalf("AddUser without a password = %q, %v", generated, err)
		}
		if !slices.Equal(u.Sites, []string{"a", "b"}) {
			t.Errorf("sites %q, want sorted and without repeats", u.Sites)
		}
		if _, _, err := a.Login(ctx, "gen@example.org", generated); err != nil {
			t.Errorf("the generated password does not sign in: %v", err)
		}
		if _, given, err := a.AddUser(ctx, "given@example.org", auth.RoleAdmin, nil, pw); err != nil || given != "" {
			t.Errorf("a given password is answered back: %q, %v", given, err)
		}
		var ce *comment.ConflictError
		if _, _, err := a.AddUser(ctx, "GEN@example.org", auth.RoleAdmin, nil, pw); !errors.As(err, &ce) || ce.Field != "email" {
			t.Errorf("an email in use = %v, want a conflict on email", err)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	ptr := func(v any) auth.UserChange {
		switch v := v.(type) {
		case auth.Role:
			return auth.UserChange{Role: &v}
		case []string:
			return auth.UserChange{Sites: &v}
		case bool:
			return auth.UserChange{Disabled: &v}
		case string:
			return auth.UserChange{Password: &v}
		}
		panic(v)
	}
	// Accounts 1 (root) and 2 (mod); the actor is root unless the step says otherwise.
	type step struct {
		name     string
		actor    int64 // 0: an API token
		target   int64
		change   auth.UserChange
		conflict string // the field of a 409
		invalid  string // the field of a 422
		revokes  bool
	}
	tests := []struct {
		name  string
		steps []step
		check func(t *testing.T, root, mod auth.User)
	}{
		{"sites of a moderator", []step{{name: "sites", actor: 1, target: 2, change: ptr([]string{"b", "a"}), revokes: true}},
			func(t *testing.T, _, mod auth.User) {
				if !slices.Equal(mod.Sites, []string{"a", "b"}) {
					t.Errorf("sites %q", mod.Sites)
				}
			}},
		{"same sites change nothing", []step{{name: "same", actor: 1, target: 2, change: ptr([]string{"a"})}}, nil},
		{"promote clears the sites", []step{{name: "promote", actor: 1, target: 2, change: ptr(auth.RoleAdmin), revokes: true}},
			func(t *testing.T, _, mod auth.User) {
				if mod.Role != auth.RoleAdmin || len(mod.Sites) != 0 {
					t.Errorf("promoted: %+v", mod)
				}
			}},
		{"a moderator needs sites", []step{{name: "no sites", actor: 1, target: 2, change: ptr([]string{}), invalid: "sites"}}, nil},
		{"sites must exist", []step{{name: "nope", actor: 1, target: 2, change: ptr([]string{"nope"}), invalid: "sites"}}, nil},
		{"unknown role", []step{{name: "root role", actor: 1, target: 2, change: ptr(auth.Role("root")), invalid: "role"}}, nil},
		{"short password", []step{{name: "short", actor: 1, target: 2, change: ptr("short"), invalid: "password"}}, nil},
		{"new password", []step{{name: "password", actor: 1, target: 2, change: ptr("a new long password"), revokes: true}}, nil},
		{"disable and enable", []step{
			{name: "disable", actor: 1, target: 2, change: ptr(true), revokes: true},
			{name: "disable again", actor: 1, target: 2, change: ptr(true)},
			{name: "enable", actor: 1, target: 2, change: ptr(false), revokes: true},
		}, func(t *testing.T, _, mod auth.User) {
			if mod.Disabled() {
				t.Error("still disabled")
			}
		}},
		{"not yourself", []step{
			{name: "demote self", actor: 1, target: 1, change: auth.UserChange{Role: new(auth.RoleModerator), Sites: &[]string{"a"}}, conflict: "role"},
			{name: "disable self", actor: 1, target: 1, change: ptr(true), conflict: "disabled"},
			{name: "own password", actor: 1, target: 1, change: ptr("my own new password"), revokes: true},
		}, nil},
		{"the last admin stays", []step{
			{name: "demote by token", target: 1, change: auth.UserChange{Role: new(auth.RoleModerator), Sites: &[]string{"a"}}, conflict: "role"},
			{name: "disable by token", target: 1, change: ptr(true), conflict: "disabled"},
			{name: "promote the moderator", target: 2, change: ptr(auth.RoleAdmin), revokes: true},
			{name: "now root may go", actor: 2, target: 1, change: ptr(true), revokes: true},
			{name: "and the other is last", target: 2, change: ptr(true), conflict: "disabled"},
		}, func(t *testing.T, root, mod auth.User) {
			if !root.Disabled() || mod.Disabled() || mod.Role != auth.RoleAdmin {
				t.Errorf("root %+v, mod %+v", root, mod)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
				a, _ := testAccounts(t, st)
				ctx := context.Background()
				root, _, err := a.AddUser(ctx, "root@example.org", auth.RoleAdmin, nil, pw)
				if err != nil {
					t.Fatal(err)
				}
				mod, _, err := a.AddUser(ctx, "mod@example.org", auth.RoleModerator, []string{"a"}, pw)
				if err != nil {
					t.Fatal(err)
				}
				accounts := map[int64]auth.User{1: root, 2: mod} // by the steps' numbers
				for _, s := range tt.steps {
					target := accounts[s.target]
					_, session, err := a.Login(ctx, target.Email, pw)
					if err != nil && !errors.Is(err, comment.ErrUnauthorized) { // a disabled account cannot sign in
						t.Fatal(err)
					}
					before, err := st.UserByID(ctx, target.ID)
					if err != nil {
						t.Fatal(err)
					}
					actor := auth.Principal{}
					if s.actor != 0 {
						actor = auth.PrincipalOf(accounts[s.actor])
					}
					_, err = a.UpdateUser(ctx, actor, target.ID, s.change)
					var ce *comment.ConflictError
					var ve *comment.ValidationError
					switch {
					case s.conflict != "" && (!errors.As(err, &ce) || ce.Field != s.conflict || !errors.Is(err, comment.ErrConflict)):
						t.Fatalf("%s: err = %v, want a conflict on %s", s.name, err, s.conflict)
					case s.invalid != "" && (!errors.As(err, &ve) || ve.Fields[s.invalid] == ""):
						t.Fatalf("%s: err = %v, want %s invalid", s.name, err, s.invalid)
					case s.conflict == "" && s.invalid == "" && err != nil:
						t.Fatalf("%s: %v", s.name, err)
					}
					if after, _ := st.UserByID(ctx, target.ID); err != nil && !reflect.DeepEqual(after, before) {
						t.Errorf("%s: a refused change was stored: %+v", s.name, after)
					}
					if session != "" {
						_, aerr := a.Authenticate(ctx, session)
						if revoked := errors.Is(aerr, comment.ErrUnauthorized); revoked != s.revokes {
							t.Errorf("%s: session revoked %v, want %v", s.name, revoked, s.revokes)
						}
					}
				}
				if tt.check != nil {
					r, err := st.UserByID(ctx, root.ID)
					if err != nil {
						t.Fatal(err)
					}
					m, err := st.UserByID(ctx, mod.ID)
					if err != nil {
						t.Fatal(err)
					}
					tt.check(t, r, m)
				}
			})
		})
	}
	t.Run("an unknown account", func(t *testing.T) {
		sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
			a, _ := testAccounts(t, st)
			if _, err := a.UpdateUser(context.Background(), auth.Principal{}, 42, auth.UserChange{}); !errors.Is(err, comment.ErrNotFound) {
				t.Errorf("UpdateUser = %v, want ErrNotFound", err)
			}
		})
	})
}

// TestUpdateUserEndsTheTokensWithTheAdminRights: the API tokens an account made end
// when a change leaves it without enabled admin rights (disabled or demoted), in the
// change's transaction, and with no other change; another account's stay.
func TestUpdateUserEndsTheTokensWithTheAdminRights(t *testing.T) {
	tests := []struct {
		name    string
		change  auth.UserChange
		revokes bool
	}{
		{"new password", auth.UserChange{Password: new("another long password")}, false},
		{"same role", auth.UserChange{Role: new(auth.RoleAdmin)}, false},
		{"disabled", auth.UserChange{Disabled: new(true)}, true},
		{"demoted", auth.UserChange{Role: new(auth.RoleModerator), Sites: &[]string{"a"}}, true},
		{"refused: the last admin", auth.UserChange{Disabled: new(true)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
				a, c := testAccounts(t, st)
				ctx := context.Background()
				ann, _, err := a.AddUser(ctx, "ann@example.org", auth.RoleAdmin, nil, pw)
				if err != nil {
					t.Fatal(err)
				}
				bob, _, err := a.AddUser(ctx, "bob@example.org", auth.RoleAdmin, nil, pw)
				if err != nil {
					t.Fatal(err)
				}
				mint := func(by auth.User, role auth.Role, sites ...string) auth.Token {
					t.Helper()
					tok, _, err := auth.NewToken(by.Email+" "+string(role), role, sites, c.now())
					if err != nil {
						t.Fatal(err)
					}
					tok.CreatedBy = by.ID
					if err := st.CreateToken(ctx, &tok, by.ID); err != nil {
						t.Fatal(err)
					}
					return tok
				}
				annAdmin, annMod, bobs := mint(ann, auth.RoleAdmin), mint(ann, auth.RoleModerator, "a"), mint(bob, auth.RoleAdmin)
				actor := auth.PrincipalOf(bob)
				if tt.name == "refused: the last admin" {
					if _, err := a.UpdateUser(ctx, auth.PrincipalOf(ann), bob.ID, auth.UserChange{Disabled: new(true)}); err != nil {
						t.Fatal(err)
					}
					bobs.RevokedAt = c.now()
					actor = auth.Principal{TokenID: 1, Role: auth.RoleAdmin} // a token, not ann herself
				}
				c.add(time.Hour)
				_, err = a.UpdateUser(ctx, actor, ann.ID, tt.change)
				if refused := tt.name == "refused: the last admin"; refused != errors.Is(err, comment.ErrConflict) || !refused && err != nil {
					t.Fatalf("UpdateUser = %v", err)
				}
				want := map[int64]time.Time{annAdmin.ID: {}, annMod.ID: {}, bobs.ID: bobs.RevokedAt}
				if tt.revokes {
					want[annAdmin.ID], want[annMod.ID] = c.now(), c.now()
				}
				ts, err := st.Tokens(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, tok := range ts {
					if !tok.RevokedAt.Equal(want[tok.ID]) {
						t.Errorf("%s: revoked at %v, want %v", tok.Name, tok.RevokedAt, want[tok.ID])
					}
				}
			})
		})
	}
}

// TestTwoAdminsDisablingEachOtherAtOnce: the last-admin rule holds under concurrency,
// because Accounts asks the store to check it as the change is written.
func TestTwoAdminsDisablingEachOtherAtOnce(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		a, _ := testAccounts(t, st)
		ctx := context.Background()
		ann, _, err := a.AddUser(ctx, "ann@example.org", auth.RoleAdmin, nil, pw)
		if err != nil {
			t.Fatal(err)
		}
		bob, _, err := a.AddUser(ctx, "bob@example.org", auth.RoleAdmin, nil, pw)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 5 {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]auth.User{{ann, bob}, {bob, ann}} {
				wg.Go(func() {
					_, errs[i] = a.UpdateUser(ctx, auth.PrincipalOf(pair[0]), pair[1].ID, auth.UserChange{Disabled: new(true)})
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, comment.ErrConflict):
					t.Fatalf("round %d: %v", round, err)
				}
			}
			enabled := 0
			for _, u := range []auth.User{ann, bob} {
				if got, _ := st.UserByID(ctx, u.ID); !got.Disabled() {
					enabled++
				}
			}
			if ok != 1 || enabled != 1 {
				t.Fatalf("round %d: %d changes went through, %d admins left enabled; want 1 and 1", round, ok, enabled)
			}
			for _, u := range []auth.User{ann, bob} { // both enabled again
				if _, err := a.UpdateUser(ctx, auth.Principal{Role: auth.RoleAdmin}, u.ID, auth.UserChange{Disabled: new(false)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
