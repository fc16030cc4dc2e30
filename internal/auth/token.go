// Package auth holds moderator credentials: API tokens, accounts with argon2id
// passwords, database sessions and their CSRF tokens. Secrets are stored only as
// hashes; a plain token is shown once, at creation.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// Role is what a credential may do.
type Role string

// The roles. An admin manages sites and tokens; a moderator works the queue of its sites.
const (
	RoleAdmin     Role = "admin"
	RoleModerator Role = "moderator"
)

// tokenPrefix makes winnow tokens recognizable to secret scanners and people.
const tokenPrefix = "wnw_"

// Token is a stored API token. Hash is SHA-256 of the plain token: tokens carry 256 bits
// of randomness, so a slow password hash would add cost and no safety.
type Token struct {
	ID         int64
	Name       string
	Role       Role
	Sites      []string // empty: every site
	Hash       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
	// CreatedBy is the account the token was made by, or through a token of: the token
	// is revoked when that account is disabled or stops being an admin. 0 for none (the
	// command line, the first run's token, tokens older than the column).
	CreatedBy int64
}

// NewToken returns a token record and the plain token to show once.
func NewToken(name string, role Role, sites []string, now time.Time) (Token, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "" || len(name) > 100:
		return Token{}, "", comment.Invalid("name", "required, at most 100 characters")
	case role != RoleAdmin && role != RoleModerator:
		return Token{}, "", comment.Invalid("role", "must be admin or moderator")
	case role == RoleModerator && len(sites) == 0:
		return Token{}, "", comment.Invalid("sites", "a moderator token needs at least one site")
	case role == RoleAdmin && len(sites) > 0:
		// An admin manages sites and tokens; one scoped to some sites could mint itself
		// an unscoped token, so the combination does not exist.
		return Token{}, "", comment.Invalid("sites", "an admin token covers every site; use a moderator token for some sites")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return Token{}, "", fmt.Errorf("token randomness: %w", err)
	}
	plain := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return Token{Name: name, Role: role, Sites: sites, Hash: HashToken(plain), CreatedAt: now}, plain, nil
}

// HashToken is how a presented token is looked up.
func HashToken(plain string) string {
	s := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(s[:])
}

// Principal is who is making a request, as the handlers see it: an API token
// (TokenID set) or a signed-in user (UserID set, Name is their email).
type Principal struct {
	TokenID int64
	UserID  int64
	Name    string
	Role    Role
	Sites   []string // a moderator's sites; an admin has every site
	// TokenCreatedBy is, for a token, the account it was made by (0: none).
	TokenCreatedBy int64
}

// Account is the account answerable for what the principal does: the signed-in user,
// or the account behind the token in use (0: none). A token the principal makes is
// recorded as that account's, so that it cannot outlive the account's rights, even
// when made with one of its tokens.
func (p Principal) Account() int64 {
	if p.UserID != 0 {
		return p.UserID
	}
	return p.TokenCreatedBy
}

// Actor is how the principal appears in the audit log: names need not be unique, so
// the id comes with it. A user's name is their email, which is a moderator's, not a
// commenter's: it belongs in the moderators' audit log and never in a public answer.
func (p Principal) Actor() string {
	if p.UserID != 0 {
		return fmt.Sprintf("user:%d:%s", p.UserID, p.Name)
	}
	return fmt.Sprintf("token:%d:%s", p.TokenID, p.Name)
}

// IsAdmin reports whether the principal may manage sites and tokens.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// CanSite reports whether the principal may act on site. A moderator reaches only its
// own sites, even if its list were somehow empty.
func (p Principal) CanSite(site string) bool {
	return p.IsAdmin() || slices.Contains(p.Sites, site)
}

// See is the one site-scope check of a single thing (a comment, webhook, ban or the
// site itself): nil when the principal works on site, else comment.ErrNotVisible,
// which is answered as if the thing did not exist.
func (p Principal) See(site string) error {
	if p.CanSite(site) {
		return nil
	}
	return comment.ErrNotVisible
}

// Scope is the list of sites to restrict queries to; nil means every site.
func (p Principal) Scope() []string {
	if p.IsAdmin() {
		return nil
	}
	if p.Sites == nil {
		return []string{} // a moderator without sites sees nothing, never everything
	}
	return p.Sites
}

// TokenStore is what Authenticate needs from storage.
type TokenStore interface {
	TokenByHash(ctx context.Context, hash string) (Token, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error
}

// touchEvery bounds how often a token's last-used time is written: once a minute is
// enough to tell which tokens are alive, and reads stay free of writes.
const touchEvery = time.Minute

// Authenticate resolves a bearer token to a principal. Unknown and revoked tokens are
// both ErrUnauthorized, so the answer tells nothing about which tokens exist.
func Authenticate(ctx context.Context, store TokenStore, plain string, now time.Time) (Principal, error) {
	if !strings.HasPrefix(plain, tokenPrefix) {
		return Principal{}, comment.ErrUnauthorized
	}
	t, err := store.TokenByHash(ctx, HashToken(plain))
	if err != nil {
		if errors.Is(err, comment.ErrNotFound) {
			return Principal{}, comment.ErrUnauthorized
		}
		return Principal{}, err
	}
	if !t.RevokedAt.IsZero() {
		return Principal{}, comment.ErrUnauthorized
	}
	if now.Sub(t.LastUsedAt) > touchEvery {
		if err := store.TouchToken(ctx, t.ID, now); err != nil {
			return Principal{}, err
		}
	}
	if t.Role == RoleAdmin && len(t.Sites) > 0 {
		return Principal{}, comment.ErrUnauthorized // cannot be created; refuse if found
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Sites: t.Sites, TokenCreatedBy: t.CreatedBy}, nil
}
