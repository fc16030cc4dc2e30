package comment

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// BanKind is what a ban matches.
type BanKind string

// The things a site can ban: an author's email, a client address, or a domain (of an
// email address or a website).
const (
	BanEmail  BanKind = "email"
	BanIP     BanKind = "ip"
	BanDomain BanKind = "domain"
)

// Ban keeps an author, an address or a domain off a site until it expires. Value is
// a keyed hash for emails and address networks (see EmailKey, BanNetworkKey) and the
// domain itself for domains; Hint is what a moderator sees of it.
type Ban struct {
	ID        int64
	SiteID    string
	Kind      BanKind
	Value     string
	Hint      string
	Note      string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
}

// Active reports whether the ban applies at now.
func (b Ban) Active(now time.Time) bool { return b.ExpiresAt.IsZero() || now.Before(b.ExpiresAt) }

// Record is what a site knows of a submission's author and address when it arrives:
// the author's counts, the statuses of the address's recent comments, the bans it
// matches, the comment an earlier submission with its Idempotency-Key stored, and the
// comment it replies to, so that one read answers all of it.
type Record struct {
	Author Author
	// Address counts the address's recent comments by status, as stored; what they
	// make of its reputation is Address.Tally's rule, as for an author's counts.
	Address StatusCounts
	Banned  []BanKind
	// Replay is the id of the comment stored under the submission's Idempotency-Key,
	// 0 for none (or no key).
	Replay int64
	// ParentThread and ParentStatus describe the comment a reply answers, found on
	// the same site: its thread's key and its status; empty for none.
	ParentThread string
	ParentStatus Status
}

// BanKeys are the values a submission is checked against, computed once.
type BanKeys struct {
	Email string // keyed hash
	// IPs are the keyed hashes of every network an IP ban may name that holds the
	// client's address, narrowest first.
	IPs     []string
	Domains []string // of the email and the website
}

// SubmissionBanKeys derives what bans to look for from a submission's author; v6bits
// is the IPv6 prefix that is one client (see AddressPrefix).
func SubmissionBanKeys(secret []byte, v6bits int, email, website, ip string) BanKeys {
	k := BanKeys{Email: EmailKey(secret, email), Domains: banDomains(email, website)}
	if ip != "" {
		k.IPs = addressBanKeys(secret, ip, v6bits)
	}
	return k
}

// EmailDomain is the lowercased domain of an address.
func EmailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(email[at+1:]))
}

// NewBan builds a ban of value for a site, hashing private values with secret.
// duration 0 means for ever. An IP ban's value is an address or a CIDR prefix (see
// ParseBanNetwork; v6bits is the IPv6 prefix that is one client).
func NewBan(secret []byte, v6bits int, siteID string, kind BanKind, value, note, by string, now time.Time, duration time.Duration) (Ban, error) {
	f := FieldErrors{}
	value = strings.TrimSpace(value)
	b := Ban{SiteID: siteID, Kind: kind, Note: strings.TrimSpace(note), CreatedBy: by, CreatedAt: now}
	switch kind {
	case BanEmail:
		if !ValidEmail(value) {
			f.Add("email", "not a valid email address")
		}
		b.Value, b.Hint = EmailKey(secret, value), maskEmail(value)
	case BanIP:
		p, err := ParseBanNetwork(value, v6bits)
		if err != nil {
			f.Add("ip", "%s", err)
		} else {
			b.Value, b.Hint = BanNetworkKey(secret, p), maskNetwork(p)
		}
	case BanDomain:
		value = strings.TrimPrefix(strings.ToLower(value), "www.")
		if !strings.Contains(value, ".") || strings.ContainsAny(value, "/@: ") || len(value) > 253 {
			f.Add("domain", "not a domain like spam.example")
		}
		b.Value, b.Hint = value, value
	default:
		f.Add("kind", "must be email, ip or domain")
	}
	if len(b.Note) > 500 {
		f.Add("note", "at most 500 characters")
	}
	if duration < 0 {
		f.Add("duration", "must not be negative")
	} else if duration > 0 {
		b.ExpiresAt = now.Add(duration)
	}
	return b, f.Err()
}

// maskEmail keeps the first letter and the domain: enough to recognize, not to read.
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 1 {
		return "***"
	}
	return email[:1] + "***" + email[at:]
}

// Hints show at most an IPv4 /24 or an IPv6 /48: enough to recognize a network, not
// to point at one household.
const (
	hintIPv4Bits = 24
	hintIPv6Bits = 48
)

// maskNetwork is a ban network as a moderator sees it: the network itself when it is
// no narrower than a hint may show ("198.51.100.0/22"), else its /24 or /48 with the
// width of the ban ("2001:db8:1::/48 (a /64 in it)", "203.0.113.0/24 (one address in
// it)"), so that a ban of one address never reads as a ban of its whole /24. (Address
// bans made before networks could be banned keep the hint they were given, the bare /24.)
func maskNetwork(p netip.Prefix) string {
	limit := hintIPv4Bits
	if p.Addr().Is6() {
		limit = hintIPv6Bits
	}
	if p.Bits() <= limit {
		return p.Masked().String()
	}
	shown := netip.PrefixFrom(p.Addr(), limit).Masked().String()
	if p.Addr().Is4() && p.Bits() == 32 {
		return shown + " (one address in it)"
	}
	return fmt.Sprintf("%s (a /%d in it)", shown, p.Bits())
}
