package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/winnow/winnow/internal/comment"
)

// Password lengths: long enough to resist guessing, short enough that hashing a
// submitted value costs a bounded amount.
const (
	MinPasswordLength = 12   // characters
	maxPasswordBytes  = 1024 // bytes
)

// Params are argon2id's cost parameters, stored with every hash so that they can be
// raised later without invalidating existing passwords.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are OWASP's recommended argon2id settings (19 MiB, 2 passes, 1 lane):
// tens of milliseconds per login, and little memory for a burst of them.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on parameters read back from a stored hash, so a corrupted or hostile row
// cannot make one verification cost gigabytes or minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 16
	maxThreads = 64
)

// errMalformedHash says a stored hash is not one HashPassword wrote.
var errMalformedHash = errors.New("auth: malformed password hash")

// CheckPassword reports whether a new password is acceptable, as a validation error
// on field "password". It never includes the password in the error.
func CheckPassword(password string) error {
	switch {
	case !utf8.ValidString(password):
		return comment.Invalid("password", "must be valid UTF-8")
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return comment.Invalid("password", fmt.Sprintf("at least %d characters", MinPasswordLength))
	case len(password) > maxPasswordBytes:
		return comment.Invalid("password", fmt.Sprintf("at most %d bytes", maxPasswordBytes))
	}
	return nil
}

// HashPassword hashes password with argon2id and a random salt into the PHC string
// format: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(password string, p Params) (string, error) {
	if p.Time == 0 || p.Threads == 0 || p.Memory == 0 || p.KeyLen == 0 || p.SaltLen == 0 {
		return "", errors.New("auth: hash password: every argon2id parameter must be positive")
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches encoded, comparing in constant time.
// A malformed encoded hash is an error, not a mismatch.
func VerifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > maxPasswordBytes {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// decodeHash parses a PHC argon2id string and checks its parameters are in bounds.
func decodeHash(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, errMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errMalformedHash
	}
	var p Params
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || n != 3 {
		return Params{}, nil, nil, errMalformedHash
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || p.Threads == 0 || p.Threads > maxThreads {
		return Params{}, nil, nil, errMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return Params{}, nil, nil, errMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, errMalformedHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// GeneratePassword returns a random password of 24 characters (144 bits), for a new
// account whose creator gave none.
func GeneratePassword() (string, error) {
	p, err := randomString(18)
	if err != nil {
		return "", fmt.Errorf("auth: generate password: %w", err)
	}
	return p, nil
}

// randomString is n random bytes in unpadded URL-safe base64.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
