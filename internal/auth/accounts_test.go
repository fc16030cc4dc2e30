package auth

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// memStore is an in-memory AccountStore for the service's rules.
type memStore struct {
	mu       sync.Mutex
	users    []User
	sessions map[string]Session
	setup    map[string]time.Time
	touches  int
	sites    map[string]bool
}

func newMemStore() *memStore {
	return &memStore{sessions: map[string]Session{}, setup: map[string]time.Time{},
		sites: map[string]bool{"a": true, "b": true, "blog": true}}
}

func (m *memStore) Site(_ context.Context, id string) (comment.Site, error) {
	if !m.sites[id] {
		return comment.Site{}, comment.ErrNotFound
	}
	return comment.Site{ID: id}, nil
}

func (m *memStore) UserByID(_ context.Context, id int64) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 1 || id > int64(len(m.users)) {
		return User{}, comment.ErrNotFound
	}
	return m.users[id-1], nil
}

func (m *memStore) UpdateUser(_ context.Context, u User, endSessions bool, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u.ID < 1 || u.ID > int64(len(m.users)) {
		return comment.ErrNotFound
	}
	others := 0
	for _, o := range m.users {
		if o.ID != u.ID && o.Role == RoleAdmin && !o.Disabled() {
			others++
		}
	}
	if (u.Role != RoleAdmin || u.Disabled()) && others == 0 {
		if old := m.users[u.ID-1]; old.Role == RoleAdmin && !old.Disabled() {
			return ErrLastAdmin
		}
	}
	m.users[u.ID-1] = u
	if endSessions {
		m.deleteSessions(u.ID)
	}
	return nil
}

// deleteSessions removes every session of userID; m.mu is held.
func (m *memStore) deleteSessions(userID int64) {
	for h, s := range m.sessions {
		if s.UserID == userID {
			delete(m.sessions, h)
		}
	}
}

func (m *memStore) CreateUser(_ context.Context, u *User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.users {
		if o.Email == u.Email {
			return comment.ErrConflict
		}
	}
	u.ID = int64(len(m.users) + 1)
	m.users = append(m.users, *u)
	return nil
}

func (m *memStore) UserByEmail(_ context.Context, email string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.Email == email {
			return u, nil
		}
	}
	return User{}, comment.ErrNotFound
}

func (m *memStore) SetPassword(_ context.Context, id int64, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[id-1].PasswordHash = hash
	m.deleteSessions(id)
	return nil
}

func (m *memStore) CreateFirstAdmin(ctx context.Context, u *User, hash string, now time.Time) error {
	m.mu.Lock()
	exp, ok := m.setup[hash]
	delete(m.setup, hash)
	admins := 0
	for _, o := range m.users {
		if o.Role == RoleAdmin {
			admins++
		}
	}
	m.mu.Unlock()
	switch {
	case !ok || !exp.After(now):
		return comment.ErrUnauthorized
	case admins > 0:
		return comment.ErrConflict
	}
	return m.CreateUser(ctx, u)
}

func (m *memStore) SetupTokenValid(_ context.Context, hash string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.setup[hash]
	return ok && exp.After(now), nil
}

func (m *memStore) CreateSession(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.ID = int64(len(m.sessions) + 1)
	m.sessions[s.Hash] = *s
	return nil
}

func (m *memStore) SessionByHash(_ context.Context, hash string) (Session, User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[hash]
	if !ok {
		return Session{}, User{}, comment.ErrNotFound
	}
	return s, m.users[s.UserID-1], nil
}

func (m *memStore) TouchSession(_ context.Context, id int64, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touches++
	for h, s := range m.sessions {
		if s.ID == id {
			s.LastSeenAt = at
			m.sessions[h] = s
		}
	}
	return nil
}

func (m *memStore) DeleteSession(_ context.Context, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, hash)
	return nil
}

func (m *memStore) DeleteUserSessions(_ context.Context, userID int64) error {
	return m.DeleteExpiredSessions(context.Background(), userID, time.Unix(1<<40, 0), time.Time{})
}

