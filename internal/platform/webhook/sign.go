package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// secretPrefix marks a signing secret, as in the Standard Webhooks libraries, so a
// receiver can paste it into any of them unchanged.
const secretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: "whsec_" and the standard base64 of 32
// random bytes.
func NewSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // never fails; see crypto/rand.Read
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// ValidSecret reports whether s is a signing secret: "whsec_" and the canonical standard
// base64 of 24 to 64 bytes, the range the specification allows.
func ValidSecret(s string) bool {
	_, err := secretKey(s)
	return err == nil
}

func secretKey(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, errors.New("secret lacks the whsec_ prefix")
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	// Decoding skips newlines and tolerates stray bits; requiring the canonical form
	// keeps a secret to one spelling.
	if err != nil || base64.StdEncoding.EncodeToString(key) != enc {
		return nil, errors.New("secret is not standard base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, errors.New("secret must hold 24 to 64 bytes")
	}
	return key, nil
}

// Sign returns the webhook-signature header value for a message: one "v1,<signature>"
// per secret, separated by spaces. Signing with both the old and new secret while a
// receiver rotates lets it verify with either one. The signatures are made by the
// Standard Webhooks reference library, the one receivers (and our tests) verify with, so
// signing and verifying share one implementation.
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("webhook: no signing secret")
	}
	if err := checkID(id); err != nil {
		return "", err
	}
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			// The secret itself never appears in the error.
			return "", fmt.Errorf("webhook: secret %d: %w", i+1, err)
		}
		wh, err := standardwebhooks.NewWebhookRaw(key)
		if err == nil {
			sigs[i], err = wh.Sign(id, ts, body)
		}
		if err != nil {
			return "", fmt.Errorf("webhook: signing with secret %d failed", i+1)
		}
	}
	return strings.Join(sigs, " "), nil
}

// checkID refuses ids that would make the signed content ambiguous ('.' separates its
// parts) or that cannot travel in a header.
func checkID(id string) error {
	if id == "" {
		return errors.New("webhook: empty message id")
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c == '.' || c <= ' ' || c > '~' {
			return errors.New("webhook: message id must be printable ASCII without '.' or spaces")
		}
	}
	return nil
}
