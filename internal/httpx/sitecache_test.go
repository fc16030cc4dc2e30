package httpx

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

func TestSiteCacheRefreshesAfterTTLAndForgets(t *testing.T) {
	loads := 0
	now := time.Unix(0, 0)
	c := NewSiteCache(func(_ context.Context, id string) (site.Site, error) {
		loads++
		if id == "missing" {
			return site.Site{}, comment.ErrNotFound
		}
		return site.Site{ID: id, Name: fmt.Sprint(loads)}, nil
	}, func() time.Time { return now })
	ctx := context.Background()
	get := func(id string) string { s, _ := c.Get(ctx, id); return s.Name }
	if get("a") != "1" || get("a") != "1" {
		t.Fatal("second read within the TTL went to the store")
	}
	now = now.Add(siteTTL)
	if get("a") != "2" {
		t.Fatal("expired entry was served")
	}
	c.Forget("a")
	if get("a") != "3" {
		t.Fatal("forgotten entry was served")
	}
	c.Get(ctx, "missing")
	if _, err := c.Get(ctx, "missing"); !errors.Is(err, comment.ErrNotFound) || loads != 5 {
		t.Fatalf("unknown sites must not be cached: %d loads", loads)
	}
}
