package storetest

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/store"
)

// measureFixture is a small catalogue that reaches every part of the measure language.
const measureFixture = `version: test
measures:
  - {key: plan.done, title: T, ofsted: DECISION_MAKING, definition: d, numerator: n, denominator: d, source: s,
     cohort: {ages: "16 to 21", milestone: k.plan}, count: {achieved: [k.plan]}}
  - {key: plan.by17, title: T, ofsted: DECISION_MAKING, definition: d, numerator: n, denominator: d, source: s,
     cohort: {ages: "16 to 21", milestone: k.plan}, count: {achieved: [k.plan], by_age: "17"}}
  - {key: review.6m, title: T, ofsted: DECISION_MAKING, definition: d, numerator: n, denominator: d, source: s,
     cohort: {ages: "16 to 21", milestone: k.plan}, count: {achieved: [k.plan, k.review], within: 6m}}
  - {key: eet, title: T, ofsted: LEARNING_AND_WORK, definition: d, numerator: n, denominator: d, source: s,
     cohort: {ages: "17 to 22", milestone: k.plan}, count: {fact: oc3.in_eet}}
  - {key: overdue, title: T, ofsted: DECISION_MAKING, definition: d, numerator: n, denominator: d, source: s,
     lower_is_better: true, cohort: {ages: "13 to 25"}, count: {overdue: true}}
  - {key: green.review, title: T, ofsted: DECISION_MAKING, definition: d, numerator: n, denominator: d, source: s,
     cohort: {ages: "17y6m to 18y6m"}, count: {green_at_review: true}}
`

// mc is an expected count: measure, date, team, cohort, count.
func mc(key string, asOf civil.Date, team string, cohort, count int) store.MeasureCount {
	return store.MeasureCount{Measure: key, AsOf: asOf, Team: team, Cohort: cohort, Count: count}
}

// seedMeasures makes council-a's fixture (and a young person of council-b who must never
// count): A (north, 17 in January 2026) did the plan at 16 and a review in October; B
// (south, born 29 February 2008) did the plan on 28 February 2025, the day before their
// 17th birthday under the 1 March rule and on it under the 28 February rule; C (no adviser,
// 16 in June 2026) has the plan open and overdue from September; D (north, 14) did a
// milestone late and has one waived.
func seedMeasures(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	createOrganisations(t, s, organisation("council-a", domain.Council), organisation("council-b", domain.Council))
	createPeople(t, s, person("pa-north", "council-a", "north", domain.PersonalAdviser),
		person("pa-south", "council-a", "south", domain.PersonalAdviser),
		person("pa-b", "council-b", "north", domain.PersonalAdviser))
	yp := func(key string, dob civil.Date, adviser, council string) domain.YoungPerson {
		y := youngPerson(key)
		y.DateOfBirth, y.PersonalAdviserID, y.CouncilID = dob, adviser, council
		return y
	}
	a := yp("m-a", civil.New(2009, 1, 15), "pa-north", "council-a")
	b := yp("m-b", civil.New(2008, 2, 29), "pa-south", "council-a")
	c := yp("m-c", civil.New(2010, 6, 10), "", "council-a")
	d := yp("m-d", civil.New(2012, 1, 1), "pa-north", "council-a")
	e := yp("m-e", civil.New(2009, 1, 15), "pa-b", "council-b")
	create(t, s, a, b, c, d, e)
	day := civil.New
	savePathways(t, s,
		planFor(a, "v", planned("k.plan", 1, day(2025, 4, 15), day(2030, 1, 15)), planned("k.review", 1, day(2026, 7, 1), day(2027, 1, 1))),
		planFor(b, "v", planned("k.plan", 1, day(2024, 6, 1), day(2029, 3, 1))),
		planFor(c, "v", planned("k.plan", 1, day(2026, 9, 10), day(2027, 6, 10))),
		planFor(d, "v", planned("k.other", 1, day(2026, 3, 1), day(2026, 9, 1)), planned("k.waived", 1, day(2026, 1, 1), day(2027, 1, 1))),
		planFor(e, "v", planned("k.plan", 1, day(2025, 4, 15), day(2030, 1, 15))))
	done := map[string]civil.Date{
		a.ID + "k.plan": day(2025, 5, 1), a.ID + "k.review": day(2026, 10, 1), b.ID + "k.plan": day(2025, 2, 28),
		d.ID + "k.other": day(2026, 5, 1), e.ID + "k.plan": day(2025, 5, 1),
	}
	inTx(t, s, func(tx store.Tx) error {
		ms, err := tx.ListMilestones(ctx, store.MilestoneQuery{Limit: 100})
		if err != nil {
			return err
		}
		for _, m := range ms {
			rev := m.Revision
			if when, ok := done[m.YoungPersonID+m.Key]; ok {
				m.State, m.AchievedDate = domain.Achieved, when
			} else if m.Key == "k.waived" {
				m.State = domain.Waived
			} else if m.YoungPersonID == c.ID { // given to a partner, still open
				m.OwnerOrganisation = "housing-a"
			} else {
				continue
			}
			if _, err := tx.UpdateMilestone(ctx, m, rev); err != nil {
				return err
			}
		}
		return nil
	})
	f := func(key string, value bool, effective civil.Date, after time.Duration) domain.Fact {
		r := fact(key, "m-a", "oc3.in_eet", value, after)
		r.EffectiveDate = effective
		return r
	}
	// The latest record by record time that is effective by the date decides.
	addFacts(t, s, f("eet-1", true, day(2026, 3, 1), time.Hour), f("eet-2", false, day(2026, 9, 1), 2*time.Hour),
		f("eet-3", true, day(2027, 1, 1), 3*time.Hour), f("eet-b", true, day(2026, 3, 1), 0))
	// Ratings on the 17½ birthday: A (15 July 2026) green, B (29 August 2025) amber, and
	// council-b's E green; C and D are not 17½ yet.
	summary := func(y domain.YoungPerson, atReview domain.Rating) domain.ReadinessSummary {
		return domain.ReadinessSummary{YoungPersonID: y.ID, CouncilID: y.CouncilID, EighteenthBirthday: y.DateOfBirth.Add(civil.Period{Years: 18}, civil.MarchFirst),
			Rating: domain.Red, RatingAtReview: atReview, AssessedOn: day(2026, 12, 1), ValidUntil: day(2027, 1, 1), Version: "v"}
	}
	inTx(t, s, func(tx store.Tx) error {
		return tx.SaveReadiness(ctx, []domain.ReadinessSummary{summary(a, domain.Green), summary(b, domain.Amber),
			summary(c, ""), summary(e, domain.Green)})
	})
}

