// Package notify decides who is mailed about what, and carries out what the signed
// links in those mails do. Moderators hear of waiting comments, at once or in an
// hourly digest, from a sweep over the pending queue (so that a submission writes
// nothing more for it), with a link per comment and decision that works once, for
// LinkLife, for that moderator while they may moderate the site; the decision goes
// through the moderation service, as the dashboard's does. Readers who asked to hear
// of replies confirm their address first and can unsubscribe with one click.
//
// Mails are queued in the email outbox (by dedupe key, so that every replica may
// sweep) and sent by email.Sender. Addresses never reach a log line: mails are
// named by id.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/site"
)

// Mode is how a moderator wants to hear of waiting comments on a site.
type Mode string

// The modes: a mail within notifications.sweep_interval of a comment's arrival, an
// hourly digest, or nothing.
const (
	Instant Mode = "instant"
	Hourly  Mode = "hourly"
	Off     Mode = "off"
)

// DefaultMode is the mode of an account that chose none: moderators are told.
const DefaultMode = Instant

// Valid reports whether m is a mode.
func (m Mode) Valid() bool { return m == Instant || m == Hourly || m == Off }

// Preference is one account's mode for one site, or for every site it has no
// preference for when SiteID is "".
type Preference struct {
	UserID int64
	SiteID string
	Mode   Mode
}

// Cursor is how far a moderator has been told of a site's pending queue.
type Cursor struct {
	UserID        int64
	SiteID        string
	LastCommentID int64
	LastMailAt    time.Time
}

// Store is what notifications need from storage (sqlstore.Store).
type Store interface {
	Users(ctx context.Context) ([]auth.User, error)
	UserByID(ctx context.Context, id int64) (auth.User, error)
	UserByEmail(ctx context.Context, email string) (auth.User, error)
	MailsQueuedTo(ctx context.Context, to string, kind email.Kind, since time.Time) (int, error)
	Sites(ctx context.Context) ([]site.Site, error)
	Site(ctx context.Context, id string) (site.Site, error)
	CommentsByID(ctx context.Context, ids []int64) ([]comment.Comment, error)
	MailPreferences(ctx context.Context) ([]Preference, error)
	// SetMailPreference stores p; a Mode of "" removes it.
	SetMailPreference(ctx context.Context, p Preference) error
	MailCursors(ctx context.Context) ([]Cursor, error)
	// PendingAfter returns up to limit pending comments of a site with ids above
	// afterID, created since then, oldest first.
	PendingAfter(ctx context.Context, siteID string, afterID int64, since time.Time, limit int) ([]comment.Comment, error)
	// QueueModeratorMail moves a cursor from from to to and queues m, in one
	// transaction; false, writing nothing, if the cursor is no longer at from
	// (another replica told the moderator first).
	QueueModeratorMail(ctx context.Context, m *email.Mail, from, to Cursor) (bool, error)
	// UseMailLink records a link's use; an error wrapping comment.ErrConflict if it
	// was used before.
	UseMailLink(ctx context.Context, hash string, at time.Time) error
	ReleaseMailLink(ctx context.Context, hash string) error
	MailLinkUsed(ctx context.Context, hash string) (bool, error)
	EnqueueMail(ctx context.Context, m *email.Mail) (bool, error)
	Mail(ctx context.Context, id int64) (email.Mail, error)
	AlertStore
}

// Moderator applies a moderator's decision (moderation.Service): the one place the
// rules of a decision live, whether it came from the dashboard, the API or a mail.
type Moderator interface {
	Apply(ctx context.Context, req moderation.Request) ([]comment.Comment, error)
}

// Options configure a Service.
type Options struct {
	// Secret is the installation secret the links are signed with.
	Secret []byte
	// BaseURL is how browsers reach winnow; the links start with it.
	BaseURL string
	// From is the sender's address (smtp.from); Message-IDs are in its domain.
	From string
	// Passwords sets passwords for the links that set them (auth.Accounts); nil
	// turns those links off.
	Passwords Passwords
	Logger    *slog.Logger
	Now       func() time.Time
}

