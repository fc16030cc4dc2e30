package auth

import (
	"fmt"
	"time"
)

// sessionPrefix marks session ids, so a leaked one is recognizable.
const sessionPrefix = "wns_"

// Session lifetimes by default: a day's work without signing in again, and a week at most.
const (
	DefaultIdleTimeout     = 12 * time.Hour
	DefaultAbsoluteTimeout = 7 * 24 * time.Hour
)

// Session is a signed-in browser. Only the hash of its id is stored, as for API tokens:
// the id carries 256 bits of randomness, so SHA-256 is enough.
type Session struct {
	ID         int64
	Hash       string
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// SessionPolicy bounds how long a session lives: Idle after it was last used, Absolute
// after it began, whichever comes first.
type SessionPolicy struct {
	Idle     time.Duration
	Absolute time.Duration
}

// DefaultSessionPolicy is 12 hours idle and 7 days absolute.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{Idle: DefaultIdleTimeout, Absolute: DefaultAbsoluteTimeout}
}

// Expired reports whether s has ended at now.
func (p SessionPolicy) Expired(s Session, now time.Time) bool {
	return now.Sub(s.LastSeenAt) >= p.Idle || now.Sub(s.CreatedAt) >= p.Absolute
}

// ExpiresAt is when s ends if it is not used again.
func (p SessionPolicy) ExpiresAt(s Session) time.Time {
	idle, abs := s.LastSeenAt.Add(p.Idle), s.CreatedAt.Add(p.Absolute)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// NewSession returns a session record for userID and its id, the cookie's value.
func NewSession(userID int64, now time.Time) (Session, string, error) {
	r, err := randomString(32)
	if err != nil {
		return Session{}, "", fmt.Errorf("auth: session randomness: %w", err)
	}
	plain := sessionPrefix + r
	return Session{Hash: HashToken(plain), UserID: userID, CreatedAt: now, LastSeenAt: now}, plain, nil
}
