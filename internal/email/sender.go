package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	gomail "github.com/wneessen/go-mail"

	"github.com/winnow/winnow/internal/outbox"
)

// Store is what a Sender needs from storage (sqlstore.Store).
type Store interface {
	// ClaimMails takes up to limit due mails and holds them until leaseUntil.
	ClaimMails(ctx context.Context, at, leaseUntil time.Time, limit int) ([]Mail, error)
	// RecordMailAttempt records an attempt and releases its claim; an error wrapping
	// comment.ErrConflict if the claim was lost.
	RecordMailAttempt(ctx context.Context, a Attempt) error
	// OldestOpenMail is when the oldest mail still to be sent was queued (zero:
	// none), for the outbox-age metric.
	OldestOpenMail(ctx context.Context) (time.Time, error)
}

// TLS modes of a Server.
const (
	// StartTLS upgrades the connection with STARTTLS and refuses to send without it.
	StartTLS = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465).
	ImplicitTLS = "tls"
	// NoTLS sends in plain text: for a relay on the same machine or a test server.
	NoTLS = "none"
)

// Server is the SMTP server mails go through (config.SMTP, resolved).
type Server struct {
	Host     string
	Port     int
	Username string
	Password string
	// From is the sender of every mail: "winnow <winnow@example.org>" or an address.
	From string
	// TLS is StartTLS, ImplicitTLS or NoTLS.
	TLS string
	// TLSConfig, when set, replaces the default (which verifies the server's
	// certificate for Host); tests use it to trust their own certificate.
	TLSConfig *tls.Config
}

// Options tune a Sender; zero fields take the defaults.
type Options struct {
	// Workers bounds the mails in flight at once (default 2: a mail server is
	// happier with few connections).
	Workers int
	// Timeout bounds one attempt, from dialing to the server's last reply (default 30s).
	Timeout time.Duration
	// PollInterval is how often an idle sender looks for due mails (default 2s).
	PollInterval time.Duration
	// Schedule is the wait before each retry (default DefaultSchedule); when it is
	// spent the mail is dead.
	Schedule []time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// DefaultSchedule is how long to wait before each retry of a mail the server did not
// take: nine attempts over about a day, then the mail is dead. Mail servers queue
// and retry for days themselves; ours only has to outlast an outage of one.
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour,
		2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
	}
}

// Sender sends the mail outbox. Run it in one goroutine; senders in several
// replicas share the work through their claims, as webhook dispatchers do.
type Sender struct {
	store    Store
	server   Server
	opts     Options
	lease    time.Duration
	outcomes *prometheus.CounterVec
}

// NewSender returns a Sender of store's mails through server.
func NewSender(store Store, server Server, opts Options) *Sender {
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 2 * time.Second
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
	return &Sender{
		store: store, server: server, opts: opts,
		// A claim outlives the attempt and the recording of its result; a sender that
		// dies loses its claims after this and another one takes the mails up.
		lease: 2*opts.Timeout + 10*time.Second,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_mails_total",
			Help: "Mail sending attempts by outcome: sent, retry (failed, will be retried), dead (given up).",
		}, []string{"outcome"}),
	}
}

// Collectors are the sender's metrics: attempts by outcome and the age of the oldest
// mail not sent yet (it grows while the mail server is down). They name no recipient.
func (s *Sender) Collectors() []prometheus.Collector {
	for _, o := range []string{"sent", "retry", "dead"} {
		s.outcomes.WithLabelValues(o)
	}
	age := outbox.AgeGauge("winnow_mail_oldest_pending_seconds", "Age of the oldest mail not yet sent or given up (0: none).",
		s.store.OldestOpenMail, s.opts.Now)
	return []prometheus.Collector{s.outcomes, age}
}

// Run sends until ctx is cancelled, then waits for the mails in flight (each bounded
// by the timeout) to be sent and recorded, so that a restart sends none of them twice.
func (s *Sender) Run(ctx context.Context) {
	outbox.Loop[Mail]{
		Workers: s.opts.Workers, PollInterval: s.opts.PollInterval,
		Claim: func(ctx context.Context, n int) ([]Mail, error) {
			now := s.opts.Now().UTC().Truncate(time.Microsecond)
			return s.store.ClaimMails(ctx, now, now.Add(s.lease), n)
		},
		Work: s.send,
		Failed: func(err error) {
			s.opts.Logger.Warn("mail: claim mails", slog.String("error", err.Error()))
		},
	}.Run(ctx)
}

