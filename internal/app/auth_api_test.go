package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"google.golang.org/grpc/codes"

	"github.com/carepath/carepath/internal/platform/authn"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

const (
	idpIssuer   = "https://idp.example.invalid/realms/council"
	idpAudience = "carepath-api"
)

// identityProvider is a JWKS endpoint on loopback with one RSA and one EC signing key.
type identityProvider struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
	url string
}

func newIdentityProvider(t *testing.T) *identityProvider {
	t.Helper()
	idp := &identityProvider{}
	var err error
	if idp.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if idp.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	for kid, pub := range map[string]any{"rsa-1": &idp.rsa.PublicKey, "ec-1": &idp.ec.PublicKey} {
		key, err := jwk.Import(pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := key.Set(jwk.KeyIDKey, kid); err != nil {
			t.Fatal(err)
		}
		if err := set.AddKey(key); err != nil {
			t.Fatal(err)
		}
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	idp.url = srv.URL + "/jwks.json"
	return idp
}

// claims are good claims for subject; tests change or delete members (nil deletes).
func (idp *identityProvider) claims(subject string, changes map[string]any) map[string]any {
	now := time.Now() // token lifetimes are checked against the real clock
	c := map[string]any{"iss": idpIssuer, "aud": idpAudience, "sub": subject,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func signJWT(t *testing.T, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	token, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(token)
}

// TestTokensFromAnIdentityProvider runs the server against a real key set: good RS256 and
// ES256 tokens are accepted, and every kind of bad token is refused with UNAUTHENTICATED /
// 401 on both protocols, without the token reaching the logs.
func TestTokensFromAnIdentityProvider(t *testing.T) {
	idp := newIdentityProvider(t)
	cfg := testConfig()
	cfg.AuthIssuer, cfg.AuthAudience, cfg.AuthJWKSURL = idpIssuer, idpAudience, idp.url
	s := startWithoutPerson(t, cfg)
	ctx := context.Background()

	call := func(token string) (error, restResponse) {
		_, err := pb.NewAccessServiceClient(s.dial(t, token)).ListOrganisations(ctx, &pb.ListOrganisationsRequest{})
		return err, s.as(token).do(t, "GET", "/v1/organisations", "")
	}
	for name, token := range map[string]string{
		"RS256": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin", nil)),
		"ES256": signJWT(t, jwa.ES256(), idp.ec, "ec-1", idp.claims("ada-admin", nil)),
		// Within the allowed clock skew (of the real clock, as every token time here).
		"just expired": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin",
			map[string]any{"exp": time.Now().Add(-10 * time.Second).Unix()})),
	} {
		if err, r := call(token); err != nil || r.code != 200 {
			t.Fatalf("%s token refused: %v / HTTP %d %s", name, err, r.code, r.body)
		}
	}

	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin", nil))
	parts := strings.Split(good, ".")
	payload := idp.claims("aud-auditor", nil)
	forged, _ := json.Marshal(payload)
	b64 := base64.RawURLEncoding.EncodeToString
	devToken, err := authn.DevToken("ada-admin", time.Hour, time.Now()) // token lifetimes: the real clock
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"expired": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin",
			map[string]any{"exp": time.Now().Add(-10 * time.Minute).Unix()})),
		"not yet valid": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin",
			map[string]any{"nbf": time.Now().Add(10 * time.Minute).Unix()})),
		"missing exp": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin", map[string]any{"exp": nil})),
		// A NumericDate is a JSON number; strings are refused even when they spell a time.
		"exp a numeric string": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin",
			map[string]any{"exp": fmt.Sprint(time.Now().Add(10 * time.Minute).Unix())})),
		"exp an RFC 3339 string": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin",
			map[string]any{"exp": time.Now().Add(10 * time.Minute).Format(time.RFC3339)})),
		"iat a numeric string": signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin",
			map[string]any{"iat": fmt.Sprint(time.Now().Unix())})),
		"wrong issuer":    signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin", map[string]any{"iss": "https://evil.invalid"})),
		"wrong audience":  signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin", map[string]any{"aud": "another-api"})),
		"no subject":      signJWT(t, jwa.RS256(), idp.rsa, "rsa-1", idp.claims("ada-admin", map[string]any{"sub": nil})),
		"unknown key":     signJWT(t, jwa.RS256(), otherKey, "rsa-2", idp.claims("ada-admin", nil)),
		"key id reused":   signJWT(t, jwa.RS256(), otherKey, "rsa-1", idp.claims("ada-admin", nil)),
		"alg none":        b64([]byte(`{"alg":"none","kid":"rsa-1"}`)) + "." + parts[1] + ".",
		"tampered claims": parts[0] + "." + b64(forged) + "." + parts[2],
		"tampered signature": parts[0] + "." + parts[1] + "." +
			strings.Map(func(r rune) rune {
				if r == 'A' {
					return 'B'
				}
				return 'A'
			}, parts[2][:8]) + parts[2][8:],
		"HS256 with the public key as secret": signJWT(t, jwa.HS256(), func() []byte {
			b, _ := json.Marshal(idp.rsa.PublicKey)
			return b
		}(), "rsa-1", idp.claims("ada-admin", nil)),
		"development issuer's token": devToken,
		"not a JWT":                  "not-a-token",
		"none":                       "",
	}
	for name, token := range bad {
		t.Run(name, func(t *testing.T) {
			err, r := call(token)
			wantGRPCError(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
			wantRESTError(t, r, 401, "UNAUTHENTICATED", "UNAUTHENTICATED")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	// Other schemes are refused too.
	r := s.as("").do(t, "GET", "/v1/organisations", "", "Authorization", "Basic "+b64([]byte("ada-admin:secret")))
	wantRESTError(t, r, 401, "UNAUTHENTICATED", "UNAUTHENTICATED")

	logs := s.logs.String()
	for name, token := range bad {
		if len(token) > 20 && strings.Contains(logs, token[len(token)-20:]) {
			t.Errorf("the %s token reached the logs", name)
		}
	}
}
