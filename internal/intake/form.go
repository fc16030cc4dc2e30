package intake

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/winnow/winnow/internal/comment"
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

// checkForm reads a submission's form token for the scorer. A token is good once: its
// nonce is counted with the rate limiter (shared through Redis), so a replay is seen
// by every replica.
func (s *Service) checkForm(ctx context.Context, siteID, thread, token string) (spam.Form, error) {
	f := spam.Form{Checked: true}
	if token == "" {
		return f, nil
	}
	f.Present = true
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != formTokenLen ||
		!hmac.Equal(b[8+formNonceLen:], s.formMAC(siteID, thread, b[:8+formNonceLen])) {
		return f, nil
	}
	f.Valid = true
	issued := time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
	f.Age = s.now().Sub(issued)
	if s.limiter != nil {
		once := comment.Rate{Count: 1, Period: 2 * spam.FormTokenTTL, Burst: 1}
		res, err := s.limiter.AllowN(ctx, "form:"+hex.EncodeToString(b[8:8+formNonceLen]), once, 1)
		if err != nil {
			return f, fmt.Errorf("intake: form token: %w", err)
		}
		f.Replayed = !res.Allowed
	}
	return f, nil
}