// Service queues notification mails and carries out their links.
type Service struct {
	store Store
	mod   Moderator
	opts  Options
}

// New returns a Service on store whose moderation links decide through mod.
func New(store Store, mod Moderator, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	return &Service{store: store, mod: mod, opts: opts}
}

// maxListed bounds the comments one moderator mail lists; the rest come in the next.
const maxListed = 20

// Sweep queues a mail to every moderator with comments waiting on a site that they
// have not been told of yet and want to hear of now: at once (instant), or when
// their last digest is an hour old (hourly). Every replica may sweep: a cursor per
// moderator and site moves in the mail's transaction, so each comment is told once.
// It returns how many mails it queued.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	users, err := s.store.Users(ctx)
	if err != nil {
		return 0, fmt.Errorf("notify: sweep: %w", err)
	}
	sites, err := s.store.Sites(ctx)
	if err != nil {
		return 0, fmt.Errorf("notify: sweep: %w", err)
	}
	prefs, err := s.store.MailPreferences(ctx)
	if err != nil {
		return 0, fmt.Errorf("notify: sweep: %w", err)
	}
	cursors, err := s.store.MailCursors(ctx)
	if err != nil {
		return 0, fmt.Errorf("notify: sweep: %w", err)
	}
	mode := map[[2]string]Mode{}
	for _, p := range prefs {
		mode[[2]string{fmt.Sprint(p.UserID), p.SiteID}] = p.Mode
	}
	cursor := map[[2]string]Cursor{}
	for _, c := range cursors {
		cursor[[2]string{fmt.Sprint(c.UserID), c.SiteID}] = c
	}
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	queued := 0
	var errs []error
	for _, u := range users {
		if u.Disabled() {
			continue
		}
		p := principal(u)
		for _, ws := range sites {
			if !p.CanSite(ws.ID) {
				continue
			}
			uid := fmt.Sprint(u.ID)
			m, ok := mode[[2]string{uid, ws.ID}]
			if !ok {
				if m, ok = mode[[2]string{uid, ""}]; !ok {
					m = DefaultMode
				}
			}
			c, ok := cursor[[2]string{uid, ws.ID}]
			if !ok {
				c = Cursor{UserID: u.ID, SiteID: ws.ID}
			}
			if m == Off || (m == Hourly && now.Sub(c.LastMailAt) < time.Hour) {
				continue
			}
			n, err := s.tell(ctx, u, ws, c, now)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			queued += n
		}
	}
	return queued, errors.Join(errs...)
}

// tell queues one moderator's mail about a site's comments after cursor c, if any.
func (s *Service) tell(ctx context.Context, u auth.User, ws site.Site, c Cursor, now time.Time) (int, error) {
	cs, err := s.store.PendingAfter(ctx, ws.ID, c.LastCommentID, now.Add(-LinkLife), maxListed)
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	to := Cursor{UserID: u.ID, SiteID: ws.ID, LastCommentID: cs[len(cs)-1].ID, LastMailAt: now}
	m, err := s.moderatorMail(u, ws, cs, now)
	if err != nil {
		return 0, err
	}
	m.DedupeKey = email.ModeratorKey(u.ID, ws.ID, to.LastCommentID)
	ok, err := s.store.QueueModeratorMail(ctx, &m, c, to)
	if err != nil || !ok {
		return 0, err
	}
	s.opts.Logger.Info("mail queued", slog.Int64("mail_id", m.ID), slog.String("kind", string(m.Kind)),
		slog.String("site", ws.ID), slog.Int("comments", len(cs)))
	return 1, nil
}

// principal is what an account may do, as its signed-in session may.
func principal(u auth.User) auth.Principal {
	return auth.Principal{UserID: u.ID, Name: u.Email, Role: u.Role, Sites: slices.Clone(u.Sites)}
}

