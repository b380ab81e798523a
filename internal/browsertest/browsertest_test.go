package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// goodPage passes every rule Axe runs. Its strict CSP (no scripts at all) is the kind the
// console sends, and must not stop axe.
const goodPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - carepath</title></head>
<body>
<header><p>carepath</p></header>
<main>
<h1>Sign in</h1>
<form method="post" action="/signin">
<label for="name">Your name</label>
<input id="name" name="name" autocomplete="name">
<button type="submit">Sign in</button>
</form>
<p><a id="cookies" href="/echo">Your cookies</a></p>
</main>
</body></html>`

// badPage breaks three rules on purpose, and is taller than the window.
const badPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broken - carepath</title></head>
<body><main>
<h1>Broken</h1>
<img id="no-alt" src="/pixel.png">
<input id="no-label" name="q">
<p id="faint" style="color:#d0d0d0;background:#ffffff">Hard to read</p>
<div style="height:2000px"></div>
</main></body></html>`

// echoPage shows the Cookie header the request carried.
const echoPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cookies</title></head>
<body><main><h1>Cookies</h1><p id="cookie">%s</p></main></body></html>`

// outsidePage asks for an image from a host that is not loopback.
const outsidePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outside</title></head>
<body><main><h1>Outside</h1><img alt="" src="http://outside.invalid/pixel.png"></main></body></html>`

const sessionCookie = "; Path=/; Secure; HttpOnly; SameSite=Lax"

// server serves the pages above on 127.0.0.1 and returns its base URL as localhost (see the
// package comment) and as 127.0.0.1.
func server(t *testing.T) (localhost, loopbackIP string) {
	t.Helper()
	mux := http.NewServeMux()
	// The pages the console would send have a strict CSP; the bad and outside pages need
	// inline styles and an outside image, which it would block.
	strict := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'none'")
			fmt.Fprint(w, body)
		}
	}
	lax := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }
	}
	page := strict
	mux.HandleFunc("GET /good", strict(goodPage))
	mux.HandleFunc("GET /bad", lax(badPage))
	mux.HandleFunc("GET /outside", lax(outsidePage))
	mux.HandleFunc("GET /pixel.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pixelPNG)
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		page(fmt.Sprintf(echoPage, r.Header.Get("Cookie")))(w, r)
	})
	mux.HandleFunc("GET /set", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "sid=fixed"+sessionCookie)
		page(fmt.Sprintf(echoPage, "set"))(w, r)
	})
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "sid="+r.FormValue("name")+sessionCookie)
		http.Redirect(w, r, "/echo", http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), srv.URL
}

// pixelPNG is a 1x1 PNG.
var pixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

func ids(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestAxeFindsKnownViolations(t *testing.T) {
	base, _ := server(t)
	ctx := New(t)

	Navigate(t, ctx, base+"/good")
	if vs := Axe(t, ctx); len(vs) != 0 {
		t.Errorf("the good page has violations: %v", vs)
	}
	NoSeriousViolations(t, ctx, "the good page")

	Navigate(t, ctx, base+"/bad")
	vs := Axe(t, ctx)
	want := map[string]string{"image-alt": "#no-alt", "label": "#no-label", "color-contrast": "#faint"}
	for id, target := range want {
		i := slices.IndexFunc(vs, func(v Violation) bool { return v.ID == id })
		if i < 0 {
			t.Errorf("axe did not report %s on the bad page; it reported %v", id, ids(vs))
			continue
		}
		v := vs[i]
		if !v.Serious() || v.Help == "" || len(v.Nodes) != 1 || v.Nodes[0].Target != target {
			t.Errorf("%s: got %+v, want one serious violation at %s", id, v, target)
		}
	}

	// NoSeriousViolations must fail on the bad page and name each rule and element.
	rec := &recorder{TB: t}
	NoSeriousViolations(rec, ctx, "the bad page")
	if !rec.failed {
		t.Error("NoSeriousViolations passed the bad page")
	}
	for id, target := range want {
		if !strings.Contains(rec.msg, id) || !strings.Contains(rec.msg, target) {
			t.Errorf("the failure does not name %s at %s:\n%s", id, target, rec.msg)
		}
	}
}

// recorder keeps a test's failure instead of failing it.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg += fmt.Sprintf(format, args...)
}

