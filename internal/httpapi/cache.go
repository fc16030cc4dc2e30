package httpapi

import (
	"container/list"
	"sync"
)

// pageCache holds rendered thread pages keyed by the thread's version, so a read of an
// unchanged thread costs one indexed lookup of the thread row instead of reading and
// encoding every comment. Any change to the thread bumps its version in the database,
// which invalidates the entry for every replica without messages between them. It is
// bounded by bytes, not entries, so it always holds the largest thread it serves.
type pageCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // front: most recently used
	entries  map[string]*list.Element
}

type cacheEntry struct {
	key  string
	body []byte
}

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *pageCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).body, true
}

// put stores body under key, evicting the least recently used entries to fit. A body
// larger than the whole cache is not stored.
func (c *pageCache) put(key string, body []byte) {
	if len(body) > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.bytes -= len(el.Value.(*cacheEntry).body)
		c.order.Remove(el)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, body: body})
	c.bytes += len(body)
	for c.bytes > c.maxBytes {
		el := c.order.Back()
		e := el.Value.(*cacheEntry)
		c.order.Remove(el)
		delete(c.entries, e.key)
		c.bytes -= len(e.body)
	}
}