// keepStandings saves the standings of the young people with these keys in ms under the
// 1 March rule, worked out from their records, as the planner does.
func keepStandings(t *testing.T, s store.Store, ms []measure.Measure, keys []string) {
	t.Helper()
	if len(keys) == 0 {
		return
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = youngPerson(k).ID
	}
	review := map[string]domain.Rating{youngPerson("m-a").ID: domain.Green, youngPerson("m-b").ID: domain.Amber}
	ctx := context.Background()
	inTx(t, s, func(tx store.Tx) error {
		states, err := tx.LoadPathways(ctx, ids)
		if err != nil {
			return err
		}
		var rows []store.MeasureStandings
		for _, st := range states {
			r := measure.Record{DateOfBirth: st.YoungPerson.DateOfBirth, Rule: civil.MarchFirst, Milestones: st.Milestones,
				Facts: st.Facts, RatingAtReview: review[st.YoungPerson.ID]}
			rows = append(rows, store.MeasureStandings{YoungPersonID: st.YoungPerson.ID, CouncilID: st.YoungPerson.CouncilID,
				Version: measure.Version(ms, civil.MarchFirst), Standings: measure.Standings(ms, r)})
		}
		return tx.SaveMeasureStandings(ctx, rows)
	})
}

func countMeasures(t *testing.T, s store.Store, q store.MeasureQuery) []store.MeasureCount {
	t.Helper()
	var out []store.MeasureCount
	inTx(t, s, func(tx store.Tx) (err error) {
		out, err = tx.CountMeasures(context.Background(), q)
		return err
	})
	slices.SortFunc(out, func(a, b store.MeasureCount) int {
		return cmp.Or(cmp.Compare(a.Measure, b.Measure), a.AsOf.Compare(b.AsOf), cmp.Compare(a.Team, b.Team))
	})
	return out
}