// Decision is what a moderator's link offers, for its confirmation page.
type Decision struct {
	Action  moderation.Action
	Comment comment.Comment
	Site    site.Site
}

// linkActions are the moderators' link purposes and the decision each makes.
var linkActions = map[string]moderation.Action{"approve": moderation.Approve, "spam": moderation.Spam}

// Decision checks a moderator's link as Decide would and returns what it would do,
// changing nothing: the page a link opens shows it and asks for a POST, since mail
// scanners follow links.
func (s *Service) Decision(ctx context.Context, token string) (Decision, error) {
	d, _, _, err := s.check(ctx, token)
	return d, err
}

// Decide carries out a moderator's link once: the decision goes through the
// moderation service under the moderator's name, as if made in the dashboard.
func (s *Service) Decide(ctx context.Context, token string) (Decision, error) {
	d, p, hash, err := s.check(ctx, token)
	if err != nil {
		return d, err
	}
	if err := s.store.UseMailLink(ctx, hash, s.opts.Now().UTC()); err != nil {
		if errors.Is(err, comment.ErrConflict) {
			return d, ErrLinkUsed
		}
		return d, fmt.Errorf("notify: use link: %w", err)
	}
	cs, err := s.mod.Apply(ctx, moderation.Request{Actor: p.Actor(), Action: d.Action, IDs: []int64{d.Comment.ID},
		Note: "from a link in a mail", Allowed: p.CanSite})
	if err != nil {
		// Nothing was decided: the link may be tried again.
		if rerr := s.store.ReleaseMailLink(context.WithoutCancel(ctx), hash); rerr != nil {
			s.opts.Logger.Warn("notify: release link", slog.String("error", rerr.Error()))
		}
		return d, err
	}
	if len(cs) == 1 {
		d.Comment = cs[0]
	}
	return d, nil
}

// check verifies a moderator's link: signed here, not expired, not used, for an
// account that may still moderate the comment's site, about a comment still waiting.
func (s *Service) check(ctx context.Context, token string) (Decision, auth.Principal, string, error) {
	l, err := parseLink(s.opts.Secret, token, s.opts.Now(), "approve", "spam")
	if err != nil {
		return Decision{}, auth.Principal{}, "", err
	}
	d := Decision{Action: linkActions[l.Purpose]}
	hash := linkHash(token)
	used, err := s.store.MailLinkUsed(ctx, hash)
	if err != nil {
		return d, auth.Principal{}, "", fmt.Errorf("notify: link: %w", err)
	}
	if used {
		return d, auth.Principal{}, "", ErrLinkUsed
	}
	u, err := s.store.UserByID(ctx, l.Account)
	if errors.Is(err, comment.ErrNotFound) {
		return d, auth.Principal{}, "", ErrLinkRevoked
	}
	if err != nil {
		return d, auth.Principal{}, "", fmt.Errorf("notify: link: %w", err)
	}
	cs, err := s.store.CommentsByID(ctx, []int64{l.Subject})
	if err != nil {
		return d, auth.Principal{}, "", fmt.Errorf("notify: link: %w", err)
	}
	if len(cs) == 0 || cs[0].Status == comment.StatusDeleted {
		return d, auth.Principal{}, "", fmt.Errorf("notify: link: comment %d: %w", l.Subject, comment.ErrNotFound)
	}
	d.Comment = cs[0]
	p := principal(u)
	if u.Disabled() || !p.CanSite(d.Comment.SiteID) {
		return d, p, "", ErrLinkRevoked
	}
	if ws, err := s.store.Site(ctx, d.Comment.SiteID); err == nil {
		d.Site = ws
	}
	if d.Comment.Status != comment.StatusPending {
		return d, p, "", ErrDecided
	}
	return d, p, hash, nil
}

