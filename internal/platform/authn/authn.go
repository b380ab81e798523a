// Package authn verifies the bearer tokens that callers present and says who they are.
//
// A token is a compact JWS (a JWT) signed by a trusted issuer with RS256 or ES256, nothing
// else: "none", HMAC and every other algorithm are refused, because an allow-list is the only
// defence against algorithm confusion (for example an HS256 token keyed with the issuer's
// public key). The signing key is the one the token names by "kid" in the issuer's key set;
// a token without a known kid is refused rather than tried against every key. The claims are
// checked only after the signature, and "exp" is required because the JWT libraries treat a
// token without one as valid for ever.
//
// Every refusal is an *errs.Error of kind Unauthenticated whose message says what was wrong
// in general terms and never repeats the token, its header or its claims: tokens are secrets
// and claims may identify people.
//
// Two sources of keys exist: NewJWKSVerifier for a real identity provider, whose key set is
// fetched over HTTPS and cached, and the development issuer (DevVerifier and friends) for the
// zero-setup mode, whose key is public and whose tokens are therefore worthless outside a
// developer's machine.
package authn

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/carepath/carepath/internal/errs"
)

const (
	// maxTokenSize bounds the work an unauthenticated caller can make us do before any
	// signature has been checked; real access tokens are well under 2 KiB.
	maxTokenSize = 8 << 10
	// defaultSkew and maxSkew bound the clock difference tolerated between us and the
	// issuer. A larger allowance would quietly extend the life of every token.
	defaultSkew = 60 * time.Second
	maxSkew     = 5 * time.Minute
	// minRSABits is the smallest RSA modulus accepted, as in NIST SP 800-131A.
	minRSABits = 2048
)

// Refusal messages. They are shown to callers, so they name the rule that failed and
// nothing from the token itself.
const (
	msgMissing        = "a bearer token is required"
	msgScheme         = "the Authorization header must use the Bearer scheme"
	msgTooLarge       = "the token is too large"
	msgMalformed      = "the token is malformed"
	msgUnsupported    = "the token uses a header that is not supported"
	msgAlgorithm      = "the token is signed with an algorithm that is not accepted"
	msgUnknownKey     = "the token's signing key is not known"
	msgKeyMismatch    = "the token's signing key cannot be used with its algorithm"
	msgSignature      = "the token's signature is not valid"
	msgNoExpiry       = "the token has no expiry time"
	msgExpired        = "the token has expired"
	msgNotYetValid    = "the token is not valid yet"
	msgIssuedInFuture = "the token was issued in the future"
	msgIssuer         = "the token was not issued by a trusted issuer"
	msgAudience       = "the token was not issued for this service"
	msgNoSubject      = "the token has no subject"
)

func refuse(msg string) error {
	return errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "%s", msg)
}

// Claims is what carepath takes from a verified token.
type Claims struct {
	// Subject is "sub": the person id in carepath (callers build people/{id} from it).
	Subject string
	// ClientID is "client_id", or "azp" when there is no client_id (partner systems); else "".
	ClientID string
	// TokenID is "jti" if present, for the audit trail.
	TokenID string
	// Expiry is "exp".
	Expiry time.Time
}

// Verifier checks a bearer token and returns its claims. Every failure is an *errs.Error
// of kind errs.Unauthenticated.
type Verifier interface {
	Verify(ctx context.Context, token string) (Claims, error)
}

// FromAuthorization extracts the bearer token from an Authorization header value
// ("Bearer <token>", the scheme matched case-insensitively as RFC 9110 says). A missing
// header, another scheme or a value that is not a single token is refused.
func FromAuthorization(header string) (string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", refuse(msgMissing)
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", refuse(msgScheme)
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return "", refuse(msgMissing)
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", refuse(msgMalformed)
	}
	return token, nil
}

// keyLookup returns the key named kid, or false when the key set has no such key.
type keyLookup func(ctx context.Context, kid string) (jwk.Key, bool)

// verifier applies the rules of the package with keys from lookup.
type verifier struct {
	lookup   keyLookup
	issuer   string
	audience string
	skew     time.Duration
	now      func() time.Time
}

// NewKeySetVerifier returns a verifier of tokens signed by a key in set and issued by
// issuer for audience. It is used by the development issuer and by tests; a real issuer
// rotates its keys and needs NewJWKSVerifier.
//
// skew is the clock difference tolerated on "exp", "nbf" and "iat": zero or less means the
// default of 60 seconds and values above 5 minutes are cut to 5 minutes (there is no error
// to return here, and a longer allowance would stretch every token's life). now is the
// clock; nil means time.Now. A nil set, or an empty issuer or audience, refuses every token.
func NewKeySetVerifier(set jwk.Set, issuer, audience string, skew time.Duration, now func() time.Time) Verifier {
	if skew <= 0 {
		skew = defaultSkew
	}
	skew = min(skew, maxSkew)
	return newVerifier(func(_ context.Context, kid string) (jwk.Key, bool) {
		if set == nil {
			return nil, false
		}
		return set.LookupKeyID(kid)
	}, issuer, audience, skew, now)
}

func newVerifier(lookup keyLookup, issuer, audience string, skew time.Duration, now func() time.Time) *verifier {
	if now == nil {
		now = time.Now
	}
	return &verifier{lookup: lookup, issuer: issuer, audience: audience, skew: skew, now: now}
}

