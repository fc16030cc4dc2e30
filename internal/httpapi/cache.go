package httpapi

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"io"
	"strconv"
	"sync"
	"time"
)

// SharedCache lets a CDN (a shared cache) absorb the reads of a popular thread: it may
// serve a thread or counts answer for MaxAge without asking winnow, and for
// StaleWhileRevalidate more while it refreshes in the background. Browsers get
// max-age=0 and revalidate with their ETag. A comment removed or erased may
// therefore stay at a CDN for up to MaxAge+StaleWhileRevalidate. Both zero: every
// cache revalidates every time (no-cache).
type SharedCache struct {
	MaxAge               time.Duration
	StaleWhileRevalidate time.Duration
}

// header is the Cache-Control value, in whole seconds.
func (c SharedCache) header() string {
	if c.MaxAge <= 0 && c.StaleWhileRevalidate <= 0 {
		return "public, no-cache"
	}
	return "public, max-age=0, s-maxage=" + strconv.FormatInt(int64(c.MaxAge/time.Second), 10) +
		", stale-while-revalidate=" + strconv.FormatInt(int64(c.StaleWhileRevalidate/time.Second), 10)
}

// pageCache holds rendered thread pages keyed by the thread's version, so a read of an
// unchanged thread costs one indexed lookup of the thread row instead of reading and
// encoding every comment. Any change to the thread bumps its version in the database,
// which invalidates the entry for every replica without messages between them. It is
// bounded by bytes, not entries, so it always holds the largest thread it serves.
//
// Pages are kept gzipped: browsers, CDNs and the usual HTTP clients all accept gzip,
// and the compressed JSON of a thread is about a third of its size, so the same
// budget holds about three times as many pages as plain bytes would (four times as
// many as plain and gzip together). A page's plain bytes are kept too only once a
// client that refuses gzip has read it: decompressed once, then served as stored
// (decompressing a 100-comment page costs several times serving it).
type pageCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // front: most recently used
	entries  map[string]*list.Element

	// Compressors and decompressors are reused: a flate compressor is most of a
	// megabyte to allocate.
	writers sync.Pool // *gzip.Writer
	readers sync.Pool // *gzip.Reader
}

// cachedPage is one rendered page: its JSON body gzipped once, the body's length
// uncompressed (the Content-Length of a plain answer), and the plain body itself once
// a client has asked for it (nil before).
type cachedPage struct {
	gz []byte
	// gzLength is the Content-Length of the gzip bytes, as a header's values.
	gzLength []string
	size     int
	plain    []byte
}

type cacheEntry struct {
	key  string
	page cachedPage
}

// entryOverhead is what one entry costs besides its key and bytes (the list element,
// the map slot, the entry itself), counted so that a budget spent on many small pages
// is honest too.
const entryOverhead = 160

// pageGzipLevel compresses a page once per fill. Measured on a 100-comment thread of
// distinct ~600-byte comments (81 KB of JSON): level 5 gives 28.1 KB, within 0.5% of
// level 9 in three quarters of its time (1.5 ms here); level 1 is 14% larger. A fill
// is paid once per thread version and replica, not per read.
const pageGzipLevel = 5

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

func (e *cacheEntry) cost() int {
	return len(e.key) + len(e.page.gz) + len(e.page.plain) + entryOverhead
}

func (c *pageCache) get(key string) (cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return cachedPage{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).page, true
}

// put stores page under key, evicting the least recently used entries to fit. A page
// larger than the whole cache is not stored.
func (c *pageCache) put(key string, page cachedPage) {
	e := &cacheEntry{key: key, page: page}
	if e.cost() > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.bytes -= el.Value.(*cacheEntry).cost()
		c.order.Remove(el)
	}
	c.entries[key] = c.order.PushFront(e)
	c.bytes += e.cost()
	c.evict()
}

// evict drops the least recently used entries until the cache fits its budget.
func (c *pageCache) evict() {
	for c.bytes > c.maxBytes {
		el := c.order.Back()
		old := el.Value.(*cacheEntry)
		c.order.Remove(el)
		delete(c.entries, old.key)
		c.bytes -= old.cost()
	}
}

// plain returns the plain bytes of the page cached under key, decompressing them the
// first time and keeping them beside the gzip bytes (counted in the budget), so that a
// client that refuses gzip costs one decompression per page, not one per read.
func (c *pageCache) plain(key string, p cachedPage) ([]byte, error) {
	if p.plain != nil {
		return p.plain, nil
	}
	var buf bytes.Buffer
	buf.Grow(p.size)
	if err := c.writePlain(&buf, p); err != nil {
		return nil, err
	}
	body := buf.Bytes()
	c.mu.Lock()
	defer c.mu.Unlock()
	// The key names one version of one page: whatever entry holds it holds these bytes.
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if e.page.plain == nil && len(e.key)+len(e.page.gz)+len(body)+entryOverhead <= c.maxBytes {
			e.page.plain = body
			c.bytes += len(body)
			c.evict()
		}
	}
	return body, nil
}

// compress gzips a rendered page once, for the cache.
func (c *pageCache) compress(body []byte) (cachedPage, error) {
	var buf bytes.Buffer
	buf.Grow(len(body)/4 + 64)
	zw, _ := c.writers.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, pageGzipLevel) // a valid level: no error
	} else {
		zw.Reset(&buf)
	}
	defer c.writers.Put(zw)
	if _, err := zw.Write(body); err != nil {
		return cachedPage{}, err
	}
	if err := zw.Close(); err != nil {
		return cachedPage{}, err
	}
	gz := bytes.Clone(buf.Bytes())
	return cachedPage{gz: gz, gzLength: []string{strconv.Itoa(len(gz))}, size: len(body)}, nil
}

// writePlain writes a cached page decompressed, for a client that refuses gzip.
func (c *pageCache) writePlain(w io.Writer, p cachedPage) error {
	zr, _ := c.readers.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(p.gz))
	} else {
		err = zr.Reset(bytes.NewReader(p.gz))
	}
	if err != nil {
		return err
	}
	defer c.readers.Put(zr)
	_, err = io.Copy(w, zr)
	return err
}
