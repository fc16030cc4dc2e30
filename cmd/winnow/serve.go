package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/akismet"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/httpapi"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/notify"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
)

// serve runs the HTTP service until ctx is cancelled (SIGINT/SIGTERM), then stops
// accepting connections and lets in-flight requests finish.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	f := newFlags("serve", getenv, stderr).withAddr("listen address, e.g. 127.0.0.1:8080 (env WINNOW_ADDR)")
	demo := f.fs.Bool("demo", false, "create a demo site and serve a sample article with the widget at /demo/")
	samples := f.fs.Bool("demo-samples", true, "with --demo: give a new demo site's article a few published sample comments")
	cfg, err := f.load(args, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)

	st, secret, err := openKeyed(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	baseURL := cfg.BaseURL()
	if cfg.PublicURL == "" {
		baseURL = "http://" + ln.Addr().String() // the real port when --addr asked for :0
		if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil && ap.Addr().IsUnspecified() {
			log.Warn("listening on every interface without public_url: avatar links will name " + baseURL +
				"; set public_url (WINNOW_PUBLIC_URL) to the address browsers use")
		}
	}
	token, err := firstStart(ctx, st, baseURL, stderr)
	if err != nil {
		ln.Close()
		return err
	}
	if err := offerSetup(ctx, st, secret, baseURL, stderr); err != nil {
		ln.Close()
		return err
	}

	limiter, closeLimiter, err := newLimiter(cfg.Redis, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeLimiter()
	seed, err := spam.BuiltinSeed()
	if err != nil {
		ln.Close()
		return err
	}
	model := spam.NewModel(st, log).WithSeed(seed)
	if err := model.Sync(ctx); err != nil {
		ln.Close()
		return err
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	go sweepOld(runCtx, []sweep{
		{"discarded old spam", cfg.Spam.DiscardAfter, st.DiscardSpam},
		{"forgot old comments' addresses", cfg.Privacy.ForgetAddressesAfter, st.ForgetAddresses},
		{"learned from comments left published", cfg.Spam.LearnPublishedAfter, moderation.NewLeftAlone(st, model).Teach},
		{"deleted old sent mails", mailKeep, st.DeleteOldMails},
		{"forgot old used mail links", notify.LinkLife + 24*time.Hour, st.ForgetMailLinks},
		{"forgot old Akismet reports", akismet.FeedbackMemory, st.DeleteSpamFeedback},
	}, log)
	go keyOldAddresses(runCtx, st, func(ip string) string { return comment.AddressKey(secret, ip, cfg.HTTP.IPv6Prefix) }, log)
	go keyOldEmails(runCtx, moderation.NewCommenters(st, model, secret, baseURL, log, time.Now), log)
	dispatcher := newDispatcher(st, cfg.Webhooks, log)
	dispatched := make(chan struct{})
	go func() { defer close(dispatched); dispatcher.Run(runCtx) }()
	installs := admin.NewInstallLog(st, log)
	installed := make(chan struct{})
	go func() { defer close(installed); installs.Run(runCtx, installsEvery) }()
	// Before the store closes: stop claiming and let deliveries in flight finish, and
	// write the widgets' last reports.
	defer func() { stopRun(); <-dispatched; <-installed }()
	collectors := dispatcher.Collectors()
	if cfg.SMTP.Enabled() {
		sender, err := newSender(st, cfg.SMTP, log)
		if err != nil {
			ln.Close()
			return err
		}
		sent := make(chan struct{})
		go func() { defer close(sent); sender.Run(runCtx) }()
		// Before the store closes: stop claiming and let mails in flight be sent and
		// recorded, so that the next start sends none of them again.
		defer func() { stopRun(); <-sent }()
		collectors = append(collectors, sender.Collectors()...)
	}
	handler, metricsHandler, err := newHandlers(runCtx, st, secret, limiter, model, log, baseURL, cfg, installs, collectors...)
	if err != nil {
		ln.Close()
		return err
	}
	if *demo {
		if handler, err = demoHandler(ctx, st, baseURL, handler, stderr, demoSampleImporter(*samples, st, secret, cfg)); err != nil {
			ln.Close()
			return err
		}
	}
	var metricsLn net.Listener
	if cfg.Metrics.Addr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.Metrics.Addr); err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
	}
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       cfg.HTTP.ReadTimeout,
			WriteTimeout:      cfg.HTTP.WriteTimeout,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
	}
	srv := newServer(handler)
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("url", baseURL),
		slog.String("database", st.Dialect()))
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if metricsLn != nil {
		only := http.NewServeMux() // /metrics, and nothing else of the service
		only.Handle("GET /metrics", metricsHandler)
		msrv := newServer(only)
		servers = append(servers, msrv)
		log.Info("serving metrics", slog.String("addr", metricsLn.Addr().String()), slog.Bool("token", cfg.Metrics.Token != ""))
		go func() { errc <- msrv.Serve(metricsLn) }()
	}
	if ready := readyHook(ctx); ready != nil {
		ready(ln.Addr().String(), token)
	}

	select {
	case err := <-errc:
		for _, s := range servers {
			s.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	for range servers {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	log.Info("stopped")
	return nil
}

// newSender is the mail sender of the outbox in st through the configured server.
func newSender(st *sqlstore.Store, c config.SMTP, log *slog.Logger) (*email.Sender, error) {
	c, err := c.Resolved()
	if err != nil {
		return nil, err
	}
	return email.NewSender(st, email.Server{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password,
		From: c.From, TLS: c.TLS}, email.Options{Timeout: c.Timeout, PollInterval: c.PollInterval, Schedule: c.Retry, Logger: log}), nil
}

// modelSync is how often a replica reads the spam model's changes whatever it was
// told: on PostgreSQL other replicas' lessons arrive at once by notification, and this
// period bounds the delay for what no notification reports (a lost one, or `spam train`
// and `spam reset` on SQLite). A sync that finds nothing costs two indexed reads.
const modelSync = 2 * time.Second

// syncModel keeps model in step with the stored one until ctx ends: when told that
// another replica changed it, and every period regardless.
func syncModel(ctx context.Context, model *spam.Model, every time.Duration, changed <-chan struct{}, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		}
		if err := model.Sync(ctx); err != nil && ctx.Err() == nil {
			log.Warn("spam model sync failed", slog.String("error", err.Error()))
		}
	}
}

