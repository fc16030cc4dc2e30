package ratelimit

import (
	"context"
	"time"

	"github.com/winnow/winnow/internal/site"
)

// Counter is a GCRA limiter that can answer without counting: Local, Redis, Fallback.
// Peek answers what AllowN with n = 1 would; PeekAll does so for several keys at once;
// ChargeAll counts one event for several keys at once, answering nothing.
type Counter interface {
	AllowN(ctx context.Context, key string, r site.Rate, n int) (Result, error)
	Peek(ctx context.Context, key string, r site.Rate) (Result, error)
	PeekAll(ctx context.Context, keys []string, rates []site.Rate) ([]Result, error)
	ChargeAll(ctx context.Context, keys []string, rates []site.Rate) error
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

// Member is one member of one set, as Distinct counts it.
type Member struct{ Set, Member string }

// Peek tells, for each of ms, how many distinct members its set has, counting its
// member, without counting anything; Add then counts them. All sets are read in one
// command.
func (d *Distinct) Peek(ctx context.Context, ms []Member, window time.Duration, size int) ([]Tally, error) {
	keys, rates := make([]string, 0, 2*len(ms)), make([]site.Rate, 0, 2*len(ms))
	for _, m := range ms {
		keys = append(keys, m.Set+":"+m.Member, m.Set)
		rates = append(rates, onceIn(window), site.Rate{Count: size, Period: window, Burst: size})
	}
	res, err := d.c.PeekAll(ctx, keys, rates)
	if err != nil {
		return nil, err
	}
	ts := make([]Tally, len(ms))
	for i := range ms {
		once, all := res[2*i], res[2*i+1]
		t := Tally{New: once.Allowed, N: size}
		if all.Allowed { // Remaining is what would be left after one more member
			t.N = size - all.Remaining
			if !t.New {
				t.N--
			}
		}
		ts[i] = t
	}
	return ts, nil
}

// Add counts each of ms as Peek found it (ts): the pair once, the set when the member
// is new, all in one command. Two submissions of a new pair at the same moment may
// both count it, which makes a campaign look one author larger, never smaller.
func (d *Distinct) Add(ctx context.Context, ms []Member, ts []Tally, window time.Duration, size int) error {
	keys, rates := make([]string, 0, 2*len(ms)), make([]site.Rate, 0, 2*len(ms))
	for i, m := range ms {
		keys = append(keys, m.Set+":"+m.Member)
		rates = append(rates, onceIn(window))
		if ts[i].New {
			keys = append(keys, m.Set)
			rates = append(rates, site.Rate{Count: size, Period: window, Burst: size})
		}
	}
	return d.c.ChargeAll(ctx, keys, rates)
}
