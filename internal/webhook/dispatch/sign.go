// Package dispatch delivers outbox rows to consumer endpoints: it claims due deliveries,
// signs them the Standard Webhooks way, POSTs them with a bounded worker pool, and
// records each attempt with its retry or dead letter. The body is the payload the
// deciding service built, with the values the row holds in columns set by typed field
// (webhook.Delivery.Body); it never reads the comment again. It declares the Outbox it
// needs; any number of dispatchers may share one outbox.
package dispatch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/winnow/winnow/internal/webhook"
)

// The Standard Webhooks headers every delivery carries.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Sign returns the webhook-signature value for a message: "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>" per secret, space-separated, so that a consumer holding either
// secret of a rotation can verify it. Secrets are whsec_<base64 key>.
func Sign(id string, timestamp int64, body []byte, secrets []string) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", err
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	if len(sigs) == 0 {
		return "", errors.New("webhook: sign: no secret")
	}
	return strings.Join(sigs, " "), nil
}

// secretKey is the HMAC key of a whsec_ secret: the bytes after the prefix, base64-decoded.
func secretKey(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, webhook.SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook: secret must start with %s", webhook.SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhook: secret is not base64 after " + webhook.SecretPrefix)
	}
	return key, nil
}