// installsEvery is how often the widgets' reports are written (admin.InstallLog).
const installsEvery = 30 * time.Second

// newHandler wires the services and the HTTP surface on one store. The benchmarks
// build the same handler, so they measure what serve runs.
// extra are more collectors for /metrics (the webhook dispatcher's); installs gathers
// the widgets' reports (nil: they are dropped).
// ctx bounds the background work the handler needs (watching thread and spam model
// changes, keeping model in step).
func newHandler(ctx context.Context, st *sqlstore.Store, secret []byte, limiter rateLimiter, model *spam.Model, log *slog.Logger, baseURL string, cfg config.Config, installs *admin.InstallLog, extra ...prometheus.Collector) (http.Handler, error) {
	h, _, err := newHandlers(ctx, st, secret, limiter, model, log, baseURL, cfg, installs, extra...)
	return h, err
}

// newHandlers is newHandler that also returns the handler of /metrics, for the
// listener of its own that metrics.addr asks for.
func newHandlers(ctx context.Context, st *sqlstore.Store, secret []byte, limiter rateLimiter, model *spam.Model, log *slog.Logger, baseURL string, cfg config.Config, installs *admin.InstallLog, extra ...prometheus.Collector) (main, metrics http.Handler, err error) {
	hc := cfg.HTTP
	proxies, err := hc.Proxies()
	if err != nil {
		return nil, nil, err
	}
	threads := httpapi.NewThreadCache(time.Now)
	modelChanged := make(chan struct{}, 1) // one pending sync covers any number of changes
	err = st.Watch(ctx, sqlstore.Watchers{Threads: threads.Changed, Spam: func() {
		select {
		case modelChanged <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		return nil, nil, err
	}
	go syncModel(ctx, model, modelSync, modelChanged, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(extra...)
	now := time.Now
	guard := auth.NewGuard(limiter, secret, now)
	accounts, err := auth.NewAccounts(st, now, auth.Options{Guard: guard,
		Session: auth.SessionPolicy{Idle: cfg.Sessions.Idle, Absolute: cfg.Sessions.Absolute}})
	if err != nil {
		return nil, nil, err
	}
	sanitizer := sanitize.New() // built once: building the policy costs more than using it
	submitter := intake.NewService(st, intake.Counters{Limits: limiter, Nonces: ratelimit.NewNonces(limiter), Distinct: ratelimit.NewDistinct(limiter)}, sanitizer, spam.NewModelScorer(model), secret, hc.IPv6Prefix, baseURL, now)
	moderator := moderation.NewService(st, model, sanitizer, secret, hc.IPv6Prefix, baseURL, log, now)
	deps := httpapi.Deps{
		Store:            st,
		Admin:            admin.New(st, now, admin.Options{AllowPrivateNetworks: cfg.Webhooks.AllowPrivateNetworks, Accounts: accounts, Installs: installs}),
		Submitter:        submitter,
		Moderator:        moderator,
		Commenters:       moderation.NewCommenters(st, model, secret, baseURL, log, now),
		Akismet:          akismet.New(st, httpx.NewSiteCache(st.Site, now).Get, submitter, model, guard, secret, now),
		Accounts:         accounts,
		Limiter:          limiter,
		Guard:            guard,
		Secret:           secret,
		TrustedProxies:   proxies,
		IPv6Prefix:       hc.IPv6Prefix,
		Logger:           log,
		Registry:         reg,
		Gatherer:         reg,
		Metrics:          httpapi.MetricsOptions{Elsewhere: cfg.Metrics.Addr != "", Token: cfg.Metrics.Token},
		BaseURL:          baseURL,
		MaxBodyBytes:     hc.MaxBodyBytes,
		ThreadCacheBytes: hc.ThreadCacheBytes,
		SharedCache:      httpapi.SharedCache{MaxAge: hc.CDNSMaxAge, StaleWhileRevalidate: hc.CDNStaleWhileRevalidate},
		DiscardSpamAfter: cfg.Spam.DiscardAfter,
		Importer:         newImporter(st, model, secret, cfg),
		Exporter:         importer.NewExporter(st, now),
		MaxUploadBytes:   cfg.Import.MaxUploadBytes,
		Threads:          threads,
		Installs:         installReports(installs),
		Now:              now,
	}
	if cfg.SMTP.Enabled() {
		smtp, err := cfg.SMTP.Resolved()
		if err != nil {
			return nil, nil, err
		}
		opts := notify.Options{Secret: secret, BaseURL: baseURL, From: smtp.From, Passwords: accounts, Logger: log, Now: now}
		mail, readers := notify.New(st, moderator, opts), notify.NewReaders(st, opts)
		deps.Mail, deps.MailSettings, deps.Subscriptions, deps.Passwords = mail, mail, readers, mail
		go sweepForMail(ctx, cfg.Notifications.SweepInterval, log, mail.Sweep, readers.Sweep, mail.SweepDeadDeliveries)
	}
	return httpapi.NewServer(deps), httpapi.MetricsHandler(reg, cfg.Metrics.Token), nil
}

// mailKeep is how long sent and dead mails stay in the outbox, with their recipients.
const mailKeep = 30 * 24 * time.Hour

// sweepForMail runs the sweeps that queue mails every interval until ctx ends:
// moderators told of waiting comments (notify.Service.Sweep), readers of replies
// (notify.Readers.Sweep), admins of dead webhook deliveries. Every replica may sweep.
func sweepForMail(ctx context.Context, every time.Duration, log *slog.Logger, sweeps ...func(context.Context) (int, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, sweep := range sweeps {
			if _, err := sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("mail: sweep failed", slog.String("error", err.Error()))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// autoPipelineWindow is how long the Redis AutoPipeline waits for more commands
// before it sends a batch: long enough for a submission's concurrent checks to join
// the first, short beside a round trip's cost.
const autoPipelineWindow = 50 * time.Microsecond

// rateLimiter is the intake's, the guard's and the HTTP layer's view of rate limiting.
type rateLimiter interface {
	ratelimit.Counter // under the nonces and campaign counts
	intake.Limiter
	auth.Limiter
	httpapi.Limiter
}

// newLimiter limits in-process, or through Redis with the in-process limiter as the
// fallback while Redis is unreachable. Timeouts are short: a slow Redis must cost a
// submission milliseconds, not seconds, before the fallback decides.
func newLimiter(c config.Redis, log *slog.Logger) (rateLimiter, func(), error) {
	local := ratelimit.NewLocal(time.Now)
	if c.URL == "" {
		return local, func() {}, nil
	}
	opts, err := redis.ParseURL(c.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("config: redis.url: %w", err)
	}
	const timeout = 250 * time.Millisecond
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = timeout, timeout, timeout, timeout
	opts.MaxRetries, opts.DialerRetries = -1, 1
	// Commands go through the client's AutoPipeline. A submission issues its checks of
	// one round at once; a short window lets them meet in one batch, one write and one
	// read, instead of the first leaving alone.
	opts.AutoPipelineOptions = redis.DefaultBlockingAutoPipelineOptions()
	opts.AutoPipelineOptions.MaxFlushDelay = autoPipelineWindow
	redis.SetLogger(redisLogger{log}) // the library's one logger; its messages name no client data
	client := redis.NewClient(opts)
	r, err := ratelimit.NewRedis(client)
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return ratelimit.NewFallback(r, local, log, time.Now), func() { client.Close() }, nil
}

// firstStart gives a fresh installation its first admin token, printed once, so the
// operator can reach the API without another command. It returns the token, or ""
// when the installation already had one.
func firstStart(ctx context.Context, st *sqlstore.Store, baseURL string, stderr io.Writer) (string, error) {
	plain, err := admin.New(st, time.Now, admin.Options{}).FirstToken(ctx)
	if err != nil || plain == "" {
		return "", err
	}
	fmt.Fprintf(stderr, "\nwinnow: first start: created an admin API token. It is shown only this once:\n\n    %s\n\n"+
		"    curl -H 'Authorization: Bearer %s' %s/api/v1/admin/sites\n\n", plain, plain, baseURL)
	return plain, nil
}

// readyKey is the context key of the function serve calls once it listens.
type readyKey struct{}

// withReady returns ctx with a function that serve calls once it accepts connections,
// with the address it listens on and the admin token of a first start ("" on later
// starts). Only the tests set it: they learn the address and token from it instead of
// from the log lines, which are written for people.
func withReady(ctx context.Context, ready func(addr, token string)) context.Context {
	return context.WithValue(ctx, readyKey{}, ready)
}

// readyHook is the function set by withReady, or nil.
func readyHook(ctx context.Context) func(addr, token string) {
	f, _ := ctx.Value(readyKey{}).(func(addr, token string))
	return f
}

// redisLogger sends go-redis's own messages (dial failures) to the structured log.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.LogAttrs(ctx, slog.LevelDebug, "redis client", slog.String("message", fmt.Sprintf(format, v...)))
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// installReports is installs as the server's optional reports sink: a nil log is a nil
// interface, which the server checks, not an interface holding a nil pointer.
func installReports(installs *admin.InstallLog) httpapi.InstallReports {
	if installs == nil {
		return nil
	}
	return installs
}
