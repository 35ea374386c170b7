// Package webhooks delivers the outbox's events to integrators' URLs,
// signed as the Standard Webhooks specification 1.0 says: subscriptions
// (subscriptions.go), one delivery per subscription and event made by an
// outbox subscriber and sent, retried and recorded by a sender every
// replica runs (service.go, sender.go, deliveries.go), each attempt signed
// and classified (signature.go, deliver.go).
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a signing secret, as the specification writes them.
const secretPrefix = "whsec_"

// NewSecret is a fresh signing secret: "whsec_" and 32 random bytes in
// base64, shown to the integrator once.
func NewSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("make a webhook secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// secretKey is the HMAC key a secret holds.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("a webhook secret is %s and base64, not %q", secretPrefix, secret)
	}
	return key, nil
}

// Signature is the webhook-signature header for a message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under each secret, separated
// by spaces. While a secret is rotated the old and the new both sign, so
// a receiver holding either verifies.
func Signature(secrets []string, id string, at time.Time, body []byte) (string, error) {
	content := id + "." + strconv.FormatInt(at.Unix(), 10) + "." + string(body)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(content))
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}
