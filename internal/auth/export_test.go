package auth

import "sync"

// FastParams keep the external tests quick, as fastParams does the internal ones.
var FastParams = fastParams

// PrincipalOf is the principal a signed-in user acts as.
var PrincipalOf = principalOf

// CountVerifications makes a count, in *n, every password verification it does.
// It may be read once the verifications are over.
func CountVerifications(a *Accounts, n *int) {
	verify := a.verify
	var mu sync.Mutex
	a.verify = func(password, encoded string) (bool, error) {
		mu.Lock()
		*n++
		mu.Unlock()
		return verify(password, encoded)
	}
}

// HoldVerifications makes every password verification of a signal on entered, then
// wait for release before it runs.
func HoldVerifications(a *Accounts, entered chan<- struct{}, release <-chan struct{}) {
	verify := a.verify
	a.verify = func(password, encoded string) (bool, error) {
		entered <- struct{}{}
		<-release
		return verify(password, encoded)
	}
}
