package authn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/httprc/v3/errsink"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	// The key set is refreshed in the background at the interval the issuer's
	// Cache-Control asks for, kept within these bounds so that a revoked key stops
	// working within a quarter of an hour and an issuer is not polled needlessly.
	minRefreshInterval = 5 * time.Minute
	maxRefreshInterval = 15 * time.Minute
	// unknownKidRefetch is the least time between fetches caused by tokens naming a key we
	// do not have: enough to pick up a rotation promptly, too little for a caller spraying
	// made-up kids to turn us into a load generator against the issuer.
	unknownKidRefetch = time.Minute
	// fetchTimeout bounds one fetch of the key set, and so the wait of a request that
	// triggered it; initialFetchTimeout bounds start-up.
	fetchTimeout        = 10 * time.Second
	initialFetchTimeout = 30 * time.Second
	// maxKeySetSize caps the response body: a key set is a few KiB.
	maxKeySetSize = 256 << 10
)

// Config of a verifier for a real identity provider.
type Config struct {
	// Issuer must equal the token's "iss" exactly.
	Issuer string
	// Audience must be one of the token's "aud" values.
	Audience string
	// JWKSURL is the https URL of the issuer's key set. Plain http is allowed only for
	// localhost and loopback addresses, for tests.
	JWKSURL string
	// Skew is the clock difference tolerated on "exp", "nbf" and "iat"; zero means 60
	// seconds, and more than 5 minutes is refused.
	Skew time.Duration
	// Now is the clock; nil means time.Now. It also times the refetches for unknown kids.
	Now func() time.Time
	// HTTPClient fetches the key set; nil means a client with a 10 second timeout. Either
	// way redirects are limited to five and may not go from https to http.
	HTTPClient *http.Client
}

// NewJWKSVerifier returns a verifier of tokens signed with the issuer's key set at
// cfg.JWKSURL. It fetches the set before returning and fails if it cannot, so that a
// misconfigured service does not start; afterwards the set is cached (jwk.Cache) and
// refreshed in the background every 5 to 15 minutes until ctx is done.
//
// A token naming a key the cache lacks triggers one refetch, at most once a minute across
// all requests, so that a freshly rotated key works at once; if the key is still missing
// the token is refused. A failed refresh keeps the keys already held, so that a blip at the
// identity provider does not lock everyone out, while unknown keys keep failing closed.
func NewJWKSVerifier(ctx context.Context, cfg Config) (Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("authn: the issuer and the audience are required")
	}
	if err := checkJWKSURL(cfg.JWKSURL); err != nil {
		return nil, err
	}
	skew := cfg.Skew
	switch {
	case skew < 0 || skew > maxSkew:
		return nil, fmt.Errorf("authn: the clock skew must be between 0 and %v", maxSkew)
	case skew == 0:
		skew = defaultSkew
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: fetchTimeout}
	}
	hc = jwk.WrapHTTPClientDefaults(hc)

	// Errors of background fetches arrive here; only the first matters, at start-up.
	fetchErr := make(chan error, 1)
	sink := errsink.NewFunc(func(_ context.Context, err error) {
		select {
		case fetchErr <- err:
		default:
		}
	})
	cctx, stop := context.WithCancel(ctx)
	cache, err := jwk.NewCache(cctx, httprc.NewClient(httprc.WithErrorSink(sink)))
	if err != nil {
		stop()
		return nil, fmt.Errorf("authn: starting the key set cache: %w", err)
	}
	err = cache.Register(cctx, cfg.JWKSURL,
		jwk.WithHTTPClient(hc),
		jwk.WithMaxFetchBodySize(maxKeySetSize),
		jwk.WithMinInterval(minRefreshInterval),
		jwk.WithMaxInterval(maxRefreshInterval),
		// Keys we cannot parse (other key types, encryption keys in odd forms, RSA keys
		// below 2048 bits) are dropped rather than failing the whole set: tokens naming
		// them are refused as unknown.
		jwk.WithIgnoreParseError(true),
		// Wait below instead, so that a failed first fetch is reported at once rather
		// than after the timeout.
		jwk.WithWaitReady(false),
	)
	var res *httprc.ResourceBase[jwk.Set]
	if err == nil {
		res, err = cache.LookupResource(cctx, cfg.JWKSURL)
	}
	if err == nil {
		err = waitFirstFetch(cctx, res, fetchErr)
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("authn: fetching the key set from %s: %w", cfg.JWKSURL, err)
	}

	ks := &jwksKeys{cache: cache, res: res, url: cfg.JWKSURL, now: now, stop: stop}
	return newVerifier(ks.lookup, cfg.Issuer, cfg.Audience, skew, now), nil
}

// checkJWKSURL insists on https, because whoever can alter the key set in transit can mint
// tokens; plain http is for tests on this machine only.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return errors.New("authn: the key set URL must be an absolute https URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return errors.New("authn: the key set URL must be an https URL (http only for localhost)")
}

func waitFirstFetch(ctx context.Context, res *httprc.ResourceBase[jwk.Set], fetchErr <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, initialFetchTimeout)
	defer cancel()
	ready := make(chan error, 1)
	go func() { ready <- res.Ready(ctx) }()
	select {
	case err := <-ready:
		if err == nil && res.Resource() == nil {
			err = errors.New("no key set")
		}
		return err
	case err := <-fetchErr:
		return err
	}
}

// jwksKeys looks keys up in the cached key set of one issuer.
type jwksKeys struct {
	cache *jwk.Cache
	res   *httprc.ResourceBase[jwk.Set]
	url   string
	now   func() time.Time
	// stop cancels the cache's context. That context is a child of the one given to
	// NewJWKSVerifier, so the refresh also ends with it; stop is kept, not called, so that
	// the cancel function is not lost.
	stop context.CancelFunc

	// mu serialises refetches for unknown kids; lastRefetch is when the last one began.
	mu          sync.Mutex
	lastRefetch time.Time
}

func (k *jwksKeys) current(kid string) (jwk.Key, bool) {
	set := k.res.Resource()
	if set == nil {
		return nil, false
	}
	return set.LookupKeyID(kid)
}

func (k *jwksKeys) lookup(ctx context.Context, kid string) (jwk.Key, bool) {
	if key, ok := k.current(kid); ok {
		return key, true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	// Another request may have refetched while we waited for the lock.
	if key, ok := k.current(kid); ok {
		return key, true
	}
	now := k.now()
	if !k.lastRefetch.IsZero() && now.Sub(k.lastRefetch) < unknownKidRefetch {
		return nil, false
	}
	k.lastRefetch = now
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	// On failure the cache keeps the previous set, which still lacks kid.
	_, _ = k.cache.Refresh(ctx, k.url)
	return k.current(kid)
}
