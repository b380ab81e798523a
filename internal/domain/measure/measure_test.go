package measure_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/domain/readiness"
)

// TestShippedCatalogue checks every measure reads milestones the national catalogue has (or
// a council's local ones) and facts readiness knows.
func TestShippedCatalogue(t *testing.T) {
	c := measure.Default()
	if len(c.Measures) < 12 {
		t.Fatalf("%d measures, want the board's dozen at least", len(c.Measures))
	}
	for _, m := range c.Measures {
		for _, k := range m.Milestones() {
			if _, ok := catalogue.Default().Lookup(k); !ok && !strings.HasPrefix(k, "local.") {
				t.Errorf("%s reads milestone %q, which the catalogue lacks", m.Key, k)
			}
		}
		if m.Count.Kind == measure.FactTrue {
			if _, ok := readiness.LookupFact(m.Count.Fact); !ok {
				t.Errorf("%s reads fact %q, which readiness does not know", m.Key, m.Count.Fact)
			}
		}
	}
}

func TestParseRefuses(t *testing.T) {
	base := "version: x\nmeasures:\n  - key: a.b\n    title: T\n    ofsted: HEALTH\n    definition: d\n    numerator: n\n    denominator: d\n    source: s\n"
	for name, tail := range map[string]string{
		"no count":          "    cohort: {ages: \"16 to 18\"}\n",
		"two counts":        "    cohort: {ages: \"16 to 18\"}\n    count: {fact: f, overdue: true}\n",
		"empty ages":        "    cohort: {ages: \"18 to 16\"}\n    count: {overdue: true}\n",
		"days in age":       "    cohort: {ages: \"16y3d to 18\"}\n    count: {overdue: true}\n",
		"by_age alone":      "    cohort: {ages: \"16 to 18\"}\n    count: {fact: f, by_age: \"16\"}\n",
		"age and window":    "    cohort: {ages: \"16 to 18\"}\n    count: {achieved: [m], by_age: \"16\", within: 6m}\n",
		"unknown field":     "    cohort: {ages: \"16 to 18\"}\n    count: {overdue: true}\n    colour: red\n",
		"review before 17½": "    cohort: {ages: \"17 to 18\"}\n    count: {green_at_review: true}\n",
	} {
		if _, err := measure.Parse([]byte(base + tail)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	c, err := measure.Parse([]byte(base + "    cohort: {ages: \"17y6m to 21\", milestone: m}\n    count: {achieved: [m], within: \"6m\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Measures[0]
	if measure.Months(m.Cohort.MinAge) != 210 || measure.Months(m.Cohort.MaxAge) != 252 || m.Count.Within.Months != 6 {
		t.Errorf("parsed %+v", m)
	}
}

// TestSpecRoundTrip writes every shipped measure as a spec, as a council's settings hold
// one, and reads it back unchanged.
func TestSpecRoundTrip(t *testing.T) {
	for _, m := range measure.Default().Measures {
		got, err := m.Spec().Measure()
		if err != nil {
			t.Fatalf("%s: %v", m.Key, err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("%s (-shipped +read back):\n%s", m.Key, diff)
		}
	}
}
