package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
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

// DistinctCounter counts distinct members of sets within a window, up to a size
// (ratelimit.Distinct): Peek reads, Add counts what Peek read, each for several sets
// at once.
type DistinctCounter interface {
	Peek(ctx context.Context, ms []ratelimit.Member, window time.Duration, size int) ([]ratelimit.Tally, error)
	Add(ctx context.Context, ms []ratelimit.Member, ts []ratelimit.Tally, window time.Duration, size int) error
}

// Counters are the shared counters a submission is checked against. With Redis all
// three go through one AutoPipeline, so that a submission's gate is two round trips:
// one that reads them all, one that counts; the calls of a round are made at once
// when Limits batches them (a Batched method that says so). A nil field checks nothing.
type Counters struct {
	Limits   Limiter
	Nonces   NonceStore
	Distinct DistinctCounter
}

// batcher is a limiter whose calls made at once travel together (ratelimit.Redis and
// ratelimit.Fallback, through Redis's AutoPipeline).
type batcher interface{ Batched() bool }

// concurrent reports whether a round's calls are to be made at once: with counters that
// batch them (see Counters), so that they share one round trip. In-process counters
// answer at once, and goroutines would only cost.
func (c Counters) concurrent() bool {
	b, ok := c.Limits.(batcher)
	return ok && b.Batched()
}

// gate is what a submission's peek round found: the limits it will be counted
// against, its form token and nonce, and the campaign sets of its text with their
// counts.
type gate struct {
	limits  []limitCheck
	form    spam.Form
	nonce   string
	sets    []ratelimit.Member
	tallies []ratelimit.Tally
}

// campaign is what the peek found of the text's campaign.
func (g *gate) campaign() spam.Campaign { return campaignOf(g.tallies) }

// campaigns is how many campaign calls a round makes: one for all sets, or none.
func (g *gate) campaigns() int {
	if len(g.sets) == 0 {
		return 0
	}
	return 1
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
// of private data; threadKey is the thread's (threadKey). The keys are cut from one
// string, since every submission makes them all.
func (s *Service) limitChecks(st site.Site, threadKey string, keys comment.Keys, ip string) []limitCheck {
	if s.counters.Limits == nil {
		return nil
	}
	l := st.Limits.Effective()
	// A key is "submit:", the site, ":", and the scope's name and hash.
	type part struct{ name, hash string }
	parts := make([]part, 0, 4)
	checks := make([]limitCheck, 0, 4)
	if ip != "" {
		parts, checks = append(parts, part{"ip:", keys.Address}), append(checks, limitCheck{scope: "ip", rate: l.IP})
	}
	parts = append(parts, part{"email:", keys.Email}, part{"thread:", threadKey}, part{"site", ""})
	checks = append(checks, limitCheck{scope: "email", rate: l.Email}, limitCheck{scope: "thread", rate: l.Thread},
		limitCheck{scope: "site", rate: l.Site})
	size := func(p part) int { return len("submit:") + len(st.ID) + 1 + len(p.name) + len(p.hash) }
	n := 0
	for _, p := range parts {
		n += size(p)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range parts {
		b.WriteString("submit:")
		b.WriteString(st.ID)
		b.WriteByte(':')
		b.WriteString(p.name)
		b.WriteString(p.hash)
	}
	all := b.String()
	for i, p := range parts {
		checks[i].key, all = all[:size(p)], all[size(p):]
	}
	return checks
}

// threadKey is the key a thread is limited and counted by in a campaign: a hash of
// its key, so that no page path is kept beside the counts.
func threadKey(thread string) string {
	h := sha256.Sum256([]byte(thread))
	var out [24]byte
	hex.Encode(out[:], h[:12])
	return string(out[:])
}

// peek is a submission's first round: its limits read without counting, its form
// token's nonce looked up, its text's campaign counts read, all at once (one round
// trip to Redis). A spent limit refuses the submission with the first such limit,
// narrowest first, and nothing has been counted.
func (s *Service) peek(ctx context.Context, st site.Site, sub comment.Submission, meta Meta, keys comment.Keys, text *spam.Text) (gate, error) {
	thread := threadKey(sub.Thread)
	g := gate{limits: s.limitChecks(st, thread, keys, meta.IP)}
	g.form, g.nonce = s.readForm(st.ID, sub.Thread, sub.FormToken)
	g.sets = s.campaignSets(st.ID, thread, text, keys.Author)
	var results []ratelimit.Result
	nc := g.campaigns()
	err := s.round(ctx, 1+nc+g.nonces(), func(ctx context.Context, i int) error {
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
		case i < 1+nc:
			var err error
			g.tallies, err = peekCampaign(ctx, s.counters.Distinct, g.sets)
			return err
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
	nl, nc := len(g.limits), g.campaigns()
	err := s.round(ctx, nl+nc+g.nonces(), func(ctx context.Context, i int) error {
		switch {
		case i < nl:
			res, err := s.counters.Limits.AllowN(ctx, g.limits[i].key, g.limits[i].rate, 1)
			if err != nil {
				return fmt.Errorf("intake: rate limit: %w", err)
			}
			results[i] = res
		case i < nl+nc:
			return addCampaign(ctx, s.counters.Distinct, g.sets, g.tallies)
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

// round runs fn(ctx, 0) ... fn(ctx, n-1), the calls of one round, and returns their
// errors joined: at once when the counters batch calls made at once (through Redis's
// AutoPipeline, commands issued at once travel together), else one after another.
func (s *Service) round(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	if s.concurrent {
		return concurrently(ctx, n, fn)
	}
	var err error
	for i := range n {
		if e := fn(ctx, i); e != nil {
			err = errors.Join(err, e)
		}
	}
	return err
}

// concurrently runs fn(ctx, 0) ... fn(ctx, n-1) at once and returns their errors
// joined.
func concurrently(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	// One closure for every call (wg.Go would wrap each in one more).
	run := func(i int) {
		defer wg.Done()
		errs[i] = fn(ctx, i)
	}
	wg.Add(n - 1)
	for i := 1; i < n; i++ {
		go run(i)
	}
	errs[0] = fn(ctx, 0)
	wg.Wait()
	return errors.Join(errs...)
}
