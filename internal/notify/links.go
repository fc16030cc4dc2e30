package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LinkLife is how long a signed link in a mail works.
const LinkLife = 7 * 24 * time.Hour

// Errors of a signed link, each answered with its own page.
var (
	// ErrLinkInvalid: the link was not made by this installation, or was altered.
	ErrLinkInvalid = errors.New("notify: link not valid")
	// ErrLinkExpired: the link is older than LinkLife.
	ErrLinkExpired = errors.New("notify: link expired")
	// ErrLinkUsed: the link has done what it does already.
	ErrLinkUsed = errors.New("notify: link already used")
	// ErrLinkRevoked: the moderator the link was made for has lost the account, or
	// the right to moderate the comment's site.
	ErrLinkRevoked = errors.New("notify: link no longer valid for this account")
	// ErrDecided: the comment is no longer waiting (someone decided it already).
	ErrDecided = errors.New("notify: comment already decided")
)

// Link is what a signed link in a mail allows: one action on one thing, by or for
// one account or address, until Expires.
type Link struct {
	// Purpose is what the link does: "approve", "spam" (a moderator's decision on
	// comment Subject for user Account), "confirm" and "unsubscribe" (a reader's
	// subscription Subject).
	Purpose string
	Subject int64
	Account int64
	Expires time.Time
}

// signLink returns the token of l: its fields and an HMAC-SHA256 of them, keyed with
// the installation secret (as the first-run setup link is), in URL-safe characters.
// The token names no address.
func signLink(secret []byte, l Link) string {
	payload := strings.Join([]string{"1", l.Purpose, strconv.FormatInt(l.Subject, 10),
		strconv.FormatInt(l.Account, 10), strconv.FormatInt(l.Expires.Unix(), 10)}, ".")
	return payload + "." + linkMAC(secret, payload)
}

func linkMAC(secret []byte, payload string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("mail-link\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseLink checks token's signature and age and returns its link; purposes limits
// the purposes accepted here.
func parseLink(secret []byte, token string, now time.Time, purposes ...string) (Link, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 || len(token) > 200 {
		return Link{}, ErrLinkInvalid
	}
	payload, mac := token[:i], token[i+1:]
	if !hmac.Equal([]byte(mac), []byte(linkMAC(secret, payload))) {
		return Link{}, ErrLinkInvalid
	}
	f := strings.Split(payload, ".")
	if len(f) != 5 || f[0] != "1" {
		return Link{}, ErrLinkInvalid
	}
	subject, err1 := strconv.ParseInt(f[2], 10, 64)
	account, err2 := strconv.ParseInt(f[3], 10, 64)
	exp, err3 := strconv.ParseInt(f[4], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return Link{}, fmt.Errorf("%w: %w", ErrLinkInvalid, err)
	}
	l := Link{Purpose: f[1], Subject: subject, Account: account, Expires: time.Unix(exp, 0).UTC()}
	ok := false
	for _, p := range purposes {
		ok = ok || p == l.Purpose
	}
	if !ok {
		return Link{}, ErrLinkInvalid
	}
	if !now.Before(l.Expires) {
		return l, ErrLinkExpired
	}
	return l, nil
}

// linkHash is what the store keeps of a used link.
func linkHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
