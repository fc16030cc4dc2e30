package email_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/email/emailtest"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

var _ email.Store = (*sqlstore.Store)(nil)

// run runs a sender until the returned stop is called; stop waits for it to finish
// its mails in flight, as serve does at shutdown.
func run(s *email.Sender) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	return func() { cancel(); <-done }
}

func newMail(key, to string) *email.Mail {
	return &email.Mail{Kind: email.KindTest, DedupeKey: key, To: to, MessageID: email.NewMessageID("winnow@example.org"),
		Subject: "Three comments wait — ünïcode", Body: "Hello,\n\nA line with ünïcode and a link https://example.org/x?a=1&b=2\n",
		Headers: map[string]string{"List-Unsubscribe": "<https://example.org/u/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}
}

// waitStatus polls the outbox until mail id has status want.
func waitStatus(t *testing.T, st *sqlstore.Store, id int64, want email.Status) email.Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := st.Mail(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail %d is %s after 10s (%q), want %s", id, m.Status, m.LastError, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSenderDeliversThroughSTARTTLSWithAuth sends through a real SMTP server that
// requires STARTTLS and AUTH, and checks what arrived: envelope, headers, body.
func TestSenderDeliversThroughSTARTTLSWithAuth(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		srv := emailtest.Start(t, "mailer", "s3cret")
		s := email.NewSender(st, email.Server{Host: "127.0.0.1", Port: srv.Port(), Username: "mailer", Password: "s3cret",
			From: "Winnow <winnow@example.org>", TLS: email.StartTLS, TLSConfig: srv.ClientTLS},
			email.Options{PollInterval: 10 * time.Millisecond, Timeout: 5 * time.Second})
		m := newMail("test:1", "reader@example.net")
		if ok, err := st.EnqueueMail(ctx, m); err != nil || !ok {
			t.Fatalf("enqueue: %v %v", ok, err)
		}
		if ok, err := st.EnqueueMail(ctx, newMail("test:1", "reader@example.net")); err != nil || ok {
			t.Fatalf("a second mail with the same key was queued: %v %v", ok, err)
		}
		stop := run(s)
		defer stop()
		got := srv.WaitFor(1, 10*time.Second)[0]
		waitStatus(t, st, m.ID, email.StatusSent)
		if !got.TLS {
			t.Error("the mail came over a plain connection")
		}
		if got.From != "winnow@example.org" || len(got.To) != 1 || got.To[0] != "reader@example.net" {
			t.Errorf("envelope from %q to %q", got.From, got.To)
		}
		h := got.Header
		dec := new(mimeDecoder)
		if subj := dec.header(t, h.Get("Subject")); subj != m.Subject {
			t.Errorf("Subject %q, want %q", subj, m.Subject)
		}
		if h.Get("From") != `"Winnow" <winnow@example.org>` && h.Get("From") != "Winnow <winnow@example.org>" {
			t.Errorf("From %q", h.Get("From"))
		}
		if h.Get("To") != "<reader@example.net>" && h.Get("To") != "reader@example.net" {
			t.Errorf("To %q", h.Get("To"))
		}
		if h.Get("Message-ID") != "<"+m.MessageID+">" {
			t.Errorf("Message-ID %q, want <%s>", h.Get("Message-ID"), m.MessageID)
		}
		if d, err := h.Date(); err != nil || d.Sub(m.CreatedAt).Abs() > time.Second {
			t.Errorf("Date %q (%v), want the queue time %v", h.Get("Date"), err, m.CreatedAt)
		}
		if h.Get("MIME-Version") != "1.0" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") ||
			!strings.Contains(strings.ToLower(h.Get("Content-Type")), "charset=utf-8") {
			t.Errorf("MIME-Version %q, Content-Type %q", h.Get("MIME-Version"), h.Get("Content-Type"))
		}
		if h.Get("List-Unsubscribe") != "<https://example.org/u/abc>" || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe %q, -Post %q", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
		}
		if h.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Auto-Submitted %q", h.Get("Auto-Submitted"))
		}
		if body := dec.body(t, h.Get("Content-Transfer-Encoding"), got.Body); body != strings.ReplaceAll(m.Body, "\n", "\r\n") && body != m.Body {
			t.Errorf("body %q, want %q", body, m.Body)
		}
	})
}

