package authn

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

func TestDevTokenVerifies(t *testing.T) {
	token, err := DevToken("person-1", 10*time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	c := newClock(t0.Add(time.Minute))
	got, err := DevVerifier(c.Now).Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if got.Subject != "person-1" || got.ClientID != "" || got.TokenID == "" || !got.Expiry.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("claims %+v", got)
	}

	msg, err := jws.ParseString(token)
	if err != nil {
		t.Fatal(err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if kid, _ := hdr.KeyID(); kid != "carepath-dev-1" {
		t.Errorf("kid %q", kid)
	}
	if typ, _ := hdr.Type(); typ != "at+jwt" {
		t.Errorf("typ %q", typ)
	}

	// Past its lifetime and the skew, it is refused.
	c.Advance(10*time.Minute + defaultSkew)
	_, err = DevVerifier(c.Now).Verify(t.Context(), token)
	checkRefusal(t, err, msgExpired, token, "person-1")
}

func TestDevTokenIDsDiffer(t *testing.T) {
	v := DevVerifier(newClock(t0).Now)
	seen := map[string]bool{}
	for range 3 {
		token, err := DevToken("person-1", time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.TokenID] {
			t.Fatalf("jti %q repeated", c.TokenID)
		}
		seen[c.TokenID] = true
	}
}

func TestDevTokenArguments(t *testing.T) {
	for name, call := range map[string]func() (string, error){
		"no subject":    func() (string, error) { return DevToken("", time.Minute, t0) },
		"zero lifetime": func() (string, error) { return DevToken("person-1", 0, t0) },
		"negative":      func() (string, error) { return DevToken("person-1", -time.Minute, t0) },
	} {
		if _, err := call(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// dev-token and serve run in different processes and must derive the same key.
func TestDevKeyIsDeterministic(t *testing.T) {
	if !DevKey().Equal(DevKey()) {
		t.Fatal("DevKey differs between calls")
	}
	if !deriveDevKey().Equal(DevKey()) {
		t.Fatal("deriving the key again gives another key")
	}
}

func TestDevKeySetHasNoPrivateKey(t *testing.T) {
	b, err := json.Marshal(DevKeySet())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 1 {
		t.Fatalf("%d keys in %s", len(doc.Keys), b)
	}
	key := doc.Keys[0]
	if _, ok := key["d"]; ok || strings.Contains(string(b), `"d"`) {
		t.Fatalf("private key material in %s", b)
	}
	for name, want := range map[string]string{"kid": "carepath-dev-1", "alg": "ES256", "kty": "EC", "crv": "P-256", "use": "sig"} {
		if key[name] != want {
			t.Errorf("%s = %v; want %q", name, key[name], want)
		}
	}
}

// A development token means nothing to a service configured for a real issuer, even if
// that issuer's key set somehow held the development key.
func TestDevTokenRefusedByRealIssuer(t *testing.T) {
	token, err := DevToken("person-1", 10*time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	devKey, ok := DevKeySet().Key(0)
	if !ok {
		t.Fatal("empty development key set")
	}
	withDevKey := issuerKeySet(t)
	if err := withDevKey.AddKey(devKey); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		set  jwk.Set
		want string
	}{
		{"issuer's key set", issuerKeySet(t), msgUnknownKey},
		{"issuer's key set with the development key in it", withDevKey, msgIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, tc.set)
			v := newTestJWKSVerifier(t, srv, newClock(t0))
			_, err := v.Verify(t.Context(), token)
			checkRefusal(t, err, tc.want, token, "person-1", DevIssuer)
		})
	}
}
