package measure_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/errs"
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

// good is a council's measure that reads: its own milestone offered within a year.
func good() measure.Spec {
	return measure.Spec{Key: "local.offer_12m", Title: "Offered in the last year", Ofsted: "LEARNING_AND_WORK",
		Definition: "d", Numerator: "n", Denominator: "d", Source: "s", Ages: "17y6m to 21",
		CohortMilestone: "local.offer", Achieved: []string{"local.offer"}, Within: "12m"}
}

// fields lists the fields of err's violations ("" for the measure as a whole).
func fields(err error) []string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return []string{"not a field violation: " + fmt.Sprint(err)}
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

// TestSpecViolations: the one check the catalogue file and a council's settings go through
// names the field at fault, as the API reports it, and finds every problem at once.
func TestSpecViolations(t *testing.T) {
	if m, err := good().Measure(); err != nil || m.Count.Kind != measure.Achieved || m.Count.Within.Months != 12 ||
		measure.Months(m.Cohort.MinAge) != 210 || m.Cohort.Milestone != "local.offer" {
		t.Fatalf("the good spec: %+v, %v", m, err)
	}
	for name, c := range map[string]struct {
		change func(*measure.Spec)
		want   []string
	}{
		"bad key":            {func(s *measure.Spec) { s.Key = "Local.Offer" }, []string{"key"}},
		"no words":           {func(s *measure.Spec) { s.Title, s.Source = "", " " }, []string{"title", "source"}},
		"no ofsted group":    {func(s *measure.Spec) { s.Ofsted = "" }, []string{"ofsted_group"}},
		"empty ages":         {func(s *measure.Spec) { s.Ages = "21 to 17y6m" }, []string{"ages"}},
		"days in age":        {func(s *measure.Spec) { s.Ages = "17y6m3d to 21" }, []string{"ages"}},
		"key twice":          {func(s *measure.Spec) { s.Achieved = []string{"local.offer", "plan.review", "local.offer"} }, []string{"achieved[2]"}},
		"empty key":          {func(s *measure.Spec) { s.Achieved = []string{"plan.review", ""} }, []string{"achieved[1]"}},
		"bad window":         {func(s *measure.Spec) { s.Within = "a year" }, []string{"within"}},
		"age and window":     {func(s *measure.Spec) { s.ByAge = "18" }, []string{"within"}},
		"bad age":            {func(s *measure.Spec) { s.Within, s.ByAge = "", "18y2w" }, []string{"by_age"}},
		"window alone":       {func(s *measure.Spec) { s.Achieved, s.Fact = nil, "oc3.in_eet" }, []string{"within"}},
		"no count":           {func(s *measure.Spec) { s.Achieved, s.Within = nil, "" }, []string{""}},
		"two counts":         {func(s *measure.Spec) { s.Overdue = true }, []string{""}},
		"review before 17½":  {func(s *measure.Spec) { s.Achieved, s.Within, s.GreenAtReview, s.Ages = nil, "", true, "17 to 18" }, []string{"ages"}},
		"everything at once": {func(s *measure.Spec) { s.Key, s.Ages, s.Achieved = "", "", []string{""} }, []string{"key", "ages", "achieved[0]"}},
	} {
		s := good()
		c.change(&s)
		_, err := s.Measure()
		if got := fields(err); !slices.Equal(got, c.want) {
			t.Errorf("%s: violations on %q, want %q (%v)", name, got, c.want, err)
		}
	}
	// The catalogue file reports the same problems in words.
	_, err := measure.Parse([]byte("version: x\nmeasures:\n  - {key: a.b, title: T, ofsted: HEALTH, definition: d, numerator: n, " +
		"denominator: d, source: s, cohort: {ages: \"16 to 18\"}, count: {achieved: [m, m]}}\n"))
	if err == nil || !strings.Contains(err.Error(), `measure "a.b": achieved[1] is listed twice`) {
		t.Errorf("Parse: %v", err)
	}
	_, err = measure.Parse([]byte("version: x\nmeasures:\n  - {key: local.b, title: T, ofsted: HEALTH, definition: d, numerator: n, " +
		"denominator: d, source: s, cohort: {ages: \"16 to 18\"}, count: {overdue: true}}\n"))
	if err == nil || !strings.Contains(err.Error(), "never start with") {
		t.Errorf("a shipped measure with a council's prefix: %v", err)
	}
}

