package webhook

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/carepath/carepath/internal/platform/webhook/webhooktest"
)

// RFC 8032 section 7.1, test 1: the public key of a known seed, to pin the key encodings.
func TestSigningKeyEncoding(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	pub, _ := hex.DecodeString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
	sk := "whsk_" + base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(seed))
	if !ValidSecret(sk) || !IsSigningKey(sk) {
		t.Fatalf("ValidSecret(%q) = false", sk)
	}
	got, ok := PublicKey(sk)
	if want := "whpk_" + base64.StdEncoding.EncodeToString(pub); !ok || got != want {
		t.Fatalf("PublicKey = %q, %v; want %q", got, ok, want)
	}
	if _, ok := PublicKey(NewSecret()); ok {
		t.Fatal("an HMAC secret has a public key")
	}
	// A key whose second half is not the first half's public key is refused, as are
	// other lengths and spellings.
	mismatched := append(ed25519.NewKeyFromSeed(seed)[:32:32], make([]byte, 32)...)
	for _, bad := range []string{
		"whsk_" + base64.StdEncoding.EncodeToString(mismatched),
		"whsk_" + base64.StdEncoding.EncodeToString(seed),
		"whsk_" + base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(seed)) + "\n",
		"whsk_",
	} {
		if ValidSecret(bad) {
			t.Errorf("ValidSecret(%q) = true", bad)
		}
		if _, err := Sign([]string{bad}, "msg_1", time.Unix(1_767_225_600, 0), nil); err == nil || strings.Contains(err.Error(), bad[5:]) && len(bad) > 5 {
			t.Errorf("Sign with %q: err = %v, want a refusal that does not quote the key", bad, err)
		}
	}
}

// During a rotation from HMAC to Ed25519 a delivery carries both: the reference library
// verifies the v1 signature with the secret, the independent verifier the v1a one with
// the public key, and neither accepts a tampered body, another id or another key.
func TestSignEd25519BesideHMAC(t *testing.T) {
	secret, key, other := NewSecret(), NewSigningKey(), NewSigningKey()
	if NewSigningKey() == key || !ValidSecret(key) {
		t.Fatal("signing keys are not fresh and valid")
	}
	pub, _ := PublicKey(key)
	otherPub, _ := PublicKey(other)
	body := []byte(`{"type":"reminder.raised","data":{"reminder":"reminders/r1"}}`)
	now := time.Now() // the reference library checks the timestamp against the real clock
	h := headers(t, []string{key, secret}, "msg_2a7Zq", now, body)
	sigs := strings.Split(h.Get("webhook-signature"), " ")
	if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1a,") || !strings.HasPrefix(sigs[1], "v1,") {
		t.Fatalf("signature header %q, want a v1a and a v1 signature", h.Get("webhook-signature"))
	}
	if err := verifier(t, secret).Verify(body, h); err != nil {
		t.Errorf("reference library, v1: %v", err)
	}
	if err := webhooktest.VerifyEd25519(pub, body, h, now); err != nil {
		t.Errorf("v1a: %v", err)
	}
	if err := webhooktest.VerifyEd25519(otherPub, body, h, now); !errors.Is(err, webhooktest.ErrNoMatchingSignature) {
		t.Errorf("another public key: err = %v", err)
	}
	tampered := []byte(strings.Replace(string(body), "r1", "r2", 1))
	if err := webhooktest.VerifyEd25519(pub, tampered, h, now); !errors.Is(err, webhooktest.ErrNoMatchingSignature) {
		t.Errorf("tampered body: err = %v", err)
	}
	h2 := h.Clone()
	h2.Set("webhook-id", "msg_other")
	if err := webhooktest.VerifyEd25519(pub, body, h2, now); err == nil {
		t.Error("changed id verified")
	}
	if err := webhooktest.VerifyEd25519(pub, body, h, now.Add(6*time.Minute)); err == nil {
		t.Error("a timestamp 6 minutes old verified")
	}
	// An Ed25519-only endpoint's deliveries carry no v1 signature at all.
	only := headers(t, []string{key}, "msg_3", now, body)
	if err := verifier(t, secret).Verify(body, only); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("v1 verification of a v1a-only message: err = %v", err)
	}
	if err := webhooktest.VerifyEd25519(pub, body, only, now); err != nil {
		t.Errorf("v1a-only: %v", err)
	}
}
