package app_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/console/oidctest"
	"github.com/carepath/carepath/internal/demo"
)

// The console signs people in at a real OpenID Provider (zitadel/oidc's op, in process):
// authorization code flow with PKCE and a nonce, then the provider's access token is the
// bearer the API verifies against the provider's key set.

const (
	oidcClientID     = "carepath-console"
	oidcClientSecret = "console-secret"
	sessionCookie    = "__Host-carepath-session"
	signInCookie     = "__Host-carepath-sign-in"
)

// oidcRig is a carepath server that trusts only the provider, and the provider.
type oidcRig struct {
	base string // the console's origin, as registered at the provider
	op   *oidctest.Provider
	s    *server
}

// startOIDC runs both; change, if not nil, alters the provider's client and person.
func startOIDC(t *testing.T, change func(*oidctest.Options)) *oidcRig {
	t.Helper()
	// The redirect URI is registered at the provider before the server starts, so the
	// server's port is picked first.
	addr := freeAddr(t)
	base := "http://" + addr
	opts := oidctest.Options{
		ClientID: oidcClientID, ClientSecret: oidcClientSecret,
		RedirectURI: base + "/app/sign-in/callback", PostLogoutRedirectURI: base + "/app/signed-out",
		Subject: demo.AdviserNorth, Audience: "carepath",
	}
	if change != nil {
		change(&opts)
	}
	op := oidctest.Start(t, opts)
	cfg := testConfig()
	cfg.HTTPAddr = addr
	cfg.DevIssuer = "false"
	cfg.AuthIssuer, cfg.AuthAudience, cfg.AuthJWKSURL = op.Issuer, "carepath", op.KeysURL
	cfg.OIDCClientID, cfg.OIDCClientSecret = oidcClientID, oidcClientSecret
	cfg.OIDCRedirectURL = base + "/app/sign-in/callback"
	cfg.ConsoleOIDCClient = op.Client()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &oidcRig{base: base, op: op, s: startWithoutPerson(t, cfg)}
}

// freeAddr is a loopback address nobody listens on, just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// browser follows redirects and keeps the console's cookies. The console's cookies are
// Secure, which net/http/cookiejar rightly never sends over plain http; a browser treats
// http://127.0.0.1 as a secure context, so this one does too, for the console's origin only.
type browser struct {
	t       *testing.T
	console string // host:port
	mu      sync.Mutex
	jar     map[string]*http.Cookie
	set     map[string]*http.Cookie // the last Set-Cookie of each name, attributes and all
	visited []*url.URL
	client  *http.Client
	stopAt  func(*url.URL) bool // nil follows every redirect
}

