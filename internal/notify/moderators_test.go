package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/notify"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

var _ notify.Store = (*sqlstore.Store)(nil)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// rig is the notifications service on a real store, with the real moderation service
// behind its links and a clock the test moves.
type rig struct {
	t     *testing.T
	ctx   context.Context
	store *sqlstore.Store
	svc   *notify.Service
	now   time.Time
}

func newRig(t *testing.T, s *sqlstore.Store) *rig {
	t.Helper()
	r := &rig{t: t, ctx: context.Background(), store: s, now: epoch}
	for _, id := range []string{"blog", "shop"} {
		if err := s.CreateSite(r.ctx, site.NewSite(id, "The "+id)); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := func() time.Time { return r.now }
	mod := moderation.NewService(s, nil, sanitize.New(), []byte("secret"), comment.DefaultIPv6Prefix, "", log, clock)
	r.svc = notify.New(s, mod, notify.Options{Secret: []byte("installation secret"), BaseURL: "https://winnow.example/",
		From: "winnow@example.org", Logger: log, Now: clock})
	return r
}

func (r *rig) user(email string, role auth.Role, sites ...string) auth.User {
	r.t.Helper()
	u := auth.User{Email: email, Role: role, Sites: sites, PasswordHash: "x", CreatedAt: epoch}
	if err := r.store.CreateUser(r.ctx, &u); err != nil {
		r.t.Fatal(err)
	}
	return u
}

func (r *rig) pending(site, body string) comment.Comment {
	r.t.Helper()
	c := comment.Comment{SiteID: site, AuthorName: "Ann", AuthorEmail: "ann-private@example.net", AuthorKey: "k",
		AvatarHash: "a", BodySource: body, BodyHTML: "<p>" + body + "</p>", Status: comment.StatusPending,
		Score: 0.62, Reasons: []string{"links", "first comment"}, CreatedAt: r.now, ThreadKey: "/p", PageTitle: "A post"}
	if err := r.store.CreateComment(r.ctx, &c, comment.Thread{Key: "/p"}, comment.Notice{}); err != nil {
		r.t.Fatal(err)
	}
	return c
}

// sweep runs a sweep and returns the mails it queued, by recipient.
func (r *rig) sweep() map[string]email.Mail {
	r.t.Helper()
	return r.queued(func() error { _, err := r.svc.Sweep(r.ctx); return err })
}

// queued runs sweep and returns the mails it queued, by recipient: one each.
func (r *rig) queued(sweep func() error) map[string]email.Mail {
	r.t.Helper()
	before := r.lastMailID()
	if err := sweep(); err != nil {
		r.t.Fatal(err)
	}
	out := map[string]email.Mail{}
	for id := before + 1; id <= r.lastMailID(); id++ {
		m, err := r.store.Mail(r.ctx, id)
		if err != nil {
			r.t.Fatal(err)
		}
		if _, dup := out[m.To]; dup {
			r.t.Errorf("two mails to one address in one sweep")
		}
		out[m.To] = m
	}
	return out
}

func (r *rig) lastMailID() int64 {
	var id int64
	for {
		if _, err := r.store.Mail(r.ctx, id+1); err != nil {
			return id
		}
		id++
	}
}

var linkRE = regexp.MustCompile(`https://winnow\.example/mail/moderate\?t=\S+`)

// links returns a mail's approve and spam links in order.
func links(t *testing.T, m email.Mail) []string {
	t.Helper()
	ls := linkRE.FindAllString(m.Body, -1)
	if len(ls) == 0 {
		t.Fatalf("no links in %q", m.Body)
	}
	return ls
}

func token(t *testing.T, link string) string {
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("t")
}

func TestSweepTellsEachModeratorOnceByTheirMode(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		admin := r.user("admin@example.org", auth.RoleAdmin)
		hourly := r.user("hourly@example.org", auth.RoleModerator, "blog")
		r.user("shop@example.org", auth.RoleModerator, "shop")
		quiet := r.user("quiet@example.org", auth.RoleModerator, "blog")
		gone := r.user("gone@example.org", auth.RoleModerator, "blog")
		hourlyMode := notify.Hourly
		must(t, r.svc.SetPreferences(r.ctx, principal(hourly), &hourlyMode, nil))
		must(t, r.svc.SetPreferences(r.ctx, principal(quiet), nil, map[string]notify.Mode{"blog": notify.Off}))
		gone.DisabledAt = epoch
		must(t, s.UpdateUser(r.ctx, gone, auth.UserWrite{}))
		if err := r.svc.SetPreferences(r.ctx, principal(hourly), nil, map[string]notify.Mode{"shop": notify.Instant}); err == nil {
			t.Error("a moderator set a mode for a site that is not theirs")
		}
		if err := r.svc.SetPreferences(r.ctx, principal(admin), nil, map[string]notify.Mode{"nope": notify.Off}); err == nil {
			t.Error("an admin set a mode for a site that does not exist")
		}
		weekly := notify.Mode("weekly")
		if err := r.svc.SetPreferences(r.ctx, principal(hourly), &weekly, nil); err == nil {
			t.Error("an unknown mode was stored")
		}

		r.pending("blog", "First waiting comment")
		r.pending("blog", "Second waiting comment")
		mails := r.sweep()
		if len(mails) != 2 || mails["admin@example.org"].ID == 0 || mails["hourly@example.org"].ID == 0 {
			t.Fatalf("first sweep mailed %v, want the admin and the hourly moderator", keys(mails))
		}
		m := mails["admin@example.org"]
		if m.Subject != "[The blog] 2 comments wait for moderation" || m.Kind != email.KindModerator {
			t.Errorf("subject %q kind %q", m.Subject, m.Kind)
		}
		for _, want := range []string{"First waiting comment", "Second waiting comment", "Spam score 0.62 (links, first comment)", `"/p" (the comment calls it "A post")`, "Ann"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("the mail lacks %q:\n%s", want, m.Body)
			}
		}
		if strings.Contains(m.Body, "ann-private") {
			t.Error("the mail shows the commenter's address")
		}
		if n := len(links(t, m)); n != 4 {
			t.Errorf("%d links, want approve and spam for each of 2 comments", n)
		}
		if again := r.sweep(); len(again) != 0 {
			t.Errorf("a second sweep mailed %v again", keys(again))
		}

		r.now = r.now.Add(5 * time.Minute)
		r.pending("blog", "Third")
		mails = r.sweep()
		if len(mails) != 1 || !strings.Contains(mails["admin@example.org"].Body, "Third") || strings.Contains(mails["admin@example.org"].Body, "First") {
			t.Errorf("after a new comment: %v, want the admin told of the new one only", keys(mails))
		}
		r.now = r.now.Add(time.Hour)
		mails = r.sweep()
		if len(mails) != 1 || !strings.Contains(mails["hourly@example.org"].Body, "Third") {
			t.Errorf("an hour later: %v, want the hourly digest", keys(mails))
		}
	})
}

