package notify_test

import (
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/notify"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

var _ notify.ReaderStore = (*sqlstore.Store)(nil)

// readerRig is rig with the reader mails.
type readerRig struct {
	*rig
	readers *notify.Readers
}

func newReaderRig(t *testing.T, s *sqlstore.Store) *readerRig {
	r := newRig(t, s)
	rr := &readerRig{rig: r, readers: notify.NewReaders(s, notify.Options{Secret: []byte("installation secret"),
		BaseURL: "https://winnow.example", From: "winnow@example.org", Now: func() time.Time { return r.now }})}
	// The first sweep starts the position at the clock.
	rr.readerSweep()
	return rr
}

// post stores a comment by addr on site, published now unless held, and moves the
// clock past the sweep's settling time.
func (r *readerRig) post(site, addr string, parent int64, wish bool, held bool) comment.Comment {
	r.t.Helper()
	r.now = r.now.Add(time.Second)
	who, _, _ := strings.Cut(addr, "@")
	c := comment.Comment{SiteID: site, ParentID: parent, AuthorName: "Name of " + who, AuthorEmail: addr, AuthorKey: "k",
		AvatarHash: "a", BodySource: "Words from " + who, BodyHTML: "<p>x</p>", Status: comment.StatusApproved,
		CreatedAt: r.now, PublishedAt: r.now, ThreadKey: "/p", PageTitle: "A post", NotifyReplies: wish}
	if held {
		c.Status, c.PublishedAt = comment.StatusPending, time.Time{}
	}
	if err := r.store.CreateComment(r.ctx, &c, comment.Thread{Key: "/p"}, comment.Notice{}); err != nil {
		r.t.Fatal(err)
	}
	r.now = r.now.Add(5 * time.Second)
	return c
}

// readerSweep sweeps and returns the mails queued, by recipient.
func (r *readerRig) readerSweep() map[string]email.Mail {
	r.t.Helper()
	return r.queued(func() error { _, err := r.readers.Sweep(r.ctx); return err })
}

var readerLinkRE = regexp.MustCompile(`https://winnow\.example/mail/(confirm|unsubscribe)\?t=(\S+)`)

func readerToken(t *testing.T, m email.Mail) string {
	t.Helper()
	got := readerLinkRE.FindStringSubmatch(m.Body)
	if got == nil {
		t.Fatalf("no link in %q", m.Body)
	}
	return token(t, got[0])
}

func TestReaderDoubleOptInRepliesAndUnsubscribe(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newReaderRig(t, s)
		// A held comment mails nobody: a spammer's never published comment cannot
		// make winnow write to a stranger.
		held := r.post("blog", "victim@example.net", 0, true, true)
		if ms := r.readerSweep(); len(ms) != 0 {
			t.Fatalf("a held comment's wish mailed %v", keys(ms))
		}

		parent := r.post("blog", "Ann@Example.net", 0, true, false)
		ms := r.readerSweep()
		confirm, ok := ms["ann@example.net"]
		if len(ms) != 1 || !ok || confirm.Kind != email.KindConfirm {
			t.Fatalf("after the wish: %v, want one confirmation to ann", keys(ms))
		}
		if strings.Contains(confirm.Body, "Words from") {
			t.Error("the confirmation carries the comment's words")
		}
		// Her reply mail waits for her confirmation.
		r.post("blog", "bob@example.net", parent.ID, false, false)
		if ms := r.readerSweep(); len(ms) != 0 {
			t.Fatalf("a reply before confirmation mailed %v", keys(ms))
		}
		// Asking again the same day sends nothing more.
		r.post("blog", "ann@example.net", 0, true, false)
		if ms := r.readerSweep(); len(ms) != 0 {
			t.Fatalf("a second wish the same day mailed %v", keys(ms))
		}

		tok := readerToken(t, confirm)
		if l, err := r.readers.CheckSubscriptionLink(r.ctx, tok); err != nil || l.Purpose != "confirm" || l.SiteID != "blog" {
			t.Fatalf("check confirm link: %+v %v", l, err)
		}
		if _, err := r.readers.FollowSubscriptionLink(r.ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := r.readers.FollowSubscriptionLink(r.ctx, tok); !errors.Is(err, notify.ErrLinkUsed) {
			t.Errorf("second confirmation: %v, want ErrLinkUsed", err)
		}

		r.post("blog", "carol@example.net", parent.ID, false, false)
		r.post("blog", "ann@example.net", parent.ID, false, false) // her own reply: no mail to her
		ms = r.readerSweep()
		m, ok := ms["ann@example.net"]
		if len(ms) != 1 || !ok || m.Kind != email.KindReply {
			t.Fatalf("after a reply: %v, want one reply mail to ann", keys(ms))
		}
		if !strings.Contains(m.Body, "Words from carol") || m.Subject != "[The blog] Name of carol replied to your comment" {
			t.Errorf("reply mail %q:\n%s", m.Subject, m.Body)
		}
		if strings.Contains(m.Body, "@") || strings.Contains(m.Subject, "@") {
			t.Errorf("the reply mail names an address:\n%s", m.Body)
		}
		unsub := m.Headers["List-Unsubscribe"]
		if !strings.HasPrefix(unsub, "<https://winnow.example/mail/unsubscribe?t=") || m.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Errorf("headers %v", m.Headers)
		}
		ut := token(t, strings.Trim(unsub, "<>"))
		for range 2 { // a one-click client may POST twice
			if l, err := r.readers.FollowSubscriptionLink(r.ctx, ut); err != nil || l.Purpose != "unsubscribe" {
				t.Fatalf("unsubscribe: %+v %v", l, err)
			}
		}
		r.post("blog", "dave@example.net", parent.ID, false, false)
		if ms := r.readerSweep(); len(ms) != 0 {
			t.Errorf("a reply after unsubscribing mailed %v", keys(ms))
		}
		// The old confirmation link does not resubscribe her.
		if _, err := r.readers.FollowSubscriptionLink(r.ctx, tok); !errors.Is(err, notify.ErrLinkUsed) {
			t.Errorf("old confirmation after unsubscribing: %v", err)
		}
		// Approving the held comment later asks its author: publication is what counts.
		mod := moderation.NewService(s, nil, sanitize.New(), []byte("s"), comment.DefaultIPv6Prefix, "",
			slog.New(slog.DiscardHandler), func() time.Time { return r.now })
		if _, err := mod.Apply(r.ctx, moderation.Request{Actor: "user:1:m", Action: moderation.Approve, IDs: []int64{held.ID}}); err != nil {
			t.Fatal(err)
		}
		r.now = r.now.Add(5 * time.Second)
		if ms := r.readerSweep(); len(ms) != 1 || ms["victim@example.net"].Kind != email.KindConfirm {
			t.Errorf("after approving the held comment: %v, want its author asked", keys(ms))
		}
	})
}

func TestReaderConfirmationsAreLimitedPerAddress(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newReaderRig(t, s)
		for _, id := range []string{"s3", "s4", "s5"} {
			if err := s.CreateSite(r.ctx, site.NewSite(id, id)); err != nil {
				t.Fatal(err)
			}
		}
		sent := 0
		for _, site := range []string{"blog", "shop", "s3", "s4", "s5"} {
			r.post(site, "target@example.net", 0, true, false)
			sent += len(r.readerSweep())
		}
		if sent != 3 {
			t.Errorf("%d confirmations to one address in a day across 5 sites, want 3", sent)
		}
	})
}
