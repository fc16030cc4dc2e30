package auth

// FastParams keep the external tests quick, as fastParams does the internal ones.
var FastParams = fastParams

// PrincipalOf is the principal a signed-in user acts as.
var PrincipalOf = principalOf

// CountVerifications makes a count, in *n, every password verification it does.
func CountVerifications(a *Accounts, n *int) {
	verify := a.verify
	a.verify = func(password, encoded string) (bool, error) { *n++; return verify(password, encoded) }
}