// Preferences returns an account's modes: its default for every site ("" key when
// it chose one) and per site.
func (s *Service) Preferences(ctx context.Context, userID int64) (map[string]Mode, error) {
	ps, err := s.store.MailPreferences(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: preferences: %w", err)
	}
	out := map[string]Mode{}
	for _, p := range ps {
		if p.UserID == userID {
			out[p.SiteID] = p.Mode
		}
	}
	return out, nil
}

// SetPreferences sets how p's account hears of waiting comments: def (when not nil)
// for every site it has no setting for, and sites per site, where a mode of ""
// forgets the site's own setting. Every change is checked before any is stored.
func (s *Service) SetPreferences(ctx context.Context, p auth.Principal, def *Mode, sites map[string]Mode) error {
	if p.UserID == 0 {
		return comment.Invalid("account", "mail settings belong to an account; an API token has none")
	}
	if def != nil && !def.Valid() {
		return comment.Invalid("default", "must be instant, hourly or off")
	}
	for id, m := range sites {
		if m != "" && !m.Valid() {
			return comment.Invalid("sites", fmt.Sprintf("%q: the mode must be instant, hourly, off or \"\"", id))
		}
		_, err := s.store.Site(ctx, id)
		if errors.Is(err, comment.ErrNotFound) || (err == nil && !p.CanSite(id)) {
			return comment.Invalid("sites", fmt.Sprintf("%q is not one of your sites", id))
		}
		if err != nil {
			return fmt.Errorf("notify: set preferences: %w", err)
		}
	}
	if def != nil {
		if err := s.store.SetMailPreference(ctx, Preference{UserID: p.UserID, Mode: *def}); err != nil {
			return fmt.Errorf("notify: set preferences: %w", err)
		}
	}
	for id, m := range sites {
		if err := s.store.SetMailPreference(ctx, Preference{UserID: p.UserID, SiteID: id, Mode: m}); err != nil {
			return fmt.Errorf("notify: set preferences: %w", err)
		}
	}
	return nil
}

// SendTest queues a test mail to p's own address, so that an admin can check the
// server settings; TestMail then says what became of it.
func (s *Service) SendTest(ctx context.Context, p auth.Principal) (email.Mail, error) {
	if !p.IsAdmin() {
		return email.Mail{}, comment.ErrForbidden
	}
	if p.UserID == 0 {
		return email.Mail{}, comment.Invalid("account", "a test mail goes to a signed-in account's address; an API token has none")
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return email.Mail{}, fmt.Errorf("notify: test mail: %w", err)
	}
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	m := email.Mail{Kind: email.KindTest, DedupeKey: fmt.Sprintf("test:%d:%d", u.ID, now.UnixMicro()), To: u.Email,
		MessageID: email.NewMessageID(s.opts.From), Subject: "winnow test mail", CreatedAt: now,
		Body: "This is a test mail from winnow at " + s.opts.BaseURL + ", sent because " + u.Email +
			" asked for one in the dashboard.\n\nThe mail settings work: moderators' and readers' notifications will arrive like this one.\n"}
	if _, err := s.store.EnqueueMail(ctx, &m); err != nil {
		return email.Mail{}, fmt.Errorf("notify: test mail: %w", err)
	}
	s.opts.Logger.Info("mail queued", slog.Int64("mail_id", m.ID), slog.String("kind", string(m.Kind)))
	return m, nil
}

// TestMail returns one of p's test mails, as the outbox has it now.
func (s *Service) TestMail(ctx context.Context, p auth.Principal, id int64) (email.Mail, error) {
	m, err := s.store.Mail(ctx, id)
	if err != nil {
		return email.Mail{}, fmt.Errorf("notify: test mail: %w", err)
	}
	if !p.IsAdmin() || m.Kind != email.KindTest || !strings.HasPrefix(m.DedupeKey, fmt.Sprintf("test:%d:", p.UserID)) {
		return email.Mail{}, fmt.Errorf("notify: test mail %d: %w", id, comment.ErrNotFound)
	}
	return m, nil
}