func (rig *oidcRig) browser(t *testing.T) *browser {
	b := &browser{t: t, console: strings.TrimPrefix(rig.base, "http://"),
		jar: map[string]*http.Cookie{}, set: map[string]*http.Cookie{}}
	b.client = &http.Client{Transport: b, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		if b.stopAt != nil && b.stopAt(req.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *browser) RoundTrip(req *http.Request) (*http.Response, error) {
	console := req.URL.Host == b.console
	b.mu.Lock()
	b.visited = append(b.visited, req.URL)
	if console {
		req = req.Clone(req.Context())
		for _, c := range b.jar {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	b.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !console {
		return resp, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range resp.Cookies() {
		b.set[c.Name] = c
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c
		}
	}
	return resp, nil
}

func (b *browser) do(method, target string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, string(page)
}

func (b *browser) get(target string) (*http.Response, string) {
	return b.do(http.MethodGet, target, nil)
}

func (b *browser) cookie(name string) (*http.Cookie, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.jar[name]
	return c, ok
}

// startSignIn asks the console to sign in, stopping at its redirect to the provider.
func (b *browser) startSignIn(base, next string) *url.URL {
	b.t.Helper()
	b.stopAt = func(*url.URL) bool { return true }
	defer func() { b.stopAt = nil }()
	target := base + "/app/sign-in/oidc"
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	resp, _ := b.get(target)
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("GET /app/sign-in/oidc = %d, want a redirect to the provider", resp.StatusCode)
	}
	to, err := resp.Location()
	if err != nil {
		b.t.Fatal(err)
	}
	return to
}

// atCallback stops the browser where the provider sends it back to the console.
func atCallback(u *url.URL) bool { return u.Path == "/app/sign-in/callback" }

var signedInAs = regexp.MustCompile(`Signed in as <strong id="signed-in-as">([^<]*)</strong>`)

func signedInName(page string) string {
	if m := signedInAs.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

func TestOIDCSignInSignOut(t *testing.T) {
	rig := startOIDC(t, nil)
	b := rig.browser(t)

	// The console sends the browser to the provider with PKCE (S256), a state and a nonce.
	to := b.startSignIn(rig.base, "/app/cliff-edge")
	q := to.Query()
	if got := to.Scheme + "://" + to.Host + to.Path; got != rig.op.Issuer+"/authorize" {
		t.Fatalf("redirected to %s, want the provider's authorization endpoint", got)
	}
	for k, want := range map[string]string{"response_type": "code", "client_id": oidcClientID,
		"redirect_uri": rig.base + "/app/sign-in/callback", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 20 {
			t.Errorf("authorization request %s = %q, want a long random value", k, q.Get(k))
		}
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		t.Errorf("scope = %q, want openid", q.Get("scope"))
	}
	pending, ok := b.cookie(signInCookie)
	if !ok {
		t.Fatal("no sign-in cookie kept the state, nonce and verifier")
	}
	if strings.Contains(pending.Value, q.Get("state")) {
		t.Error("the sign-in cookie shows the state in clear; it should be sealed")
	}

	// The provider's login approves Sam; the provider sends the browser back with a code,
	// which the console exchanges (with the PKCE verifier and its client secret).
	var callback *url.URL
	b.stopAt = func(u *url.URL) bool {
		if atCallback(u) {
			callback = u
		}
		return false
	}
	resp, page := b.get(to.String())
	b.stopAt = nil
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/app/cliff-edge" {
		t.Fatalf("after signing in: %d at %s, want 200 at /app/cliff-edge (where sign-in was asked from)\n%s",
			resp.StatusCode, resp.Request.URL, page)
	}
	if rig.op.Logins() != 1 {
		t.Errorf("provider logins = %d, want 1", rig.op.Logins())
	}
	if callback == nil || callback.Query().Get("code") == "" || callback.Query().Get("state") != q.Get("state") {
		t.Fatalf("callback = %v, want the provider's code and the same state", callback)
	}
	// The API accepted the provider's access token: people/me named Sam.
	if got := signedInName(page); got != "Sam Okoro" {
		t.Errorf("signed in as %q, want Sam Okoro", got)
	}
	sess := b.set[sessionCookie]
	if sess == nil || sess.Value == "" {
		t.Fatal("no session cookie")
	}
	if !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Domain != "" {
		t.Errorf("session cookie = %+v, want Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", sess)
	}
	if _, ok := b.cookie(signInCookie); ok {
		t.Error("the sign-in cookie outlived the callback")
	}
	if _, page := b.get(rig.base + "/app/"); signedInName(page) != "Sam Okoro" {
		t.Errorf("/app/ does not show Sam signed in:\n%s", page)
	}

	// Replaying the callback, sign-in cookie and all, is refused: the provider takes a code once.
	replay := rig.browser(t)
	replay.jar[signInCookie] = pending
	resp, page = replay.get(callback.String())
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Sign-in did not work") {
		t.Errorf("replayed callback = %d, want 400 with a sign-in problem page\n%s", resp.StatusCode, page)
	}
	if _, ok := replay.cookie(sessionCookie); ok {
		t.Error("a replayed code started a session")
	}

	// Signing out without the page's CSRF token does nothing.
	resp, _ = b.do(http.MethodPost, rig.base+"/app/sign-out", url.Values{"csrf": {"forged"}})
	if _, ok := b.cookie(sessionCookie); !ok || rig.op.Logouts() != 0 {
		t.Fatalf("a sign-out without the CSRF token ended the session (%d at %s)", resp.StatusCode, resp.Request.URL)
	}

	// Signing out with it ends the session here and at the provider, then shows the
	// console's signed-out page.
	_, page = b.get(rig.base + "/app/")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field on /app/:\n%s", page)
	}
	resp, page = b.do(http.MethodPost, rig.base+"/app/sign-out", url.Values{"csrf": {m[1]}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != rig.base+"/app/signed-out" {
		t.Errorf("after signing out: %d at %s, want 200 at /app/signed-out", resp.StatusCode, resp.Request.URL)
	}
	if rig.op.Logouts() != 1 {
		t.Errorf("provider logouts = %d, want 1 (RP-initiated logout)", rig.op.Logouts())
	}
	if _, ok := b.cookie(sessionCookie); ok {
		t.Error("the session cookie survived signing out")
	}
	if signedInName(page) != "" {
		t.Errorf("the signed-out page shows someone signed in:\n%s", page)
	}
	b.stopAt = func(*url.URL) bool { return true }
	if resp, _ := b.get(rig.base + "/app/"); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/app/sign-in") {
		t.Errorf("/app/ after signing out = %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestOIDCCallbackWithWrongStateIsRefused(t *testing.T) {
	rig := startOIDC(t, nil)
	b := rig.browser(t)
	to := b.startSignIn(rig.base, "")

	// The provider signs Sam in, but the state coming back is not the one this browser sent
	// (someone else's sign-in, planted on this browser).
	var callback *url.URL
	b.stopAt = func(u *url.URL) bool {
		if atCallback(u) {
			callback = u
			return true
		}
		return false
	}
	b.get(to.String())
	b.stopAt = nil
	if callback == nil {
		t.Fatal("the provider did not send the browser back")
	}
	forged := *callback
	v := forged.Query()
	v.Set("state", "someone-elses-state")
	forged.RawQuery = v.Encode()

	resp, page := b.get(forged.String())
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Sign-in did not work") ||
		!strings.Contains(page, "Sign in again") {
		t.Errorf("callback with a wrong state = %d, want 400 with a page saying to sign in again\n%s", resp.StatusCode, page)
	}
	if _, ok := b.cookie(sessionCookie); ok {
		t.Error("a callback with a wrong state started a session")
	}
	if signedInName(page) != "" {
		t.Error("the refusal page shows someone signed in")
	}

	// Nor does the genuine callback work afterwards: the pending sign-in was used up.
	resp, _ = b.get(callback.String())
	if _, ok := b.cookie(sessionCookie); ok || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the genuine callback after a refused one = %d, session set: %v; want 400 and no session", resp.StatusCode, ok)
	}
}

// A provider signing in someone the API refuses: the page says whom to ask, and a token
// the API cannot accept at all is logged as the configuration fault it is.
func TestOIDCSignInRefusedByTheAPI(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*oidctest.Options)
		status int
		says   string
		logged string
	}{
		{"person unknown to carepath", func(o *oidctest.Options) { o.Subject = "nobody-registered" },
			http.StatusForbidden, "carepath does not know you", ""},
		{"token for another audience", func(o *oidctest.Options) { o.Audience = "another-api" },
			http.StatusUnauthorized, "could not accept the sign-in", "the API refused the token from sign-in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := startOIDC(t, tc.change)
			b := rig.browser(t)
			resp, page := b.get(b.startSignIn(rig.base, "").String())
			if resp.StatusCode != tc.status || !strings.Contains(page, tc.says) {
				t.Errorf("sign-in = %d, want %d saying %q\n%s", resp.StatusCode, tc.status, tc.says, page)
			}
			if _, ok := b.cookie(sessionCookie); ok {
				t.Error("a refused sign-in started a session")
			}
			if tc.logged != "" && !strings.Contains(rig.s.logs.String(), tc.logged) {
				t.Errorf("the server did not log %q", tc.logged)
			}
		})
	}
}

