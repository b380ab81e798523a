// Package oidctest runs a real OpenID Provider (zitadel/oidc's op package) on a loopback
// httptest server, so tests can drive the console's sign-in end to end against the same
// protocol code a production provider runs, not a hand-made imitation of it.
//
// Only tests import it. The provider knows one client and one person; its login step
// approves that person at once, as if they had typed their password.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Options describe the provider's one client and one person.
type Options struct {
	ClientID     string
	ClientSecret string // empty for a public client (PKCE alone; its redirect must then be https)
	RedirectURI  string
	// PostLogoutRedirectURI is where RP-initiated logout may send the browser back to.
	PostLogoutRedirectURI string
	// Subject is the person the login step signs in ("sam-okoro").
	Subject string
	// Audience is the API's: every access token carries it beside the client id.
	Audience string
	// Scopes are those the client may ask for beyond the standard OpenID ones.
	Scopes []string
	// TokenLifetime bounds access and ID tokens; zero is five minutes.
	TokenLifetime time.Duration
}

// Provider is a running OpenID Provider.
type Provider struct {
	// Issuer is the provider's URL, its discovery document under it.
	Issuer string
	// KeysURL is the provider's key set (JWKS), for the API's verifier.
	KeysURL string

	srv     *httptest.Server
	store   *storage
	logins  atomic.Int64
	logouts atomic.Int64
}

// Start runs a provider on 127.0.0.1 until the test ends.
func Start(t testing.TB, o Options) *Provider {
	t.Helper()
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = 5 * time.Minute
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{store: &storage{opts: o, key: key, keyID: rand.Text(),
		requests: map[string]*authRequest{}, codes: map[string]string{}}}
	p.store.logouts = &p.logouts

	// The issuer is the server's URL, known only once it listens: the handler is set after.
	var handler http.Handler
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(p.srv.Close)
	p.Issuer = p.srv.URL
	p.KeysURL = p.Issuer + "/keys"
	p.store.loginURL = p.Issuer + "/login?id="

	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	provider, err := op.NewOpenIDProvider(p.Issuer, &op.Config{
		CryptoKey:      cryptoKey,
		CodeMethodS256: true,
	}, p.store, op.WithAllowInsecure()) // http on loopback: the console's test server is plain http too
	if err != nil {
		t.Fatal(err)
	}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	mux.Handle("/", provider)
	// The login step: approve the one person and go back to the authorization flow.
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if err := p.store.approve(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.logins.Add(1)
		http.Redirect(w, r, callback(op.ContextWithIssuer(r.Context(), p.Issuer), id), http.StatusFound)
	})
	handler = mux
	return p
}

// Client reaches the provider.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// Logins counts the times the login step signed the person in.
func (p *Provider) Logins() int { return int(p.logins.Load()) }

// Logouts counts the sessions ended through the provider's end_session endpoint.
func (p *Provider) Logouts() int { return int(p.logouts.Load()) }

// storage is the provider's memory: op.Storage, implemented for the authorization code
// flow with PKCE and RP-initiated logout; everything else is refused.
type storage struct {
	opts     Options
	key      *rsa.PrivateKey
	keyID    string
	loginURL string
	logouts  *atomic.Int64

	mu       sync.Mutex
	requests map[string]*authRequest
	codes    map[string]string // code → request id
}

var errUnsupported = errors.New("oidctest: not supported by this provider")

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	// Like a careful production provider, this one insists on PKCE with S256.
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with S256 is required")
	}
	a := &authRequest{id: rand.Text(), req: *req, audience: []string{req.ClientID, s.opts.Audience}}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[a.id] = a
	return a, nil
}

func (s *storage) approve(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return errors.New("oidctest: no such authorization request")
	}
	a.subject, a.authTime, a.done = s.opts.Subject, time.Now(), true
	return nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return nil, errors.New("oidctest: no such authorization request")
	}
	return a, nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[s.codes[code]]
	if !ok {
		return nil, errors.New("oidctest: no such code")
	}
	return a, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs when a code is exchanged: the code goes with its request, so a
// second exchange of it fails.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return rand.Text(), time.Now().Add(s.opts.TokenLifetime), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupported
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnsupported
}

func (s *storage) TerminateSession(context.Context, string, string) error {
	s.logouts.Add(1)
	return nil
}

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError().WithDescription("revocation is not supported")
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{id: s.keyID, key: s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.opts.ClientID {
		return nil, errors.New("oidctest: no such client")
	}
	return client{opts: s.opts, loginURL: s.loginURL}, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.opts.ClientID || s.opts.ClientSecret == "" || secret != s.opts.ClientSecret {
		return errors.New("oidctest: wrong client credentials")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, subject, _ string, scopes []string) error {
	info.Subject = subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername = subject
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	info.Subject = subject
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errUnsupported
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is one sign-in under way: what the client asked for, and once the login
// step has run, who signed in.
type authRequest struct {
	id       string
	req      oidc.AuthRequest
	audience []string
	subject  string
	authTime time.Time
	done     bool
}

func (a *authRequest) GetID() string          { return a.id }
func (a *authRequest) GetACR() string         { return "" }
func (a *authRequest) GetAMR() []string       { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string  { return a.audience }
func (a *authRequest) GetAuthTime() time.Time { return a.authTime }
func (a *authRequest) GetClientID() string    { return a.req.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}
func (a *authRequest) GetNonce() string                   { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }

// client is the console, registered as a confidential web client when it has a secret.
type client struct {
	opts     Options
	loginURL string
}

func (c client) GetID() string                       { return c.opts.ClientID }
func (c client) RedirectURIs() []string              { return []string{c.opts.RedirectURI} }
func (c client) PostLogoutRedirectURIs() []string    { return []string{c.opts.PostLogoutRedirectURI} }
func (c client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c client) LoginURL(id string) string            { return c.loginURL + id }
func (c client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c client) IDTokenLifetime() time.Duration       { return c.opts.TokenLifetime }
func (c client) DevMode() bool                        { return false }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) IsScopeAllowed(scope string) bool     { return slices.Contains(c.opts.Scopes, scope) }

func (c client) AuthMethod() oidc.AuthMethod {
	if c.opts.ClientSecret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }
