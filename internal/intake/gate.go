package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// Limiter holds the site's GCRA limits (ratelimit.Local, ratelimit.Fallback). PeekAll
// answers for each key what counting one event would answer and counts nothing, so a
// refused submission costs no key anything; AllowN counts.
type Limiter interface {
	PeekAll(ctx context.Context, keys []string, rates []site.Rate) ([]ratelimit.Result, error)
	AllowN(ctx context.Context, key string, r site.Rate, n int) (ratelimit.Result, error)
}

// NonceStore remembers spent form-token nonces (ratelimit.Nonces), each for ttl.
type NonceStore interface {
	// Spent reports whether nonce was spent, spending nothing.
	Spent(ctx context.Context, nonce string, ttl time.Duration) (bool, error)
	// Spend spends nonce and reports whether it had been spent already.
	Spend(ctx context.Context, nonce string, ttl time.Duration) (bool, error)
}

// DistinctCounter counts distinct members of a set within a window, up to a size
// (ratelimit.Distinct): Peek reads, Add counts what Peek read.
type DistinctCounter interface {
	Peek(ctx context.Context, set, member string, window time.Duration, size int) (ratelimit.Tally, error)
	Add(ctx context.Context, set, member string, t ratelimit.Tally, window time.Duration, size int) error
}

// Counters are the shared counters a submission is checked against. With Redis all
// three go through one AutoPipeline, so that a submission's gate is two round trips:
// one that reads them all, one that counts. A nil field checks nothing.
type Counters struct {
	Limits   Limiter
	Nonces   NonceStore
	Distinct DistinctCounter
}

// gate is what a submission's peek round found: the limits it will be counted
// against, its form token and nonce, and the campaign counts of its text.
type gate struct {
	limits []limitCheck
	form   spam.Form
	nonce  string
	sets   []distinctSet
}

// nonces is how many nonces the gate checks: one, or none without a good form token.
func (g *gate) nonces() int {
	if g.nonce == "" {
		return 0
	}
	return 1
}

type limitCheck struct {
	scope, key string
	rate       site.Rate
}

// limitChecks are the site's limits on a submission, narrowest first. Keys hold
// hashes, never an address, email or page path, so the limiter's storage stays free
// of private data.
func (s *Service) limitChecks(st site.Site, thread, emailKey, ip string) []limitCheck {
	if s.counters.Limits == nil {
		return nil
	}
	l := st.Limits.Effective()
	threadKey := sha256.Sum256([]byte(thread))
	prefix := "submit:" + st.ID + ":"
	checks := make([]limitCheck, 0, 4)
	if ip != "" {
		checks = append(checks, limitCheck{"ip", prefix + "ip:" + comment.AddressKey(s.secret, ip, s.v6bits), l.IP})
	}
	return append(checks,
		limitCheck{"email", prefix + "email:" + emailKey, l.Email},
		limitCheck{"thread", prefix + "thread:" + hex.EncodeToString(threadKey[:12]), l.Thread},
		limitCheck{"site", prefix + "site", l.Site})
}

// peek is a submission's first round: its limits read without counting, its form
// token's nonce looked up, its text's campaign counts read, all at once (one round
// trip to Redis). A spent limit refuses the submission with the first such limit,
// narrowest first, and nothing has been counted.
func (s *Service) peek(ctx context.Context, st site.Site, sub comment.Submission, meta Meta, authorKey string, text *spam.Text) (gate, error) {
	g := gate{limits: s.limitChecks(st, sub.Thread, comment.EmailKey(s.secret, sub.AuthorEmail), meta.IP)}
	g.form, g.nonce = s.readForm(st.ID, sub.Thread, sub.FormToken)
	g.sets = s.campaignSets(st.ID, sub, text, authorKey)
	var results []ratelimit.Result
	ns := len(g.sets)
	err := concurrently(ctx, 1+ns+g.nonces(), func(ctx context.Context, i int) error {
		switch {
		case i == 0:
			if len(g.limits) == 0 {
				return nil
			}
			keys, rates := make([]string, len(g.limits)), make([]site.Rate, len(g.limits))
			for i, c := range g.limits {
				keys[i], rates[i] = c.key, c.rate
			}
			var err error
			if results, err = s.counters.Limits.PeekAll(ctx, keys, rates); err != nil {
				return fmt.Errorf("intake: rate limit: %w", err)
			}
		case i < 1+ns:
			return g.sets[i-1].peek(ctx, s.counters.Distinct)
		case g.nonce != "":
			spent, err := s.counters.Nonces.Spent(ctx, g.nonce, nonceTTL)
			if err != nil {
				return fmt.Errorf("intake: form token: %w", err)
			}
			g.form.Replayed = spent
		}
		return nil
	})
	if err != nil {
		return gate{}, err
	}
	return g, refusal(g.limits, results)
}

// charge is a submission's second round, once every limit passed its peek: the four
// limits counted, the nonce spent, the campaign counted, all at once (one round trip
// to Redis). A limit can still refuse here when another replica spent its last event
// between the two rounds; the submission is then refused (429) as if the peek had
// seen it, although its other keys were charged, its nonce spent and its text
// counted. That is acceptable: it takes another replica spending a key's last event
// within the moment between the two rounds; it costs each other key at most the one
// event the client tried to spend, which is what every refused submission cost when
// the limits were counted one after another (each up to the refusing one); and the
// refusing limit itself stays exact, so no limit lets more through than it allows.
// Giving the charges back would take a third round trip, and could race in turn.
func (s *Service) charge(ctx context.Context, g *gate) error {
	results := make([]ratelimit.Result, len(g.limits))
	nl, ns := len(g.limits), len(g.sets)
	err := concurrently(ctx, nl+ns+g.nonces(), func(ctx context.Context, i int) error {
		switch {
		case i < nl:
			res, err := s.counters.Limits.AllowN(ctx, g.limits[i].key, g.limits[i].rate, 1)
			if err != nil {
				return fmt.Errorf("intake: rate limit: %w", err)
			}
			results[i] = res
		case i < nl+ns:
			return g.sets[i-nl].add(ctx, s.counters.Distinct)
		case g.nonce != "":
			spent, err := s.counters.Nonces.Spend(ctx, g.nonce, nonceTTL)
			if err != nil {
				return fmt.Errorf("intake: form token: %w", err)
			}
			g.form.Replayed = g.form.Replayed || spent // a replica spent it meanwhile
		}
		return nil
	})
	if err != nil {
		return err
	}
	return refusal(g.limits, results)
}

// refusal is the 429 for the first limit that refused, or nil.
func refusal(checks []limitCheck, results []ratelimit.Result) error {
	for i, c := range checks {
		if res := results[i]; !res.Allowed {
			return &comment.RateLimitedError{Scope: c.scope, Limit: c.rate.Burst, Remaining: res.Remaining,
				RetryAfter: res.RetryAfter, ResetAfter: res.ResetAfter}
		}
	}
	return nil
}

// concurrently runs fn(ctx, 0) ... fn(ctx, n-1) at once and returns their errors
// joined. Through Redis's AutoPipeline, commands issued at once travel together.
func concurrently(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() { errs[i] = fn(ctx, i) })
	}
	errs[0] = fn(ctx, 0)
	wg.Wait()
	return errors.Join(errs...)
}
