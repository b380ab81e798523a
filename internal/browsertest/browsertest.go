// Package browsertest drives a real browser for carepath's web console tests: headless
// Debian Chromium through chromedp, axe-core for accessibility, full-page screenshots, and
// thin helpers that fail the test (with the selector and the page's URL) instead of
// returning errors. It is test support: import it only from _test.go files.
//
// Each [New] starts its own Chromium with a fresh temporary profile, so two sign-ins in one
// test share no cookies; [NewTab] opens a second isolated session (a new browser context,
// like a private window) in the same Chromium, which is cheaper. Every action runs under
// its own timeout ([ActionTimeout]) so a broken page fails the test rather than hang it.
//
// The browser reaches loopback only: every other host is sent to a proxy inside the test
// process that refuses it (Chromium never sends loopback through a proxy), and host names
// other than localhost do not resolve.
//
// Open pages as http://localhost:PORT (the test servers listen on 127.0.0.1). Chromium
// treats http://localhost as a secure context, and TestSecureCookieOverLocalhost shows
// that a cookie set over plain http://localhost:PORT with "Secure; HttpOnly;
// SameSite=Lax" is kept, sent back on later requests (after a form POST and a 303 redirect
// too) and hidden from document.cookie, so the console can mark its session cookie Secure
// and still be tested without TLS. Cookies belong to the host name, not the port or the
// address: a page opened as http://127.0.0.1:PORT does not get localhost's cookies, so a
// test must use one name throughout. (Chromium 156 also keeps Secure cookies over
// http://127.0.0.1, but nothing relies on that.)
//
// Finding the browser: $CAREPATH_CHROMIUM, else /usr/bin/chromium, else chromium on PATH.
// With none, tests skip, unless REQUIRE_BROWSER=1 (as `make test` and CI set), when they
// fail.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ActionTimeout bounds each helper's action, so a page that never shows an element or
// never loads fails the test instead of hanging the suite.
const ActionTimeout = 30 * time.Second // generous: it costs time only when a test fails

// actionTimeout is ActionTimeout, shortened by this package's own tests.
var actionTimeout = ActionTimeout

// startTimeout bounds starting Chromium and opening its first tab.
const startTimeout = 60 * time.Second

// chromium returns the browser to run, or an error saying what was tried.
func chromium() (string, error) {
	if p := os.Getenv("CAREPATH_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CAREPATH_CHROMIUM=%s: %v", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("no Chromium: not at $CAREPATH_CHROMIUM, /usr/bin/chromium or on PATH (Debian: apt-get install chromium)")
}

// New starts a headless Chromium with a fresh profile and returns the context of its first
// tab, for the helpers of this package or chromedp directly. The browser stops, and its
// profile is removed, when the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	bin, err := chromium()
	if err != nil {
		if os.Getenv("REQUIRE_BROWSER") == "1" {
			t.Fatalf("browsertest: %v; REQUIRE_BROWSER=1 forbids skipping", err)
		}
		t.Skipf("browsertest: %v; skipping the browser test (REQUIRE_BROWSER=1 makes this fail)", err)
	}

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(bin),
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// Chromium refuses to run as root with its sandbox; elsewhere keep it.
		chromedp.Flag("no-sandbox", os.Geteuid() == 0),
		// Loopback only (see the package comment). The proxy catches every other host,
		// IP addresses included; the resolver rule stops name look-ups that skip it.
		chromedp.ProxyServer("http://"+refuser().addr),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	)
	// No user-data-dir: chromedp gives each browser a new temporary profile and removes it.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// A graceful close first, so Chromium exits before its profile is removed.
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		_ = chromedp.Cancel(cctx)
		cancel()
		cancelAlloc()
	})
	start(t, ctx, "start Chromium ("+bin+")")
	return ctx
}

// NewTab opens a tab in the browser of ctx (from [New]) in a new browser context: it shares
// the process but no cookies or storage with any other tab, like a private window. Use it
// for a second person signed in at the same time. It closes when the test ends.
func NewTab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	start(t, tab, "open an isolated tab")
	return tab
}

// start makes the context's browser and tab exist. Its context has no timeout (chromedp
// ties the browser's life to the context of the first run), so the timeout is enforced
// here by cancelling the context.
func start(t testing.TB, ctx context.Context, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("browsertest: %s: %v", what, err)
		}
	case <-time.After(startTimeout):
		_ = chromedp.Cancel(ctx)
		t.Fatalf("browsertest: %s: not ready after %v", what, startTimeout)
	}
	// The window's size includes what headless Chromium counts as its frame; pin the
	// page's viewport itself, so pages and screenshots are laid out at 1280x900.
	vctx, cancel := context.WithTimeout(ctx, ActionTimeout)
	defer cancel()
	if err := chromedp.Do(vctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("browsertest: %s: set the viewport: %v", what, err)
	}
}

// refusingProxy is the browser's proxy: it answers every request, CONNECT included, with
// 403 and remembers the host, so a test can show that a page's outside request went
// nowhere.
type refusingProxy struct {
	addr  string
	mu    sync.Mutex
	hosts []string
}

var (
	proxyOnce sync.Once
	proxy     *refusingProxy
)

func refuser() *refusingProxy {
	proxyOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(fmt.Sprintf("browsertest: listen for the refusing proxy: %v", err))
		}
		proxy = &refusingProxy{addr: ln.Addr().String()}
		srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln) // lives as long as the test process
	})
	return proxy
}

func (p *refusingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.hosts = append(p.hosts, r.Host)
	p.mu.Unlock()
	http.Error(w, "browsertest: the browser may reach loopback only", http.StatusForbidden)
}

// refused lists the hosts the browser tried to reach outside loopback.
func (p *refusingProxy) refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.hosts)
}