func TestModerationLinksWorkOnceForThatCommentAndAccount(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		admin := r.user("admin@example.org", auth.RoleAdmin)
		mod := r.user("mod@example.org", auth.RoleModerator, "blog")
		a := r.pending("blog", "approve me")
		b := r.pending("blog", "spam me")
		mails := r.sweep()
		adminLinks, modLinks := links(t, mails["admin@example.org"]), links(t, mails["mod@example.org"])
		approveA, spamB := token(t, adminLinks[0]), token(t, adminLinks[3])

		d, err := r.svc.Decision(r.ctx, approveA)
		if err != nil || d.Action != moderation.Approve || d.Comment.ID != a.ID {
			t.Fatalf("decision %+v, %v", d, err)
		}
		if cs, _ := s.CommentsByID(r.ctx, []int64{a.ID}); cs[0].Status != comment.StatusPending {
			t.Fatal("opening the link changed the comment")
		}
		if _, err := r.svc.Decide(r.ctx, approveA); err != nil {
			t.Fatal(err)
		}
		if cs, _ := s.CommentsByID(r.ctx, []int64{a.ID}); cs[0].Status != comment.StatusApproved {
			t.Errorf("comment is %s after the approve link", cs[0].Status)
		}
		evs, _, err := s.ListEvents(r.ctx, comment.EventQuery{CommentID: a.ID})
		if err != nil || len(evs) != 1 || evs[0].Actor != "user:"+itoa(admin.ID)+":admin@example.org" || evs[0].Action != "approve" {
			t.Errorf("audit log %+v (%v), want the admin's approval", evs, err)
		}
		if _, err := r.svc.Decide(r.ctx, approveA); !errors.Is(err, notify.ErrLinkUsed) {
			t.Errorf("second use: %v, want ErrLinkUsed", err)
		}
		// The moderator's link for the same comment: someone decided it already.
		if _, err := r.svc.Decide(r.ctx, token(t, modLinks[0])); !errors.Is(err, notify.ErrDecided) {
			t.Errorf("a link to a decided comment: %v, want ErrDecided", err)
		}
		// Tampering: the spam link's comment id swapped for another's.
		forged := strings.Replace(spamB, "."+itoa(b.ID)+".", "."+itoa(a.ID)+".", 1)
		if _, err := r.svc.Decide(r.ctx, forged); !errors.Is(err, notify.ErrLinkInvalid) {
			t.Errorf("forged link: %v, want ErrLinkInvalid", err)
		}
		// The moderator loses the site: their link dies; the admin's still works.
		mod.Sites = []string{"shop"}
		must(t, s.UpdateUser(r.ctx, mod, auth.UserWrite{}))
		if _, err := r.svc.Decide(r.ctx, token(t, modLinks[3])); !errors.Is(err, notify.ErrLinkRevoked) {
			t.Errorf("link of a moderator moved off the site: %v, want ErrLinkRevoked", err)
		}
		// Eight days on, every link has expired.
		r.now = r.now.Add(8 * 24 * time.Hour)
		if _, err := r.svc.Decide(r.ctx, spamB); !errors.Is(err, notify.ErrLinkExpired) {
			t.Errorf("old link: %v, want ErrLinkExpired", err)
		}
		r.now = epoch.Add(time.Minute)
		if _, err := r.svc.Decide(r.ctx, spamB); err != nil {
			t.Fatal(err)
		}
		if cs, _ := s.CommentsByID(r.ctx, []int64{b.ID}); cs[0].Status != comment.StatusSpam {
			t.Errorf("comment is %s after the spam link", cs[0].Status)
		}
	})
}

func principal(u auth.User) auth.Principal {
	return auth.Principal{UserID: u.ID, Name: u.Email, Role: u.Role, Sites: u.Sites}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]email.Mail) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
