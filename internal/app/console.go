package app

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/carepath/carepath/internal/console"
	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/platform/authn"
)

// console builds the web console. It calls the API as the gateway does (a.local), vouching
// for the browser's address as the gateway does, so every page passes the same
// interceptors as a REST or gRPC call.
func (a *App) console(ctx context.Context, vouch func(context.Context, *http.Request) metadata.MD) (*console.Console, error) {
	cfg := a.cfg
	opts := console.Options{
		Conn:     a.local,
		Council:  cfg.CouncilName,
		Contact:  cfg.LeavingCareContact,
		Now:      cfg.tokenClock(),
		Log:      a.log,
		Metadata: func(r *http.Request) metadata.MD { return vouch(r.Context(), r) },
	}
	if cfg.ConsoleSessionKey != "" {
		opts.SessionKey, _ = hex.DecodeString(cfg.ConsoleSessionKey) // validated in Config.Validate
	}
	if cfg.DevIssuerOn() {
		opts.Mint = authn.DevToken
		for _, p := range demo.SignInPeople {
			opts.DevSignIn = append(opts.DevSignIn, console.DevPerson{Subject: p.Subject, Label: p.Label})
		}
	}
	if cfg.OIDCClientID != "" {
		opts.OIDC = &console.OIDCConfig{Issuer: cfg.AuthIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL: cfg.OIDCRedirectURL, Scopes: strings.Fields(cfg.OIDCScopes), HTTPClient: cfg.ConsoleOIDCClient}
	}
	if opts.Mint == nil && opts.OIDC == nil {
		a.log.Warn("the web console is off: it has no way to sign people in; set --oidc-client-id and --oidc-redirect-url to serve it")
		return nil, nil
	}
	return console.New(ctx, opts)
}
