package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// AccountStore is what Accounts needs from storage.
type AccountStore interface {
	CreateUser(ctx context.Context, u *User) error
	UserByEmail(ctx context.Context, email string) (User, error)
	// UserByID returns an account or an error wrapping comment.ErrNotFound.
	UserByID(ctx context.Context, id int64) (User, error)
	// UpdateUser stores u's role, sites, password hash and disabled time with what w
	// asks, in one transaction: all or nothing (ErrLastAdmin from w.KeepAdmin).
	UpdateUser(ctx context.Context, u User, w UserWrite) error
	// Site finds a site, so that a moderator is given only sites that exist.
	Site(ctx context.Context, id string) (site.Site, error)
	// SetPassword replaces a password hash and deletes the account's sessions, both or
	// neither.
	SetPassword(ctx context.Context, userID int64, hash string) error
	// CreateGuardedUser stores u, with what g asks checked and written in the same
	// transaction: all or nothing.
	CreateGuardedUser(ctx context.Context, u *User, g UserCreate) error
	SetupTokenValid(ctx context.Context, hash string, now time.Time) (bool, error)
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns a session and its user, or an error wrapping comment.ErrNotFound.
	SessionByHash(ctx context.Context, hash string) (Session, User, error)
	TouchSession(ctx context.Context, id int64, at time.Time) error
	DeleteSession(ctx context.Context, hash string) error
	DeleteUserSessions(ctx context.Context, userID int64) error
	// DeleteExpiredSessions removes userID's sessions last seen before idleBefore or
	// created before createdBefore.
	DeleteExpiredSessions(ctx context.Context, userID int64, idleBefore, createdBefore time.Time) error
}

// Options tune Accounts; zero fields take the defaults.
type Options struct {
	Params  Params
	Session SessionPolicy
	// Guard limits sign-ins (SignIn); nil limits nothing.
	Guard *Guard
	// HashMemory is how much memory password hashes may hold at once
	// (DefaultHashMemory): it sets how many run together.
	HashMemory int64
	// HashWait is how long a password check waits for its turn before it is refused
	// with ErrBusy (DefaultHashWait).
	HashWait time.Duration
}

// DefaultHashMemory lets four argon2id hashes of OWASP's 19 MiB run at once: a flood of
// sign-ins costs tens of megabytes, not one hash's memory per request.
const DefaultHashMemory = 4 * 19 << 20

// DefaultHashWait is how long a password check queues for a free slot: long enough
// that people signing in at a busy moment wait rather than fail.
const DefaultHashWait = time.Second

// ErrBusy refuses a password check when every hashing slot stayed busy for the whole
// wait: the caller should come back in a moment (HTTP: 503 with Retry-After).
var ErrBusy = fmt.Errorf("auth: too many password checks at once: %w", comment.ErrUnavailable)

// Accounts signs moderators in and out and manages their passwords and sessions.
// The CLI and the HTTP layer share it, so the rules live in one place.
type Accounts struct {
	store  AccountStore
	now    func() time.Time
	params Params
	policy SessionPolicy
	// dummy is a hash of nothing anyone knows, verified when the email is unknown so
	// that a wrong email costs the same time as a wrong password.
	dummy string
	// verify checks a password against a hash; tests count the calls.
	verify func(password, encoded string) (bool, error)
	guard  *Guard
	// slots holds one token per password hash in flight (argon2id allocates its whole
	// memory cost per call); wait is how long a hash queues for one.
	slots chan struct{}
	wait  time.Duration
	// hashers counts password checks in flight or queued; the last one out returns the
	// hashes' memory to the operating system.
	hashers atomic.Int64
}

// NewAccounts returns the account service on store with clock now. It hashes once,
// to prepare the stand-in for unknown emails.
func NewAccounts(store AccountStore, now func() time.Time, o Options) (*Accounts, error) {
	if o.Params == (Params{}) {
		o.Params = DefaultParams()
	}
	if o.Session == (SessionPolicy{}) {
		o.Session = DefaultSessionPolicy()
	}
	filler, err := GeneratePassword()
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword(filler, o.Params)
	if err != nil {
		return nil, err
	}
	if o.HashMemory <= 0 {
		o.HashMemory = DefaultHashMemory
	}
	if o.HashWait <= 0 {
		o.HashWait = DefaultHashWait
	}
	// Slots from the memory budget; a hash whose stored parameters cost more still takes
	// one slot, but decodeHash bounds those.
	n := max(1, o.HashMemory/(int64(o.Params.Memory)<<10))
	return &Accounts{store: store, now: now, params: o.Params, policy: o.Session, dummy: dummy, verify: VerifyPassword,
		guard: o.Guard, slots: make(chan struct{}, n), wait: o.HashWait}, nil
}

