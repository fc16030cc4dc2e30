package comment

import "strings"

// NormalizeEmail is the form an address is compared and hashed in.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// AuthorKey is the private key that reputation is kept by: a keyed hash of the name and
// the normalized email together, as WordPress trusts "an earlier approved comment
// (name + email)": an email alone is too easy to know. The authors table holds no
// addresses and cannot be reversed by a dictionary without the installation's secret.
func AuthorKey(secret []byte, name, email string) string {
	k := newKeyer(secret, authorKeyLen)
	k.begin("author")
	k.msg = appendAuthorValue(k.msg, NormalizeEmail(email), name)
	k.end(authorKeyLen)
	return string(k.hex)
}

// EmailKey is the private key that per-address limits are kept by, whatever name
// comes with the address.
func EmailKey(secret []byte, email string) string {
	return keyedHash(secret, "email", NormalizeEmail(email), shortKeyLen)
}

// AvatarHash is the public handle for an author's avatar. It uses a different label
// from AuthorKey so a published avatar says nothing about the private key.
func AvatarHash(secret []byte, email string) string {
	return keyedHash(secret, "avatar", NormalizeEmail(email), shortKeyLen)
}

// SiteAvatarHash is the public avatar handle of a site replying as itself: derived from
// the site's id, not from the moderator's email, so every reply by the site looks the
// same whoever wrote it, and no moderator's address feeds a published value.
func SiteAvatarHash(secret []byte, siteID string) string {
	return keyedHash(secret, "site-avatar", siteID, shortKeyLen)
}

// IPKey is the keyed hash of an address or network written as text, so no client
// address is stored outside the comment row itself. Per-address limits, reputation
// and bans do not call it with an address directly but through AddressKey and
// SubmissionBanKeys, which decide what network stands for one client.
func IPKey(secret []byte, ip string) string {
	return keyedHash(secret, "ip", ip, shortKeyLen)
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
