package httpx

import (
	"context"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/site"
)

// siteTTL is how long a replica trusts its copy of a site's settings. Every public
// request needs them (origins, policy), and they change rarely: a change made on this
// replica applies at once, one made elsewhere within siteTTL.
const siteTTL = 5 * time.Second

// SiteCache keeps recently used sites so the public API does not read the sites table
// on every request. Unknown sites are not cached: one created a moment ago must work.
type SiteCache struct {
	load func(ctx context.Context, id string) (site.Site, error)
	now  func() time.Time

	mu    sync.Mutex
	sites map[string]cachedSite
}

type cachedSite struct {
	site    site.Site
	expires time.Time
}

// maxCachedSites bounds the map; a larger installation just reads more often.
const maxCachedSites = 10000

// NewSiteCache returns an empty cache reading sites with load; now is the clock.
func NewSiteCache(load func(ctx context.Context, id string) (site.Site, error), now func() time.Time) *SiteCache {
	return &SiteCache{load: load, now: now, sites: map[string]cachedSite{}}
}

// Get is the site id, from the cache while its copy is fresh.
func (c *SiteCache) Get(ctx context.Context, id string) (site.Site, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.sites[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.site, nil
	}
	st, err := c.load(ctx, id)
	if err != nil {
		return site.Site{}, err
	}
	c.mu.Lock()
	if len(c.sites) >= maxCachedSites {
		clear(c.sites)
	}
	c.sites[id] = cachedSite{site: st, expires: now.Add(siteTTL)}
	c.mu.Unlock()
	return st, nil
}

// Forget drops a site after this replica changed it.
func (c *SiteCache) Forget(id string) {
	c.mu.Lock()
	delete(c.sites, id)
	c.mu.Unlock()
}
