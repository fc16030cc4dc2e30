package notify

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
)

// Passwords sets an account's password (auth.Accounts): the password rules and the
// end of the account's sessions are there.
type Passwords interface {
	SetUserPassword(ctx context.Context, email, password string) error
}

// MinPassword is the shortest password a password link's page asks for (auth's rule,
// which setting it checks).
const MinPassword = auth.MinPasswordLength

// How long the links that set a password work: a reset asked for on the sign-in page
// an hour, an admin's invitation a week.
const (
	ResetLife  = time.Hour
	InviteLife = 7 * 24 * time.Hour
	// resetsPerHour bounds the reset mails one address gets.
	resetsPerHour = 3
)

// passwordMark is a fingerprint of an account's password hash, signed into its reset
// links: once the password changes, by the link or otherwise, every link made before
// stops working, so each works once without anything stored.
func passwordMark(hash string) int64 {
	sum := sha256.Sum256([]byte("reset\x00" + hash))
	return int64(binary.BigEndian.Uint64(sum[:8]) >> 1)
}

// RequestReset mails the account with address addr a link to set a new password,
// unless there is no such enabled account (the caller says the same either way, so
// that nobody learns which addresses have accounts) or it had three such mails in
// the last hour.
func (s *Service) RequestReset(ctx context.Context, addr string) error {
	u, err := s.store.UserByEmail(ctx, comment.NormalizeEmail(addr))
	if errors.Is(err, comment.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: reset: %w", err)
	}
	if u.Disabled() {
		return nil
	}
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	if n, err := s.store.MailsQueuedTo(ctx, u.Email, email.KindReset, now.Add(-time.Hour)); err != nil || n >= resetsPerHour {
		return wrapLimit(err, "address", s.opts.Logger)
	}
	link := s.linkURL("/mail/password", Link{Purpose: "password", Subject: u.ID, Account: passwordMark(u.PasswordHash), Expires: now.Add(ResetLife)})
	m := email.Mail{Kind: email.KindReset, DedupeKey: fmt.Sprintf("reset:%d:%d", u.ID, now.UnixMicro()), To: u.Email,
		MessageID: email.NewMessageID(s.opts.From), Subject: "Set a new winnow password", CreatedAt: now,
		Body: "Someone, hopefully you, asked to set a new password for " + u.Email + " at " + s.opts.BaseURL + ".\n\n" +
			"Choose one here (the link works for an hour, once):\n" + link + "\n\n" +
			"If it was not you, ignore this mail: your password stays as it is.\n"}
	return s.queue(ctx, &m)
}

// Invite mails a new account a link to choose its password, valid for InviteLife:
// an admin adds the account without having to pass a password on.
func (s *Service) Invite(ctx context.Context, p auth.Principal, userID int64) error {
	if !p.IsAdmin() {
		return comment.ErrForbidden
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("notify: invite: %w", err)
	}
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	link := s.linkURL("/mail/password", Link{Purpose: "password", Subject: u.ID, Account: passwordMark(u.PasswordHash), Expires: now.Add(InviteLife)})
	what := "moderate comments on some sites"
	if u.Role == auth.RoleAdmin {
		what = "run it, as an admin"
	}
	m := email.Mail{Kind: email.KindReset, DedupeKey: fmt.Sprintf("invite:%d:%d", u.ID, now.UnixMicro()), To: u.Email,
		MessageID: email.NewMessageID(s.opts.From), Subject: "You are invited to winnow", CreatedAt: now,
		Body: p.Name + " made you an account at " + s.opts.BaseURL + " to " + what + ".\n\n" +
			"Choose your password here (the link works for 7 days, once), then sign in with " + u.Email + ":\n" + link + "\n"}
	return s.queue(ctx, &m)
}

func (s *Service) queue(ctx context.Context, m *email.Mail) error {
	if _, err := s.store.EnqueueMail(ctx, m); err != nil {
		return fmt.Errorf("notify: %s mail: %w", m.Kind, err)
	}
	s.opts.Logger.Info("mail queued", slog.Int64("mail_id", m.ID), slog.String("kind", string(m.Kind)))
	return nil
}

// CheckPasswordLink checks a password link without using it.
func (s *Service) CheckPasswordLink(ctx context.Context, token string) error {
	_, err := s.passwordLink(ctx, token)
	return err
}

// passwordLink checks a password link and returns the account it is for.
func (s *Service) passwordLink(ctx context.Context, token string) (auth.User, error) {
	l, err := parseLink(s.opts.Secret, token, s.opts.Now(), "password")
	if err != nil {
		return auth.User{}, err
	}
	u, err := s.store.UserByID(ctx, l.Subject)
	if errors.Is(err, comment.ErrNotFound) {
		return auth.User{}, ErrLinkRevoked
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("notify: password link: %w", err)
	}
	if u.Disabled() {
		return auth.User{}, ErrLinkRevoked
	}
	if passwordMark(u.PasswordHash) != l.Account {
		return auth.User{}, ErrLinkUsed // the password changed since the link was made
	}
	return u, nil
}

// SetPasswordByLink sets the password of a password link's account through
// Options.Passwords, which checks it and signs the account out everywhere; the link
// then works no more.
func (s *Service) SetPasswordByLink(ctx context.Context, token, password string) error {
	if s.opts.Passwords == nil {
		return comment.ErrNotFound
	}
	u, err := s.passwordLink(ctx, token)
	if err != nil {
		return err
	}
	if err := s.opts.Passwords.SetUserPassword(ctx, u.Email, password); err != nil {
		return fmt.Errorf("notify: set password: %w", err)
	}
	s.opts.Logger.Info("password set by a mailed link", slog.Int64("user_id", u.ID))
	return nil
}
