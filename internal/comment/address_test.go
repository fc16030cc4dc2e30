package comment

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAddressPrefixIsTheClient(t *testing.T) {
	tests := []struct {
		ip     string
		v6bits int
		want   string // "" for not ok
	}{
		{"203.0.113.9", 64, "203.0.113.9/32"},
		{" 203.0.113.9 ", 64, "203.0.113.9/32"},
		{"::ffff:203.0.113.9", 64, "203.0.113.9/32"}, // IPv4-mapped IPv6 is IPv4
		{"2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:3:4:5:6", 56, "2001:db8:1::/56"},
		{"2001:db8:1:2:3:4:5:6", 128, "2001:db8:1:2:3:4:5:6/128"},
		{"2001:db8:1:2:3:4:5:6", 8, "2001:db8::/32"}, // never wider than MinIPv6Prefix
		{"fe80::1%eth0", 64, "fe80::/64"},
		{"", 64, ""},
		{"junk", 64, ""},
		{"203.0.113.0/24", 64, ""},
	}
	for _, tt := range tests {
		p, ok := AddressPrefix(tt.ip, tt.v6bits)
		got := ""
		if ok {
			got = p.String()
		}
		if got != tt.want {
			t.Errorf("AddressPrefix(%q, %d) = %q, want %q", tt.ip, tt.v6bits, got, tt.want)
		}
	}
}

