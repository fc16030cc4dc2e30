package auth

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// User is a moderator account. Email is stored normalized and is unique; it is a
// moderator's address, never shown on a public page.
type User struct {
	ID           int64
	Email        string
	Role         Role
	Sites        []string // a moderator's sites; empty for an admin, who has every site
	PasswordHash string   // argon2id, PHC string format; never logged or answered
	CreatedAt    time.Time
	DisabledAt   time.Time // zero while the account may sign in
}

// ErrLastAdmin is what an AccountStore answers to a change that would leave no enabled
// admin: nobody could manage the installation, or its accounts, any more.
var ErrLastAdmin = errors.New("auth: the last enabled admin")

// UserWrite is what is written with an account's change, in its transaction: all of
// it or none. Accounts.UpdateUser decides each part (the rules are there); the store
// carries them out.
type UserWrite struct {
	// EndSessions deletes the account's sessions.
	EndSessions bool
	// KeepAdmin refuses the change with ErrLastAdmin, writing nothing, if the account
	// is, when the change is written, the only enabled admin. The store decides it
	// with the enabled admins' rows locked, so that two admins demoting each other at
	// once cannot both succeed.
	KeepAdmin bool
	// RevokeTokensAt, when not zero, revokes from then every token the account made
	// that is not revoked yet.
	RevokeTokensAt time.Time
}

// UserCreate is what guards a new account's insert, checked in its transaction: all
// of it or nothing. Accounts decides which guards an account needs (Setup: the first
// admin); the store carries them out.
type UserCreate struct {
	// SetupHash, when not empty, consumes the stored setup token with this hash, which
	// must be unexpired at At (comment.ErrUnauthorized otherwise), and with the account
	// removes every setup token. It is consumed first, so that concurrent inserts with
	// the same token queue on its row: one gets it, the others find it gone.
	SetupHash string
	At        time.Time
	// UnlessRole, when not empty, refuses the insert with comment.ErrConflict, writing
	// nothing, when an account with this role exists.
	UnlessRole Role
}

// UserChange is what an admin changes about an account; nil fields stay as they are.
type UserChange struct {
	Role     *Role
	Sites    *[]string
	Disabled *bool
	Password *string
}

// Disabled reports whether the account may no longer sign in.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

// checkAccount validates a new account's email, role and sites with the same rules
// as API tokens: a moderator needs sites, an admin has every site.
func checkAccount(email string, role Role, sites []string) error {
	at := strings.LastIndexByte(email, '@')
	switch {
	case email == "" || len(email) > 254 || at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n<>\"'"):
		return comment.Invalid("email", "must be an email address")
	case role != RoleAdmin && role != RoleModerator:
		return comment.Invalid("role", "must be admin or moderator")
	case role == RoleModerator && len(sites) == 0:
		return comment.Invalid("sites", "a moderator needs at least one site")
	case role == RoleAdmin && len(sites) > 0:
		return comment.Invalid("sites", "an admin covers every site; make a moderator for some sites")
	}
	return nil
}

// principalOf is the principal a signed-in user acts as.
func principalOf(u User) Principal {
	return Principal{UserID: u.ID, Name: u.Email, Role: u.Role, Sites: slices.Clone(u.Sites)}
}
