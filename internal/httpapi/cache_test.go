package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
	"time"
)

func TestPageCacheEvictsLeastRecentlyUsedByBytes(t *testing.T) {
	page := func(s string) cachedPage { return cachedPage{gz: []byte(s), size: len(s)} }
	one := len("a") + 4 + entryOverhead // what an entry of key "a" and 4 bytes costs
	c := newPageCache(2*one + 2)
	c.put("a", page("aaaa"))
	c.put("b", page("bbbb"))
	c.get("a") // a is now more recent than b
	c.put("c", page("cccc"))
	if _, ok := c.get("b"); ok {
		t.Error("b should have been evicted")
	}
	for _, k := range []string{"a", "c"} {
		if v, ok := c.get(k); !ok || !bytes.Equal(v.gz, bytes.Repeat([]byte(k), 4)) {
			t.Errorf("%s: %q %v", k, v.gz, ok)
		}
	}
	if c.bytes != 2*one {
		t.Errorf("bytes = %d, want %d: the keys, the bytes and each entry's overhead", c.bytes, 2*one)
	}
	c.put("a", page("a")) // replacing shrinks the total
	if c.bytes != 2*one-3 {
		t.Errorf("bytes = %d, want %d", c.bytes, 2*one-3)
	}
	c.put("huge", page(strings.Repeat("h", 2*one)))
	if _, ok := c.get("huge"); ok || c.bytes != 2*one-3 {
		t.Error("a value larger than the cache must not evict everything")
	}
}

// A page is compressed once and comes back as the same bytes, gzipped for the clients
// that accept it and plain for those that do not, however often it is read.
func TestPageCacheCompressesOnce(t *testing.T) {
	c := newPageCache(1 << 20)
	body := []byte(`{"thread":{"key":"/p","count":100},"comments":[` +
		strings.Repeat(`{"id":1,"author_name":"Reader","body_html":"<p>A comment that says something.</p>"},`, 100) + `{}]}`)
	page, err := c.compress(body)
	if err != nil {
		t.Fatal(err)
	}
	if page.size != len(body) || len(page.gz) >= len(body)/4 {
		t.Errorf("size %d of %d, gzip %d bytes", page.size, len(body), len(page.gz))
	}
	zr, err := gzip.NewReader(bytes.NewReader(page.gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("gunzip: %v, equal %v", err, bytes.Equal(got, body))
	}
	for range 3 { // decompressors are reused
		var plain bytes.Buffer
		if err := c.writePlain(&plain, page); err != nil || !bytes.Equal(plain.Bytes(), body) {
			t.Fatalf("plain: %v, equal %v", err, bytes.Equal(plain.Bytes(), body))
		}
	}
	// A plain read decompresses once and keeps the bytes, counted in the budget.
	c.put("k", page)
	before := c.bytes
	first, err := c.plain("k", page)
	if err != nil || !bytes.Equal(first, body) || c.bytes != before+len(body) {
		t.Fatalf("plain: %v, equal %v, bytes %d -> %d", err, bytes.Equal(first, body), before, c.bytes)
	}
	stored, _ := c.get("k")
	if second, err := c.plain("k", stored); err != nil || &second[0] != &first[0] || c.bytes != before+len(body) {
		t.Error("the second plain read decompressed again")
	}
	tight := newPageCache(len("k") + len(page.gz) + entryOverhead) // room for the gzip bytes only
	tight.put("k", page)
	if got, err := tight.plain("k", page); err != nil || !bytes.Equal(got, body) || tight.bytes > tight.maxBytes {
		t.Errorf("a cache without room for the plain bytes: %v, %d of %d bytes", err, tight.bytes, tight.maxBytes)
	}
	if _, ok := tight.get("k"); !ok {
		t.Error("keeping the plain bytes evicted the page they belong to")
	}

	again, err := c.compress([]byte(`{"thread":{}}`)) // compressors are reused
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := c.writePlain(&plain, again); err != nil || plain.String() != `{"thread":{}}` {
		t.Fatalf("second page: %v %q", err, plain.String())
	}
}

func TestSharedCacheHeader(t *testing.T) {
	tests := []struct {
		c    SharedCache
		want string
	}{
		{SharedCache{MaxAge: 5 * time.Second, StaleWhileRevalidate: 30 * time.Second}, "public, max-age=0, s-maxage=5, stale-while-revalidate=30"},
		{SharedCache{MaxAge: time.Minute}, "public, max-age=0, s-maxage=60, stale-while-revalidate=0"},
		{SharedCache{StaleWhileRevalidate: 1500 * time.Millisecond}, "public, max-age=0, s-maxage=0, stale-while-revalidate=1"},
		{SharedCache{}, "public, no-cache"},
	}
	for _, tt := range tests {
		if got := tt.c.header(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, got, tt.want)
		}
	}
}
