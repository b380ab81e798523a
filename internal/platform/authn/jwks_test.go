package authn

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func newTestJWKSVerifier(t *testing.T, srv *jwksServer, c *clock) Verifier {
	t.Helper()
	v, err := NewJWKSVerifier(t.Context(), Config{
		Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL + "/jwks.json",
		Now: c.Now, HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Rotation (§2.5): a key added to the issuer's set works at once, because an unknown kid
// triggers a refetch; while the issuer fails, known keys keep working and unknown ones
// fail closed; refetches for unknown kids happen at most once a minute.
func TestJWKSRotation(t *testing.T) {
	k := keys()
	c := newClock(t0)
	srv := newJWKSServer(t, issuerKeySet(t))
	v := newTestJWKSVerifier(t, srv, c)
	if got := srv.hits.Load(); got != 1 {
		t.Fatalf("%d fetches at start; want 1", got)
	}
	verify := func(t *testing.T, token string) error {
		t.Helper()
		_, err := v.Verify(t.Context(), token)
		return err
	}
	mint := func(t *testing.T, key any, kid string) string {
		t.Helper()
		return sign(t, jwa.ES256(), key, kid, claims(c.Now()), nil)
	}
	wantHits := func(t *testing.T, want int64) {
		t.Helper()
		if got := srv.hits.Load(); got != want {
			t.Fatalf("%d fetches of the key set; want %d", got, want)
		}
	}

	// A known kid needs no fetch.
	if err := verify(t, mint(t, k.ec, "ec-1")); err != nil {
		t.Fatal(err)
	}
	wantHits(t, 1)

	// The issuer rotates: its new key verifies at the first use, after one refetch.
	srv.addKey(t, publicJWK(t, &k.ecNew.PublicKey, "ec-2", nil))
	if err := verify(t, mint(t, k.ecNew, "ec-2")); err != nil {
		t.Fatalf("token signed with the new key refused: %v", err)
	}
	wantHits(t, 2)

	// The issuer fails. A minute on, an unknown kid refetches, fails and is refused ...
	srv.setFail(true)
	c.Advance(2 * time.Minute)
	checkRefusal(t, verify(t, mint(t, k.ecNewer, "ec-3")), msgUnknownKey, "")
	wantHits(t, 3)
	// ... while the keys already held still verify.
	for kid, key := range map[string]any{"ec-1": k.ec, "ec-2": k.ecNew} {
		if err := verify(t, mint(t, key, kid)); err != nil {
			t.Fatalf("known kid %s refused during the outage: %v", kid, err)
		}
	}
	if err := verify(t, sign(t, jwa.RS256(), k.rsa, "rsa-1", claims(c.Now()), nil)); err != nil {
		t.Fatalf("known kid rsa-1 refused during the outage: %v", err)
	}
	// Another unknown kid within the minute does not refetch.
	checkRefusal(t, verify(t, mint(t, k.ecNewer, "ec-4")), msgUnknownKey, "")
	wantHits(t, 3)

	// The issuer recovers with a third key: still refused until a minute has passed since
	// the last refetch, then verified.
	srv.setFail(false)
	srv.addKey(t, publicJWK(t, &k.ecNewer.PublicKey, "ec-3", nil))
	checkRefusal(t, verify(t, mint(t, k.ecNewer, "ec-3")), msgUnknownKey, "")
	wantHits(t, 3)
	c.Advance(61 * time.Second)
	if err := verify(t, mint(t, k.ecNewer, "ec-3")); err != nil {
		t.Fatalf("token signed with the third key refused after recovery: %v", err)
	}
	wantHits(t, 4)
}

// Many requests naming a new key at once cause a single refetch, and all succeed.
func TestJWKSConcurrentUnknownKid(t *testing.T) {
	k := keys()
	c := newClock(t0)
	srv := newJWKSServer(t, issuerKeySet(t))
	v := newTestJWKSVerifier(t, srv, c)
	srv.addKey(t, publicJWK(t, &k.ecNew.PublicKey, "ec-2", nil))
	token := sign(t, jwa.ES256(), k.ecNew, "ec-2", claims(t0), nil)

	var wg sync.WaitGroup
	errc := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := v.Verify(t.Context(), token)
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("refused: %v", err)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("%d fetches; want 2 (start and one refetch)", got)
	}
}

func TestNewJWKSVerifierConfig(t *testing.T) {
	srv := newJWKSServer(t, issuerKeySet(t))
	base := Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL, HTTPClient: srv.Client()}
	for _, tc := range []struct {
		name    string
		change  func(*Config)
		wantErr string // "" means success
	}{
		{"valid", func(*Config) {}, ""},
		{"valid with skew", func(c *Config) { c.Skew = 5 * time.Minute }, ""},
		{"no issuer", func(c *Config) { c.Issuer = "" }, "issuer"},
		{"no audience", func(c *Config) { c.Audience = "" }, "audience"},
		{"negative skew", func(c *Config) { c.Skew = -time.Second }, "skew"},
		{"skew above 5 minutes", func(c *Config) { c.Skew = 5*time.Minute + time.Second }, "skew"},
		{"no URL", func(c *Config) { c.JWKSURL = "" }, "URL"},
		{"relative URL", func(c *Config) { c.JWKSURL = "/jwks.json" }, "URL"},
		{"plain http to another host", func(c *Config) { c.JWKSURL = "http://idp.test.invalid/jwks.json" }, "https"},
		{"plain http to a private address", func(c *Config) { c.JWKSURL = "http://10.0.0.1/jwks.json" }, "https"},
		{"another scheme", func(c *Config) { c.JWKSURL = "ftp://127.0.0.1/jwks.json" }, "https"},
		{"credentials in the URL", func(c *Config) { c.JWKSURL = "https://user:pw@idp.test.invalid/jwks.json" }, "URL"},
		{"key set not served", func(c *Config) { c.JWKSURL = srv.URL + "/missing"; c.HTTPClient = notFoundClient(srv) }, "fetching"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.change(&cfg)
			_, err := NewJWKSVerifier(t.Context(), cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatal("accepted")
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
		})
	}
}

// notFoundClient is srv's client, against a server that answers 404 to everything.
func notFoundClient(srv *jwksServer) *http.Client {
	c := *srv.Client()
	c.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody, Request: r, Header: http.Header{}}, nil
	})
	return &c
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// An issuer that is down at start-up stops the service from starting, promptly.
func TestNewJWKSVerifierIssuerDown(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*jwksServer) string
	}{
		{"server error", func(s *jwksServer) string { s.setFail(true); return s.URL }},
		{"connection refused", func(s *jwksServer) string { s.Close(); return s.URL }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, issuerKeySet(t))
			url := tc.setup(srv)
			start := time.Now()
			_, err := NewJWKSVerifier(t.Context(), Config{
				Issuer: testIssuer, Audience: testAudience, JWKSURL: url, HTTPClient: srv.Client(),
			})
			if err == nil {
				t.Fatal("accepted an issuer whose key set cannot be fetched")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v to notice", d)
			}
		})
	}
}

func TestCheckJWKSURL(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://login.example.org/tenant/discovery/v2.0/keys": true,
		"http://127.0.0.1:8080/jwks.json":                      true,
		"http://localhost:8080/jwks.json":                      true,
		"http://[::1]:8080/jwks.json":                          true,
		"http://127.0.0.1.example.org/jwks.json":               false,
		"http://localhost.example.org/jwks.json":               false,
		"http://example.org/jwks.json":                         false,
		"https:///jwks.json":                                   false,
		"jwks.json":                                            false,
	} {
		if err := checkJWKSURL(url); (err == nil) != ok {
			t.Errorf("checkJWKSURL(%q) = %v; want ok=%v", url, err, ok)
		}
	}
}