// TestCheckLocal: what only a council's context can tell of its own measures. Its
// catalogue here is the shipped milestones less one switched off, plus its own.
func TestCheckLocal(t *testing.T) {
	milestone := func(key string) bool {
		if key == "local.offer" {
			return true
		}
		_, ok := catalogue.Default().Lookup(key)
		return ok && key != "age15_9.provisional_licence.offer" // switched off
	}
	fact := func(key string) bool { _, ok := readiness.LookupFact(key); return ok }
	read := func(specs ...measure.Spec) []measure.Measure {
		var out []measure.Measure
		for _, s := range specs {
			m, err := s.Measure()
			if err != nil {
				t.Fatalf("%s: %v", s.Key, err)
			}
			out = append(out, m)
		}
		return out
	}
	with := func(change func(*measure.Spec)) measure.Spec { s := good(); change(&s); return s }
	fine := read(good(),
		with(func(s *measure.Spec) {
			s.Key, s.CohortMilestone, s.Achieved, s.Within, s.Fact = "local.eet", "", nil, "", "oc3.in_eet"
		}),
		with(func(s *measure.Spec) { s.Key, s.Achieved, s.Within, s.Overdue = "local.late", nil, "", true }))
	if problems := measure.CheckLocal(fine, measure.Default(), milestone, fact); len(problems) != 0 {
		t.Fatalf("good measures refused: %+v", problems)
	}
	bad := read(
		with(func(s *measure.Spec) { s.Key = "offer_12m" }), // 0: not local
		with(func(s *measure.Spec) { s.Key = "eet.19_21" }), // 1: not local (and shipped)
		good(), // 2
		good(), // 3: the key of 2
		with(func(s *measure.Spec) { s.Key, s.CohortMilestone = "local.a", "local.nothing" }), // 4
		with(func(s *measure.Spec) {
			s.Key, s.Achieved = "local.b", []string{"plan.review", "age15_9.provisional_licence.offer"}
		}), // 5
		with(func(s *measure.Spec) { s.Key, s.Achieved, s.Within, s.Fact = "local.c", nil, "", "oc3.in_love" }), // 6
	)
	var got []string
	for _, p := range measure.CheckLocal(bad, measure.Default(), milestone, fact) {
		got = append(got, fmt.Sprintf("%d.%s", p.Index, p.Field))
	}
	if want := []string{"0.key", "1.key", "3.key", "4.cohort_milestone", "5.achieved[1]", "6.fact"}; !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

// TestCouncilReturnsWhatItDrops: a council's own measure that no longer passes the check
// is left out of its measures and returned with the check's error, so that whoever builds
// the measures can make it known; those that read follow the shipped ones in order.
func TestCouncilReturnsWhatItDrops(t *testing.T) {
	stale, second := good(), good()
	stale.Key, stale.Ages = "local.stale", "17 to 18"
	stale.Achieved, stale.Within, stale.GreenAtReview = nil, "", true // a stricter release: green_at_review from 17½ only
	second.Key = "local.offer_again"
	shipped := measure.Default()
	ms, dropped := measure.Council(shipped, []catalogue.MeasureSpec{catalogue.MeasureSpec(good()), catalogue.MeasureSpec(stale),
		catalogue.MeasureSpec(second)})
	var keys []string
	for _, m := range ms[len(shipped.Measures):] {
		keys = append(keys, m.Key)
	}
	if len(ms) != len(shipped.Measures)+2 || !slices.Equal(keys, []string{"local.offer_12m", "local.offer_again"}) {
		t.Errorf("the council's measures end %q (%d in all)", keys, len(ms))
	}
	if len(dropped) != 1 || dropped[0].Key != "local.stale" || !slices.Equal(fields(dropped[0].Err), []string{"ages"}) {
		t.Errorf("dropped %+v", dropped)
	}
	if ms, dropped := measure.Council(shipped, nil); len(ms) != len(shipped.Measures) || dropped != nil {
		t.Errorf("no measures of its own: %d measures, dropped %v", len(ms), dropped)
	}
}
