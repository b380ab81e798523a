package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// run runs an action on ctx's tab under ActionTimeout and fails the test, naming what it
// did and the page it was on, if the action fails.
func run[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(actx, a)
	if err != nil {
		t.Fatalf("browsertest: %s on %s: %v", what, location(ctx), err)
	}
	return v
}

// location is the tab's URL for error messages, or a note saying it is unknown.
func location(ctx context.Context) string {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a busy Chromium answers late
	defer cancel()
	u, err := chromedp.Run(lctx, chromedp.Location())
	if err != nil {
		return "(page URL unknown: " + err.Error() + ")"
	}
	return u
}

// Navigate opens url in the tab and waits for the page to load. A page that cannot be
// loaded fails the test; an HTTP error status does not (the page loaded).
func Navigate(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	run(t, ctx, "navigate to "+url, chromedp.Navigate(url))
}

// Location returns the URL of the tab's page.
func Location(t testing.TB, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "read the location", chromedp.Location())
}

// Title returns the title of the tab's page.
func Title(t testing.TB, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "read the title", chromedp.Title())
}

// Text returns the rendered text (innerText) of the first element that matches the CSS
// selector, waiting for it to be in the page.
func Text(t testing.TB, ctx context.Context, selector string) string {
	t.Helper()
	return run(t, ctx, "read the text of "+selector, chromedp.Text(chromedp.CSS(selector)))
}

// Attribute returns the attribute of the first element that matches the CSS selector ("" if
// TextContent returns the text content of the first element that matches the CSS
// selector, drawn or not (an SVG <title>, say), failing the test if there is none.
func TextContent(t testing.TB, ctx context.Context, selector string) string {
	t.Helper()
	return run(t, ctx, "read the text content of "+selector, chromedp.TextContent(chromedp.CSS(selector)))
}

// the element does not have it).
func Attribute(t testing.TB, ctx context.Context, selector, name string) string {
	t.Helper()
	res := run(t, ctx, "read "+name+" of "+selector, chromedp.AttributeValue(chromedp.CSS(selector), name))
	return res.Value
}

// Count returns how many elements match the CSS selector now, without waiting.
func Count(t testing.TB, ctx context.Context, selector string) int {
	t.Helper()
	return run(t, ctx, "count "+selector,
		chromedp.Evaluate[int]("document.querySelectorAll("+jsString(selector)+").length"))
}

// WaitVisible waits until the first element that matches the CSS selector is visible.
func WaitVisible(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	run(t, ctx, "wait for "+selector+" to be visible", chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Click clicks the first element that matches the CSS selector, once it is visible. It
// does not wait for a page the click may open: use [ClickNavigate] for links and buttons
// that load a page.
func Click(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	run(t, ctx, "click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// ClickNavigate clicks the first element that matches the CSS selector and waits for the
// page it opens to load (after any redirects).
func ClickNavigate(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	runPage(t, ctx, "click "+selector+" and wait for the next page", chromedp.Click(chromedp.CSS(selector)))
}

// SetValue sets the value of the first form field that matches the CSS selector, replacing
// what it held, without typing (no key events).
func SetValue(t testing.TB, ctx context.Context, selector, value string) {
	t.Helper()
	run(t, ctx, "set the value of "+selector, chromedp.SetValue(chromedp.CSS(selector), value))
}

// SendKeys types text into the first element that matches the CSS selector, as key events
// after what it already holds.
func SendKeys(t testing.TB, ctx context.Context, selector, text string) {
	t.Helper()
	run(t, ctx, "type into "+selector, chromedp.SendKeys(chromedp.CSS(selector), text))
}

// Submit submits the form of the first element that matches the CSS selector (the form or
// any field in it) and waits for the page the submission leads to (after any redirects).
// It submits as form.requestSubmit() does, so the form's validation runs and the submit
// event fires; a form that does not submit fails the test when ActionTimeout runs out.
func Submit(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	runPage(t, ctx, "submit the form of "+selector, chromedp.Evaluate[chromedp.Void](`(() => {
		const sel = `+jsString(selector)+`;
		const el = document.querySelector(sel);
		if (!el) throw new Error("no element matches " + sel);
		const form = el instanceof HTMLFormElement ? el : el.form || el.closest("form");
		if (!form) throw new Error(sel + " is not in a form");
		form.requestSubmit();
	})()`))
}

// runPage is run for an action that opens a page: it also waits until that page (after
// any redirects) has loaded.
func runPage(t testing.TB, ctx context.Context, what string, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(actx, a); err != nil {
		t.Fatalf("browsertest: %s on %s: %v", what, location(ctx), err)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Screenshot writes a PNG of the whole page (beyond the 1280x900 window when the page is
// longer) to path, creating its directory.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	writePNG(t, path, run(t, ctx, "take a screenshot", chromedp.FullScreenshot(100)))
}

// ScreenshotOf writes a PNG of the first element that matches the CSS selector, for a
// picture of part of a long page.
func ScreenshotOf(t testing.TB, ctx context.Context, selector, path string) {
	t.Helper()
	writePNG(t, path, run(t, ctx, "take a screenshot of "+selector, chromedp.Screenshot(chromedp.CSS(selector))))
}

func writePNG(t testing.TB, path string, png []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
}

// Phone makes the tab a phone's screen: 375 by 812 CSS pixels, as an iPhone's, with touch.
func Phone(t testing.TB, ctx context.Context) {
	t.Helper()
	run(t, ctx, "emulate a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2), chromedp.EmulateMobile))
}

// NoScript turns the page's JavaScript off, as a person who has it off would have it; the
// helpers here still work, since the test drives the page from outside.
func NoScript(t testing.TB, ctx context.Context) {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(actx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("browsertest: turn JavaScript off: %v", err)
	}
}

// Evaluate runs a JavaScript expression in the page and returns its JSON value.
func Evaluate[T any](t testing.TB, ctx context.Context, expression string) T {
	t.Helper()
	return run(t, ctx, "evaluate "+expression, chromedp.Evaluate[T](expression))
}
