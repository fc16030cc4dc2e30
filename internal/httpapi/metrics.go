package httpapi

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/winnow/winnow/internal/comment"
)

// metrics are the service's Prometheus series. Labels are bounded and public: route
// templates, methods, statuses and outcomes; never an address, email or agent.
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	submissions *prometheus.CounterVec
}

// queueCounter is what the queue-size gauge reads at scrape time.
type queueCounter interface {
	CountComments(ctx context.Context, status comment.Status) (int, error)
}

func newMetrics(reg prometheus.Registerer, store queueCounter, limiter Limiter) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_http_requests_total", Help: "HTTP requests by route template, method and status.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "winnow_http_request_duration_seconds", Help: "HTTP request latency by route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_submissions_total", Help: "Comment submissions by outcome: approved, pending, spam, replayed, invalid, rate_limited, error.",
		}, []string{"outcome"}),
	}
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "winnow_moderation_queue", Help: "Comments waiting for a moderator (status pending).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := store.CountComments(ctx, comment.StatusPending)
		if err != nil {
			return -1 // visible in dashboards, unlike a stale value
		}
		return float64(n)
	})
	reg.MustRegister(m.requests, m.duration, m.submissions, queue)
	if h, ok := limiter.(limiterHealth); ok {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "winnow_ratelimit_degraded", Help: "1 while Redis is unreachable and limits are per replica.",
			}, func() float64 {
				if h.Degraded() {
					return 1
				}
				return 0
			}),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "winnow_ratelimit_local_decisions_total", Help: "Rate-limit decisions made in-process because Redis was unreachable.",
			}, func() float64 { return float64(h.LocalDecisions()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "winnow_ratelimit_redis_outages_total", Help: "Times Redis became unreachable for rate limiting.",
			}, func() float64 { return float64(h.Outages()) }),
		)
	}
	return m
}

// routeMetrics are one route's request series, kept at hand so that observing a
// request neither hashes its labels nor formats its status again. Series are made on
// first use, as WithLabelValues would make them: /metrics lists only what happened.
type routeMetrics struct {
	m     *metrics
	route string
	// duration is the route's latency histogram.
	duration func() prometheus.Observer
	// counters are the route's request counters by method and status, copied on
	// write: a route sees a handful of pairs, read far more often than added.
	counters atomic.Pointer[[]routeCounter]
	mu       sync.Mutex // serializes additions to counters
}

type routeCounter struct {
	method string
	status int
	c      prometheus.Counter
}

// route returns the series of one route template.
func (m *metrics) route(route string) *routeMetrics {
	return &routeMetrics{m: m, route: route, duration: sync.OnceValue(func() prometheus.Observer {
		return m.duration.WithLabelValues(route)
	})}
}

// requests is the counter of the route's requests with method (a methodLabel) and
// status.
func (rm *routeMetrics) requests(method string, status int) prometheus.Counter {
	if cs := rm.counters.Load(); cs != nil {
		for _, c := range *cs {
			if c.status == status && c.method == method {
				return c.c
			}
		}
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	var cs []routeCounter
	if old := rm.counters.Load(); old != nil {
		for _, c := range *old {
			if c.status == status && c.method == method {
				return c.c
			}
		}
		cs = append(cs, *old...)
	}
	c := rm.m.requests.WithLabelValues(rm.route, method, strconv.Itoa(status))
	cs = append(cs, routeCounter{method: method, status: status, c: c})
	rm.counters.Store(&cs)
	return c
}
