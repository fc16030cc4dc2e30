package auth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// forEachLimiter runs fn on the in-process limiter and on Redis (WINNOW_TEST_REDIS_URL;
// a skip without it on a developer's machine, a failure in CI), each with a fresh
// secret, so that runs sharing one Redis never share keys.
func forEachLimiter(t *testing.T, fn func(t *testing.T, l auth.Limiter, secret []byte, c *clock)) {
	t.Run("local", func(t *testing.T) {
		c := newClock()
		fn(t, ratelimit.NewLocal(c.now), newSecret(), c)
	})
	t.Run("redis", func(t *testing.T) {
		url := sqlstoretest.RedisURL(t)
		opts, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		client := redis.NewClient(opts)
		t.Cleanup(func() { client.Close() })
		// Redis keeps its own time: the clock only moves the device cookies' age.
		r, err := ratelimit.NewRedis(client)
		if err != nil {
			t.Fatal(err)
		}
		fn(t, r, newSecret(), &clock{t: time.Now()})
	})
}

func newSecret() []byte { b := make([]byte, 32); rand.Read(b); return b }

// refused reports whether err is a rate-limit refusal that says when to come back.
func refused(err error) bool {
	var rl *comment.RateLimitedError
	return errors.As(err, &rl) && rl.RetryAfter > 0
}

func TestGuardLimitsSignInsPerAccountFromEveryAddress(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, l auth.Limiter, secret []byte, c *clock) {
		g := auth.NewGuard(l, secret, c.now)
		ctx := context.Background()
		for i := range 10 {
			if _, err := g.BeginLogin(ctx, "Mod@example.org", fmt.Sprint("client-", i), ""); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		// The account's ten are spent, from whichever address and however the email is written.
		if _, err := g.BeginLogin(ctx, " mod@EXAMPLE.org", "client-new", ""); !refused(err) {
			t.Errorf("11th attempt: %v, want a rate-limit refusal", err)
		}
		if _, err := g.BeginLogin(ctx, "other@example.org", "client-new", ""); err != nil {
			t.Errorf("another account was limited: %v", err)
		}
		// One address over every account: thirty a minute.
		for i := range 30 {
			if _, err := g.BeginLogin(ctx, fmt.Sprintf("someone%d@example.org", i), "busy-client", ""); err != nil {
				t.Fatalf("attempt %d from one address: %v", i, err)
			}
		}
		if _, err := g.BeginLogin(ctx, "fresh@example.org", "busy-client", ""); !refused(err) {
			t.Errorf("31st attempt from one address: %v, want a rate-limit refusal", err)
		}
	})
}

func TestGuardDeviceCookieHasABudgetOfItsOwn(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, l auth.Limiter, secret []byte, c *clock) {
		g := auth.NewGuard(l, secret, c.now)
		ctx := context.Background()
		device, err := g.LoginSucceeded(ctx, auth.Attempt{}, "mod@example.org")
		if err != nil || device == "" {
			t.Fatalf("device cookie %q: %v", device, err)
		}
		for i := range 10 { // someone else spends the account's budget
			if _, err := g.BeginLogin(ctx, "mod@example.org", fmt.Sprint("attacker-", i), ""); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name, email, device string
			ok                  bool
		}{
			{"no cookie", "mod@example.org", "", false},
			{"the owner's cookie", "MOD@example.org", device, true},
			{"another account's cookie", "other@example.org", device, true}, // counted on other's own budget
			{"a forged cookie", "mod@example.org", device[:len(device)-3] + "xyz", false},
			{"a cookie with its id changed", "mod@example.org", "x" + device, false},
			{"garbage", "mod@example.org", "...", false},
		}
		for _, tt := range tests {
			_, err := g.BeginLogin(ctx, tt.email, "owner", tt.device)
			if (err == nil) != tt.ok || (err != nil && !refused(err)) {
				t.Errorf("%s: %v, want allowed=%v", tt.name, err, tt.ok)
			}
		}
		// The device's own ten (one spent above), then refused; a success gives them back.
		var last auth.Attempt
		for i := range 9 {
			if last, err = g.BeginLogin(ctx, "mod@example.org", "owner", device); err != nil {
				t.Fatalf("device attempt %d: %v", i, err)
			}
		}
		if _, err := g.BeginLogin(ctx, "mod@example.org", "owner", device); !refused(err) {
			t.Fatalf("11th attempt on the device: %v, want a refusal", err)
		}
		if _, err := g.LoginSucceeded(ctx, last, "mod@example.org"); err != nil {
			t.Fatal(err)
		}
		if _, err := g.BeginLogin(ctx, "mod@example.org", "owner", device); err != nil {
			t.Errorf("after a success: %v", err)
		}
	})
}

func TestGuardDeviceCookieExpires(t *testing.T) {
	c := newClock()
	g := auth.NewGuard(ratelimit.NewLocal(c.now), newSecret(), c.now)
	ctx := context.Background()
	device, _ := g.LoginSucceeded(ctx, auth.Attempt{}, "mod@example.org")
	c.add(auth.DeviceLifetime + time.Hour)
	for range 10 {
		g.BeginLogin(ctx, "mod@example.org", "attacker", "")
	}
	if _, err := g.BeginLogin(ctx, "mod@example.org", "owner", device); !refused(err) {
		t.Errorf("an expired device cookie was honoured: %v", err)
	}
	// Another server's cookie (another secret) is not this one's.
	other, _ := auth.NewGuard(nil, newSecret(), c.now).LoginSucceeded(ctx, auth.Attempt{}, "mod@example.org")
	if _, err := g.BeginLogin(ctx, "mod@example.org", "owner", other); !refused(err) {
		t.Errorf("a cookie signed with another secret was honoured: %v", err)
	}
}

