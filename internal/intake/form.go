package intake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/winnow/winnow/internal/spam"
)

// formToken layout: issue time (8 bytes, unix seconds), nonce (12), MAC (16).
const (
	formNonceLen = 12
	formMACLen   = 16
	formTokenLen = 8 + formNonceLen + formMACLen
)

// FormToken issues a signed token for a comment form on a thread. It proves when the
// form was served, so a submission can be judged on how fast it came, and its nonce
// lets a second use be noticed. It carries no secret and needs no storage.
func (s *Service) FormToken(siteID, thread string) (string, error) {
	b := make([]byte, formTokenLen)
	binary.BigEndian.PutUint64(b, uint64(s.now().Unix()))
	if _, err := rand.Read(b[8 : 8+formNonceLen]); err != nil {
		return "", fmt.Errorf("intake: form token: %w", err)
	}
	copy(b[8+formNonceLen:], s.formMAC(siteID, thread, b[:8+formNonceLen]))
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) formMAC(siteID, thread string, head []byte) []byte {
	m := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(m, "form\x00%s\x00%s\x00", siteID, thread)
	m.Write(head)
	return m.Sum(nil)[:formMACLen]
}

// readForm reads a submission's form token for the scorer, and returns its nonce
// ("" for none). A token is good once: the gate looks its nonce up with the limits
// and spends it only when they all pass, in the nonce store (shared through Redis),
// so a replay is seen by every replica.
func (s *Service) readForm(siteID, thread, token string) (spam.Form, string) {
	f := spam.Form{Checked: true}
	if token == "" {
		return f, ""
	}
	f.Present = true
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != formTokenLen ||
		!hmac.Equal(b[8+formNonceLen:], s.formMAC(siteID, thread, b[:8+formNonceLen])) {
		return f, ""
	}
	f.Valid = true
	issued := time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
	f.Age = s.now().Sub(issued)
	if s.counters.Nonces == nil {
		return f, ""
	}
	return f, hex.EncodeToString(b[8 : 8+formNonceLen])
}

// nonceTTL is how long a spent nonce is remembered: past it, the token is too old anyway.
const nonceTTL = 2 * spam.FormTokenTTL
