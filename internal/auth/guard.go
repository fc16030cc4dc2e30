package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/site"
)

// Limiter counts events against GCRA rates (ratelimit.Local, ratelimit.Fallback): the
// in-process limiter on one replica, Redis when replicas must share the counts.
type Limiter interface {
	AllowN(ctx context.Context, key string, r site.Rate, n int) (ratelimit.Result, error)
	// Reset forgets a key: a successful sign-in gives back what it was counted.
	Reset(ctx context.Context, key string) error
}

// The limits on guessing. Each is a GCRA rate; a refusal is a
// *comment.RateLimitedError, which the HTTP layer answers with 429 and Retry-After.
var (
	// clientLogins bounds sign-ins from one client address over all accounts, right or
	// wrong: generous enough for an office behind one address.
	clientLogins = site.Rate{Count: 30, Period: time.Minute, Burst: 30}
	// accountLogins bounds sign-ins to one account (or one email that has no account:
	// the answer must not tell them apart) from everywhere together, counted before the
	// password is checked: enough for a person, far too few to guess a password, however
	// many addresses the guesses come from.
	accountLogins = site.Rate{Count: 10, Period: 10 * time.Minute, Burst: 10}
	// deviceLogins is the same budget for sign-ins to one account from one browser that
	// signed in to it before, kept apart so that guesses from elsewhere cannot lock the
	// owner out.
	deviceLogins = site.Rate{Count: 10, Period: 10 * time.Minute, Burst: 10}
	// clientGuesses bounds wrong API tokens and setup attempts from one client address.
	clientGuesses = site.Rate{Count: 10, Period: time.Minute, Burst: 10}
)

// DeviceLifetime is how long a device cookie is honoured after the sign-in that
// issued it; every sign-in issues a fresh one.
const DeviceLifetime = 180 * 24 * time.Hour

// deviceLabel separates the device cookie's key from anything else derived from the
// server secret.
const deviceLabel = "winnow device cookie v1"

// Guard limits guessing at credentials, the one place these rules live: password
// sign-ins per client address, per account and per known device; wrong API tokens and
// setup attempts per client address. A request that carries no credential is never
// counted, and a valid token or session is never refused: an attacker who can make
// browsers send credential-less requests (an <img> on any page) cannot lock anyone out.
//
// A client is an opaque key for the address a request comes from (a keyed hash, so
// the limiter never holds an address), chosen by the front end.
type Guard struct {
	limiter   Limiter // nil: nothing is limited
	secret    []byte
	deviceKey []byte
	now       func() time.Time
}

// NewGuard counts on limiter (nil limits nothing). secret is the server's secret: it
// keys the hashes of emails in limiter keys and signs device cookies.
func NewGuard(limiter Limiter, secret []byte, now func() time.Time) *Guard {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(deviceLabel))
	return &Guard{limiter: limiter, secret: secret, deviceKey: m.Sum(nil), now: now}
}

// Attempt is one sign-in in progress: the limiter key it was counted in, cleared if it
// succeeds.
type Attempt struct{ key string }

// BeginLogin counts a sign-in to email from client, before the password is checked:
// counting only failures, after a check that takes tens of milliseconds, would let
// parallel guesses through. It is counted against the client, and against the account,
// or, when device is a valid device cookie for this email, against that device
// instead. Either limit refuses with a *comment.RateLimitedError; an email without an
// account is counted and refused exactly like one with an account.
func (g *Guard) BeginLogin(ctx context.Context, email, client, device string) (Attempt, error) {
	emailKey := comment.EmailKey(g.secret, email)
	key, rate := "login-account:"+emailKey, accountLogins
	if id, ok := g.checkDevice(device, email); ok {
		key, rate = "login-device:"+emailKey+":"+id, deviceLogins
	}
	if err := g.spend(ctx, "login-client:"+client, clientLogins); err != nil {
		return Attempt{}, err
	}
	if err := g.spend(ctx, key, rate); err != nil {
		return Attempt{}, err
	}
	return Attempt{key: key}, nil
}