// HashSlots is how many password hashes may run at once.
func (a *Accounts) HashSlots() int { return cap(a.slots) }

// hashTurn waits up to the configured wait for a hashing slot and returns the function
// that frees it, or ErrBusy (or the context's error).
//
// argon2id allocates its whole memory cost afresh on every call, and that memory is
// garbage as soon as the hash is done. Left to the garbage collector's pacing, a burst
// of hashes lets the heap grow to twice the slots' memory before a collection, and the
// resident size stays at that peak for minutes. So a hash collects its own garbage
// before its slot passes on (a collection is cheap here: the hash's memory holds no
// pointers), and the last one out of a burst also returns the memory to the operating
// system: a burst costs the slots' memory while it lasts, and nothing after.
func (a *Accounts) hashTurn(ctx context.Context) (func(), error) {
	a.hashers.Add(1)
	select {
	case a.slots <- struct{}{}:
	default:
		t := time.NewTimer(a.wait)
		defer t.Stop()
		select {
		case a.slots <- struct{}{}:
		case <-t.C:
			a.hashers.Add(-1)
			return nil, ErrBusy
		case <-ctx.Done():
			a.hashers.Add(-1)
			return nil, ctx.Err()
		}
	}
	return func() {
		if a.hashers.Load() == 1 { // nobody else hashing or waiting
			debug.FreeOSMemory()
		} else {
			runtime.GC()
		}
		<-a.slots
		a.hashers.Add(-1)
	}, nil
}

// hash hashes a new password in its turn.
func (a *Accounts) hash(ctx context.Context, password string) (string, error) {
	release, err := a.hashTurn(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password, a.params)
}

// check verifies a password against a stored hash in its turn.
func (a *Accounts) check(ctx context.Context, password, encoded string) (bool, error) {
	release, err := a.hashTurn(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return a.verify(password, encoded)
}

// Policy is the session policy in force.
func (a *Accounts) Policy() SessionPolicy { return a.policy }

// newUser validates and hashes a new account.
func (a *Accounts) newUser(ctx context.Context, email string, role Role, sites []string, password string) (User, error) {
	email = comment.NormalizeEmail(email)
	if err := joinInvalid(checkAccount(email, role, sites), CheckPassword(password)); err != nil {
		return User{}, err
	}
	hash, err := a.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	return User{Email: email, Role: role, Sites: sites, PasswordHash: hash, CreatedAt: a.now().UTC()}, nil
}

// joinInvalid merges the validation errors among errs into one, so a form can mark
// every wrong field at once; the first other error wins over them.
func joinInvalid(errs ...error) error {
	fields := map[string]string{}
	for _, err := range errs {
		var ve *comment.ValidationError
		switch {
		case errors.As(err, &ve):
			for k, v := range ve.Fields {
				if _, ok := fields[k]; !ok {
					fields[k] = v
				}
			}
		case err != nil:
			return err
		}
	}
	if len(fields) > 0 {
		return &comment.ValidationError{Fields: fields}
	}
	return nil
}

// AddUser creates an account. Without a password it generates one and returns it, for
// the caller to show once; otherwise the second result is empty. An email in use is a
// comment.ConflictError on "email"; a site that does not exist is invalid.
func (a *Accounts) AddUser(ctx context.Context, email string, role Role, sites []string, password string) (User, string, error) {
	var generated string
	if password == "" {
		p, err := GeneratePassword()
		if err != nil {
			return User{}, "", err
		}
		password, generated = p, p
	}
	sites = cleanSites(sites)
	u, err := a.newUser(ctx, email, role, sites, password)
	if err := joinInvalid(err, CheckSites(ctx, a.store, "sites", sites...)); err != nil {
		return User{}, "", err
	}
	if err := a.store.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, comment.ErrConflict) {
			return User{}, "", comment.Conflict("email", "an account with this email exists")
		}
		return User{}, "", fmt.Errorf("auth: add user: %w", err)
	}
	return u, generated, nil
}

// cleanSites sorts a list of site ids and drops repeats.
func cleanSites(sites []string) []string {
	sites = slices.Clone(sites)
	slices.Sort(sites)
	return slices.Compact(sites)
}

// SiteFinder finds a site, or answers an error wrapping comment.ErrNotFound.
type SiteFinder interface {
	Site(ctx context.Context, id string) (site.Site, error)
}

