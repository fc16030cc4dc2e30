package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/site"
)

// Counter is a GCRA limiter that can answer without counting: Local, Redis, Fallback.
// Peek answers what AllowN with n = 1 would; PeekAll does so for several keys at once.
type Counter interface {
	AllowN(ctx context.Context, key string, r site.Rate, n int) (Result, error)
	Peek(ctx context.Context, key string, r site.Rate) (Result, error)
	PeekAll(ctx context.Context, keys []string, rates []site.Rate) ([]Result, error)
}

// Nonces remembers nonces that were spent, each for a given time, on a Counter: a
// nonce is a key allowed once per that time, so every replica on one Redis sees a
// second use, and a Redis outage falls back as the limits do. Keys are "form:" and
// the nonce, as before this type existed, so state carries over an upgrade.
type Nonces struct{ c Counter }

// NewNonces keeps nonces on c.
func NewNonces(c Counter) *Nonces { return &Nonces{c: c} }

func onceIn(d time.Duration) site.Rate { return site.Rate{Count: 1, Period: d, Burst: 1} }

// Spent reports whether nonce was spent within ttl, spending nothing.
func (n *Nonces) Spent(ctx context.Context, nonce string, ttl time.Duration) (bool, error) {
	res, err := n.c.Peek(ctx, "form:"+nonce, onceIn(ttl))
	return !res.Allowed, err
}

// Spend spends nonce for ttl and reports whether it had been spent already.
func (n *Nonces) Spend(ctx context.Context, nonce string, ttl time.Duration) (bool, error) {
	res, err := n.c.AllowN(ctx, "form:"+nonce, onceIn(ttl), 1)
	return !res.Allowed, err
}

// Distinct counts about how many distinct members a set saw within a window, up to a
// size, on a Counter (shared through Redis, nothing stored beyond the window): each
// (set, member) pair is a key allowed once per window, and the set a key allowed size
// times per window, spent by one for each new member.
type Distinct struct{ c Counter }

// NewDistinct counts on c.
func NewDistinct(c Counter) *Distinct { return &Distinct{c: c} }

// Tally is what Peek found: N distinct members with this one, and whether it is new.
type Tally struct {
	N   int
	New bool
}

// Peek tells how many distinct members set has, counting member, without counting
// anything; Add then counts it.
func (d *Distinct) Peek(ctx context.Context, set, member string, window time.Duration, size int) (Tally, error) {
	res, err := d.c.PeekAll(ctx, []string{set + ":" + member, set},
		[]site.Rate{onceIn(window), {Count: size, Period: window, Burst: size}})
	if err != nil {
		return Tally{}, err
	}
	once, all := res[0], res[1]
	t := Tally{New: once.Allowed, N: size}
	if all.Allowed { // Remaining is what would be left after one more member
		t.N = size - all.Remaining
		if !t.New {
			t.N--
		}
	}
	return t, nil
}

// Add counts member in set as Peek found it: the pair once, the set when the member
// is new. Two submissions of a new pair at the same moment may both count it, which
// makes a campaign look one author larger, never smaller.
func (d *Distinct) Add(ctx context.Context, set, member string, t Tally, window time.Duration, size int) error {
	var (
		wg   sync.WaitGroup
		err1 error
	)
	if t.New {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err1 = d.c.AllowN(ctx, set, site.Rate{Count: size, Period: window, Burst: size}, 1)
		}()
	}
	_, err := d.c.AllowN(ctx, set+":"+member, onceIn(window), 1)
	wg.Wait()
	if err == nil {
		err = err1
	}
	return err
}
