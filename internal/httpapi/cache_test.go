package httpapi

import (
	"bytes"
	"testing"
)

func TestPageCacheEvictsLeastRecentlyUsedByBytes(t *testing.T) {
	c := newPageCache(10)
	c.put("a", []byte("aaaa"))
	c.put("b", []byte("bbbb"))
	c.get("a") // a is now more recent than b
	c.put("c", []byte("cccc"))
	if _, ok := c.get("b"); ok {
		t.Error("b should have been evicted")
	}
	for _, k := range []string{"a", "c"} {
		if v, ok := c.get(k); !ok || !bytes.Equal(v, bytes.Repeat([]byte(k), 4)) {
			t.Errorf("%s: %q %v", k, v, ok)
		}
	}
	c.put("a", []byte("a")) // replacing shrinks the total
	if c.bytes != 5 {
		t.Errorf("bytes = %d, want 5", c.bytes)
	}
	c.put("huge", bytes.Repeat([]byte("h"), 11))
	if _, ok := c.get("huge"); ok || c.bytes != 5 {
		t.Error("a value larger than the cache must not evict everything")
	}
}
