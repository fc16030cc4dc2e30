package comment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// NormalizeEmail is the form an address is compared and hashed in.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// AuthorKey is the private key that reputation and bans are kept by: a keyed hash of the
// normalized email, so the authors table holds no addresses and cannot be reversed by
// a dictionary without the installation's secret.
func AuthorKey(secret []byte, email string) string {
	return keyedHash(secret, "author", NormalizeEmail(email), 32)
}

// AvatarHash is the public handle for an author's avatar. It uses a different label
// from AuthorKey so a published avatar says nothing about the private key.
func AvatarHash(secret []byte, email string) string {
	return keyedHash(secret, "avatar", NormalizeEmail(email), 16)
}

// IPKey is the private key that per-address limits and reputation are kept by, so no
// client address is stored outside the comment row itself.
func IPKey(secret []byte, ip string) string {
	return keyedHash(secret, "ip", ip, 16)
}

func keyedHash(secret []byte, label, value string, n int) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil)[:n])
}