// TestSenderRetriesAnOutageAndNeverSendsTwice takes the mail server down, queues a
// mail, and checks that the failed attempt is recorded with a retry, that the mail
// arrives once the server is back, that a restarted sender sends nothing again, and
// that a server's permanent refusal is not retried.
func TestSenderRetriesAnOutageAndNeverSendsTwice(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		srv := emailtest.Start(t, "", "")
		var logs strings.Builder
		newSender := func() *email.Sender {
			return email.NewSender(st, email.Server{Host: "127.0.0.1", Port: srv.Port(), From: "winnow@example.org", TLS: email.NoTLS},
				email.Options{PollInterval: 10 * time.Millisecond, Timeout: 2 * time.Second,
					Schedule: []time.Duration{300 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond},
					Logger:   slog.New(slog.NewTextHandler(&logs, nil))})
		}
		srv.Stop()
		m := newMail("outage:1", "reader@example.net")
		if _, err := st.EnqueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}
		stop := run(newSender())
		failed := waitStatus(t, st, m.ID, email.StatusFailed)
		if failed.Attempts < 1 || failed.LastError == "" || !failed.NextAttemptAt.After(failed.UpdatedAt.Add(-time.Second)) {
			t.Errorf("failed attempt recorded as %+v", failed)
		}
		srv.Restart()
		waitStatus(t, st, m.ID, email.StatusSent)
		if n := len(srv.Messages()); n != 1 {
			t.Fatalf("%d messages after the outage, want 1", n)
		}
		stop()

		// A restart: a new sender on the same outbox finds nothing to send.
		second := newMail("outage:2", "other@example.net")
		if _, err := st.EnqueueMail(ctx, second); err != nil {
			t.Fatal(err)
		}
		stop = run(newSender())
		waitStatus(t, st, second.ID, email.StatusSent)
		time.Sleep(100 * time.Millisecond) // a few more polls
		stop()
		if ms := srv.Messages(); len(ms) != 2 || ms[0].To[0] != "reader@example.net" || ms[1].To[0] != "other@example.net" {
			t.Errorf("after a restart the server has %d messages, want each mail once", len(ms))
		}

		// A permanent refusal (550) is dead at once.
		refused := newMail("refused:1", "refused@example.net")
		if _, err := st.EnqueueMail(ctx, refused); err != nil {
			t.Fatal(err)
		}
		stop = run(newSender())
		dead := waitStatus(t, st, refused.ID, email.StatusDead)
		stop()
		if dead.Attempts != 1 || !strings.Contains(dead.LastError, "550") {
			t.Errorf("refused mail recorded as %+v", dead)
		}
		if strings.Contains(dead.LastError, "refused@example.net") || strings.Contains(logs.String(), "@example.net") {
			t.Error("a recipient's address reached the outbox's error or the log")
		}
	})
}

// TestClaimsShareTheOutboxAndExpire checks the claiming that lets replicas share the
// outbox: a claimed mail is not claimed again while its lease runs, is claimed again
// after it (its sender died), and the dead sender's late record is refused.
func TestClaimsShareTheOutboxAndExpire(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		m := newMail("claim:1", "reader@example.net")
		if _, err := st.EnqueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		first, err := st.ClaimMails(ctx, at, at.Add(time.Minute), 10)
		if err != nil || len(first) != 1 {
			t.Fatalf("claim: %v %v", first, err)
		}
		if again, err := st.ClaimMails(ctx, at.Add(time.Second), at.Add(2*time.Minute), 10); err != nil || len(again) != 0 {
			t.Fatalf("claimed again under a lease: %v %v", again, err)
		}
		later := at.Add(2 * time.Minute)
		taken, err := st.ClaimMails(ctx, later, later.Add(time.Minute), 10)
		if err != nil || len(taken) != 1 {
			t.Fatalf("an expired claim was not taken up: %v %v", taken, err)
		}
		err = st.RecordMailAttempt(ctx, email.Attempt{MailID: m.ID, LeaseUntil: first[0].LeaseUntil, Status: email.StatusSent, At: later})
		if !errors.Is(err, comment.ErrConflict) {
			t.Errorf("the lost claim's record: %v, want ErrConflict", err)
		}
		if err := st.RecordMailAttempt(ctx, email.Attempt{MailID: m.ID, LeaseUntil: taken[0].LeaseUntil, Status: email.StatusSent, At: later}); err != nil {
			t.Errorf("the live claim's record: %v", err)
		}
	})
}