func (m *memStore) DeleteExpiredSessions(_ context.Context, userID int64, idleBefore, createdBefore time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, s := range m.sessions {
		if s.UserID == userID && (s.LastSeenAt.Before(idleBefore) || s.CreatedAt.Before(createdBefore)) {
			delete(m.sessions, h)
		}
	}
	return nil
}

// clock is a fake time that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func testAccounts(t *testing.T) (*Accounts, *memStore, *clock) {
	t.Helper()
	st, c := newMemStore(), newClock()
	a, err := NewAccounts(st, c.now, Options{Params: fastParams()})
	if err != nil {
		t.Fatal(err)
	}
	return a, st, c
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
			a, _, c := testAccounts(t)
			ctx := context.Background()
			if _, _, err := a.AddUser(ctx, "Mod@Example.org ", RoleModerator, []string{"blog"}, pw); err != nil {
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
	}
}

func TestSessionTouchedAtMostOnceAMinute(t *testing.T) {
	a, st, c := testAccounts(t)
	ctx := context.Background()
	if _, _, err := a.AddUser(ctx, "a@example.org", RoleAdmin, nil, pw); err != nil {
		t.Fatal(err)
	}
	_, session, _ := a.Login(ctx, "a@example.org", pw)
	for range 30 {
		c.add(5 * time.Second)
		if _, err := a.Authenticate(ctx, session); err != nil {
			t.Fatal(err)
		}
	}
	if st.touches < 2 || st.touches > 3 {
		t.Errorf("%d writes for 30 uses over 150 s, want 2 or 3", st.touches)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	a, _, _ := testAccounts(t)
	ctx := context.Background()
	if _, _, err := a.AddUser(ctx, "mod@example.org", RoleModerator, []string{"blog"}, pw); err != nil {
		t.Fatal(err)
	}
	verifications := 0
	verify := a.verify
	a.verify = func(p, h string) (bool, error) { verifications++; return verify(p, h) }
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
}

func TestAddUserRolesAndScope(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		role     Role
		sites    []string
		password string
		fields   []string
	}{
		{"admin", "root@example.org", RoleAdmin, nil, pw, nil},
		{"moderator", "mod@example.org", RoleModerator, []string{"a"}, pw, nil},
		{"moderator of nothing", "m2@example.org", RoleModerator, nil, pw, []string{"sites"}},
		{"admin limited to a site", "a2@example.org", RoleAdmin, []string{"a"}, pw, []string{"sites"}},
		{"unknown role", "r@example.org", Role("root"), nil, pw, []string{"role"}},
		{"not an email", "nobody", RoleAdmin, nil, pw, []string{"email"}},
		{"a site that does not exist", "m3@example.org", RoleModerator, []string{"a", "nope"}, pw, []string{"sites"}},
		{"no email and no site", "", RoleModerator, []string{"nope"}, pw, []string{"email", "sites"}},
		{"short password and no email", "", RoleAdmin, nil, "short", []string{"email", "password"}},
	}
	a, _, _ := testAccounts(t)
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
				if tt.role == RoleModerator && (!p.CanSite("a") || p.CanSite("b") || len(p.Scope()) != 1 || p.IsAdmin()) {
					t.Error("a moderator reaches its own sites only")
				}
				if tt.role == RoleAdmin && (!p.CanSite("b") || p.Scope() != nil) {
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
	if _, _, err := a.AddUser(ctx, " ROOT@example.org", RoleAdmin, nil, pw); !errors.Is(err, comment.ErrConflict) {
		t.Errorf("the same email in another case = %v, want ErrConflict", err)
	}
}

func TestPasswordChangeAndRevocationEndSessions(t *testing.T) {
	a, _, _ := testAccounts(t)
	ctx := context.Background()
	u, _, _ := a.AddUser(ctx, "mod@example.org", RoleModerator, []string{"a"}, pw)
	_, s1, _ := a.Login(ctx, "mod@example.org", pw)
	_, s2, _ := a.Login(ctx, "mod@example.org", pw)
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
	_, s3, _ := a.Login(ctx, "mod@example.org", pw)
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
}

func TestSetupCreatesTheFirstAdminOnce(t *testing.T) {
	a, st, c := testAccounts(t)
	ctx := context.Background()
	plain, hash, err := NewSetupToken()
	if err != nil {
		t.Fatal(err)
	}
	st.setup[hash] = c.now().Add(time.Hour)
	if ok, _ := a.SetupValid(ctx, plain); !ok {
		t.Fatal("a fresh setup token is not valid")
	}
	if _, _, err := a.Setup(ctx, plain+"x", "root@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
		t.Errorf("a wrong token = %v", err)
	}
	u, session, err := a.Setup(ctx, plain, "root@example.org", pw)
	if err != nil || u.Role != RoleAdmin {
		t.Fatalf("Setup = %+v, %v", u, err)
	}
	if p, err := a.Authenticate(ctx, session); err != nil || !p.IsAdmin() {
		t.Errorf("the new admin is not signed in: %+v, %v", p, err)
	}
	if _, _, err := a.Setup(ctx, plain, "other@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
		t.Errorf("a used token = %v", err)
	}
	plain, hash, _ = NewSetupToken()
	st.setup[hash] = c.now().Add(time.Hour)
	c.add(2 * time.Hour)
	if _, _, err := a.Setup(ctx, plain, "late@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
		t.Errorf("an expired token = %v", err)
	}
}

func TestAddUserGeneratesAMissingPassword(t *testing.T) {
	a, _, _ := testAccounts(t)
	ctx := context.Background()
	u, generated, err := a.AddUser(ctx, "gen@example.org", RoleModerator, []string{"b", "a", "b"}, "")
	if err != nil || CheckPassword(generated) != nil {
		t.Fatalf("AddUser without a password = %q, %v", generated, err)
	}
	if !slices.Equal(u.Sites, []string{"a", "b"}) {
		t.Errorf("sites %q, want sorted and without repeats", u.Sites)
	}
	if _, _, err := a.Login(ctx, "gen@example.org", generated); err != nil {
		t.Errorf("the generated password does not sign in: %v", err)
	}
	if _, given, err := a.AddUser(ctx, "given@example.org", RoleAdmin, nil, pw); err != nil || given != "" {
		t.Errorf("a given password is answered back: %q, %v", given, err)
	}
	var ce *comment.ConflictError
	if _, _, err := a.AddUser(ctx, "GEN@example.org", RoleAdmin, nil, pw); !errors.As(err, &ce) || ce.Field != "email" {
		t.Errorf("an email in use = %v, want a conflict on email", err)
	}
}

func TestUpdateUser(t *testing.T) {
	ptr := func(v any) UserChange {
		switch v := v.(type) {
		case Role:
			return UserChange{Role: &v}
		case []string:
			return UserChange{Sites: &v}
		case bool:
			return UserChange{Disabled: &v}
		case string:
			return UserChange{Password: &v}
		}
		panic(v)
	}
	// Accounts 1 (root) and 2 (mod); the actor is root unless the step says otherwise.
	type step struct {
		name     string
		actor    int64 // 0: an API token
		target   int64
		change   UserChange
		conflict string // the field of a 409
		invalid  string // the field of a 422
		revokes  bool
	}
	tests := []struct {
		name  string
		steps []step
		check func(t *testing.T, root, mod User)
	}{
		{"sites of a moderator", []step{{name: "sites", actor: 1, target: 2, change: ptr([]string{"b", "a"}), revokes: true}},
			func(t *testing.T, _, mod User) {
				if !slices.Equal(mod.Sites, []string{"a", "b"}) {
					t.Errorf("sites %q", mod.Sites)
				}
			}},
		{"same sites change nothing", []step{{name: "same", actor: 1, target: 2, change: ptr([]string{"a"})}}, nil},
		{"promote clears the sites", []step{{name: "promote", actor: 1, target: 2, change: ptr(RoleAdmin), revokes: true}},
			func(t *testing.T, _, mod User) {
				if mod.Role != RoleAdmin || len(mod.Sites) != 0 {
					t.Errorf("promoted: %+v", mod)
				}
			}},
		{"a moderator needs sites", []step{{name: "no sites", actor: 1, target: 2, change: ptr([]string{}), invalid: "sites"}}, nil},
		{"sites must exist", []step{{name: "nope", actor: 1, target: 2, change: ptr([]string{"nope"}), invalid: "sites"}}, nil},
		{"unknown role", []step{{name: "root role", actor: 1, target: 2, change: ptr(Role("root")), invalid: "role"}}, nil},
		{"short password", []step{{name: "short", actor: 1, target: 2, change: ptr("short"), invalid: "password"}}, nil},
		{"new password", []step{{name: "password", actor: 1, target: 2, change: ptr("a new long password"), revokes: true}}, nil},
		{"disable and enable", []step{
			{name: "disable", actor: 1, target: 2, change: ptr(true), revokes: true},
			{name: "disable again", actor: 1, target: 2, change: ptr(true)},
			{name: "enable", actor: 1, target: 2, change: ptr(false), revokes: true},
		}, func(t *testing.T, _, mod User) {
			if mod.Disabled() {
				t.Error("still disabled")
			}
		}},
		{"not yourself", []step{
			{name: "demote self", actor: 1, target: 1, change: UserChange{Role: new(RoleModerator), Sites: &[]string{"a"}}, conflict: "role"},
			{name: "disable self", actor: 1, target: 1, change: ptr(true), conflict: "disabled"},
			{name: "own password", actor: 1, target: 1, change: ptr("my own new password"), revokes: true},
		}, nil},
		{"the last admin stays", []step{
			{name: "demote by token", target: 1, change: UserChange{Role: new(RoleModerator), Sites: &[]string{"a"}}, conflict: "role"},
			{name: "disable by token", target: 1, change: ptr(true), conflict: "disabled"},
			{name: "promote the moderator", target: 2, change: ptr(RoleAdmin), revokes: true},
			{name: "now root may go", actor: 2, target: 1, change: ptr(true), revokes: true},
			{name: "and the other is last", target: 2, change: ptr(true), conflict: "disabled"},
		}, func(t *testing.T, root, mod User) {
			if !root.Disabled() || mod.Disabled() || mod.Role != RoleAdmin {
				t.Errorf("root %+v, mod %+v", root, mod)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, st, _ := testAccounts(t)
			ctx := context.Background()
			root, _, _ := a.AddUser(ctx, "root@example.org", RoleAdmin, nil, pw)
			mod, _, _ := a.AddUser(ctx, "mod@example.org", RoleModerator, []string{"a"}, pw)
			byID := map[int64]User{root.ID: root, mod.ID: mod}
			for _, s := range tt.steps {
				_, session, err := a.Login(ctx, byID[s.target].Email, pw)
				if err != nil && !errors.Is(err, comment.ErrUnauthorized) { // a disabled account cannot sign in
					t.Fatal(err)
				}
				before, _ := st.UserByID(ctx, s.target)
				actor := Principal{}
				if s.actor != 0 {
					actor = principalOf(byID[s.actor])
				}
				_, err = a.UpdateUser(ctx, actor, s.target, s.change)
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
				if after, _ := st.UserByID(ctx, s.target); err != nil && !reflect.DeepEqual(after, before) {
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
				r, _ := st.UserByID(ctx, root.ID)
				m, _ := st.UserByID(ctx, mod.ID)
				tt.check(t, r, m)
			}
		})
	}
	a, _, _ := testAccounts(t)
	if _, err := a.UpdateUser(context.Background(), Principal{}, 42, UserChange{}); !errors.Is(err, comment.ErrNotFound) {
		t.Errorf("an unknown account = %v", err)
	}
}