// CheckSites is the one check that the sites an account, a token or a webhook
// endpoint names exist: the first that does not is invalid on field (the thing that
// names it is what is wrong, not missing). Accounts and admin.Service call it.
func CheckSites(ctx context.Context, st SiteFinder, field string, sites ...string) error {
	for _, id := range sites {
		_, err := st.Site(ctx, id)
		switch {
		case errors.Is(err, comment.ErrNotFound):
			return comment.Invalid(field, fmt.Sprintf("no site %q", id))
		case err != nil:
			return fmt.Errorf("site %q: %w", id, err)
		}
	}
	return nil
}

// UpdateUser applies c to the account id on behalf of actor, an admin. Nobody is
// locked out: an admin cannot demote or disable themselves, and the last enabled admin
// cannot be demoted or disabled (comment.ConflictError, on the field concerned). A
// change of role, sites or password, or disabling, ends the account's sessions, so it
// applies at once and whoever knew an old password is signed out. Disabling or
// demoting an admin revokes every API token they made, admin and moderator alike:
// tokens are made with admin rights, and end with them.
func (a *Accounts) UpdateUser(ctx context.Context, actor Principal, id int64, c UserChange) (User, error) {
	u, err := a.store.UserByID(ctx, id)
	if err != nil {
		return User{}, fmt.Errorf("auth: update user: %w", err)
	}
	old := u
	if c.Role != nil {
		u.Role = *c.Role
		if u.Role == RoleAdmin && c.Sites == nil {
			u.Sites = nil // an admin has every site
		}
	}
	if c.Sites != nil {
		u.Sites = cleanSites(*c.Sites)
	}
	if c.Disabled != nil {
		switch {
		case !*c.Disabled:
			u.DisabledAt = time.Time{}
		case !old.Disabled():
			u.DisabledAt = a.now().UTC()
		}
	}
	demoted := old.Role == RoleAdmin && u.Role != RoleAdmin
	field := "role"
	if !demoted {
		field = "disabled"
	}
	if actor.UserID == id && (demoted || (u.Disabled() && !old.Disabled())) {
		return User{}, comment.Conflict(field, "you cannot demote or disable your own account; another admin can")
	}
	var pwErr error
	if c.Password != nil {
		pwErr = CheckPassword(*c.Password)
	}
	if err := joinInvalid(checkAccount(u.Email, u.Role, u.Sites), CheckSites(ctx, a.store, "sites", u.Sites...), pwErr); err != nil {
		return User{}, err
	}
	if c.Password != nil {
		if u.PasswordHash, err = a.hash(ctx, *c.Password); err != nil {
			return User{}, err
		}
	}
	// The sessions end with the change, in its transaction: a change written while
	// old sessions survive it would let whoever held them keep what was taken away.
	changed := u.Role != old.Role || !slices.Equal(u.Sites, old.Sites) || c.Password != nil || u.Disabled() != old.Disabled()
	w := UserWrite{EndSessions: changed}
	if u.Role != RoleAdmin || u.Disabled() {
		// An account left without admin rights must not be the last enabled admin,
		// checked as the change is written (old may be stale by then: another admin
		// may be changing the others at the same moment); and the tokens it made end
		// with those rights, for they were made with them.
		w.KeepAdmin, w.RevokeTokensAt = true, a.now().UTC()
	}
	err = a.store.UpdateUser(ctx, u, w)
	if errors.Is(err, ErrLastAdmin) {
		return User{}, comment.Conflict(field, "this is the last enabled admin; make another admin first, so that someone can still manage winnow")
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: update user: %w", err)
	}
	return u, nil
}

// SetUserPassword replaces the password of the account with email and ends all its
// sessions: whoever knew the old password is signed out.
func (a *Accounts) SetUserPassword(ctx context.Context, email, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	u, err := a.store.UserByEmail(ctx, comment.NormalizeEmail(email))
	if err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	hash, err := a.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := a.store.SetPassword(ctx, u.ID, hash); err != nil { // ends the sessions too
		return fmt.Errorf("auth: set password: %w", err)
	}
	return nil
}

// LoginRequest is a sign-in as a front end sees it.
type LoginRequest struct {
	Email    string
	Password string
	// Client is an opaque key for the address the request comes from (see Guard).
	Client string
	// Device is the device cookie the browser sent, or "".
	Device string
}

// LoginResult is a successful sign-in: the user, the session id for the session cookie
// and a new device cookie, which lets this browser sign in to this account again even
// while someone elsewhere spends the account's budget of attempts.
type LoginResult struct {
	User    User
	Session string
	Device  string
}

