package auth

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// AkismetKeyLen is the length of an Akismet-compatible API key. Akismet's own keys
// are 12 lowercase hexadecimal digits, and its clients rely on it: the WordPress
// plugin drops every other character from a key typed into its settings. So
// winnow's keys look the same.
const AkismetKeyLen = 12

const akismetAlphabet = "0123456789abcdef"

// NewAkismetKey returns a new random Akismet-compatible key (48 bits: guessing is
// bounded by the guard's limit on wrong keys per address) and the hash to store
// (HashToken): the key itself is shown once and never stored.
func NewAkismetKey() (plain, hash string, err error) {
	b := make([]byte, AkismetKeyLen)
	max := big.NewInt(int64(len(akismetAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", "", fmt.Errorf("akismet key randomness: %w", err)
		}
		b[i] = akismetAlphabet[n.Int64()]
	}
	return string(b), HashToken(string(b)), nil
}

// AkismetKeyShape reports whether s could be an Akismet key: 12 lowercase
// hexadecimal digits. A host label of another shape is a host name, not a key, and is not
// counted as a wrong key.
func AkismetKeyShape(s string) bool {
	if len(s) != AkismetKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