func TestSecureCookieOverLocalhost(t *testing.T) {
	base, ipBase := server(t)
	ctx := New(t)

	// A Secure, HttpOnly, SameSite=Lax cookie over plain http://localhost is kept and sent.
	Navigate(t, ctx, base+"/set")
	Navigate(t, ctx, base+"/echo")
	if got := Text(t, ctx, "#cookie"); got != "sid=fixed" {
		t.Errorf("Cookie header after /set over localhost = %q, want sid=fixed", got)
	}
	if got := run(t, ctx, "read document.cookie", chromedp.Evaluate[string]("document.cookie")); got != "" {
		t.Errorf("document.cookie = %q: the HttpOnly cookie is visible to scripts", got)
	}

	// The same after a form POST and a 303 redirect, as a sign-in does.
	Navigate(t, ctx, base+"/good")
	SetValue(t, ctx, "#name", "alex")
	Submit(t, ctx, "#name")
	if got, want := Location(t, ctx), base+"/echo"; got != want {
		t.Errorf("after signing in, at %s, want %s", got, want)
	}
	if got := Text(t, ctx, "#cookie"); got != "sid=alex" {
		t.Errorf("Cookie header after signing in = %q, want sid=alex", got)
	}

	// The cookie belongs to the name localhost, not to the address it resolves to.
	Navigate(t, ctx, ipBase+"/echo")
	if got := Text(t, ctx, "#cookie"); got != "" {
		t.Errorf("a page opened as 127.0.0.1 got the cookie set for localhost: %q", got)
	}
	Navigate(t, ctx, ipBase+"/set")
	Navigate(t, ctx, ipBase+"/echo")
	// Today's Chromium keeps Secure cookies over http://127.0.0.1 too; the console does not
	// rely on it, so this is only logged.
	t.Logf("a Secure cookie set over http://127.0.0.1 comes back as %q", Text(t, ctx, "#cookie"))
}

func TestBrowsersShareNoCookies(t *testing.T) {
	base, _ := server(t)
	first := New(t)
	Navigate(t, first, base+"/set")

	second := New(t)
	tab := NewTab(t, first)
	for name, ctx := range map[string]context.Context{"a second New": second, "NewTab": tab} {
		Navigate(t, ctx, base+"/echo")
		if got := Text(t, ctx, "#cookie"); got != "" {
			t.Errorf("%s sent the first browser's cookie: %q", name, got)
		}
	}
	// And the first still has it: the check above is not passing for want of cookies.
	Navigate(t, first, base+"/echo")
	if got := Text(t, first, "#cookie"); got != "sid=fixed" {
		t.Errorf("the first browser lost its cookie: %q", got)
	}

	// Signing in on the tab does not sign the first browser in as someone else.
	Navigate(t, tab, base+"/good")
	SetValue(t, tab, "#name", "sam")
	Submit(t, tab, "#name")
	if got := Text(t, tab, "#cookie"); got != "sid=sam" {
		t.Errorf("the tab after signing in sends %q, want sid=sam", got)
	}
	Navigate(t, first, base+"/echo")
	if got := Text(t, first, "#cookie"); got != "sid=fixed" {
		t.Errorf("the first browser sends %q after the tab signed in, want sid=fixed", got)
	}
}

