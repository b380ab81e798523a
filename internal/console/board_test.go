package console

import (
	"strings"
	"testing"
)

// TestSparkline: a trend line breaks where a month's rate is withheld, and is not drawn
// from fewer than two given points.
func TestSparkline(t *testing.T) {
	svg := string(sparkline([]float64{0.2, 0.4, 0, 0.5, 0.6}, []bool{true, true, false, true, true}))
	if n := strings.Count(svg, "M"); n != 2 {
		t.Errorf("a withheld month should break the line in two: %d moves in %s", n, svg)
	}
	if !strings.Contains(svg, `aria-hidden="true"`) {
		t.Error("the line should be hidden from screen readers: the figures are in words beside it")
	}
	if got := sparkline([]float64{0.3, 0}, []bool{true, false}); got != "" {
		t.Errorf("one given point drew %q", got)
	}
}