func TestOIDCConfigValidate(t *testing.T) {
	valid := func() app.Config {
		cfg := testConfig()
		cfg.DevIssuer = "false"
		cfg.AuthIssuer, cfg.AuthAudience, cfg.AuthJWKSURL = "https://idp.example", "carepath", "https://idp.example/keys"
		cfg.OIDCClientID, cfg.OIDCRedirectURL = oidcClientID, "https://carepath.example/app/sign-in/callback"
		return cfg
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("a complete OIDC configuration: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*app.Config)
		want   string
	}{
		{"client id without issuer", func(c *app.Config) { c.AuthIssuer = "" }, "--oidc-client-id needs --auth-issuer"},
		{"redirect elsewhere", func(c *app.Config) { c.OIDCRedirectURL = "https://carepath.example/callback" }, "--oidc-redirect-url"},
		{"redirect below the callback", func(c *app.Config) {
			c.OIDCRedirectURL = "https://carepath.example/app/sign-in/callback/x"
		}, "--oidc-redirect-url"},
		{"no redirect", func(c *app.Config) { c.OIDCRedirectURL = "" }, "--oidc-redirect-url"},
		{"plain http off this machine", func(c *app.Config) {
			c.OIDCRedirectURL = "http://carepath.example/app/sign-in/callback"
		}, "--oidc-redirect-url"},
		{"session key not 32 bytes", func(c *app.Config) { c.ConsoleSessionKey = "abcd" }, "--console-session-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.change(&cfg)
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