// SignIn is Login behind the guard's limits, the way every front end signs people in:
// the attempt is counted first (a *comment.RateLimitedError when a limit refuses it),
// then checked, and given back when it succeeds. Every wrong email or password is
// comment.ErrUnauthorized; ErrBusy when the check could not get its turn.
func (a *Accounts) SignIn(ctx context.Context, r LoginRequest) (LoginResult, error) {
	var attempt Attempt
	if a.guard != nil {
		var err error
		if attempt, err = a.guard.BeginLogin(ctx, r.Email, r.Client, r.Device); err != nil {
			return LoginResult{}, err
		}
	}
	u, session, err := a.Login(ctx, r.Email, r.Password)
	if err != nil {
		return LoginResult{}, err
	}
	res := LoginResult{User: u, Session: session}
	if a.guard != nil {
		if res.Device, err = a.guard.LoginSucceeded(ctx, attempt, r.Email); err != nil {
			return LoginResult{}, err
		}
	}
	return res, nil
}

// Login checks an email and password and starts a session, returning the user and the
// session id for the cookie, with no limit on attempts: front ends call SignIn. Every
// failure is comment.ErrUnauthorized and costs one password verification, so neither
// the answer nor its timing tells whether the email has an account. At most
// HashSlots verifications run at once; one that waited too long for its turn is
// ErrBusy.
func (a *Accounts) Login(ctx context.Context, email, password string) (User, string, error) {
	u, err := a.store.UserByEmail(ctx, comment.NormalizeEmail(email))
	switch {
	case errors.Is(err, comment.ErrNotFound):
		if _, err := a.check(ctx, password, a.dummy); err != nil {
			return User{}, "", err
		}
		return User{}, "", comment.ErrUnauthorized
	case err != nil:
		return User{}, "", fmt.Errorf("auth: login: %w", err)
	}
	ok, err := a.check(ctx, password, u.PasswordHash)
	if err != nil {
		return User{}, "", fmt.Errorf("auth: login: user %d: %w", u.ID, err)
	}
	if !ok || u.Disabled() {
		return User{}, "", comment.ErrUnauthorized
	}
	plain, err := a.startSession(ctx, u.ID)
	if err != nil {
		return User{}, "", err
	}
	return u, plain, nil
}

// startSession stores a new session for userID and clears that user's expired ones.
func (a *Accounts) startSession(ctx context.Context, userID int64) (string, error) {
	now := a.now().UTC()
	s, plain, err := NewSession(userID, now)
	if err != nil {
		return "", err
	}
	if err := a.store.CreateSession(ctx, &s); err != nil {
		return "", fmt.Errorf("auth: start session: %w", err)
	}
	if err := a.store.DeleteExpiredSessions(ctx, userID, now.Add(-a.policy.Idle), now.Add(-a.policy.Absolute)); err != nil {
		return "", fmt.Errorf("auth: start session: %w", err)
	}
	return plain, nil
}

// Authenticate resolves a session id (the cookie) to the principal of its user.
// Unknown, expired and disabled are all comment.ErrUnauthorized; an expired session is
// deleted. The last-seen time is written at most once a minute.
func (a *Accounts) Authenticate(ctx context.Context, session string) (Principal, error) {
	if !strings.HasPrefix(session, sessionPrefix) {
		return Principal{}, comment.ErrUnauthorized
	}
	hash := HashToken(session)
	s, u, err := a.store.SessionByHash(ctx, hash)
	if err != nil {
		if errors.Is(err, comment.ErrNotFound) {
			return Principal{}, comment.ErrUnauthorized
		}
		return Principal{}, fmt.Errorf("auth: session: %w", err)
	}
	now := a.now().UTC()
	if a.policy.Expired(s, now) {
		if err := a.store.DeleteSession(ctx, hash); err != nil {
			return Principal{}, fmt.Errorf("auth: session: %w", err)
		}
		return Principal{}, comment.ErrUnauthorized
	}
	if u.Disabled() {
		return Principal{}, comment.ErrUnauthorized
	}
	if now.Sub(s.LastSeenAt) > touchEvery {
		if err := a.store.TouchSession(ctx, s.ID, now); err != nil {
			return Principal{}, fmt.Errorf("auth: session: %w", err)
		}
	}
	return principalOf(u), nil
}

