package authn

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func TestFromAuthorization(t *testing.T) {
	for _, tc := range []struct {
		name, header, want, wantErr string
	}{
		{name: "no header", header: "", wantErr: msgMissing},
		{name: "blank", header: "   ", wantErr: msgMissing},
		{name: "basic scheme", header: "Basic xxx", wantErr: msgScheme},
		{name: "scheme only", header: "Bearer", wantErr: msgMissing},
		{name: "scheme and space", header: "Bearer ", wantErr: msgMissing},
		{name: "scheme glued to token", header: "Bearerabc.def.ghi", wantErr: msgScheme},
		{name: "two tokens", header: "Bearer abc def", wantErr: msgMalformed},
		{name: "token with tab", header: "Bearer abc\tdef", wantErr: msgMalformed},
		{name: "bearer", header: "Bearer abc.def.ghi", want: "abc.def.ghi"},
		{name: "lower case scheme", header: "bearer abc.def.ghi", want: "abc.def.ghi"},
		{name: "upper case scheme, extra spaces", header: "  BEARER   abc.def.ghi ", want: "abc.def.ghi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromAuthorization(tc.header)
			if tc.wantErr != "" {
				checkRefusal(t, err, tc.wantErr, "", "xxx", "abc")
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FromAuthorization(%q) = %q, %v; want %q", tc.header, got, err, tc.want)
			}
		})
	}
}

