package measure_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
)

var day = civil.New

func standing(t *testing.T, doc string, r measure.Record) (measure.Standing, bool) {
	t.Helper()
	c, err := measure.Parse([]byte("version: x\nmeasures:\n  - {key: m, title: T, ofsted: HEALTH, definition: d, numerator: n, denominator: d, source: s, " + doc + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := measure.Standings(c.Measures, r)
	if len(got) == 0 {
		return measure.Standing{}, false
	}
	return got[0], true
}

// TestStandings checks the spans at their edges: a window that ends at a month's end, a
// fact whose later record is effective earlier, overdue spans that touch, and a cohort
// milestone never planned.
func TestStandings(t *testing.T) {
	dob := day(2008, 8, 31)
	achieved := func(key string, on civil.Date) domain.Milestone {
		return domain.Milestone{Key: key, State: domain.Achieved, AchievedDate: on, Applicable: true, DueDate: on, LapseDate: on.AddDays(30)}
	}
	t.Run("WithinAMonthEnd", func(t *testing.T) {
		s, ok := standing(t, `cohort: {ages: "16 to 21", milestone: k}, count: {achieved: [k], within: 6m}`,
			measure.Record{DateOfBirth: dob, Milestones: []domain.Milestone{achieved("k", day(2025, 8, 31))}})
		// 28 February 2026 less six months is 28 August 2025, before the review: counted;
		// 1 March less six months is 1 September: not.
		want := measure.Standing{Measure: "m", Cohort: measure.Span{From: day(2025, 8, 31), Until: day(2029, 8, 31)},
			Counted: []measure.Span{{From: day(2025, 8, 31), Until: day(2026, 3, 1)}}}
		if diff := cmp.Diff(want, s); !ok || diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("LatestRecordDecides", func(t *testing.T) {
		rec := func(id string, v bool, effective civil.Date, recorded int) domain.Fact {
			return domain.Fact{ID: id, Key: "f", Value: v, EffectiveDate: effective, RecordTime: time.Date(2026, 1, recorded, 0, 0, 0, 0, time.UTC)}
		}
		// Yes from 1 March; no from 1 June, recorded later; a correction recorded last says
		// yes from 1 May, so from 1 May to the end it is yes (the no is older).
		s, _ := standing(t, `cohort: {ages: "13 to 25"}, count: {fact: f}`, measure.Record{DateOfBirth: dob,
			Facts: []domain.Fact{rec("a", true, day(2026, 3, 1), 1), rec("b", false, day(2026, 6, 1), 2), rec("c", false, day(2026, 4, 1), 3), rec("d", true, day(2026, 5, 1), 4)}})
		want := []measure.Span{{From: day(2026, 3, 1), Until: day(2026, 4, 1)}, {From: day(2026, 5, 1)}}
		if diff := cmp.Diff(want, s.Counted); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("OverdueSpans", func(t *testing.T) {
		open := domain.Milestone{Key: "a", State: domain.Planned, Applicable: true, DueDate: day(2026, 1, 10), LapseDate: day(2026, 3, 1)}
		late := domain.Milestone{Key: "b", State: domain.Achieved, Applicable: true, DueDate: day(2026, 2, 20), LapseDate: day(2026, 9, 1), AchievedDate: day(2026, 4, 1)}
		waived := domain.Milestone{Key: "c", State: domain.Waived, Applicable: true, DueDate: day(2025, 1, 1), LapseDate: day(2027, 1, 1)}
		s, _ := standing(t, `cohort: {ages: "13 to 25"}, count: {overdue: true}`, measure.Record{DateOfBirth: dob,
			Milestones: []domain.Milestone{open, late, waived}})
		want := []measure.Span{{From: day(2026, 1, 11), Until: day(2026, 4, 1)}}
		if diff := cmp.Diff(want, s.Counted); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("NeverPlanned", func(t *testing.T) {
		if s, ok := standing(t, `cohort: {ages: "16 to 21", milestone: k}, count: {achieved: [k]}`, measure.Record{DateOfBirth: dob}); ok {
			t.Errorf("a cohort of a milestone never planned: %+v", s)
		}
	})
}

// TestVersion changes with the measures and the leap-day rule.
func TestVersion(t *testing.T) {
	ms := measure.Default().Measures
	v := measure.Version(ms, civil.MarchFirst)
	if v == measure.Version(ms[1:], civil.MarchFirst) || v == measure.Version(ms, civil.FebruaryTwentyEighth) || v != measure.Version(ms, civil.MarchFirst) {
		t.Error("the version does not follow the measures and the rule")
	}
}