func TestGuardNeverRefusesAValidToken(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		c := newClock()
		g := auth.NewGuard(ratelimit.NewLocal(c.now), newSecret(), c.now)
		ctx := context.Background()
		tok, plain, err := auth.NewToken("ci", auth.RoleAdmin, nil, c.now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, &tok, 0); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if _, err := g.Token(ctx, st, "wnw_wrong", "client"); !errors.Is(err, comment.ErrUnauthorized) {
				t.Fatalf("wrong token %d: %v, want ErrUnauthorized", i, err)
			}
		}
		if _, err := g.Token(ctx, st, "wnw_wrong", "client"); !refused(err) {
			t.Errorf("11th wrong token: %v, want a refusal", err)
		}
		if p, err := g.Token(ctx, st, plain, "client"); err != nil || p.TokenID != tok.ID {
			t.Errorf("the valid token from the same address: %+v %v", p, err)
		}
		if _, err := g.Token(ctx, st, "wnw_wrong", "another-client"); !errors.Is(err, comment.ErrUnauthorized) {
			t.Errorf("another address: %v", err)
		}
	})
}

// TestSignInCountsBeforeCheckingAndGivesBackOnSuccess: parallel guesses cannot slip past
// the account's limit (they are counted before the slow check, and refused ones are
// never checked), and a success gives the budget back.
func TestSignInCountsBeforeCheckingAndGivesBackOnSuccess(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		if err := st.CreateSite(context.Background(), site.NewSite("blog", "Blog")); err != nil {
			t.Fatal(err)
		}
		c := newClock()
		guard := auth.NewGuard(ratelimit.NewLocal(c.now), newSecret(), c.now)
		a, err := auth.NewAccounts(st, c.now, auth.Options{Params: auth.FastParams(), Guard: guard})
		if err != nil {
			t.Fatal(err)
		}
		var verified int
		ctx := context.Background()
		if _, _, err := a.AddUser(ctx, "mod@example.org", auth.RoleModerator, []string{"blog"}, pw); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := a.SignIn(ctx, auth.LoginRequest{Email: "mod@example.org", Password: "wrong", Client: fmt.Sprint(i)}); !errors.Is(err, comment.ErrUnauthorized) {
				t.Fatalf("wrong password: %v", err)
			}
		}
		res, err := a.SignIn(ctx, auth.LoginRequest{Email: "mod@example.org", Password: pw, Client: "owner"})
		if err != nil || res.Session == "" || res.Device == "" || res.User.Email != "mod@example.org" {
			t.Fatalf("sign in: %+v %v", res, err)
		}
		auth.CountVerifications(a, &verified)
		var mu sync.Mutex
		outcomes := map[string]int{}
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				_, err := a.SignIn(ctx, auth.LoginRequest{Email: "mod@example.org", Password: "wrong", Client: fmt.Sprint("guesser-", i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, comment.ErrUnauthorized):
					outcomes["unauthorized"]++
				case refused(err):
					outcomes["refused"]++
				default:
					t.Errorf("guess: %v", err)
				}
			})
		}
		wg.Wait()
		if outcomes["unauthorized"] != 10 || outcomes["refused"] != 2 || verified != 10 {
			t.Errorf("12 parallel guesses after a success: %v, %d verified; want 10 checked, 2 refused unchecked", outcomes, verified)
		}
		if _, err := a.SignIn(ctx, auth.LoginRequest{Email: "mod@example.org", Password: pw, Client: "owner"}); !refused(err) {
			t.Errorf("the right password without the device cookie: %v, want a refusal", err)
		}
		if _, err := a.SignIn(ctx, auth.LoginRequest{Email: "mod@example.org", Password: pw, Client: "owner", Device: res.Device}); err != nil {
			t.Errorf("the right password with the device cookie: %v", err)
		}
	})
}

// TestPasswordChecksRunAFewAtATime: past the slots and the wait, a check is refused
// with ErrBusy (a 503 for the HTTP layer), and a slot freed serves the next one.
func TestPasswordChecksRunAFewAtATime(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t))
	ctx := context.Background()
	def, err := auth.NewAccounts(st, time.Now, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := def.HashSlots(); n != 4 {
		t.Errorf("default slots: %d, want 4 (76 MiB of 19 MiB hashes)", n)
	}
	p := auth.FastParams()
	a, err := auth.NewAccounts(st, time.Now, auth.Options{Params: p, HashMemory: int64(p.Memory) << 10, HashWait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if a.HashSlots() != 1 {
		t.Fatalf("slots: %d, want 1", a.HashSlots())
	}
	entered, release := make(chan struct{}), make(chan struct{})
	auth.HoldVerifications(a, entered, release)
	first := make(chan error, 1)
	go func() { _, _, err := a.Login(ctx, "nobody@example.org", pw); first <- err }()
	<-entered // the one slot is taken
	_, _, err = a.Login(ctx, "someone@example.org", pw)
	if !errors.Is(err, auth.ErrBusy) || !errors.Is(err, comment.ErrUnavailable) {
		t.Errorf("a check with every slot busy: %v, want ErrBusy", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := a.AddUser(cancelled, "new@example.org", auth.RoleAdmin, nil, pw); !errors.Is(err, context.Canceled) {
		t.Errorf("a hash whose caller left while it waited: %v", err)
	}
	close(release)
	if err := <-first; !errors.Is(err, comment.ErrUnauthorized) {
		t.Errorf("the first check: %v", err)
	}
	go func() { // the slot is free again
		for range entered {
		}
	}()
	if _, _, err := a.Login(ctx, "nobody@example.org", pw); !errors.Is(err, comment.ErrUnauthorized) {
		t.Errorf("a check after the slot was freed: %v", err)
	}
}