// LoginSucceeded clears the count of the account (or device) the successful sign-in
// was counted in, its own attempt with it, so that the budget is for failures in a row,
// and returns a new device cookie for email. The client's count stays: it bounds
// attempts of any kind.
func (g *Guard) LoginSucceeded(ctx context.Context, a Attempt, email string) (string, error) {
	if g.limiter != nil && a.key != "" {
		_ = g.limiter.Reset(ctx, a.key) // best effort: the limiter may be away
	}
	return g.newDevice(email)
}

// Guess counts one guess at a credential from client (a wrong API token, a setup form
// sent) and refuses it with a *comment.RateLimitedError once the client has guessed
// too often.
func (g *Guard) Guess(ctx context.Context, client string) error {
	return g.spend(ctx, "guess:"+client, clientGuesses)
}

// Token authenticates a bearer token (see Authenticate). A valid token is never
// refused, whatever else came from its address; a wrong one is counted as a guess from
// client, and refused with a *comment.RateLimitedError past the limit, else
// comment.ErrUnauthorized.
func (g *Guard) Token(ctx context.Context, store TokenStore, plain, client string) (Principal, error) {
	p, err := Authenticate(ctx, store, plain, g.now())
	if !errors.Is(err, comment.ErrUnauthorized) {
		return p, err
	}
	if lerr := g.Guess(ctx, client); lerr != nil {
		return Principal{}, lerr
	}
	return Principal{}, err
}

// spend counts one event against key and refuses it when the key's budget is spent.
// A limiter that fails does not refuse: ratelimit.Fallback never fails, and a limit
// that locks everyone out while its store is away would be worse than none.
func (g *Guard) spend(ctx context.Context, key string, rate site.Rate) error {
	if g.limiter == nil {
		return nil
	}
	res, err := g.limiter.AllowN(ctx, key, rate, 1)
	if err == nil && !res.Allowed {
		return &comment.RateLimitedError{Scope: "auth", Limit: rate.Burst, RetryAfter: res.RetryAfter, ResetAfter: res.ResetAfter}
	}
	return nil
}

// newDevice returns a device cookie for email: a random id and the time it was issued,
// signed together with the normalized email. The cookie names no email: the signature
// binds it to one, which only a sign-in to that account could have obtained.
func (g *Guard) newDevice(email string) (string, error) {
	id, err := randomString(16)
	if err != nil {
		return "", fmt.Errorf("auth: device randomness: %w", err)
	}
	payload := id + "." + strconv.FormatInt(g.now().Unix(), 10)
	return payload + "." + g.deviceMAC(payload, email), nil
}

// checkDevice returns the id of a device cookie, if it is signed for email and not
// older than DeviceLifetime. Comparison is in constant time.
func (g *Guard) checkDevice(cookie, email string) (string, bool) {
	if cookie == "" || len(cookie) > 200 {
		return "", false
	}
	i := strings.LastIndexByte(cookie, '.')
	if i < 0 {
		return "", false
	}
	payload, mac := cookie[:i], cookie[i+1:]
	if !hmac.Equal([]byte(mac), []byte(g.deviceMAC(payload, email))) {
		return "", false
	}
	id, issued, ok := strings.Cut(payload, ".")
	at, err := strconv.ParseInt(issued, 10, 64)
	if !ok || err != nil || id == "" {
		return "", false
	}
	if age := g.now().Sub(time.Unix(at, 0)); age < -time.Minute || age > DeviceLifetime {
		return "", false
	}
	return id, true
}

func (g *Guard) deviceMAC(payload, email string) string {
	m := hmac.New(sha256.New, g.deviceKey)
	m.Write([]byte(payload))
	m.Write([]byte{0})
	m.Write([]byte(comment.NormalizeEmail(email)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