func TestAddressKeyGroupsAnIPv6NetworkAndNothingMore(t *testing.T) {
	secret := []byte("s")
	key := func(ip string, bits int) string { return AddressKey(secret, ip, bits) }
	tests := []struct {
		name string
		a, b string
		bits int
		same bool
	}{
		{"two addresses of one /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 64, true},
		{"neighbouring /64s", "2001:db8:1:2::1", "2001:db8:1:3::1", 64, false},
		{"two /64s of one /56, by /56", "2001:db8:1:2::1", "2001:db8:1:ff::1", 56, true},
		{"two addresses by /128", "2001:db8:1:2::1", "2001:db8:1:2::2", 128, false},
		{"neighbouring IPv4 addresses", "203.0.113.9", "203.0.113.10", 64, false},
		{"IPv4 and its mapped form", "203.0.113.9", "::ffff:203.0.113.9", 64, true},
	}
	for _, tt := range tests {
		if got := key(tt.a, tt.bits) == key(tt.b, tt.bits); got != tt.same {
			t.Errorf("%s: same key = %v, want %v", tt.name, got, tt.same)
		}
	}
	// An IPv4 address keeps the key it always had: limits and bans carry over.
	if key("203.0.113.9", 64) != IPKey(secret, "203.0.113.9") {
		t.Error("an IPv4 address's key changed")
	}
	if key("", 64) != "" || key("junk", 64) != IPKey(secret, "junk") {
		t.Error("an empty address must have no key, a malformed one its own")
	}
	if strings.Contains(key("2001:db8::1", 64), "2001") {
		t.Error("the key holds the address")
	}
}

func TestParseBanNetwork(t *testing.T) {
	tests := []struct {
		value string
		want  string // "" for an error
	}{
		{"203.0.113.9", "203.0.113.9/32"},
		{"203.0.113.9/24", "203.0.113.0/24"},
		{"203.0.113.0/24", "203.0.113.0/24"},
		{"198.51.100.0/16", "198.51.0.0/16"},
		{"10.0.0.0/8", ""}, // too wide
		{"::ffff:203.0.113.9", "203.0.113.9/32"},
		{"::ffff:203.0.113.0/120", "203.0.113.0/24"},
		{"::ffff:0.0.0.0/95", ""},
		{"2001:db8:1:2::7", "2001:db8:1:2::/64"},    // an address: its client network
		{"2001:db8:1:2::/112", "2001:db8:1:2::/64"}, // narrower than one client
		{"2001:db8:1:2::/64", "2001:db8:1:2::/64"},  // the example of the issue
		{"2001:db8:1::/48", "2001:db8:1::/48"},      // wider: as named
		{"2001:db8::/32", "2001:db8::/32"},          // the widest allowed
		{"2001:d00::/24", ""},                       // too wide
		{" 2001:DB8:1:2::1 ", "2001:db8:1:2::/64"},  // trimmed, any case
		{"fe80::1%eth0", ""},                        // a zone names no network
		{"1.2.3.4/33", ""},
		{"spam.example", ""},
		{"", ""},
	}
	for _, tt := range tests {
		p, err := ParseBanNetwork(tt.value, DefaultIPv6Prefix)
		got := ""
		if err == nil {
			got = p.String()
		}
		if got != tt.want {
			t.Errorf("ParseBanNetwork(%q) = %q (%v), want %q", tt.value, got, err, tt.want)
		}
	}
	if _, err := ParseBanNetwork("10.0.0.0/8", 64); err == nil || !strings.Contains(err.Error(), "/16") {
		t.Errorf("a too wide prefix's reason: %v", err)
	}
}

func TestBanHintsMaskNarrowNetworks(t *testing.T) {
	for value, want := range map[string]string{
		"203.0.113.9":        "203.0.113.0/24 (one address in it)",
		"203.0.113.0/24":     "203.0.113.0/24",
		"203.0.113.16/28":    "203.0.113.0/24 (a /28 in it)",
		"198.51.100.0/22":    "198.51.100.0/22",
		"2001:db8:1:2::7":    "2001:db8:1::/48 (a /64 in it)",
		"2001:db8:aa00::/40": "2001:db8:aa00::/40",
	} {
		b, err := NewBan([]byte("s"), DefaultIPv6Prefix, "blog", BanIP, value, "", "mod", banTime, 0)
		if err != nil || b.Hint != want {
			t.Errorf("ban of %s: hint %q (%v), want %q", value, b.Hint, err, want)
		}
	}
}

// TestBanKeysCoverEveryNetworkABanMayName: a submission's keys hold its address's
// networks at every length a ban may name, narrowest first, so a ban on any of them
// matches; and no more than MaxBanKeys whatever the configuration.
func TestBanKeysCoverEveryNetworkABanMayName(t *testing.T) {
	secret := []byte("s")
	v4 := SubmissionBanKeys(secret, 64, "a@example.org", "", "203.0.113.9")
	if len(v4.IPs) != 32-MinBanIPv4Bits+1 || v4.IPs[0] != AddressKey(secret, "203.0.113.9", 64) {
		t.Errorf("IPv4: %d keys", len(v4.IPs))
	}
	v6 := SubmissionBanKeys(secret, 64, "a@example.org", "", "2001:db8:1:2::7")
	// /64 down to /32, and the single address that older bans were stored under.
	if len(v6.IPs) != 64-MinBanIPv6Bits+2 || v6.IPs[0] != AddressKey(secret, "2001:db8:1:2::7", 64) ||
		v6.IPs[len(v6.IPs)-1] != IPKey(secret, "2001:db8:1:2::7") {
		t.Errorf("IPv6: %d keys", len(v6.IPs))
	}
	for bits := MinBanIPv6Bits; bits <= 64; bits++ {
		p := netip.PrefixFrom(netip.MustParseAddr("2001:db8:1:2::7"), bits).Masked()
		b, err := NewBan(secret, 64, "blog", BanIP, p.String(), "", "", banTime, 0)
		if err != nil || !slices.Contains(v6.IPs, b.Value) {
			t.Errorf("a ban on %s is not among the keys (%v)", p, err)
		}
	}
	widest := SubmissionBanKeys(secret, 128, "a@example.org", "https://b.example", "2001:db8::1")
	if n := 1 + len(widest.IPs) + len(widest.Domains); n > MaxBanKeys {
		t.Errorf("%d keys, more than MaxBanKeys %d", n, MaxBanKeys)
	}
}

var banTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// BenchmarkSubmissionBanKeys is what keying an address for bans costs per submission.
func BenchmarkSubmissionBanKeys(b *testing.B) {
	secret := []byte("a 32-byte installation secret...")
	for _, ip := range []string{"203.0.113.9", "2001:db8:1:2::7"} {
		b.Run(ip, func(b *testing.B) {
			for b.Loop() {
				SubmissionBanKeys(secret, DefaultIPv6Prefix, "ann@example.org", "https://ann.example", ip)
			}
		})
	}
}
