package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// session is who is signed in, kept in the browser in a sealed cookie (AES-256-GCM), so
// that any replica holding the key can serve the next page and nothing is stored
// server-side. It holds the bearer token the console calls the API with, never personal
// data about young people.
type session struct {
	Subject      string    `json:"s"`
	DisplayName  string    `json:"n"`
	Organisation string    `json:"o"`
	Roles        []string  `json:"r"`
	Token        string    `json:"t"`
	Expiry       time.Time `json:"e"`
	CSRF         string    `json:"c"`
	// YoungPerson is, for a young person's own account, their record's id.
	YoungPerson string `json:"y,omitempty"`
}

func (s session) has(role string) bool {
	for _, r := range s.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// sealer seals and opens cookie values. The cookie's name is the AEAD's additional data,
// so a value sealed for one cookie cannot be replayed as another.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("console: the session key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(name string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(name))), nil
}

func (s *sealer) open(name, value string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return errors.New("console: bad cookie")
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], []byte(name))
	if err != nil {
		return errors.New("console: bad cookie")
	}
	return json.Unmarshal(plain, v)
}

// Cookie names. The __Host- prefix makes browsers insist on Secure, Path=/ and no Domain,
// so no other site or subdomain can plant or read them.
const (
	sessionCookie = "__Host-carepath-session"
	signInCookie  = "__Host-carepath-sign-in" // OIDC state, nonce and PKCE verifier, for ten minutes
)

// setCookie writes a sealed cookie: Secure, HttpOnly and SameSite=Lax (Lax, not Strict,
// so that the identity provider's redirect back and links from e-mails arrive signed in).
// Its lifetime goes as Max-Age, seconds from now, not as an Expires date: a browser whose
// clock disagrees with the server's would drop a dated cookie at once, or keep it too long.
// The sealed value carries its own expiry, which the server checks on its own clock.
func (c *Console) setCookie(w http.ResponseWriter, name string, v any, expires time.Time) error {
	value, err := c.sealer.seal(name, v)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: max(1, int(expires.Sub(c.now()).Seconds())),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// readCookie opens a sealed cookie; false when it is missing or not ours.
func (c *Console) readCookie(r *http.Request, name string, v any) bool {
	ck, err := r.Cookie(name)
	return err == nil && c.sealer.open(name, ck.Value, v) == nil
}

// currentSession is the request's session, if it has one that has not expired.
func (c *Console) currentSession(r *http.Request) (session, bool) {
	var s session
	if !c.readCookie(r, sessionCookie, &s) || s.Token == "" || !c.now().Before(s.Expiry) {
		return session{}, false
	}
	return s, true
}
