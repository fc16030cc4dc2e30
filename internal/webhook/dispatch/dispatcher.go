package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/winnow/winnow/internal/outbox"
	"github.com/winnow/winnow/internal/webhook"
)

// Outbox is what a dispatcher needs from storage (sqlstore.Store).
type Outbox interface {
	// ClaimDeliveries takes up to limit due deliveries, in order per comment and
	// endpoint, and holds them until leaseUntil, with their endpoints filled in.
	ClaimDeliveries(ctx context.Context, at, leaseUntil time.Time, limit int) ([]webhook.Delivery, error)
	// RecordAttempt logs an attempt and releases its claim; comment.ErrConflict if the
	// claim was lost.
	RecordAttempt(ctx context.Context, a webhook.Attempt) error
	// OldestOpenDelivery is when the oldest delivery still to be made was created
	// (zero: none), for the queue-age metric.
	OldestOpenDelivery(ctx context.Context) (time.Time, error)
}

// Options tune a Dispatcher; zero fields take the defaults.
type Options struct {
	// Workers bounds the deliveries in flight at once (default 8).
	Workers int
	// Timeout bounds one request, from dialing to the end of the answer (default 10s).
	Timeout time.Duration
	// PollInterval is how often an idle dispatcher looks for due deliveries (default 1s).
	PollInterval time.Duration
	// Schedule is the wait before each retry (default DefaultSchedule); when it is
	// spent the delivery is dead.
	Schedule []time.Duration
	// AllowPrivateNetworks lets deliveries reach loopback, private and link-local
	// addresses. Off in production: endpoints are set by site admins.
	AllowPrivateNetworks bool
	Logger               *slog.Logger
	Now                  func() time.Time
}

// Dispatcher delivers the outbox. Run it in one goroutine; several dispatchers, in
// one process or many, share the work through their claims.
type Dispatcher struct {
	outbox   Outbox
	opts     Options
	client   *http.Client
	lease    time.Duration
	outcomes *prometheus.CounterVec
	latency  prometheus.Histogram
}

// The outcomes of an attempt, as counted in winnow_webhook_deliveries_total.
const (
	outcomeDelivered = "delivered"
	outcomeRetry     = "retry"
	outcomeDead      = "dead"
)