// Logout ends one session; ending one that does not exist is not an error.
func (a *Accounts) Logout(ctx context.Context, session string) error {
	if err := a.store.DeleteSession(ctx, HashToken(session)); err != nil {
		return fmt.Errorf("auth: logout: %w", err)
	}
	return nil
}

// RevokeSessions ends every session of a user: signed out everywhere.
func (a *Accounts) RevokeSessions(ctx context.Context, userID int64) error {
	if err := a.store.DeleteUserSessions(ctx, userID); err != nil {
		return fmt.Errorf("auth: revoke sessions: %w", err)
	}
	return nil
}

// SetupValid reports whether token is the current first-run setup token.
func (a *Accounts) SetupValid(ctx context.Context, token string) (bool, error) {
	if token == "" {
		return false, nil
	}
	ok, err := a.store.SetupTokenValid(ctx, HashToken(token), a.now().UTC())
	if err != nil {
		return false, fmt.Errorf("auth: setup: %w", err)
	}
	return ok, nil
}

// Setup creates the first admin with the one-time setup token and signs them in.
// A used, replaced or expired token is comment.ErrUnauthorized; an installation that
// already has an admin is comment.ErrConflict.
func (a *Accounts) Setup(ctx context.Context, token, email, password string) (User, string, error) {
	// The token first: hashing a password is what costs, and a stranger has no token.
	if ok, err := a.SetupValid(ctx, token); err != nil || !ok {
		return User{}, "", errors.Join(err, comment.ErrUnauthorized)
	}
	u, err := a.newUser(ctx, email, RoleAdmin, nil, password)
	if err != nil {
		return User{}, "", err
	}
	// The first admin, and only the first: the setup token is used up with it, and
	// once an admin exists, admins add accounts (AddUser).
	first := UserCreate{SetupHash: HashToken(token), At: a.now().UTC(), UnlessRole: RoleAdmin}
	if err := a.store.CreateGuardedUser(ctx, &u, first); err != nil {
		return User{}, "", fmt.Errorf("auth: setup: %w", err)
	}
	plain, err := a.startSession(ctx, u.ID)
	if err != nil {
		return User{}, "", err
	}
	return u, plain, nil
}

// NewDevice is the device cookie for email that a sign-in would give, for a browser
// that proved it holds the account otherwise (the first-run setup signs it in), so
// that guesses from elsewhere cannot lock it out of its next sign-in. "" without a guard.
func (a *Accounts) NewDevice(email string) (string, error) {
	if a.guard == nil {
		return "", nil
	}
	return a.guard.newDevice(email)
}

// SetupValidity is how long a first-run setup link works.
const SetupValidity = 24 * time.Hour

// SetupToken is what is stored of the first-run setup link: the hash of its token (to
// check and consume it), when it expires, and the nonce the token is derived from.
type SetupToken struct {
	Hash      string
	Nonce     string
	ExpiresAt time.Time
}

// SetupStore keeps the one first-run setup token.
type SetupStore interface {
	// ClaimSetupToken stores t unless an unexpired token is stored at now, and returns
	// the stored one.
	ClaimSetupToken(ctx context.Context, t SetupToken, now time.Time) (SetupToken, error)
}

// OfferSetup returns the first-run setup token to print and when it expires. Every
// replica, and every restart, must print the same link until it is used or expires:
// a second link that replaced the first would break the one an operator already
// copied. So the token is not random and stored (only its hash is kept, as before)
// but derived: an HMAC, keyed with the installation secret that every replica reads
// from the same database, of a random nonce stored with the hash. The first start
// stores its nonce; every later one finds it and derives the same token, and a new
// nonce is stored only once the last one has expired (or been used). The nonce alone
// gives nothing away; whoever can read the secret can read or write the database.
func OfferSetup(ctx context.Context, st SetupStore, secret []byte, now time.Time) (string, time.Time, error) {
	nonce, err := randomString(16)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: setup token: %w", err)
	}
	token := setupToken(secret, nonce)
	stored, err := st.ClaimSetupToken(ctx, SetupToken{Hash: HashToken(token), Nonce: nonce, ExpiresAt: now.Add(SetupValidity)}, now)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: setup token: %w", err)
	}
	if stored.Nonce != nonce {
		token = setupToken(secret, stored.Nonce)
	}
	if HashToken(token) != stored.Hash { // stored under another secret: the link could not work
		return "", time.Time{}, errors.New("auth: setup token: the stored token does not match the installation secret")
	}
	return token, stored.ExpiresAt, nil
}

// setupToken derives the setup token of nonce.
func setupToken(secret []byte, nonce string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("setup\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
