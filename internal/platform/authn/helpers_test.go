package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/carepath/carepath/internal/errs"
)

const (
	testIssuer   = "https://idp.test.invalid/realms/council"
	testAudience = "carepath-api"
	testSubject  = "person-7f3a"
)

// t0 is "now" in every test; the clock is injected, so nothing depends on the real time.
var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// clock is a settable clock safe for concurrent readers.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Test keys, generated once per run: RSA-2048 and P-256 keys the issuer uses, a P-384 key
// it publishes (for the ES384 case), an RSA key published for encryption only, and keys
// nobody publishes (an attacker's, and ones added later by rotation).
type testKeys struct {
	rsa, rsaOther, rsaEnc *rsa.PrivateKey
	ec, ec384             *ecdsa.PrivateKey
	ecNew, ecNewer        *ecdsa.PrivateKey
}

var keys = sync.OnceValue(func() testKeys {
	rsaKey := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	ecKey := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	}
	return testKeys{
		rsa: rsaKey(), rsaOther: rsaKey(), rsaEnc: rsaKey(),
		ec: ecKey(elliptic.P256()), ec384: ecKey(elliptic.P384()),
		ecNew: ecKey(elliptic.P256()), ecNewer: ecKey(elliptic.P256()),
	}
})

// publicJWK is the published form of key under kid; fields are extra JWK members.
func publicJWK(t *testing.T, pub any, kid string, fields map[string]any) jwk.Key {
	t.Helper()
	k, err := jwk.Import(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	for name, v := range fields {
		if err := k.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// issuerKeySet is the key set the test issuer publishes at the start of every test.
func issuerKeySet(t *testing.T) jwk.Set {
	t.Helper()
	k := keys()
	set := jwk.NewSet()
	for _, key := range []jwk.Key{
		publicJWK(t, &k.rsa.PublicKey, "rsa-1", nil),
		publicJWK(t, &k.ec.PublicKey, "ec-1", map[string]any{jwk.AlgorithmKey: jwa.ES256()}),
		publicJWK(t, &k.ec384.PublicKey, "ec384-1", nil),
		publicJWK(t, &k.rsaEnc.PublicKey, "rsa-enc", map[string]any{jwk.KeyUsageKey: "enc"}),
	} {
		if err := set.AddKey(key); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

// jwksServer serves a key set on 127.0.0.1 and can be told to fail, as an identity
// provider having a bad day would.
type jwksServer struct {
	*httptest.Server
	mu   sync.Mutex
	set  jwk.Set
	fail bool
	hits atomic.Int64
}

func newJWKSServer(t *testing.T, set jwk.Set) *jwksServer {
	t.Helper()
	s := &jwksServer{set: set}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fail {
			http.Error(w, "unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_ = json.NewEncoder(w).Encode(s.set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) addKey(t *testing.T, key jwk.Key) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.set.AddKey(key); err != nil {
		t.Fatal(err)
	}
}

func (s *jwksServer) setFail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

// claims are good claims as of now; tests change or delete members.
func claims(now time.Time) map[string]any {
	return map[string]any{
		"iss":       testIssuer,
		"aud":       []string{testAudience},
		"sub":       testSubject,
		"iat":       now.Add(-time.Minute).Unix(),
		"nbf":       now.Add(-time.Minute).Unix(),
		"exp":       now.Add(5 * time.Minute).Unix(),
		"jti":       "token-1",
		"client_id": "housing-partner-1",
	}
}

func with(c map[string]any, changes map[string]any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// sign signs payload (a claims map, or raw bytes) with alg and key, naming kid unless it is
// empty; extra goes into the protected header.
func sign(t *testing.T, alg jwa.SignatureAlgorithm, key any, kid string, payload any, extra map[string]any) string {
	t.Helper()
	b, ok := payload.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	hdr := jws.NewHeaders()
	if kid != "" {
		if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range extra {
		if err := hdr.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := jws.Sign(b, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkRefusal asserts that err is an UNAUTHENTICATED refusal with message want that
// repeats nothing from the token.
func checkRefusal(t *testing.T, err error, want, token string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refusal %q", want)
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is a %T, not an *errs.Error", err, err)
	}
	if e.Kind != errs.Unauthenticated || e.Reason != errs.ReasonUnauthenticated {
		t.Errorf("kind %v reason %q; want Unauthenticated, %q", e.Kind, e.Reason, errs.ReasonUnauthenticated)
	}
	if e.Message != want {
		t.Errorf("message %q; want %q", e.Message, want)
	}
	text := err.Error()
	for _, s := range append(secrets, testSubject, testIssuer, "housing-partner-1") {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("error %q repeats %q from the token", text, s)
		}
	}
	if token != "" && len(token) > 8 && strings.Contains(text, token[:8]) {
		t.Errorf("error %q repeats the token", text)
	}
}
