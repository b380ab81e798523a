package console

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig is the identity provider the console signs people in at: the same one whose
// access tokens the API trusts.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string // empty for a public client (PKCE alone)
	// RedirectURL is this console's callback, https://HOST/app/sign-in/callback.
	RedirectURL string
	// Scopes beyond openid, for example the API's audience scope.
	Scopes []string
	// HTTPClient reaches the provider; nil is http.DefaultClient.
	HTTPClient *http.Client
}

// oidcFlow is the authorization code flow with PKCE (RFC 7636) and a nonce, through
// coreos/go-oidc (discovery, ID token verification) and x/oauth2 (the code exchange).
type oidcFlow struct {
	cfg           OIDCConfig
	provider      *oidc.Provider
	oauth         oauth2.Config
	verifier      *oidc.IDTokenVerifier
	endSessionURL string
}

func newOIDCFlow(ctx context.Context, cfg OIDCConfig) (*oidcFlow, error) {
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("console: OpenID Connect discovery at %s: %w", cfg.Issuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = provider.Claims(&extra)
	return &oidcFlow{cfg: cfg, provider: provider, endSessionURL: extra.EndSession,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: cfg.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID, "profile"}, cfg.Scopes...)},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// pendingSignIn is what the browser keeps, sealed, between leaving for the provider and
// coming back: it ties the callback to this browser (state), the ID token to this sign-in
// (nonce) and the code to this client (the PKCE verifier).
type pendingSignIn struct {
	State, Nonce, Verifier, Next string
}

const signInWindow = 10 * time.Minute

// start sends the browser to the provider.
func (c *Console) oidcStart(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		http.NotFound(w, r)
		return
	}
	p := pendingSignIn{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next"))}
	if err := c.setCookie(w, signInCookie, p, c.now().Add(signInWindow)); err != nil {
		http.Error(w, "Sorry, there is a problem with the service.", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, c.oidc.oauth.AuthCodeURL(p.State, oidc.Nonce(p.Nonce), oauth2.S256ChallengeOption(p.Verifier)), http.StatusFound)
}

// oidcCallback takes the provider's answer: the code for tokens, then a session.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		http.NotFound(w, r)
		return
	}
	var p pendingSignIn
	ok := c.readCookie(r, signInCookie, &p)
	clearCookie(w, signInCookie)
	q := r.URL.Query()
	refuse := func(body string) {
		c.render(w, r, nil, view{template: "error", title: "Sign-in did not work", status: http.StatusBadRequest,
			data: problem{Heading: "Sign-in did not work", Body: body}})
	}
	switch {
	case !ok || !sameToken(q.Get("state"), p.State):
		refuse("The sign-in took too long or was started elsewhere. Sign in again.")
		return
	case q.Get("error") != "":
		refuse("Your organisation's sign-in service did not sign you in. Sign in again, or ask your IT service desk.")
		return
	}
	ctx := r.Context()
	if c.oidc.cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, c.oidc.cfg.HTTPClient)
	}
	tok, err := c.oidc.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.Verifier))
	if err != nil {
		c.log.Warn("console: OpenID Connect code exchange failed", "error", err)
		refuse("Sign in again.")
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	id, err := c.oidc.verifier.Verify(ctx, rawID)
	if err == nil && id.Nonce != p.Nonce {
		err = errors.New("nonce does not match")
	}
	if err != nil {
		c.log.Warn("console: the ID token was refused", "error", err)
		refuse("Sign in again.")
		return
	}
	expiry := tok.Expiry
	if expiry.IsZero() || expiry.After(c.now().Add(c.opts.SessionTTL)) {
		expiry = c.now().Add(c.opts.SessionTTL)
	}
	// The access token is what the API verifies, exactly as for any other client.
	c.startSession(w, r, session{Subject: id.Subject, Token: tok.AccessToken, Expiry: expiry}, p.Next)
}

// endSession is the provider's sign-out address (RP-initiated logout), if it has one. It
// names the client rather than sending the ID token back, which keeps the session cookie
// small enough for any provider's tokens.
func (f *oidcFlow) endSession(after string) string {
	if f.endSessionURL == "" {
		return ""
	}
	u, err := url.Parse(f.endSessionURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("post_logout_redirect_uri", after)
	q.Set("client_id", f.cfg.ClientID)
	u.RawQuery = q.Encode()
	return u.String()
}
