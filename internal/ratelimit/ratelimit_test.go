package ratelimit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/winnow/winnow/internal/site"
)

// clock is a settable time for the local limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

var perTenSeconds = site.Rate{Count: 6, Period: time.Minute, Burst: 3} // one per 10 s, burst 3

func TestLocalGCRA(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := NewLocal(c.now)
	ctx := context.Background()
	steps := []struct {
		advance   time.Duration
		allowed   bool
		remaining int
		retry     time.Duration
	}{
		{0, true, 2, 0},
		{0, true, 1, 0},
		{0, true, 0, 0},
		{0, false, 0, 10 * time.Second}, // burst spent: the next slot is one interval away
		{4 * time.Second, false, 0, 6 * time.Second},
		{6 * time.Second, true, 0, 0}, // one interval later, one more
		{30 * time.Second, true, 2, 0},
	}
	for i, s := range steps {
		c.advance(s.advance)
		res, _ := l.AllowN(ctx, "k", perTenSeconds, 1)
		if res.Allowed != s.allowed || res.Remaining != s.remaining || res.RetryAfter.Round(time.Millisecond) != s.retry {
			t.Fatalf("step %d: %+v, want allowed=%v remaining=%d retry=%v", i, res, s.allowed, s.remaining, s.retry)
		}
	}
	if res, _ := l.AllowN(ctx, "other", perTenSeconds, 1); !res.Allowed {
		t.Error("keys are not independent")
	}
	if res, _ := l.AllowN(ctx, "k", perTenSeconds, 0); !res.Allowed {
		t.Error("asking without counting was refused")
	}
}

func TestLocalSweepsExpiredKeys(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := NewLocal(c.now)
	for i := range sweepAt - 1 {
		l.AllowN(context.Background(), strconv.Itoa(i), perTenSeconds, 1)
	}
	c.advance(time.Hour)
	l.AllowN(context.Background(), "last", perTenSeconds, 1)
	if n := len(l.states); n != 1 {
		t.Errorf("%d keys kept, want 1", n)
	}
}

// redisServer starts a private redis-server on a free port, so a test can stop and
// restart it. It needs the redis-server binary (Debian package redis-server).
type redisServer struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("WINNOW_TEST_REQUIRE") == "1" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{t: t, port: port, dir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, io.Discard
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	c := s.client()
	defer c.Close()
	for i := 0; c.Ping(context.Background()).Err() != nil; i++ {
		if i > 200 {
			s.t.Fatal("redis-server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *redisServer) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port),
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
}

func newRedis(t testing.TB, client *redis.Client) *Redis {
	t.Helper()
	r, err := NewRedis(client)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRedisAndLocalDecideAlike(t *testing.T) {
	srv := startRedis(t)
	client := srv.client()
	defer client.Close()
	r := newRedis(t, client)
	l := NewLocal(time.Now)
	ctx := context.Background()
	key := "alike-" + filepath.Base(t.TempDir())
	for i := range 5 {
		got, err := r.AllowN(ctx, key, perTenSeconds, 1)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := l.AllowN(ctx, key, perTenSeconds, 1)
		if got.Allowed != want.Allowed || got.Remaining != want.Remaining ||
			(got.RetryAfter-want.RetryAfter).Abs() > time.Second {
			t.Errorf("event %d: redis %+v, local %+v", i, got, want)
		}
	}
}

func TestFallbackSurvivesARedisOutageAndReturns(t *testing.T) {
	srv := startRedis(t)
	client := srv.client()
	defer client.Close()
	c := &clock{t: time.Now()}
	f := NewFallback(newRedis(t, client), NewLocal(c.now), slog.New(slog.NewTextHandler(io.Discard, nil)), c.now)
	ctx := context.Background()
	lots := site.Rate{Count: 1000, Period: time.Second, Burst: 1000}

	if res, err := f.AllowN(ctx, "k", lots, 1); err != nil || !res.Allowed || f.Degraded() {
		t.Fatalf("with redis up: %+v %v degraded=%v", res, err, f.Degraded())
	}
	srv.stop()
	for range 3 {
		if res, err := f.AllowN(ctx, "k", lots, 1); err != nil || !res.Allowed {
			t.Fatalf("with redis down: %+v %v", res, err)
		}
	}
	if !f.Degraded() || f.LocalDecisions() != 3 || f.Outages() != 1 {
		t.Fatalf("degraded=%v local=%d outages=%d", f.Degraded(), f.LocalDecisions(), f.Outages())
	}

	srv.start()
	c.advance(maxBackoff) // the next request probes redis again
	if res, err := f.AllowN(ctx, "k", lots, 1); err != nil || !res.Allowed {
		t.Fatalf("after redis returned: %+v %v", res, err)
	}
	if f.Degraded() || f.LocalDecisions() != 3 {
		t.Errorf("did not return to redis: degraded=%v local=%d", f.Degraded(), f.LocalDecisions())
	}
}

func BenchmarkLocalAllow(b *testing.B) {
	l := NewLocal(time.Now)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "ip:" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.AllowN(context.Background(), keys[i%len(keys)], perTenSeconds, 1)
		i++
	}
}

func TestCallsFailingTogetherDoNotStretchThePause(t *testing.T) {
	srv := startRedis(t)
	client := srv.client()
	defer client.Close()
	c := &clock{t: time.Now()}
	f := NewFallback(newRedis(t, client), NewLocal(c.now), slog.New(slog.NewTextHandler(io.Discard, nil)), c.now)
	ctx := context.Background()
	lots := site.Rate{Count: 1000, Period: time.Second, Burst: 1000}
	if _, err := f.Peek(ctx, "k", lots); err != nil || f.Degraded() {
		t.Fatalf("with redis up: %v degraded=%v", err, f.Degraded())
	}
	srv.stop()
	// A submission's checks go out at once and fail together: one outage, the
	// shortest pause. (Calls that start after the first failure go local at once.)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { f.Peek(ctx, strconv.Itoa(i), lots) })
	}
	wg.Wait()
	f.mu.Lock()
	pause := f.retryAt.Sub(c.now())
	f.mu.Unlock()
	if !f.Degraded() || f.Outages() != 1 || pause != minBackoff {
		t.Errorf("degraded=%v outages=%d pause=%v, want one outage and a pause of %v", f.Degraded(), f.Outages(), pause, minBackoff)
	}
	c.advance(minBackoff) // a failed probe doubles it
	f.Peek(ctx, "k", lots)
	if f.mu.Lock(); f.backoff != 2*minBackoff {
		t.Errorf("after a failed probe the pause is %v, want %v", f.backoff, 2*minBackoff)
	}
	f.mu.Unlock()
}
