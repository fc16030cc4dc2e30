package comment

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultIPv6Prefix is the IPv6 network that stands for one client by default
// (http.ipv6_prefix). A home or a server is routinely handed a whole /64, and any
// address in it is the same client: one limited address at a time would let it post,
// and guess passwords, from 2^64 addresses.
const DefaultIPv6Prefix = 64

// Bounds on prefixes. An IPv6 client prefix shorter than MinIPv6Prefix would lump
// providers together; a ban wider than MinBanIPv4Bits or MinBanIPv6Bits would keep
// whole providers' customers out.
const (
	MinIPv6Prefix  = 32
	MinBanIPv4Bits = 16
	MinBanIPv6Bits = 32
)

// AddressPrefix is the network that stands for the client at ip: the address itself
// for IPv4 (and IPv4-mapped IPv6, which is IPv4), its /v6bits for IPv6. It is the one
// place "the same client" is decided; every per-address limit, an address's
// reputation and bans all go through it (see AddressKey and SubmissionBanKeys). ok is
// false for an empty or malformed ip.
func AddressPrefix(ip string, v6bits int) (p netip.Prefix, ok bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32), true
	}
	return netip.PrefixFrom(a, min(max(v6bits, MinIPv6Prefix), 128)).Masked(), true
}

// prefixText is how a network is written into a key: a single address as the address
// ("203.0.113.9"), so that the keys of IPv4 addresses are those IPKey always made, and
// a wider network in CIDR form ("2001:db8:1:2::/64").
func prefixText(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.Masked().String()
}

// AddressKey is the private key that per-address limits and an address's reputation
// are kept by: a keyed hash (IPKey) of the client's AddressPrefix, so that no address is
// stored outside the comment row itself and every address of one IPv6 /64 counts as
// one client. An empty ip has no key; one that does not parse (it cannot come from the
// HTTP layer) is keyed as it is, so it is still limited.
func AddressKey(secret []byte, ip string, v6bits int) string {
	p, ok := AddressPrefix(ip, v6bits)
	switch {
	case ok:
		return IPKey(secret, prefixText(p))
	case strings.TrimSpace(ip) == "":
		return ""
	}
	return IPKey(secret, ip)
}

// ParseBanNetwork reads what an IP ban names: an address ("203.0.113.9") or a CIDR
// prefix ("203.0.113.0/24", "2001:db8:1:2::/64"), host bits cleared. An IPv6 ban
// covers at least the client's /v6bits, the unit AddressPrefix treats as one client
// (a single IPv6 address bans its /64). Prefixes wider than MinBanIPv4Bits or
// MinBanIPv6Bits are refused with the reason. The error is the message for the field.
func ParseBanNetwork(value string, v6bits int) (netip.Prefix, error) {
	value = strings.TrimSpace(value)
	var p netip.Prefix
	if strings.Contains(value, "/") {
		var err error
		if p, err = netip.ParsePrefix(value); err != nil {
			return netip.Prefix{}, fmt.Errorf("not an address or CIDR prefix like 203.0.113.0/24 or 2001:db8:1:2::/64")
		}
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, fmt.Errorf("an IPv4-mapped prefix must be /96 or longer")
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
	} else {
		a, err := netip.ParseAddr(value)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("not an address or CIDR prefix like 203.0.113.0/24 or 2001:db8:1:2::/64")
		}
		a = a.Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	switch {
	case p.Addr().Is4() && p.Bits() < MinBanIPv4Bits:
		return netip.Prefix{}, fmt.Errorf("an IPv4 prefix must be /%d or longer: a wider one bans whole providers", MinBanIPv4Bits)
	case p.Addr().Is6() && p.Bits() < MinBanIPv6Bits:
		return netip.Prefix{}, fmt.Errorf("an IPv6 prefix must be /%d or longer: a wider one bans whole providers", MinBanIPv6Bits)
	case p.Addr().Is6():
		p = netip.PrefixFrom(p.Addr(), min(p.Bits(), min(max(v6bits, MinIPv6Prefix), 128)))
	}
	return p.Masked(), nil
}

// BanNetworkKey is the value an IP ban on network p is stored under.
func BanNetworkKey(secret []byte, p netip.Prefix) string {
	return IPKey(secret, prefixText(p))
}

// addressBanKeys are the keys of every network an IP ban may name that holds the
// client at ip: for IPv4 the address and each prefix down to /MinBanIPv4Bits, for
// IPv6 its /v6bits and each prefix down to /MinBanIPv6Bits, and the full address,
// which bans made before networks existed were stored under.
func addressBanKeys(secret []byte, ip string, v6bits int) []string {
	k := newKeyer(secret, 34*shortKeyLen)
	n := k.addressBanKeys(ip, v6bits)
	all := string(k.hex)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = all[i*2*shortKeyLen : (i+1)*2*shortKeyLen]
	}
	return keys
}

// addressBanKeys appends the keys addressBanKeys lists, as IPKey makes them, to k.hex
// and returns how many it appended. The first is the client's own network, which
// AddressKey keys.
func (k *keyer) addressBanKeys(ip string, v6bits int) int {
	client, ok := AddressPrefix(ip, v6bits)
	if !ok {
		k.begin("ip")
		k.msg = append(k.msg, ip...)
		k.end(shortKeyLen)
		return 1
	}
	lowest := MinBanIPv4Bits
	if client.Addr().Is6() {
		lowest = MinBanIPv6Bits
	}
	n := 0
	for bits := client.Bits(); bits >= lowest; bits-- {
		p := netip.PrefixFrom(client.Addr(), bits).Masked()
		k.begin("ip")
		if bits == p.Addr().BitLen() {
			k.msg = p.Addr().AppendTo(k.msg)
		} else {
			k.msg = p.AppendTo(k.msg)
		}
		k.end(shortKeyLen)
		n++
	}
	if a := client.Addr(); client.Bits() < a.BitLen() {
		full, _ := netip.ParseAddr(strings.TrimSpace(ip))
		k.begin("ip")
		k.msg = full.Unmap().WithZone("").AppendTo(k.msg)
		k.end(shortKeyLen)
		n++
	}
	return n
}

// MaxBanKeys bounds the values of BanKeys whatever the configuration: an email, two domains,
// and an IPv6 address's networks from /128 to /MinBanIPv6Bits plus the address.
const MaxBanKeys = 1 + 2 + (128 - MinBanIPv6Bits + 1) + 1
