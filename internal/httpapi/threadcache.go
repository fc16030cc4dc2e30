package httpapi

import (
	"sync"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// ThreadCache keeps thread rows, so a read of an unchanged thread needs no database at
// all: with the page cache keyed by the thread's version, a cached row is the whole
// cost. Rows are dropped when the store reports a change (on PostgreSQL, from any
// replica by LISTEN/NOTIFY), and expire after threadTTL in any case, which bounds the
// damage of a missed notice.
type ThreadCache struct {
	now func() time.Time

	mu    sync.Mutex
	gen   uint64 // bumped by every change, so a read that raced one is not cached
	byKey map[string]cachedThread
	keys  map[int64][]string // thread id -> its keys in byKey
}

type cachedThread struct {
	th      comment.Thread
	expires time.Time
}

// Bounds of the thread cache.
const (
	threadTTL        = 30 * time.Second
	maxCachedThreads = 100_000
)

// NewThreadCache returns an empty cache; now is the clock.
func NewThreadCache(now func() time.Time) *ThreadCache {
	return &ThreadCache{now: now, byKey: map[string]cachedThread{}, keys: map[int64][]string{}}
}

// Changed drops thread id, or everything for id 0.
func (c *ThreadCache) Changed(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if id == 0 {
		clear(c.byKey)
		clear(c.keys)
		return
	}
	for _, k := range c.keys[id] {
		delete(c.byKey, k)
	}
	delete(c.keys, id)
}

// get returns a cached row and the generation to hand back to put.
func (c *ThreadCache) get(site, key string) (comment.Thread, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[site+"\x00"+key]
	if ok && c.now().Before(e.expires) {
		return e.th, true, c.gen
	}
	return comment.Thread{}, false, c.gen
}

// put caches a row read from the database, unless a change was reported since get.
func (c *ThreadCache) put(site, key string, th comment.Thread, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || th.ID == 0 {
		return
	}
	if len(c.byKey) >= maxCachedThreads {
		clear(c.byKey)
		clear(c.keys)
	}
	k := site + "\x00" + key
	c.byKey[k] = cachedThread{th: th, expires: c.now().Add(threadTTL)}
	c.keys[th.ID] = append(c.keys[th.ID], k)
}
