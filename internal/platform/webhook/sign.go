package webhook

import (
	"crypto/ed25519"
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

// Asymmetric keys, as the Standard Webhooks specification names them: carepath keeps the
// "whsk_" signing key and gives the receiver the "whpk_" public key, each the standard
// base64 of the Ed25519 key's bytes (the signing key in the 64-byte form of Go and
// libsodium: seed and public key).
const (
	signingKeyPrefix = "whsk_"
	publicKeyPrefix  = "whpk_"
)

// NewSigningKey returns a fresh Ed25519 signing key, "whsk_" and the standard base64 of
// its 64 bytes.
func NewSigningKey() string {
	_, priv, _ := ed25519.GenerateKey(nil) // crypto/rand; never fails
	return signingKeyPrefix + base64.StdEncoding.EncodeToString(priv)
}

// IsSigningKey reports whether s is an Ed25519 signing key rather than an HMAC secret.
func IsSigningKey(s string) bool { return strings.HasPrefix(s, signingKeyPrefix) }

// PublicKey returns the "whpk_" public key of an Ed25519 signing key, and false for
// anything else (an HMAC secret has no public half).
func PublicKey(s string) (string, bool) {
	priv, err := signingKey(s)
	if err != nil {
		return "", false
	}
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), true
}

func signingKey(s string) (ed25519.PrivateKey, error) {
	enc, ok := strings.CutPrefix(s, signingKeyPrefix)
	if !ok {
		return nil, errors.New("signing key lacks the whsk_ prefix")
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || base64.StdEncoding.EncodeToString(key) != enc || len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("signing key is not the standard base64 of 64 bytes")
	}
	priv := ed25519.PrivateKey(key)
	// The second half must be the public key of the first: a mismatched key would sign
	// what its advertised public key cannot verify.
	if !ed25519.NewKeyFromSeed(priv.Seed()).Equal(priv) {
		return nil, errors.New("signing key's halves do not match")
	}
	return priv, nil
}

// ValidSecret reports whether s is a signing secret: "whsec_" and the canonical standard
// base64 of 24 to 64 bytes, the range the specification allows; or an Ed25519 signing key
// from NewSigningKey.
func ValidSecret(s string) bool {
	if IsSigningKey(s) {
		_, err := signingKey(s)
		return err == nil
	}
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

// Sign returns the webhook-signature header value for a message: one signature per
// secret, separated by spaces. Signing with both the old and new secret while a receiver
// rotates lets it verify with either one. An HMAC secret ("whsec_") gives "v1,<signature>",
// made by the Standard Webhooks reference library, the one receivers (and our tests)
// verify with; an Ed25519 key ("whsk_") gives "v1a,<signature>", the Ed25519 signature of
// the same signed content, "{id}.{timestamp}.{body}" (the reference library has no v1a,
// so crypto/ed25519 makes it).
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("webhook: no signing secret")
	}
	if err := checkID(id); err != nil {
		return "", err
	}
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		if IsSigningKey(s) {
			priv, err := signingKey(s)
			if err != nil {
				return "", fmt.Errorf("webhook: secret %d: %w", i+1, err)
			}
			sigs[i] = "v1a," + base64.StdEncoding.EncodeToString(ed25519.Sign(priv, signedContent(id, ts, body)))
			continue
		}
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

// signedContent is what a Standard Webhooks signature covers: the message id, the
// timestamp in Unix seconds and the body, joined by dots.
func signedContent(id string, ts time.Time, body []byte) []byte {
	return fmt.Appendf(nil, "%s.%d.%s", id, ts.Unix(), body)
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
