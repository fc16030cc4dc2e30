package httpapi

import (
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

func TestThreadCache(t *testing.T) {
	now := time.Unix(0, 0)
	c := NewThreadCache(func() time.Time { return now })
	th := comment.Thread{ID: 7, Version: 3}

	_, ok, gen := c.get("blog", "/p")
	if ok {
		t.Fatal("an empty cache hit")
	}
	c.put("blog", "/p", th, gen)
	if got, ok, _ := c.get("blog", "/p"); !ok || got != th {
		t.Fatalf("after put: %+v %v", got, ok)
	}

	c.Changed(7)
	if _, ok, _ := c.get("blog", "/p"); ok {
		t.Error("a changed thread is still cached")
	}

	// A read that started before a change must not cache what it read.
	_, _, gen = c.get("blog", "/p")
	c.Changed(99)
	c.put("blog", "/p", th, gen)
	if _, ok, _ := c.get("blog", "/p"); ok {
		t.Error("a read that raced a change was cached")
	}

	_, _, gen = c.get("blog", "/p")
	c.put("blog", "/p", th, gen)
	c.Changed(0)
	if _, ok, _ := c.get("blog", "/p"); ok {
		t.Error("Changed(0) kept a row")
	}

	_, _, gen = c.get("blog", "/p")
	c.put("blog", "/p", th, gen)
	now = now.Add(threadTTL)
	if _, ok, _ := c.get("blog", "/p"); ok {
		t.Error("an expired row was served")
	}
	_, _, gen = c.get("blog", "/none")
	c.put("blog", "/none", comment.Thread{}, gen)
	if _, ok, _ := c.get("blog", "/none"); ok {
		t.Error("a thread that does not exist was cached")
	}
}
