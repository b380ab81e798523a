package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// The development issuer lets `carepath serve` run with no identity provider: tokens come
// from `carepath dev-token`. Its issuer name is under .invalid (RFC 2606), so that no real
// identity provider can share it, and a JWKS verifier configured for a real issuer refuses
// its tokens on "iss" even if its key were somehow in the real key set.
const (
	DevIssuer   = "https://carepath.invalid/dev-issuer"
	DevAudience = "carepath"
)

const (
	devKeyID = "carepath-dev-1"
	// devSeed is public on purpose; see DevKey. Changing it invalidates every
	// development token in circulation, which is harmless.
	devSeed = "carepath development issuer, key 1. This key is public: never trust what it signs outside a developer's machine."
)

var devKey = sync.OnceValue(deriveDevKey)

// DevKey is the development issuer's ES256 key. It is derived from a fixed, public seed on
// purpose: `carepath dev-token` (a separate process) and `carepath serve` must agree on it
// with no shared files, and anything it signs is therefore worthless outside a developer's
// machine. Never configure a production service to trust it.
func DevKey() *ecdsa.PrivateKey { return devKey() }

// deriveDevKey takes the P-256 scalar from SHA-256 of the seed, hashing again in the
// (roughly one in four billion) case that the digest is zero or not below the group order,
// so no private key has to be written into the source.
func deriveDevKey() *ecdsa.PrivateKey {
	d := sha256.Sum256([]byte(devSeed))
	for {
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
		if err == nil {
			return k
		}
		d = sha256.Sum256(d[:])
	}
}

// DevKeySet is the public key set of DevKey (kid "carepath-dev-1", alg ES256), for the
// verifier and to serve at an HTTP path. It holds no private material. Each call returns a
// new set, so that a caller changing it cannot affect others.
func DevKeySet() jwk.Set {
	key, err := jwk.Import(&DevKey().PublicKey)
	if err == nil {
		err = errors.Join(
			key.Set(jwk.KeyIDKey, devKeyID),
			key.Set(jwk.AlgorithmKey, jwa.ES256()),
			key.Set(jwk.KeyUsageKey, jwk.ForSignature),
		)
	}
	set := jwk.NewSet()
	if err == nil {
		err = set.AddKey(key)
	}
	if err != nil {
		// The key is a valid P-256 key built above, so this cannot happen.
		panic(fmt.Sprintf("authn: building the development key set: %v", err))
	}
	return set
}

// DevVerifier verifies development tokens, with the default clock skew; nil now means
// time.Now.
func DevVerifier(now func() time.Time) Verifier {
	return NewKeySetVerifier(DevKeySet(), DevIssuer, DevAudience, defaultSkew, now)
}

// DevToken mints a development token for subject, issued at now and valid for ttl, with a
// random "jti". Its header has typ "at+jwt", as RFC 9068 access tokens do.
func DevToken(subject string, ttl time.Duration, now time.Time) (string, error) {
	if subject == "" {
		return "", errors.New("authn: a development token needs a subject")
	}
	if ttl <= 0 {
		return "", errors.New("authn: a development token needs a positive lifetime")
	}
	tok, err := jwt.NewBuilder().
		Issuer(DevIssuer).
		Audience([]string{DevAudience}).
		Subject(subject).
		IssuedAt(now).
		Expiration(now.Add(ttl)).
		JwtID(rand.Text()).
		Build()
	if err != nil {
		return "", fmt.Errorf("authn: building a development token: %w", err)
	}
	hdr := jws.NewHeaders()
	if err := errors.Join(hdr.Set(jws.KeyIDKey, devKeyID), hdr.Set(jws.TypeKey, "at+jwt")); err != nil {
		return "", fmt.Errorf("authn: building a development token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), DevKey(), jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("authn: signing a development token: %w", err)
	}
	return string(signed), nil
}
