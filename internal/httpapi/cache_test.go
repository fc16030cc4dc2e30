package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
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

func TestSiteCacheRefreshesAfterTTLAndForgets(t *testing.T) {
	loads := 0
	now := time.Unix(0, 0)
	c := newSiteCache(func(_ context.Context, id string) (comment.Site, error) {
		loads++
		if id == "missing" {
			return comment.Site{}, comment.ErrNotFound
		}
		return comment.Site{ID: id, Name: fmt.Sprint(loads)}, nil
	}, func() time.Time { return now })
	ctx := context.Background()
	get := func(id string) string { s, _ := c.get(ctx, id); return s.Name }
	if get("a") != "1" || get("a") != "1" {
		t.Fatal("second read within the TTL went to the store")
	}
	now = now.Add(siteTTL)
	if get("a") != "2" {
		t.Fatal("expired entry was served")
	}
	c.forget("a")
	if get("a") != "3" {
		t.Fatal("forgotten entry was served")
	}
	c.get(ctx, "missing")
	if _, err := c.get(ctx, "missing"); !errors.Is(err, comment.ErrNotFound) || loads != 5 {
		t.Fatalf("unknown sites must not be cached: %d loads", loads)
	}
}
