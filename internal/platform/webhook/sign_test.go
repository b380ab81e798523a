package webhook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	if !ValidSecret(a) {
		t.Fatalf("ValidSecret(%q) = false", a)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if err != nil || len(key) != 32 || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secret %q: %d bytes, %v", a, len(key), err)
	}
}

func TestValidSecret(t *testing.T) {
	of := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for s, want := range map[string]bool{
		"whsec_" + of(24):          true,
		"whsec_" + of(64):          true,
		"whsec_" + of(23):          false,
		"whsec_" + of(65):          false,
		of(32):                     false, // no prefix
		"whsec_" + of(32)[1:]:      false, // not base64
		"whsec_" + of(32) + "\n":   false, // decodes, but not canonical
		"whsec_" + of(32)[:43]:     false, // padding missing
		"whsec_!!" + of(32)[2:]:    false,
		"":                         false,
		"whsec_":                   false,
		"WHSEC_" + of(32):          false,
		"whsec_" + of(32) + of(24): false, // padding in the middle
	} {
		if got := ValidSecret(s); got != want {
			t.Errorf("ValidSecret(%q) = %v, want %v", s, got, want)
		}
	}
}

// headers builds what a receiver would see for a message signed with secrets at ts.
func headers(t *testing.T, secrets []string, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	sig, err := Sign(secrets, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h
}

func verifier(t *testing.T, secret string) *standardwebhooks.Webhook {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh
}

func TestSignVerifiesWithReferenceLibrary(t *testing.T) {
	oldSecret, newSecret, other := NewSecret(), NewSecret(), NewSecret()
	body := []byte(`{"type":"reminder.due","data":{"id":"r1"}}`)
	now := time.Now() // the reference library checks the timestamp against the real clock
	h := headers(t, []string{oldSecret, newSecret}, "msg_2a7Zq", now, body)

	if n := len(strings.Split(h.Get("webhook-signature"), " ")); n != 2 {
		t.Fatalf("signature header %q has %d signatures, want 2", h.Get("webhook-signature"), n)
	}
	for name, s := range map[string]string{"old secret": oldSecret, "new secret": newSecret} {
		if err := verifier(t, s).Verify(body, h); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := verifier(t, other).Verify(body, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("wrong secret: err = %v", err)
	}
	tampered := []byte(strings.Replace(string(body), "r1", "r2", 1))
	if err := verifier(t, newSecret).Verify(tampered, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("tampered body: err = %v", err)
	}
	h2 := h.Clone()
	h2.Set("webhook-id", "msg_other")
	if err := verifier(t, newSecret).Verify(body, h2); err == nil {
		t.Error("changed id verified")
	}

	// Outside the 5-minute tolerance the reference library refuses, though the
	// signature itself is right.
	old := headers(t, []string{newSecret}, "msg_1", now.Add(-6*time.Minute), body)
	if err := verifier(t, newSecret).Verify(body, old); !errors.Is(err, standardwebhooks.ErrMessageTooOld) {
		t.Errorf("old timestamp: err = %v", err)
	}
	if err := verifier(t, newSecret).VerifyIgnoringTimestamp(body, old); err != nil {
		t.Errorf("old timestamp, ignoring time: %v", err)
	}
	future := headers(t, []string{newSecret}, "msg_1", now.Add(6*time.Minute), body)
	if err := verifier(t, newSecret).Verify(body, future); !errors.Is(err, standardwebhooks.ErrMessageTooNew) {
		t.Errorf("future timestamp: err = %v", err)
	}
}

func TestSignMatchesReferenceSigner(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	want, err := verifier(t, secret).Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Sign([]string{secret}, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; reference library signs %q", got, err, want)
	}
}

func TestSignRefuses(t *testing.T) {
	good := NewSecret()
	ts := time.Now() // any instant: signing refuses before it looks at the time
	for name, try := range map[string]func() (string, error){
		"no secrets":       func() (string, error) { return Sign(nil, "msg_1", ts, nil) },
		"malformed secret": func() (string, error) { return Sign([]string{good, "whsec_nope"}, "msg_1", ts, nil) },
		"unprefixed":       func() (string, error) { return Sign([]string{strings.TrimPrefix(good, "whsec_")}, "msg_1", ts, nil) },
		"empty id":         func() (string, error) { return Sign([]string{good}, "", ts, nil) },
		"dot in id":        func() (string, error) { return Sign([]string{good}, "msg.1", ts, nil) },
		"space in id":      func() (string, error) { return Sign([]string{good}, "msg 1", ts, nil) },
		"newline in id":    func() (string, error) { return Sign([]string{good}, "msg\n1", ts, nil) },
	} {
		if sig, err := try(); err == nil {
			t.Errorf("%s: Sign = %q, want an error", name, sig)
		} else if strings.Contains(err.Error(), strings.TrimPrefix(good, "whsec_")) {
			t.Errorf("%s: error %q reveals the secret", name, err)
		}
	}
}
