package dispatch

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/winnow/winnow/internal/webhook"
)

// errAddressNotAllowed marks a delivery refused because its host resolved to an
// address an endpoint may not reach: a site admin must not aim winnow at internal
// services.
var errAddressNotAllowed = errors.New("address not allowed (webhooks.allow_private_networks is off)")

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
		if !webhook.DeliverableAddress(ap.Addr()) {
			return fmt.Errorf("%w: %s", errAddressNotAllowed, ap.Addr())
		}
		return nil
	}
}