// New returns a Dispatcher on outbox.
func New(outbox Outbox, opts Options) *Dispatcher {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if len(opts.Schedule) == 0 {
		opts.Schedule = DefaultSchedule()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: opts.Timeout, Control: dialControl(opts.AllowPrivateNetworks)}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          opts.Workers * 4,
		MaxIdleConnsPerHost:   opts.Workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
	}
	return &Dispatcher{
		outbox: outbox, opts: opts,
		client: &http.Client{
			Transport: transport,
			Timeout:   opts.Timeout,
			// Redirects are not followed: the endpoint is the URL its admin entered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		// A claim outlives the request and the recording of its result; a dispatcher
		// that dies loses its claims after this and another one retries them.
		lease: 2*opts.Timeout + 2*time.Second,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome: delivered, retry (failed, will be retried), dead (given up).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "winnow_webhook_delivery_duration_seconds", Help: "Time from sending a webhook to its answer.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
}

// Collectors are the dispatcher's metrics: attempts by outcome, their latency, and
// the age of the oldest delivery still to be made. They name no endpoint or payload.
func (d *Dispatcher) Collectors() []prometheus.Collector {
	age := outbox.AgeGauge("winnow_webhook_oldest_pending_seconds", "Age of the oldest webhook delivery not yet delivered or dead (0: none).",
		d.outbox.OldestOpenDelivery, d.opts.Now)
	for _, o := range []string{outcomeDelivered, outcomeRetry, outcomeDead} {
		d.outcomes.WithLabelValues(o) // present at 0 from the start
	}
	return []prometheus.Collector{d.outcomes, d.latency, age}
}

// Run delivers until ctx is cancelled, then stops claiming and waits for the
// deliveries in flight to finish (each is bounded by the timeout) and be recorded.
// What it had claimed but could not record is retried by any dispatcher once the
// claim expires. The loop is outbox.Loop, which the mail sender shares.
func (d *Dispatcher) Run(ctx context.Context) {
	outbox.Loop[webhook.Delivery]{
		Workers: d.opts.Workers, PollInterval: d.opts.PollInterval,
		Claim: d.claim, Work: d.deliver,
		Failed: func(err error) {
			d.opts.Logger.Warn("webhook: claim deliveries", slog.String("error", err.Error()))
		},
	}.Run(ctx)
}

func (d *Dispatcher) claim(ctx context.Context, n int) ([]webhook.Delivery, error) {
	if n <= 0 || ctx.Err() != nil {
		return nil, nil
	}
	now := d.opts.Now().UTC().Truncate(time.Microsecond)
	return d.outbox.ClaimDeliveries(ctx, now, now.Add(d.lease), n)
}

// deliver makes one attempt and records it. It does not take the dispatcher's context:
// a delivery in flight at shutdown runs to its end (bounded by the timeout).
func (d *Dispatcher) deliver(del webhook.Delivery) {
	a := d.Attempt(context.Background(), del)
	d.outcomes.WithLabelValues(outcomeOf(a.Status)).Inc()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log := d.opts.Logger.With(slog.Int64("delivery_id", del.ID), slog.Int64("endpoint_id", del.EndpointID),
		slog.String("event", string(del.Type)), slog.Int("attempt", del.Attempts+1))
	if err := d.outbox.RecordAttempt(ctx, a); err != nil {
		log.Warn("webhook: record attempt", slog.String("error", err.Error()))
		return
	}
	switch a.Status {
	case webhook.DeliveryDelivered:
		log.Debug("webhook delivered", slog.Int("status", a.StatusCode), slog.Duration("latency", a.Latency))
	case webhook.DeliveryDead:
		log.Warn("webhook dead", slog.Int("status", a.StatusCode), slog.String("error", a.Error))
	default:
		log.Info("webhook failed, will retry", slog.Int("status", a.StatusCode), slog.String("error", a.Error),
			slog.Time("next_attempt", a.NextAttemptAt))
	}
}

func outcomeOf(s webhook.DeliveryStatus) string {
	switch s {
	case webhook.DeliveryDelivered:
		return outcomeDelivered
	case webhook.DeliveryDead:
		return outcomeDead
	}
	return outcomeRetry
}

// Attempt sends a claimed delivery once and says what became of it: delivered, failed
// with a retry due, or dead. It does not record the result.
func (d *Dispatcher) Attempt(ctx context.Context, del webhook.Delivery) webhook.Attempt {
	now := d.opts.Now().UTC()
	a := webhook.Attempt{DeliveryID: del.ID, LeaseUntil: del.LeaseUntil, Status: webhook.DeliveryDead, At: now}
	code, retryAfter, err := d.post(ctx, del, now)
	a.Latency = d.opts.Now().Sub(now)
	a.StatusCode, a.At = code, now.Add(a.Latency)
	if code >= 200 && code < 300 && err == nil {
		d.latency.Observe(a.Latency.Seconds())
		a.Status = webhook.DeliveryDelivered
		return a
	}
	retry := false
	switch {
	case errors.Is(err, errAddressNotAllowed), errors.Is(err, errBadEndpoint), errors.Is(err, errBadPayload):
		a.Error = withoutURL(err) // the same every time: retrying cannot help
	case err != nil:
		a.Error, retry = withoutURL(err), true
	default:
		d.latency.Observe(a.Latency.Seconds())
		a.Error, retry = "HTTP "+strconv.Itoa(code), retryable(code)
	}
	if retry {
		if next, ok := outbox.NextAttempt(d.opts.Schedule, del.Attempts+1, a.At, retryAfter); ok {
			a.Status, a.NextAttemptAt = webhook.DeliveryFailed, next
		}
	}
	return a
}

// withoutURL is an error's text without the endpoint URL that *url.Error puts in it:
// consumers keep secrets in their URLs, and the text goes to the delivery log and the
// server log.
func withoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// errBadEndpoint marks a delivery that cannot even be sent: an unusable URL or secret.
var errBadEndpoint = errors.New("endpoint unusable")

// errBadPayload marks a delivery whose stored payload cannot be read back.
var errBadPayload = errors.New("payload unreadable")

// post sends the delivery, signed with every secret valid now, and returns the answer's
// status and Retry-After. The body is the delivery's (webhook.Delivery.Body: the payload
// its service built, with the outbox row's columns set in it). The answer's body is
// read (a little) and dropped.
func (d *Dispatcher) post(ctx context.Context, del webhook.Delivery, now time.Time) (int, time.Duration, error) {
	body, err := del.Body()
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errBadPayload, err)
	}
	ts := now.Unix()
	sig, err := Sign(del.EventID, ts, body, del.Endpoint.Secrets(now))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errBadEndpoint, err)
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errBadEndpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "winnow-webhooks/1")
	req.Header.Set(HeaderID, del.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := d.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			return 0, 0, fmt.Errorf("timeout after %s", d.opts.Timeout)
		}
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After"), now), nil
}
