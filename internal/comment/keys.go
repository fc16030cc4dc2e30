package comment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// keyer computes keyed hashes: the HMAC-SHA256, under the installation secret, of a
// label, a zero byte and a value, cut to its first bytes and written in hex. Several
// keys share one HMAC state and one buffer that holds them all, since a submission
// needs about twenty (SubmissionKeys) and each HMAC state of its own costs a handful
// of allocations.
type keyer struct {
	m   hash.Hash
	msg []byte // the message of the key being made
	sum []byte
	hex []byte // every key made so far, in hex, one after another
}

// newKeyer starts keys under secret; size is about how many bytes of hash they will
// take together, so that the buffers are allocated once.
func newKeyer(secret []byte, size int) *keyer {
	return &keyer{m: hmac.New(sha256.New, secret), msg: make([]byte, 0, 128), sum: make([]byte, 0, sha256.Size),
		hex: make([]byte, 0, 2*size)}
}

// begin starts a key's message with its label; the caller appends the value to k.msg.
func (k *keyer) begin(label string) { k.msg = append(append(k.msg[:0], label...), 0) }

// end hashes the message and appends the first n bytes of the hash, in hex, to k.hex.
func (k *keyer) end(n int) {
	k.m.Reset()
	k.m.Write(k.msg)
	k.sum = k.m.Sum(k.sum[:0])
	k.hex = hex.AppendEncode(k.hex, k.sum[:n])
}

// keyedHash is the first n bytes, in hex, of the HMAC of label, a zero byte and value.
func keyedHash(secret []byte, label, value string, n int) string {
	k := newKeyer(secret, n)
	k.begin(label)
	k.msg = append(k.msg, value...)
	k.end(n)
	return string(k.hex)
}

// Key lengths in bytes of hash, before hex.
const (
	authorKeyLen = 32
	shortKeyLen  = 16 // EmailKey, AvatarHash, IPKey
)

// appendAuthorValue appends what AuthorKey hashes: the normalized email, a zero byte,
// and the name lowercased with its spaces collapsed.
func appendAuthorValue(b []byte, normalizedEmail, name string) []byte {
	b = append(append(b, normalizedEmail...), 0)
	if !collapsed(name) {
		name = strings.Join(strings.Fields(name), " ")
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return append(b, strings.ToLower(name)...)
		}
	}
	for i := 0; i < len(name); i++ { // ASCII: as strings.ToLower, without a copy
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// collapsed reports whether name is already what strings.Join(strings.Fields(name),
// " ") makes of it: no space at either end, and no space but single ASCII ones.
func collapsed(name string) bool {
	prevSpace := true // a space at the start is not collapsed
	for _, r := range name {
		space := unicode.IsSpace(r)
		if space && (r != ' ' || prevSpace) {
			return false
		}
		prevSpace = space
	}
	return !prevSpace || name == ""
}

// Keys are every keyed hash a submission is known by, as AuthorKey, EmailKey,
// AvatarHash, AddressKey and SubmissionBanKeys make them, made at once from one
// HMAC state: a submission needs them all, and the limits, the record read and the
// stored row each used to make their own.
type Keys struct {
	Author  string // AuthorKey
	Email   string // EmailKey, also Bans.Email
	Avatar  string // AvatarHash
	Address string // AddressKey; "" for no address
	Bans    BanKeys
}

// SubmissionKeys makes a submission's Keys: its author's name and email, website and
// client address ip; v6bits is the IPv6 prefix that is one client (see AddressPrefix).
func SubmissionKeys(secret []byte, v6bits int, name, email, website, ip string) Keys {
	// An IPv4 address has 17 ban keys; an IPv6 one 34 at the default prefix.
	k := newKeyer(secret, authorKeyLen+2*shortKeyLen+34*shortKeyLen)
	norm := NormalizeEmail(email)
	k.begin("author")
	k.msg = appendAuthorValue(k.msg, norm, name)
	k.end(authorKeyLen)
	k.begin("email")
	k.msg = append(k.msg, norm...)
	k.end(shortKeyLen)
	k.begin("avatar")
	k.msg = append(k.msg, norm...)
	k.end(shortKeyLen)
	start := len(k.hex)
	n := 0
	if ip != "" {
		n = k.addressBanKeys(ip, v6bits)
	}
	all := string(k.hex)
	const a, s = 2 * authorKeyLen, 2 * shortKeyLen
	keys := Keys{Author: all[:a], Email: all[a : a+s], Avatar: all[a+s : a+2*s]}
	keys.Bans = BanKeys{Email: keys.Email, Domains: banDomains(email, website)}
	if n > 0 {
		keys.Bans.IPs = make([]string, n)
		for i := range keys.Bans.IPs {
			keys.Bans.IPs[i] = all[start+i*s : start+(i+1)*s]
		}
		// The client's own network comes first, keyed as AddressKey keys it.
		if strings.TrimSpace(ip) != "" {
			keys.Address = keys.Bans.IPs[0]
		}
	}
	return keys
}

// banDomains are the domains of the email and the website a ban may name.
func banDomains(email, website string) []string {
	var domains []string
	if d := EmailDomain(email); d != "" {
		domains = append(domains, d)
	}
	if website == "" {
		return domains
	}
	if u, err := url.Parse(website); err == nil && u.Hostname() != "" {
		if d := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www."); d != "" && (len(domains) == 0 || d != domains[0]) {
			domains = append(domains, d)
		}
	}
	return domains
}
