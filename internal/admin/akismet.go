package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/winnow/winnow/internal/auth"
)

type akismetKeyStore interface {
	// SetAkismetKey stores hash as site's Akismet key from at on, replacing the one
	// it had; an unknown site is comment.ErrNotFound.
	SetAkismetKey(ctx context.Context, siteID, hash string, at time.Time) error
	// DeleteAkismetKey revokes site's key; none is comment.ErrNotFound.
	DeleteAkismetKey(ctx context.Context, siteID string) error
	// AkismetKeyIssued is when site's key was issued, zero for none.
	AkismetKeyIssued(ctx context.Context, siteID string) (time.Time, error)
}

// IssueAkismetKey gives site id a new key for the Akismet-compatible API
// (internal/akismet) and returns it: the only time it is shown, since only its hash
// is kept. A site has one key: a new one replaces the old, which stops working at
// once. Only admins issue keys: a key lets its holder teach the site's classifier.
func (s *Service) IssueAkismetKey(ctx context.Context, p auth.Principal, id string) (string, error) {
	if err := Manage(p); err != nil {
		return "", err
	}
	plain, hash, err := auth.NewAkismetKey()
	if err != nil {
		return "", fmt.Errorf("admin: akismet key: %w", err)
	}
	if err := s.store.SetAkismetKey(ctx, id, hash, s.now().UTC()); err != nil {
		return "", fmt.Errorf("admin: akismet key of site %q: %w", id, err)
	}
	return plain, nil
}

// RevokeAkismetKey revokes site id's Akismet key; a site without one is
// comment.ErrNotFound.
func (s *Service) RevokeAkismetKey(ctx context.Context, p auth.Principal, id string) error {
	if err := Manage(p); err != nil {
		return err
	}
	if err := s.store.DeleteAkismetKey(ctx, id); err != nil {
		return fmt.Errorf("admin: akismet key of site %q: %w", id, err)
	}
	return nil
}

// AkismetKeyIssued is when site id's Akismet key was issued (zero: it has none),
// for the site's page.
func (s *Service) AkismetKeyIssued(ctx context.Context, p auth.Principal, id string) (time.Time, error) {
	if err := p.See(id); err != nil {
		return time.Time{}, err
	}
	at, err := s.store.AkismetKeyIssued(ctx, id)
	if err != nil {
		return time.Time{}, fmt.Errorf("admin: akismet key of site %q: %w", id, err)
	}
	return at, nil
}
