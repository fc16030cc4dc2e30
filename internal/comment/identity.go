package comment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// NormalizeEmail is the form an address is compared and hashed in.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// AuthorKey is the private key that reputation is kept by: a keyed hash of the name and
// the normalized email together, as WordPress trusts "an earlier approved comment
// (name + email)": an email alone is too easy to know. The authors table holds no
// addresses and cannot be reversed by a dictionary without the installation's secret.
func AuthorKey(secret []byte, name, email string) string {
	return keyedHash(secret, "author", NormalizeEmail(email)+"\x00"+strings.ToLower(strings.Join(strings.Fields(name), " ")), 32)
}

// EmailKey is the private key that per-address limits are kept by, whatever name
// comes with the address.
func EmailKey(secret []byte, email string) string {
	return keyedHash(secret, "email", NormalizeEmail(email), 16)
}

// AvatarHash is the public handle for an author's avatar. It uses a different label
// from AuthorKey so a published avatar says nothing about the private key.
func AvatarHash(secret []byte, email string) string {
	return keyedHash(secret, "avatar", NormalizeEmail(email), 16)
}

// SiteAvatarHash is the public avatar handle of a site replying as itself: derived from
// the site's id, not from the moderator's email, so every reply by the site looks the
// same whoever wrote it, and no moderator's address feeds a published value.
func SiteAvatarHash(secret []byte, siteID string) string {
	return keyedHash(secret, "site-avatar", siteID, 16)
}

// IPKey is the keyed hash of an address or network written as text, so no client
// address is stored outside the comment row itself. Per-address limits, reputation
// and bans do not call it with an address directly but through AddressKey and
// SubmissionBanKeys, which decide what network stands for one client.
func IPKey(secret []byte, ip string) string {
	return keyedHash(secret, ipLabel, ip, ipKeyBytes)
}

// IPKey's label and length, which addressBanKeys' keys share.
const (
	ipLabel    = "ip"
	ipKeyBytes = 16
)

// AvatarURL is where an avatar hash's picture is served, under winnow's base URL:
// the one link every public view of a comment (API, pages, webhooks) shares.
func AvatarURL(baseURL, avatarHash string) string {
	return strings.TrimRight(baseURL, "/") + "/api/v1/avatars/" + avatarHash + ".svg"
}

// keyedHash is the first n bytes, in hex, of the HMAC of label, a zero byte and value:
// the one format of every private key (keyer writes it).
func keyedHash(secret []byte, label, value string, n int) string {
	k := newKeyer(secret)
	k.buf = make([]byte, 0, max(len(label)+1+len(value), sha256.Size))
	var dst [2 * sha256.Size]byte
	return string(k.key(dst[:0], append(k.message(label), value...), n))
}

// keyer writes keyedHash's keys. Keys are made several times for every submission,
// dozens of them for its address's networks (addressBanKeys), so one keyer's HMAC
// state and buffer serve them all: a key's message is written at once from the
// buffer, which then takes the sum.
type keyer struct {
	m    hash.Hash
	buf  []byte
	used bool // m has summed a key: reset it before the next
}

func newKeyer(secret []byte) keyer { return keyer{m: hmac.New(sha256.New, secret)} }

// message begins a key's message, label and a zero byte, in the keyer's buffer: append
// the value to it and pass the result to key.
func (k *keyer) message(label string) []byte {
	return append(append(k.buf[:0], label...), 0)
}

// key appends to dst the first n bytes, in hex, of the HMAC of msg (begun by message).
func (k *keyer) key(dst, msg []byte, n int) []byte {
	if k.used { // a fresh HMAC needs no reset, whose first costs an allocation
		k.m.Reset()
	}
	k.used = true
	k.m.Write(msg)
	sum := k.m.Sum(msg[:0]) // msg is written: its buffer takes the sum
	k.buf = sum[:0]
	return hex.AppendEncode(dst, sum[:n])
}
