package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/site"
)

// SubscriptionStatus is where a reader's address stands with a site.
type SubscriptionStatus string

// A subscription is pending (a confirmation mail went out), confirmed, or
// unsubscribed.
const (
	SubscriptionPending      SubscriptionStatus = "pending"
	SubscriptionConfirmed    SubscriptionStatus = "confirmed"
	SubscriptionUnsubscribed SubscriptionStatus = "unsubscribed"
)

// Subscription is a reader's address with one site: reply mails go to it only once
// it is confirmed. Email is private.
type Subscription struct {
	ID          int64
	SiteID      string
	Email       string
	Status      SubscriptionStatus
	AskedAt     time.Time
	ConfirmedAt time.Time
	UpdatedAt   time.Time
}

// ReaderStore is what reader mails need from storage (sqlstore.Store).
type ReaderStore interface {
	// PublishedAfter returns up to limit comments published after the position
	// (published_at, id) and at or before until, in that order.
	PublishedAfter(ctx context.Context, at time.Time, id int64, until time.Time, limit int) ([]comment.Comment, error)
	SweepPosition(ctx context.Context, name string) (int64, error)
	SetSweepPosition(ctx context.Context, name string, pos int64) error
	// Subscription returns a site's subscription of an address, or comment.ErrNotFound.
	Subscription(ctx context.Context, siteID, email string) (Subscription, error)
	SubscriptionByID(ctx context.Context, id int64) (Subscription, error)
	// QueueConfirmation asks sub's address again (or, with ID 0, for the first
	// time) and queues the mail build makes for the subscription's id, in one
	// transaction; false, writing nothing, if the subscription changed since sub
	// was read (another replica asked first).
	QueueConfirmation(ctx context.Context, sub Subscription, at time.Time, build func(id int64) (email.Mail, error)) (bool, error)
	// SetSubscriptionStatus moves a subscription to status at at.
	SetSubscriptionStatus(ctx context.Context, id int64, status SubscriptionStatus, at time.Time) error
	// SubscriptionsAsked counts a site's confirmation requests since then.
	SubscriptionsAsked(ctx context.Context, siteID string, since time.Time) (int, error)
	MailsQueuedTo(ctx context.Context, to string, kind email.Kind, since time.Time) (int, error)
	EnqueueMail(ctx context.Context, m *email.Mail) (bool, error)
	CommentsByID(ctx context.Context, ids []int64) ([]comment.Comment, error)
	// Site names a site in the mails and pages (its name, not its id).
	Site(ctx context.Context, id string) (site.Site, error)
}

// The limits that keep winnow from mailing strangers on a spammer's behalf: an
// address is asked to confirm at most once a day per site and confirmAddressDay
// times a day in all; a site asks at most confirmSiteHour addresses an hour; an
// address gets at most replyAddressDay reply mails a day. Past a limit the mail is
// not sent, and not sent later either.
const (
	askAgainAfter     = 24 * time.Hour
	confirmAddressDay = 3
	confirmSiteHour   = 50
	replyAddressDay   = 20
	// unsubscribeLife is how long an unsubscribe link works: long, since mail is
	// read late, but not for ever.
	unsubscribeLife = 365 * 24 * time.Hour
	// settle is how long after its publication a comment is swept: the transaction
	// that published it has committed by then, so the sweep's position never passes
	// a comment it has not seen.
	settle = 2 * time.Second
	// readerBatch bounds one sweep's read.
	readerBatch = 200
)

// Positions of the reader sweep in mail_sweeps.
const (
	posTime = "published_at"
	posID   = "published_id"
)

// Readers queues reader mails: the confirmation of an address that asked for reply
// mails, and a mail to a confirmed address when a reply to its comment is published.
// Both are derived from published comments by a sweep, so a held spammer's comment
// mails nobody.
type Readers struct {
	store ReaderStore
	opts  Options
}