// Verify checks the token's form, then its signature, then its claims, in that order: no
// claim of an unsigned token is looked at.
func (v *verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if token == "" {
		return Claims{}, refuse(msgMissing)
	}
	if len(token) > maxTokenSize {
		return Claims{}, refuse(msgTooLarge)
	}
	// Compact serialisation only: the JSON serialisation can carry several signatures and
	// unprotected headers, and five parts would be an encrypted token.
	if strings.Count(token, ".") != 2 {
		return Claims{}, refuse(msgMalformed)
	}
	msg, err := jws.ParseString(token, jws.WithCompact())
	if err != nil || len(msg.Signatures()) != 1 {
		return Claims{}, refuse(msgMalformed)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if hdr == nil {
		return Claims{}, refuse(msgMalformed)
	}
	alg, ok := hdr.Algorithm()
	if !ok || !allowedAlgorithm(alg) {
		return Claims{}, refuse(msgAlgorithm)
	}
	// We understand no critical extensions (RFC 7515 says to refuse them), and a content
	// type would announce a nested token, which no issuer of ours sends.
	if hdr.Has(jws.CriticalKey) || hdr.Has(jws.ContentTypeKey) {
		return Claims{}, refuse(msgUnsupported)
	}
	kid, ok := hdr.KeyID()
	if !ok || kid == "" {
		return Claims{}, refuse(msgUnknownKey)
	}
	key, ok := v.lookup(ctx, kid)
	if !ok {
		return Claims{}, refuse(msgUnknownKey)
	}
	pub, err := verificationKey(key, alg)
	if err != nil {
		return Claims{}, err
	}
	payload, err := jws.Verify([]byte(token), jws.WithKey(alg, pub), jws.WithCompact(), jws.WithCritValidation(true))
	if err != nil {
		return Claims{}, refuse(msgSignature)
	}
	return v.claims(payload)
}

func allowedAlgorithm(alg jwa.SignatureAlgorithm) bool {
	switch alg.String() {
	case jwa.RS256().String(), jwa.ES256().String():
		return true
	}
	return false
}

// verificationKey returns the raw public key to check alg with, refusing keys that are not
// meant for signatures, that disagree with the token about the algorithm, or that are weak.
func verificationKey(key jwk.Key, alg jwa.SignatureAlgorithm) (any, error) {
	if use, ok := key.KeyUsage(); ok && use != "" && use != jwk.ForSignature.String() {
		return nil, refuse(msgKeyMismatch)
	}
	if ops, ok := key.KeyOps(); ok && len(ops) > 0 && !slices.Contains(ops, jwk.KeyOpVerify) {
		return nil, refuse(msgKeyMismatch)
	}
	if ka, ok := key.Algorithm(); ok && ka.String() != "" && ka.String() != alg.String() {
		return nil, refuse(msgKeyMismatch)
	}
	pk, err := key.PublicKey()
	if err != nil {
		return nil, refuse(msgKeyMismatch)
	}
	var raw any
	if err := jwk.Export(pk, &raw); err != nil {
		return nil, refuse(msgKeyMismatch)
	}
	switch alg.String() {
	case jwa.RS256().String():
		if k, ok := raw.(*rsa.PublicKey); ok && k.N.BitLen() >= minRSABits {
			return k, nil
		}
	case jwa.ES256().String():
		if k, ok := raw.(*ecdsa.PublicKey); ok && k.Curve == elliptic.P256() {
			return k, nil
		}
	}
	return nil, refuse(msgKeyMismatch)
}

// claims parses the signed payload and applies the claim rules.
func (v *verifier) claims(payload []byte) (Claims, error) {
	// A JWT's payload is a JSON object; anything else (a nested token, say) is refused
	// rather than unwrapped.
	if p := bytes.TrimSpace(payload); len(p) == 0 || p[0] != '{' {
		return Claims{}, refuse(msgMalformed)
	}
	if !numericDates(payload) {
		return Claims{}, refuse(msgMalformed)
	}
	tok := jwt.New()
	if err := json.Unmarshal(payload, tok); err != nil {
		return Claims{}, refuse(msgMalformed)
	}

	now := v.now()
	exp, ok := tok.Expiration()
	if !ok || exp.IsZero() {
		return Claims{}, refuse(msgNoExpiry)
	}
	if !now.Before(exp.Add(v.skew)) {
		return Claims{}, refuse(msgExpired)
	}
	if nbf, ok := tok.NotBefore(); ok && nbf.After(now.Add(v.skew)) {
		return Claims{}, refuse(msgNotYetValid)
	}
	if iat, ok := tok.IssuedAt(); ok && iat.After(now.Add(v.skew)) {
		return Claims{}, refuse(msgIssuedInFuture)
	}
	if iss, _ := tok.Issuer(); v.issuer == "" || iss != v.issuer {
		return Claims{}, refuse(msgIssuer)
	}
	if aud, _ := tok.Audience(); v.audience == "" || !slices.Contains(aud, v.audience) {
		return Claims{}, refuse(msgAudience)
	}
	sub, _ := tok.Subject()
	if sub == "" {
		return Claims{}, refuse(msgNoSubject)
	}

	c := Claims{Subject: sub, Expiry: exp}
	c.TokenID, _ = tok.JwtID()
	for _, name := range []string{"client_id", "azp"} {
		if !tok.Has(name) {
			continue
		}
		var id string
		if err := tok.Get(name, &id); err != nil {
			return Claims{}, refuse(msgMalformed)
		}
		if id != "" {
			c.ClientID = id
			break
		}
	}
	return c, nil
}

// numericDates reports whether the time claims present ("exp", "nbf", "iat") are JSON
// numbers, as RFC 7519 defines a NumericDate. The JWT library also reads strings (digits
// or RFC 3339) as dates; a token that spells a time claim any other way is malformed.
func numericDates(payload []byte) bool {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return false
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		v, ok := claims[name]
		if !ok {
			continue
		}
		// The value is valid JSON, so a leading '-' or digit makes it a number.
		if v = bytes.TrimSpace(v); len(v) == 0 || v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return false
		}
	}
	return true
}
