package comment

import (
	"net"
	"net/url"
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
// a keyed hash for emails and addresses (see EmailKey, IPKey) and the domain itself
// for domains; Hint is what a moderator sees of it.
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
// the author's counts, the address's recent approved and spam comments, and the
// bans it matches.
type Record struct {
	Author             Author
	IPApproved, IPSpam int
	Banned             []BanKind
}

// BanKeys are the values a submission is checked against, computed once.
type BanKeys struct {
	Email, IP string   // keyed hashes
	Domains   []string // of the email and the website
}

// SubmissionBanKeys derives what bans to look for from a submission's author.
func SubmissionBanKeys(secret []byte, email, website, ip string) BanKeys {
	k := BanKeys{Email: EmailKey(secret, email)}
	if ip != "" {
		k.IP = IPKey(secret, ip)
	}
	if d := EmailDomain(email); d != "" {
		k.Domains = append(k.Domains, d)
	}
	if u, err := url.Parse(website); err == nil && u.Hostname() != "" {
		if d := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www."); d != "" && (len(k.Domains) == 0 || d != k.Domains[0]) {
			k.Domains = append(k.Domains, d)
		}
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
// duration 0 means for ever.
func NewBan(secret []byte, siteID string, kind BanKind, value, note, by string, now time.Time, duration time.Duration) (Ban, error) {
	f := fieldErrors{}
	value = strings.TrimSpace(value)
	b := Ban{SiteID: siteID, Kind: kind, Note: strings.TrimSpace(note), CreatedBy: by, CreatedAt: now}
	switch kind {
	case BanEmail:
		if !ValidEmail(value) {
			f.add("email", "not a valid email address")
		}
		b.Value, b.Hint = EmailKey(secret, value), maskEmail(value)
	case BanIP:
		ip := net.ParseIP(value)
		if ip == nil {
			f.add("ip", "not an IP address")
		} else {
			value = ip.String()
		}
		b.Value, b.Hint = IPKey(secret, value), maskIP(ip)
	case BanDomain:
		value = strings.TrimPrefix(strings.ToLower(value), "www.")
		if !strings.Contains(value, ".") || strings.ContainsAny(value, "/@: ") || len(value) > 253 {
			f.add("domain", "not a domain like spam.example")
		}
		b.Value, b.Hint = value, value
	default:
		f.add("kind", "must be email, ip or domain")
	}
	if len(b.Note) > 500 {
		f.add("note", "at most 500 characters")
	}
	if duration < 0 {
		f.add("duration", "must not be negative")
	} else if duration > 0 {
		b.ExpiresAt = now.Add(duration)
	}
	return b, f.err()
}

// maskEmail keeps the first letter and the domain: enough to recognize, not to read.
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 1 {
		return "***"
	}
	return email[:1] + "***" + email[at:]
}

// maskIP keeps the network part: 192.0.2.x, 2001:db8:85a3::/48.
func maskIP(ip net.IP) string {
	if ip == nil {
		return ""
	}
	if v4 := ip.To4(); v4 != nil {
		return net.IP(v4.Mask(net.CIDRMask(24, 32))).String() + "/24"
	}
	return ip.Mask(net.CIDRMask(48, 128)).String() + "/48"
}
