package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// siteTTL is how long a replica trusts its copy of a site's settings. Every public
// request needs them (origins, policy), and they change rarely: a change made on this
// replica applies at once, one made elsewhere within siteTTL.
const siteTTL = 5 * time.Second

// siteCache keeps recently used sites so the public API does not read the sites table
// on every request. Unknown sites are not cached: one created a moment ago must work.
type siteCache struct {
	load func(ctx context.Context, id string) (comment.Site, error)
	now  func() time.Time

	mu    sync.Mutex
	sites map[string]cachedSite
}

type cachedSite struct {
	site    comment.Site
	expires time.Time
}

// maxCachedSites bounds the map; a larger installation just reads more often.
const maxCachedSites = 10000

func newSiteCache(load func(ctx context.Context, id string) (comment.Site, error), now func() time.Time) *siteCache {
	return &siteCache{load: load, now: now, sites: map[string]cachedSite{}}
}

func (c *siteCache) get(ctx context.Context, id string) (comment.Site, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.sites[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.site, nil
	}
	site, err := c.load(ctx, id)
	if err != nil {
		return comment.Site{}, err
	}
	c.mu.Lock()
	if len(c.sites) >= maxCachedSites {
		clear(c.sites)
	}
	c.sites[id] = cachedSite{site: site, expires: now.Add(siteTTL)}
	c.mu.Unlock()
	return site, nil
}

// forget drops a site after this replica changed it.
func (c *siteCache) forget(id string) {
	c.mu.Lock()
	delete(c.sites, id)
	c.mu.Unlock()
}