func testMeasures(t *testing.T, newStore NewStore) {
	cat, err := measure.Parse([]byte(measureFixture))
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	seedMeasures(t, s)
	// eet-b is a record of m-a too (fact() names m-a); it is the oldest, so never decides.
	past, now := civil.New(2026, 6, 1), civil.New(2026, 12, 1)

	// The same answers whether standings are worked out when counting, kept for some young
	// people, or kept for all (what the planner saves as it reassesses them).
	for _, phase := range []struct {
		name string
		keep []string
	}{{"WorkedOut", nil}, {"KeptForSome", []string{"m-a", "m-c"}}, {"Kept", []string{"m-a", "m-b", "m-c", "m-d"}}} {
		keepStandings(t, s, cat.Measures, phase.keep)
		t.Run(phase.name, func(t *testing.T) {
			t.Run("PastAndNow", func(t *testing.T) {
				got := countMeasures(t, s, store.MeasureQuery{CouncilID: "council-a", Measures: cat.Measures, Dates: []civil.Date{now, past}})
				want := []store.MeasureCount{
					mc("eet", past, "north", 1, 1), mc("eet", past, "south", 1, 0),
					mc("eet", now, "north", 1, 0), mc("eet", now, "south", 1, 0),
					// Counted from the rating on the 17½ birthday, not the rating now (red).
					mc("green.review", past, "south", 1, 0), mc("green.review", now, "north", 1, 1),
					mc("overdue", past, "", 1, 0), mc("overdue", past, "north", 2, 0), mc("overdue", past, "south", 1, 0),
					mc("overdue", now, "", 1, 1), mc("overdue", now, "north", 2, 0), mc("overdue", now, "south", 1, 0),
					mc("plan.by17", past, "north", 1, 1), mc("plan.by17", past, "south", 1, 1),
					mc("plan.by17", now, "", 1, 0), mc("plan.by17", now, "north", 1, 1), mc("plan.by17", now, "south", 1, 1),
					mc("plan.done", past, "north", 1, 1), mc("plan.done", past, "south", 1, 1),
					mc("plan.done", now, "", 1, 0), mc("plan.done", now, "north", 1, 1), mc("plan.done", now, "south", 1, 1),
					mc("review.6m", past, "north", 1, 0), mc("review.6m", past, "south", 1, 0),
					mc("review.6m", now, "", 1, 0), mc("review.6m", now, "north", 1, 1), mc("review.6m", now, "south", 1, 0),
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Fatalf("CountMeasures (-want +got):\n%s", diff)
				}
			})

			t.Run("LeapDayRule", func(t *testing.T) {
				by17, _ := cat.Lookup("plan.by17")
				got := countMeasures(t, s, store.MeasureQuery{CouncilID: "council-a", Measures: []measure.Measure{by17},
					Dates: []civil.Date{past}, Rule: civil.FebruaryTwentyEighth})
				want := []store.MeasureCount{mc("plan.by17", past, "north", 1, 1), mc("plan.by17", past, "south", 1, 0)}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Fatalf("CountMeasures under the 28 February rule (-want +got):\n%s", diff)
				}
			})

			t.Run("MonthlySeries", func(t *testing.T) {
				overdue, _ := cat.Lookup("overdue")
				months := measure.MonthEnds(civil.New(2026, 7, 1), civil.New(2026, 10, 31))
				got := countMeasures(t, s, store.MeasureQuery{CouncilID: "council-a", Measures: []measure.Measure{overdue}, Dates: months})
				m := func(month time.Month, team string, cohort, count int) store.MeasureCount {
					return mc("overdue", civil.New(2026, month, civil.DaysIn(2026, month)), team, cohort, count)
				}
				want := []store.MeasureCount{
					m(7, "", 1, 0), m(7, "north", 2, 1), m(7, "south", 1, 0),
					m(8, "", 1, 0), m(8, "north", 2, 1), m(8, "south", 1, 0),
					m(9, "", 1, 1), m(9, "north", 2, 1), m(9, "south", 1, 0),
					m(10, "", 1, 1), m(10, "north", 2, 0), m(10, "south", 1, 0),
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Fatalf("CountMeasures monthly (-want +got):\n%s", diff)
				}
			})
		})
	}

	t.Run("StaleStandings", func(t *testing.T) {
		version := measure.Version(cat.Measures, civil.MarchFirst)
		inTx(t, s, func(tx store.Tx) error {
			if stale, err := tx.StaleMeasureStandings(context.Background(), "council-a", version, 10); err != nil || len(stale) != 0 {
				t.Errorf("stale after keeping every standing: %v %v", stale, err)
			}
			return nil
		})
	})

	t.Run("Agencies", func(t *testing.T) {
		agencies := func(day civil.Date) (out []store.AgencyCount) {
			inTx(t, s, func(tx store.Tx) (err error) {
				out, err = tx.CountAgencies(context.Background(), "council-a", day)
				return err
			})
			return out
		}
		for _, c := range []struct {
			day  civil.Date
			want []store.AgencyCount
		}{
			{now, []store.AgencyCount{{OrganisationID: "council-a", Due: 5, Done: 4, Facts: 3},
				{OrganisationID: "housing-a", Due: 1, Overdue: 1, DaysOverdue: 82, MaxDaysOverdue: 82}}},
			{past, []store.AgencyCount{{OrganisationID: "council-a", Due: 4, Done: 3, Facts: 2}}},
			// D's milestone was done late: overdue for 31 days on 1 April.
			{civil.New(2026, 4, 1), []store.AgencyCount{{OrganisationID: "council-a", Due: 4, Done: 2, Overdue: 1, DaysOverdue: 31, MaxDaysOverdue: 31, Facts: 2}}},
		} {
			if diff := gocmp.Diff(c.want, agencies(c.day)); diff != "" {
				t.Errorf("CountAgencies on %s (-want +got):\n%s", c.day, diff)
			}
		}
	})

	t.Run("OtherCouncilAndNoDates", func(t *testing.T) {
		done, _ := cat.Lookup("plan.done")
		got := countMeasures(t, s, store.MeasureQuery{CouncilID: "council-b", Measures: []measure.Measure{done}, Dates: []civil.Date{now}})
		if diff := gocmp.Diff([]store.MeasureCount{mc("plan.done", now, "north", 1, 1)}, got); diff != "" {
			t.Fatalf("council-b (-want +got):\n%s", diff)
		}
		if got := countMeasures(t, s, store.MeasureQuery{CouncilID: "council-a", Measures: cat.Measures}); len(got) != 0 {
			t.Fatalf("no dates gave %v", got)
		}
	})
}