// verifiers returns a verifier of each kind over the issuer's key set, all on clock c.
func verifiers(t *testing.T, c *clock) map[string]Verifier {
	t.Helper()
	srv := newJWKSServer(t, issuerKeySet(t))
	jv, err := NewJWKSVerifier(t.Context(), Config{
		Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL + "/jwks.json",
		Now: c.Now, HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Verifier{
		"key set": NewKeySetVerifier(issuerKeySet(t), testIssuer, testAudience, 0, c.Now),
		"JWKS":    jv,
	}
}

// The negative suite of the security brief (§2.5): every bad token is refused as
// UNAUTHENTICATED, for the right reason, by both kinds of verifier.
func TestVerifyRefusesBadTokens(t *testing.T) {
	k := keys()
	good := claims(t0)
	rs256 := func(c map[string]any) func(*testing.T) string {
		return func(t *testing.T) string { return sign(t, jwa.RS256(), k.rsa, "rsa-1", c, nil) }
	}
	pubPEM := func(t *testing.T) []byte {
		der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	pubDER := func(t *testing.T) []byte {
		der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}

	for _, tc := range []struct {
		name  string
		token func(t *testing.T) string
		want  string
	}{
		{"empty", func(*testing.T) string { return "" }, msgMissing},
		{"one part", func(*testing.T) string { return "abcdef" }, msgMalformed},
		{"two parts", func(*testing.T) string { return "abc.def" }, msgMalformed},
		{"four parts", func(*testing.T) string { return "a.b.c.d" }, msgMalformed},
		{"five parts (encrypted)", func(*testing.T) string { return "a.b.c.d.e" }, msgMalformed},
		{"bad base64", func(*testing.T) string { return "!!!.@@@.###" }, msgMalformed},
		{"header not JSON", func(t *testing.T) string {
			return b64("not json") + "." + b64JSON(t, good) + "." + b64("sig")
		}, msgMalformed},
		{"payload not JSON, signed", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", []byte("not json"), nil)
		}, msgMalformed},
		{"payload a JSON array, signed", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", []byte(`["sub"]`), nil)
		}, msgMalformed},
		{"exp not a number", rs256(with(good, map[string]any{"exp": "tomorrow"})), msgMalformed},
		// NumericDate is a JSON number (RFC 7519 section 2); the JWT library would read
		// these strings as dates.
		{"exp a numeric string", rs256(with(good, map[string]any{"exp": fmt.Sprint(t0.Add(time.Hour).Unix())})), msgMalformed},
		{"exp an RFC 3339 string", rs256(with(good, map[string]any{"exp": t0.Add(time.Hour).Format(time.RFC3339)})), msgMalformed},
		{"exp true", rs256(with(good, map[string]any{"exp": true})), msgMalformed},
		{"exp an array", rs256(with(good, map[string]any{"exp": []int64{t0.Add(time.Hour).Unix()}})), msgMalformed},
		{"nbf a numeric string", rs256(with(good, map[string]any{"nbf": fmt.Sprint(t0.Unix())})), msgMalformed},
		{"iat a numeric string", rs256(with(good, map[string]any{"iat": fmt.Sprint(t0.Unix())})), msgMalformed},
		{"iat null", rs256(with(good, map[string]any{"iat": json.RawMessage("null")})), msgMalformed},
		{"client_id not a string", rs256(with(good, map[string]any{"client_id": 42})), msgMalformed},
		{"alg none", func(t *testing.T) string {
			return b64JSON(t, map[string]string{"alg": "none", "kid": "rsa-1"}) + "." + b64JSON(t, good) + "."
		}, msgAlgorithm},
		{"alg None", func(t *testing.T) string {
			return b64JSON(t, map[string]string{"alg": "None", "kid": "rsa-1"}) + "." + b64JSON(t, good) + "."
		}, msgMalformed},
		{"no alg", func(t *testing.T) string {
			return b64JSON(t, map[string]string{"kid": "rsa-1"}) + "." + b64JSON(t, good) + "." + b64("sig")
		}, msgAlgorithm},
		{"HS256 keyed with the RSA public key PEM", func(t *testing.T) string {
			return sign(t, jwa.HS256(), pubPEM(t), "rsa-1", good, nil)
		}, msgAlgorithm},
		{"HS256 keyed with the RSA public key DER", func(t *testing.T) string {
			return sign(t, jwa.HS256(), pubDER(t), "rsa-1", good, nil)
		}, msgAlgorithm},
		{"ES384 with a published P-384 key", func(t *testing.T) string {
			return sign(t, jwa.ES384(), k.ec384, "ec384-1", good, nil)
		}, msgAlgorithm},
		{"RS512 with the published RSA key", func(t *testing.T) string {
			return sign(t, jwa.RS512(), k.rsa, "rsa-1", good, nil)
		}, msgAlgorithm},
		{"PS256 with the published RSA key", func(t *testing.T) string {
			return sign(t, jwa.PS256(), k.rsa, "rsa-1", good, nil)
		}, msgAlgorithm},
		{"unknown kid", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-unknown", good, nil)
		}, msgUnknownKey},
		{"no kid", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "", good, nil)
		}, msgUnknownKey},
		{"right kid, wrong key", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsaOther, "rsa-1", good, nil)
		}, msgSignature},
		{"ES256 naming an RSA key", func(t *testing.T) string {
			return sign(t, jwa.ES256(), k.ec, "rsa-1", good, nil)
		}, msgKeyMismatch},
		{"ES256 naming a P-384 key", func(t *testing.T) string {
			return sign(t, jwa.ES256(), k.ec, "ec384-1", good, nil)
		}, msgKeyMismatch},
		{"key published for encryption", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsaEnc, "rsa-enc", good, nil)
		}, msgKeyMismatch},
		{"tampered payload", func(t *testing.T) string {
			parts := strings.Split(sign(t, jwa.RS256(), k.rsa, "rsa-1", good, nil), ".")
			parts[1] = b64JSON(t, with(good, map[string]any{"sub": "person-other"}))
			return strings.Join(parts, ".")
		}, msgSignature},
		{"signature stripped", func(t *testing.T) string {
			parts := strings.Split(sign(t, jwa.RS256(), k.rsa, "rsa-1", good, nil), ".")
			return parts[0] + "." + parts[1] + "."
		}, msgMalformed},
		{"critical header extension", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", good, map[string]any{"crit": []string{"x-carepath"}, "x-carepath": true})
		}, msgUnsupported},
		{"nested token", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", good, map[string]any{"cty": "JWT"})
		}, msgUnsupported},
		{"expired", rs256(with(good, map[string]any{"exp": t0.Add(-2 * time.Minute).Unix()})), msgExpired},
		{"expired exactly the skew ago", rs256(with(good, map[string]any{"exp": t0.Add(-defaultSkew).Unix()})), msgExpired},
		{"exp missing", rs256(with(good, map[string]any{"exp": nil})), msgNoExpiry},
		{"exp at the epoch", rs256(with(good, map[string]any{"exp": 0})), msgExpired},
		{"nbf in the future", rs256(with(good, map[string]any{"nbf": t0.Add(2 * time.Minute).Unix()})), msgNotYetValid},
		{"iat in the future beyond skew", rs256(with(good, map[string]any{"iat": t0.Add(2 * time.Minute).Unix()})), msgIssuedInFuture},
		{"wrong iss", rs256(with(good, map[string]any{"iss": "https://evil.test.invalid"})), msgIssuer},
		{"iss with a trailing slash", rs256(with(good, map[string]any{"iss": testIssuer + "/"})), msgIssuer},
		{"iss missing", rs256(with(good, map[string]any{"iss": nil})), msgIssuer},
		{"wrong aud", rs256(with(good, map[string]any{"aud": "another-api"})), msgAudience},
		{"aud a prefix of ours", rs256(with(good, map[string]any{"aud": []string{"carepath"}})), msgAudience},
		{"aud missing", rs256(with(good, map[string]any{"aud": nil})), msgAudience},
		{"empty sub", rs256(with(good, map[string]any{"sub": ""})), msgNoSubject},
		{"sub missing", rs256(with(good, map[string]any{"sub": nil})), msgNoSubject},
		{"oversized", rs256(with(good, map[string]any{"pad": strings.Repeat("x", maxTokenSize)})), msgTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token(t)
			for kind, v := range verifiers(t, newClock(t0)) {
				t.Run(kind, func(t *testing.T) {
					_, err := v.Verify(t.Context(), token)
					checkRefusal(t, err, tc.want, token, "rsa-1", "ec384-1", "rsa-unknown")
				})
			}
		})
	}
}