// NewReaders returns the reader mails on store.
func NewReaders(store ReaderStore, opts Options) *Readers {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	return &Readers{store: store, opts: opts}
}

// Sweep reads the comments published since the last sweep and queues their mails.
// Every replica may sweep: mails are queued by dedupe key and subscriptions change
// under a guard, so each is queued once. It returns how many mails it queued.
func (r *Readers) Sweep(ctx context.Context) (int, error) {
	t, err := r.store.SweepPosition(ctx, posTime)
	if err != nil {
		return 0, fmt.Errorf("notify: reader sweep: %w", err)
	}
	id, err := r.store.SweepPosition(ctx, posID)
	if err != nil {
		return 0, fmt.Errorf("notify: reader sweep: %w", err)
	}
	now := r.opts.Now().UTC().Truncate(time.Microsecond)
	if t == 0 {
		// The first sweep starts now: comments published before mail was set up
		// asked for nothing that was ever going to be sent.
		t = now.Add(-settle).UnixMicro()
	}
	queued := 0
	for ctx.Err() == nil {
		cs, err := r.store.PublishedAfter(ctx, time.UnixMicro(t).UTC(), id, now.Add(-settle), readerBatch)
		if err != nil {
			return queued, fmt.Errorf("notify: reader sweep: %w", err)
		}
		for _, c := range cs {
			n, err := r.handle(ctx, c, now)
			if err != nil {
				return queued, err // the position stays before c: the next sweep retries it
			}
			queued += n
			t, id = c.PublishedAt.UnixMicro(), c.ID
			if err := r.setPosition(ctx, t, id); err != nil {
				return queued, err
			}
		}
		if len(cs) < readerBatch {
			break
		}
	}
	if err := r.setPosition(ctx, t, id); err != nil {
		return queued, err
	}
	return queued, nil
}

func (r *Readers) setPosition(ctx context.Context, t, id int64) error {
	if err := r.store.SetSweepPosition(ctx, posTime, t); err != nil {
		return fmt.Errorf("notify: reader sweep: %w", err)
	}
	if err := r.store.SetSweepPosition(ctx, posID, id); err != nil {
		return fmt.Errorf("notify: reader sweep: %w", err)
	}
	return nil
}

