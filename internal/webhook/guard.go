package webhook

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// errAddressNotAllowed marks a delivery refused because its host resolved to an
// address an endpoint may not reach: a site admin must not aim winnow at internal
// services.
var errAddressNotAllowed = errors.New("address not allowed (webhooks.allow_private_networks is off)")

// nonPublic are ranges beyond the net/netip predicates that are not the public internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and broadcast
	netip.MustParsePrefix("2001::/32"),     // Teredo: tunnels to embedded IPv4
	netip.MustParsePrefix("2001:db8::/32"), // documentation
	netip.MustParsePrefix("2002::/16"),     // 6to4: tunnels to embedded IPv4
}

// globalUnicast6 is where the public IPv6 internet lives. Everything outside it
// (NAT64 64:ff9b::/96, IPv4-compatible ::/96, discard 100::/64, site-local fec0::/10
// ...) can lead to internal IPv4 services and is refused.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// publicAddr reports whether a may be reached by a delivery when private networks are
// not allowed: not loopback, private, link-local, multicast, unspecified or reserved.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// dialControl checks the address a connection is about to be made to, after name
// resolution, so that a name pointing at a private address is refused too (and a
// name that changes its answer between a check and the dial cannot slip through).
func dialControl(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", errAddressNotAllowed, address)
		}
		if !publicAddr(ap.Addr()) {
			return fmt.Errorf("%w: %s", errAddressNotAllowed, ap.Addr())
		}
		return nil
	}
}