func TestHelpersAndScreenshot(t *testing.T) {
	base, _ := server(t)
	ctx := New(t)

	Navigate(t, ctx, base+"/good")
	if got := Title(t, ctx); got != "Sign in - carepath" {
		t.Errorf("title %q", got)
	}
	if got := Text(t, ctx, "h1"); got != "Sign in" {
		t.Errorf("h1 %q", got)
	}
	if got := Attribute(t, ctx, "#name", "autocomplete"); got != "name" {
		t.Errorf("autocomplete %q", got)
	}
	if got := Count(t, ctx, "input, button"); got != 2 {
		t.Errorf("%d form controls, want 2", got)
	}
	SendKeys(t, ctx, "#name", "Jo")
	SendKeys(t, ctx, "#name", "rdan")
	if got := run(t, ctx, "read the field", chromedp.Value(chromedp.CSS("#name"))); got != "Jordan" {
		t.Errorf("typed %q, want Jordan", got)
	}
	ClickNavigate(t, ctx, "#cookies")
	if got := Location(t, ctx); got != base+"/echo" {
		t.Errorf("the link led to %s", got)
	}

	// The bad page is 2000 px tall: the screenshot takes all of it, 1280 px wide.
	Navigate(t, ctx, base+"/bad")
	path := filepath.Join(t.TempDir(), "new", "dir", "bad.png")
	Screenshot(t, ctx, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if cfg.Width != 1280 || cfg.Height < 2000 {
		t.Errorf("screenshot %dx%d, want 1280 wide and the whole 2000+ px page", cfg.Width, cfg.Height)
	}
}

// A broken page fails the test within the action timeout instead of hanging it, naming the
// selector and the page.
func TestMissingElementFailsInTime(t *testing.T) {
	base, _ := server(t)
	ctx := New(t)
	Navigate(t, ctx, base+"/good")
	actionTimeout = 2 * time.Second
	defer func() { actionTimeout = ActionTimeout }()
	start := time.Now() // elapsed time, not a date
	rec := stopped(t, func(tb testing.TB) { Text(tb, ctx, "#not-there") })
	if rec.how != "fatal" || !strings.Contains(rec.msg, "#not-there") || !strings.Contains(rec.msg, base+"/good") {
		t.Errorf("the failure does not name the selector and page: %s %q", rec.how, rec.msg)
	}
	if d := time.Since(start); d > 20*time.Second { // the 2 s set above and the location, not ActionTimeout
		t.Errorf("the missing element took %v to fail the test", d)
	}
}

// With no Chromium, New skips, unless REQUIRE_BROWSER=1 makes it fail.
func TestNoBrowserSkipsUnlessRequired(t *testing.T) {
	t.Setenv("CAREPATH_CHROMIUM", filepath.Join(t.TempDir(), "no-chromium"))
	t.Setenv("REQUIRE_BROWSER", "")
	if rec := stopped(t, func(tb testing.TB) { New(tb) }); rec.how != "skip" || !strings.Contains(rec.msg, "REQUIRE_BROWSER=1") {
		t.Errorf("without REQUIRE_BROWSER: %s %q, want a skip that names REQUIRE_BROWSER=1", rec.how, rec.msg)
	}
	t.Setenv("REQUIRE_BROWSER", "1")
	if rec := stopped(t, func(tb testing.TB) { New(tb) }); rec.how != "fatal" || !strings.Contains(rec.msg, "no-chromium") {
		t.Errorf("with REQUIRE_BROWSER=1: %s %q, want a failure that names the missing path", rec.how, rec.msg)
	}
}

// stopper stands in for the test in f, and records a Fatalf or Skipf instead of ending it.
type stopper struct {
	testing.TB
	how, msg string
}

func (s *stopper) Fatalf(format string, args ...any) { s.stop("fatal", format, args...) }
func (s *stopper) Skipf(format string, args ...any)  { s.stop("skip", format, args...) }
func (s *stopper) stop(how, format string, args ...any) {
	s.how, s.msg = how, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// stopped runs f in its own goroutine (so Goexit ends only f) with a stopper.
func stopped(t *testing.T, f func(testing.TB)) *stopper {
	s := &stopper{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(s)
	}()
	<-done
	return s
}

func TestOutsideRequestsGoNowhere(t *testing.T) {
	base, _ := server(t)
	ctx := New(t)
	Navigate(t, ctx, base+"/outside")
	if !slices.ContainsFunc(refuser().refused(), func(h string) bool { return strings.HasPrefix(h, "outside.invalid") }) {
		t.Errorf("the request to outside.invalid did not reach the refusing proxy; it saw %v", refuser().refused())
	}
	if slices.ContainsFunc(refuser().refused(), func(h string) bool { return strings.HasPrefix(h, "localhost") }) {
		t.Errorf("loopback requests went to the proxy: %v", refuser().refused())
	}
}
