package site

import (
	"fmt"
	"time"
)

// Rate is a GCRA limit: Count events per Period on average, with up to Burst at once.
type Rate struct {
	Count  int
	Period time.Duration
	Burst  int
}

// IsZero reports an unset rate, which means "use the default".
func (r Rate) IsZero() bool { return r == Rate{} }

// String reads like "6 per 1m0s (burst 3)".
func (r Rate) String() string {
	return fmt.Sprintf("%d per %s (burst %d)", r.Count, r.Period, r.Burst)
}

func (r Rate) valid() bool {
	return r.IsZero() || r.Count > 0 && r.Count <= 1_000_000 && r.Period >= time.Second &&
		r.Period <= 24*time.Hour && r.Burst > 0 && r.Burst <= 1_000_000
}

// RateLimits are a site's submission limits by what they count. A zero Rate takes
// the default from DefaultRateLimits.
type RateLimits struct {
	// IP limits one client address: a person types a comment in minutes, a bot in ms.
	IP Rate
	// Email limits one author, whatever addresses they post from.
	Email Rate
	// Thread limits one page, so a flood on one post cannot drown it.
	Thread Rate
	// Site limits the whole site: the last line against a distributed flood.
	Site Rate
}

// DefaultRateLimits are generous for people: WordPress's flood check allows one comment
// per IP every 15 seconds; these allow a short burst and then one every 10 seconds.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		IP:     Rate{Count: 6, Period: time.Minute, Burst: 3},
		Email:  Rate{Count: 6, Period: time.Minute, Burst: 3},
		Thread: Rate{Count: 60, Period: time.Minute, Burst: 20},
		Site:   Rate{Count: 600, Period: time.Minute, Burst: 100},
	}
}

// Effective fills unset rates from the defaults.
func (l RateLimits) Effective() RateLimits {
	pick := func(r, def Rate) Rate {
		if r.IsZero() {
			return def
		}
		return r
	}
	d := DefaultRateLimits()
	return RateLimits{IP: pick(l.IP, d.IP), Email: pick(l.Email, d.Email), Thread: pick(l.Thread, d.Thread), Site: pick(l.Site, d.Site)}
}