func TestVerifyAcceptsGoodTokens(t *testing.T) {
	k := keys()
	good := claims(t0)
	for _, tc := range []struct {
		name  string
		token func(t *testing.T) string
		want  Claims
	}{
		{"RS256", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", good, map[string]any{"typ": "at+jwt"})
		}, Claims{Subject: testSubject, ClientID: "housing-partner-1", TokenID: "token-1", Expiry: t0.Add(5 * time.Minute)}},
		{"ES256, azp instead of client_id, no jti", func(t *testing.T) string {
			c := with(good, map[string]any{"client_id": nil, "jti": nil, "azp": "employment-partner-2"})
			return sign(t, jwa.ES256(), k.ec, "ec-1", c, nil)
		}, Claims{Subject: testSubject, ClientID: "employment-partner-2", Expiry: t0.Add(5 * time.Minute)}},
		{"client_id preferred to azp", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", with(good, map[string]any{"azp": "other"}), nil)
		}, Claims{Subject: testSubject, ClientID: "housing-partner-1", TokenID: "token-1", Expiry: t0.Add(5 * time.Minute)}},
		{"a staff token: no client, aud a string, no nbf or iat", func(t *testing.T) string {
			c := with(good, map[string]any{"client_id": nil, "aud": testAudience, "nbf": nil, "iat": nil})
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", c, nil)
		}, Claims{Subject: testSubject, TokenID: "token-1", Expiry: t0.Add(5 * time.Minute)}},
		{"aud among others", func(t *testing.T) string {
			return sign(t, jwa.ES256(), k.ec, "ec-1", with(good, map[string]any{"aud": []string{"other", testAudience}}), nil)
		}, Claims{Subject: testSubject, ClientID: "housing-partner-1", TokenID: "token-1", Expiry: t0.Add(5 * time.Minute)}},
		{"expired within the skew", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", with(good, map[string]any{"exp": t0.Add(-30 * time.Second).Unix()}), nil)
		}, Claims{Subject: testSubject, ClientID: "housing-partner-1", TokenID: "token-1", Expiry: t0.Add(-30 * time.Second)}},
		{"nbf and iat ahead within the skew", func(t *testing.T) string {
			ahead := t0.Add(30 * time.Second).Unix()
			return sign(t, jwa.RS256(), k.rsa, "rsa-1", with(good, map[string]any{"nbf": ahead, "iat": ahead}), nil)
		}, Claims{Subject: testSubject, ClientID: "housing-partner-1", TokenID: "token-1", Expiry: t0.Add(5 * time.Minute)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token(t)
			for kind, v := range verifiers(t, newClock(t0)) {
				t.Run(kind, func(t *testing.T) {
					got, err := v.Verify(t.Context(), token)
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if got.Subject != tc.want.Subject || got.ClientID != tc.want.ClientID ||
						got.TokenID != tc.want.TokenID || !got.Expiry.Equal(tc.want.Expiry) {
						t.Errorf("claims %+v; want %+v", got, tc.want)
					}
				})
			}
		})
	}
}

func TestNewKeySetVerifierFailsClosed(t *testing.T) {
	token := sign(t, jwa.RS256(), keys().rsa, "rsa-1", claims(t0), nil)
	c := newClock(t0)
	for _, tc := range []struct {
		name string
		v    Verifier
		want string
	}{
		{"nil key set", NewKeySetVerifier(nil, testIssuer, testAudience, 0, c.Now), msgUnknownKey},
		{"no issuer configured", NewKeySetVerifier(issuerKeySet(t), "", testAudience, 0, c.Now), msgIssuer},
		{"no audience configured", NewKeySetVerifier(issuerKeySet(t), testIssuer, "", 0, c.Now), msgAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.Verify(t.Context(), token)
			checkRefusal(t, err, tc.want, token)
		})
	}
}

// The skew given to NewKeySetVerifier is used, defaulted and capped.
func TestKeySetVerifierSkew(t *testing.T) {
	k := keys()
	for _, tc := range []struct {
		name    string
		skew    time.Duration
		expired time.Duration // how long ago the token expired
		ok      bool
	}{
		{"default, inside", 0, 59 * time.Second, true},
		{"default, outside", 0, 61 * time.Second, false},
		{"explicit, inside", 2 * time.Minute, 119 * time.Second, true},
		{"explicit, outside", 2 * time.Minute, 121 * time.Second, false},
		{"capped at 5 minutes", time.Hour, 6 * time.Minute, false},
		{"capped, inside", time.Hour, 4 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := NewKeySetVerifier(issuerKeySet(t), testIssuer, testAudience, tc.skew, newClock(t0).Now)
			token := sign(t, jwa.RS256(), k.rsa, "rsa-1", with(claims(t0), map[string]any{"exp": t0.Add(-tc.expired).Unix()}), nil)
			_, err := v.Verify(t.Context(), token)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				checkRefusal(t, err, msgExpired, token)
			}
		})
	}
}
