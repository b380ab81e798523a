// Package webhooktest verifies Standard Webhooks "v1a" (Ed25519) signatures for tests. The
// reference library verifies only "v1" (HMAC), so this is the receiver's side of v1a,
// written from the specification apart from the signer in package webhook: tests that pass
// through both show the two agree on the signed content and the key encoding.
package webhooktest

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a message's timestamp may be from the receiver's clock, as the
// reference library allows.
const Tolerance = 5 * time.Minute

// ErrNoMatchingSignature is returned when no v1a signature of the header verifies.
var ErrNoMatchingSignature = errors.New("webhooktest: no matching v1a signature")

// VerifyEd25519 checks a delivery as a receiver holding the "whpk_" public key would: the
// three headers are present, the timestamp is within Tolerance of now, and one of the
// space-separated "v1a,<base64>" signatures (others, such as "v1", are skipped) is the
// Ed25519 signature of "{webhook-id}.{webhook-timestamp}.{body}".
func VerifyEd25519(publicKey string, body []byte, h http.Header, now time.Time) error {
	enc, ok := strings.CutPrefix(publicKey, "whpk_")
	if !ok {
		return errors.New("webhooktest: public key lacks the whpk_ prefix")
	}
	pub, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return errors.New("webhooktest: public key is not the base64 of 32 bytes")
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("webhooktest: missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhooktest: webhook-timestamp is not Unix seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return errors.New("webhooktest: webhook-timestamp outside the tolerance")
	}
	content := []byte(id + "." + ts + "." + string(body))
	for _, s := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1a" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && ed25519.Verify(ed25519.PublicKey(pub), content, raw) {
			return nil
		}
	}
	return ErrNoMatchingSignature
}
