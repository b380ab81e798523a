package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeTags are the axe-core rule tags Axe runs: WCAG 2.0, 2.1 and 2.2 at levels A and AA,
// and axe's best practices. The best practices (landmarks, one h1, heading order, no
// positive tabindex...) are not WCAG failures, and most are of moderate impact, so they
// show in [Axe]'s result without failing [NoSeriousViolations]; the few rated serious are
// worth failing a console page for.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// Violation is one axe-core rule that the page breaks, with the elements that break it.
type Violation struct {
	ID      string          `json:"id"`     // the rule, e.g. "color-contrast"
	Impact  string          `json:"impact"` // "minor", "moderate", "serious" or "critical"
	Help    string          `json:"help"`
	HelpURL string          `json:"helpUrl"`
	Nodes   []ViolationNode `json:"nodes"`
}

// ViolationNode is an element that breaks a rule.
type ViolationNode struct {
	Target  string `json:"target"`  // a CSS selector for the element (frames joined by " >>> ")
	HTML    string `json:"html"`    // the start of its markup
	Summary string `json:"summary"` // what to fix
}

// Serious reports whether the violation's impact is serious or critical.
func (v Violation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s [%s]", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s: %s", n.Target, n.HTML)
		if n.Summary != "" {
			fmt.Fprintf(&b, "\n      %s", strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
	}
	return b.String()
}

// axeRun runs axe on the whole document and reduces its result to []Violation. Only the
// top document is checked: axe is not injected into iframes.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]})
	.then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({
			target: n.target.map(s => Array.isArray(s) ? s.join(" ") : s).join(" >>> "),
			html: n.html,
			summary: n.failureSummary || "",
		})),
	})))`

// Axe injects axe-core into the tab's current page and returns the page's violations of
// AxeTags. The script goes in through the DevTools protocol, so a strict
// Content-Security-Policy on the page does not stop it.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	src := axeSource(t)
	run(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](src))
	return run(t, ctx, "run axe-core", chromedp.Evaluate[[]Violation](
		fmt.Sprintf(axeRun, jsonArray(AxeTags)), chromedp.EvalAwaitPromise))
}

// NoSeriousViolations runs [Axe] and fails the test, listing each serious or critical
// violation with its elements, if there is any. page names the page in the message.
func NoSeriousViolations(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	var serious []string
	for _, v := range Axe(t, ctx) {
		if v.Serious() {
			serious = append(serious, v.String())
		}
	}
	if len(serious) > 0 {
		t.Errorf("%s (%s): %d serious or critical accessibility violations (axe-core):\n  %s",
			page, location(ctx), len(serious), strings.Join(serious, "\n  "))
	}
}

var axeCache struct {
	once sync.Once
	src  string
	err  error
}

// axeSource reads tools/node_modules/axe-core/axe.min.js under the module root (the nearest
// directory above the working directory that holds go.mod) once per test binary.
func axeSource(t testing.TB) string {
	t.Helper()
	axeCache.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			axeCache.err = err
			return
		}
		path := filepath.Join(root, "tools", "node_modules", "axe-core", "axe.min.js")
		b, err := os.ReadFile(path)
		if err != nil {
			axeCache.err = fmt.Errorf("axe-core is not installed (%v): run make tools", err)
			return
		}
		axeCache.src = string(b)
	})
	if axeCache.err != nil {
		t.Fatalf("browsertest: %v", axeCache.err)
	}
	return axeCache.src
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory, so no tools/node_modules/axe-core: run the tests inside the module, after make tools")
		}
		dir = parent
	}
}

func jsonArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = jsString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