// handle queues what one published comment calls for: a confirmation for its author
// if they asked for reply mails, and a reply mail to its parent's author.
func (r *Readers) handle(ctx context.Context, c comment.Comment, now time.Time) (int, error) {
	n := 0
	if c.NotifyReplies && c.AuthorEmail != "" {
		ok, err := r.ask(ctx, c.SiteID, comment.NormalizeEmail(c.AuthorEmail), now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	if c.ParentID != 0 {
		ok, err := r.tellReply(ctx, c, now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// ask sends addr a confirmation for site, unless it is confirmed, was asked within
// a day, or a limit is reached.
func (r *Readers) ask(ctx context.Context, site, addr string, now time.Time) (bool, error) {
	sub, err := r.store.Subscription(ctx, site, addr)
	switch {
	case errors.Is(err, comment.ErrNotFound):
		sub = Subscription{SiteID: site, Email: addr}
	case err != nil:
		return false, fmt.Errorf("notify: ask: %w", err)
	case sub.Status == SubscriptionConfirmed, now.Sub(sub.AskedAt) < askAgainAfter:
		return false, nil
	}
	if n, err := r.store.MailsQueuedTo(ctx, addr, email.KindConfirm, now.Add(-24*time.Hour)); err != nil || n >= confirmAddressDay {
		return false, wrapLimit(err, "address", r.opts.Logger)
	}
	if n, err := r.store.SubscriptionsAsked(ctx, site, now.Add(-time.Hour)); err != nil || n >= confirmSiteHour {
		return false, wrapLimit(err, "site", r.opts.Logger)
	}
	var queued email.Mail
	ok, err := r.store.QueueConfirmation(ctx, sub, now, func(id int64) (email.Mail, error) {
		queued = r.confirmMail(id, r.siteTitle(ctx, site), addr, now)
		return queued, nil
	})
	if err != nil || !ok {
		return false, err
	}
	r.opts.Logger.Info("mail queued", slog.String("kind", string(email.KindConfirm)), slog.String("site", site))
	return true, nil
}

// wrapLimit is err, or nil after logging that a limit held a mail back (without
// the address).
func wrapLimit(err error, which string, log *slog.Logger) error {
	if err != nil {
		return fmt.Errorf("notify: limits: %w", err)
	}
	log.Warn("mail not sent: per-" + which + " limit reached")
	return nil
}

// tellReply mails the author of c's parent, if they asked for reply mails on that
// comment and confirmed their address with the site.
func (r *Readers) tellReply(ctx context.Context, c comment.Comment, now time.Time) (bool, error) {
	ps, err := r.store.CommentsByID(ctx, []int64{c.ParentID})
	if err != nil {
		return false, fmt.Errorf("notify: reply: %w", err)
	}
	if len(ps) == 0 || !ps[0].NotifyReplies || ps[0].AuthorEmail == "" {
		return false, nil
	}
	parent := ps[0]
	addr := comment.NormalizeEmail(parent.AuthorEmail)
	if addr == comment.NormalizeEmail(c.AuthorEmail) {
		return false, nil // nobody needs a mail about their own reply
	}
	sub, err := r.store.Subscription(ctx, parent.SiteID, addr)
	if errors.Is(err, comment.ErrNotFound) || (err == nil && sub.Status != SubscriptionConfirmed) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("notify: reply: %w", err)
	}
	if n, err := r.store.MailsQueuedTo(ctx, addr, email.KindReply, now.Add(-24*time.Hour)); err != nil || n >= replyAddressDay {
		return false, wrapLimit(err, "address", r.opts.Logger)
	}
	m := r.replyMail(sub, parent, c, r.siteTitle(ctx, parent.SiteID), now)
	ok, err := r.store.EnqueueMail(ctx, &m)
	if err != nil || !ok {
		return false, err
	}
	r.opts.Logger.Info("mail queued", slog.Int64("mail_id", m.ID), slog.String("kind", string(m.Kind)), slog.Int64("comment_id", c.ID))
	return true, nil
}

// confirmMail asks addr to confirm reply mails from site. It carries no words of the
// comment, so that nobody can use it to send their text to a stranger.
func (r *Readers) confirmMail(subID int64, site, addr string, now time.Time) email.Mail {
	link := r.linkURL("/mail/confirm", Link{Purpose: "confirm", Subject: subID, Expires: now.Add(LinkLife)})
	body := "Someone, hopefully you, left a comment on " + site + " with this address and asked to be\n" +
		"told by mail when someone replies to it.\n\n" +
		"To get those mails, confirm here (the page asks once more; the link works for 7 days):\n" + link + "\n\n" +
		"If it was not you, ignore this mail: nothing more will come.\n"
	return email.Mail{Kind: email.KindConfirm, DedupeKey: fmt.Sprintf("confirm:%d:%d", subID, now.UnixMicro()), To: addr,
		MessageID: email.NewMessageID(r.opts.From), Subject: "[" + site + "] Confirm reply notifications", Body: body, CreatedAt: now}
}

// replyMail tells sub's address of reply c to its comment parent, with a one-click
// unsubscribe (RFC 8058).
func (r *Readers) replyMail(sub Subscription, parent, c comment.Comment, siteTitle string, now time.Time) email.Mail {
	unsub := r.linkURL("/mail/unsubscribe", Link{Purpose: "unsubscribe", Subject: sub.ID, Expires: now.Add(unsubscribeLife)})
	page := parent.PageTitle
	if page == "" {
		page = parent.ThreadKey
	}
	read := parent.PageURL
	if read == "" {
		read = r.opts.BaseURL + "/t/" + url.PathEscape(parent.SiteID) + "?thread=" + url.QueryEscape(parent.ThreadKey)
	}
	body := fmt.Sprintf("%s replied to your comment on %q:\n\n%s\n\nRead the thread: %s\n\n"+
		"You get this because you asked for reply mails on %s.\nStop them: %s\n",
		c.AuthorName, page, quote(excerpt(c.BodySource, 1000)), read, siteTitle, unsub)
	return email.Mail{Kind: email.KindReply, DedupeKey: email.ReplyKey(c.ID), To: sub.Email,
		MessageID: email.NewMessageID(r.opts.From), Subject: fmt.Sprintf("[%s] %s replied to your comment", siteTitle, c.AuthorName),
		Body: body, CreatedAt: now,
		Headers: map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}
}

func (r *Readers) linkURL(path string, l Link) string {
	return r.opts.BaseURL + path + "?t=" + url.QueryEscape(signLink(r.opts.Secret, l))
}

// SubscriptionLink is what a reader's link would do, for its page: the site, and
// whether it is a confirmation or an unsubscription.
type SubscriptionLink struct {
	Purpose string
	SiteID  string
	// SiteName names the site as its readers know it (its name; its id if it has none).
	SiteName string
}

// siteTitle is how the mails and pages name site id: its name, or its id when it has
// none or cannot be read.
func (r *Readers) siteTitle(ctx context.Context, id string) string {
	ws, err := r.store.Site(ctx, id)
	if err != nil {
		return id
	}
	return siteName(ws)
}

// CheckSubscriptionLink checks a reader's link without acting on it.
func (r *Readers) CheckSubscriptionLink(ctx context.Context, token string) (SubscriptionLink, error) {
	l, sub, err := r.subscriptionLink(ctx, token)
	if err != nil {
		return SubscriptionLink{}, err
	}
	out := SubscriptionLink{Purpose: l.Purpose, SiteID: sub.SiteID, SiteName: r.siteTitle(ctx, sub.SiteID)}
	if l.Purpose == "confirm" && sub.Status != SubscriptionPending { // as FollowSubscriptionLink decides
		return out, ErrLinkUsed
	}
	return out, nil
}

// FollowSubscriptionLink confirms or ends a subscription. Confirming works once;
// unsubscribing works every time (a one-click client may repeat its POST).
func (r *Readers) FollowSubscriptionLink(ctx context.Context, token string) (SubscriptionLink, error) {
	l, sub, err := r.subscriptionLink(ctx, token)
	if err != nil {
		return SubscriptionLink{}, err
	}
	out := SubscriptionLink{Purpose: l.Purpose, SiteID: sub.SiteID, SiteName: r.siteTitle(ctx, sub.SiteID)}
	now := r.opts.Now().UTC()
	switch l.Purpose {
	case "confirm":
		// A confirmation after an unsubscription would resubscribe behind the
		// reader's back: only a pending subscription is confirmed.
		if sub.Status != SubscriptionPending {
			return out, ErrLinkUsed
		}
		err = r.store.SetSubscriptionStatus(ctx, sub.ID, SubscriptionConfirmed, now)
	default:
		err = r.store.SetSubscriptionStatus(ctx, sub.ID, SubscriptionUnsubscribed, now)
	}
	if err != nil {
		return out, fmt.Errorf("notify: subscription: %w", err)
	}
	return out, nil
}

func (r *Readers) subscriptionLink(ctx context.Context, token string) (Link, Subscription, error) {
	l, err := parseLink(r.opts.Secret, token, r.opts.Now(), "confirm", "unsubscribe")
	if err != nil {
		return l, Subscription{}, err
	}
	sub, err := r.store.SubscriptionByID(ctx, l.Subject)
	if errors.Is(err, comment.ErrNotFound) {
		return l, Subscription{}, ErrLinkRevoked // erased with the reader's data
	}
	if err != nil {
		return l, Subscription{}, fmt.Errorf("notify: subscription: %w", err)
	}
	return l, sub, nil
}