// send makes one attempt at a claimed mail and records it. The log names the mail by
// its id and kind, never its recipient.
func (s *Sender) send(m Mail) {
	a := s.Attempt(context.Background(), m)
	outcome := "retry"
	switch a.Status {
	case StatusSent:
		outcome = "sent"
	case StatusDead:
		outcome = "dead"
	}
	s.outcomes.WithLabelValues(outcome).Inc()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log := s.opts.Logger.With(slog.Int64("mail_id", m.ID), slog.String("kind", string(m.Kind)), slog.Int("attempt", m.Attempts+1))
	if err := s.store.RecordMailAttempt(ctx, a); err != nil {
		log.Warn("mail: record attempt", slog.String("error", err.Error()))
		return
	}
	switch a.Status {
	case StatusSent:
		log.Info("mail sent")
	case StatusDead:
		log.Warn("mail dead", slog.String("error", a.Error))
	default:
		log.Info("mail failed, will retry", slog.String("error", a.Error), slog.Time("next_attempt", a.NextAttemptAt))
	}
}

// Attempt sends a claimed mail once and says what became of it: sent, failed with a
// retry due, or dead (the server refused it for good, or the schedule is spent). It
// does not record the result.
func (s *Sender) Attempt(ctx context.Context, m Mail) Attempt {
	a := Attempt{MailID: m.ID, LeaseUntil: m.LeaseUntil, Status: StatusDead}
	err := s.Send(ctx, m)
	a.At = s.opts.Now().UTC()
	if err == nil {
		a.Status = StatusSent
		return a
	}
	a.Error = scrub(err.Error(), m.To)
	if permanent(err) {
		return a
	}
	if next, ok := outbox.NextAttempt(s.opts.Schedule, m.Attempts+1, a.At, 0); ok {
		a.Status, a.NextAttemptAt = StatusFailed, next
	}
	return a
}

// errBadMail marks a mail that cannot be put together (an address that does not
// parse): retrying cannot help.
var errBadMail = errors.New("mail unusable")

// permanent reports whether the server refused the mail for good (a 5xx reply to
// the recipient or the message), or the mail itself is unusable.
func permanent(err error) bool {
	if errors.Is(err, errBadMail) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return code >= 500 && code < 600 && !se.IsTemp()
	}
	return false
}

// scrub takes the recipient's address out of an error's text: SMTP replies often
// repeat it, and the text goes to the outbox and the log.
func scrub(text, to string) string {
	if to != "" {
		text = strings.ReplaceAll(text, to, "<recipient>")
	}
	return text
}

// Send hands m to the server in one connection and returns when the server took it
// (its reply to the end of DATA) or refused it.
func (s *Sender) Send(ctx context.Context, m Mail) error {
	msg, err := s.message(m)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return c.DialAndSendWithContext(ctx, msg)
}

// message builds the MIME message of m: From, To, Subject, Date, Message-ID, a
// text/plain UTF-8 body, and m's extra headers.
func (s *Sender) message(m Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.server.From); err != nil {
		return nil, fmt.Errorf("%w: from: %w", errBadMail, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: recipient does not parse", errBadMail)
	}
	msg.Subject(m.Subject)
	date := m.CreatedAt
	if date.IsZero() {
		date = s.opts.Now()
	}
	msg.SetDateWithValue(date)
	if m.MessageID == "" {
		m.MessageID = NewMessageID(s.server.From)
	}
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated") // RFC 3834: no auto-replies
	for k, v := range m.Headers {
		msg.SetGenHeaderPreformatted(gomail.Header(k), v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// client is a go-mail client for the server, made per attempt (it dials on send).
func (s *Sender) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.server.Port), gomail.WithTimeout(s.opts.Timeout)}
	switch s.server.TLS {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.server.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.server.TLSConfig))
	}
	if s.server.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.server.Username), gomail.WithPassword(s.server.Password))
	}
	c, err := gomail.NewClient(s.server.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadMail, err)
	}
	return c, nil
}
