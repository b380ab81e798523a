package pathway

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

// Whole timelines on the shipped catalogue: a date of birth and episodes give each statutory
// milestone's due dates. The duties run from becoming eligible (CPPCR reg 42, 43; CA89 Sch 2
// para 19C), the plan's reviews from the plan (CLR reg 7), the adviser's visits every two
// months from the move (CLR reg 8), the relevant child's assessment from leaving care (CLR
// reg 5(2)(a)) and the OC3 record at each birthday from 17 to 21 while not looked after.
func TestWholeTimelines(t *testing.T) {
	d := civil.New
	born := d(2010, 1, 10) // 14 on 2024-01-10, 16 on 2026-01-10, 18 on 2028-01-10, 21 on 2031-01-10
	episode := func(start, end civil.Date, reason string) domain.CareEpisode {
		return domain.CareEpisode{Start: start, End: end, LegalStatus: "C2", PlacementType: "K2", ReasonEnded: reason}
	}
	every := func(first civil.Date, months, n int) []civil.Date {
		var out []civil.Date
		for k := 0; k < n; k++ {
			out = append(out, first.Add(civil.Period{Months: months * k}, civil.MarchFirst))
		}
		return out
	}
	type timeline map[string][]civil.Date
	cases := []struct {
		name     string
		dob      civil.Date
		episodes []domain.CareEpisode
		achieved map[string]civil.Date
		circ     func(*domain.YoungPerson)
		want     timeline
	}{{
		name:     "in care from 14 to 18, plan written, a tenancy at 18",
		episodes: []domain.CareEpisode{episode(d(2024, 1, 10), d(2028, 1, 10), "E17")},
		achieved: map[string]civil.Date{"age16.pathway_plan": d(2026, 4, 1), "housing.tenancy.start": d(2028, 2, 1)},
		want: timeline{
			"age16.pa.introduce":        {d(2026, 1, 10)},
			"age16.needs_assessment":    {d(2026, 4, 10)},
			"age16.pathway_plan":        {d(2026, 4, 10)},
			"plan.review":               every(d(2026, 10, 1), 6, 9),                                      // to 2030-10-01, before 21
			"relevant.needs_assessment": nil,                                                              // former relevant when it would fall due
			"housing.tenancy.pa_visit":  every(d(2028, 2, 8), 2, 18),                                      // to 2030-12-08, before 21
			"data.oc3.birthday":         {d(2028, 1, 10), d(2029, 1, 10), d(2030, 1, 10), d(2031, 1, 10)}, // not at 17: looked after
		},
	}, {
		name:     "a late entrant at 16y5m: the duties run from becoming eligible 13 weeks later",
		episodes: []domain.CareEpisode{{Start: d(2026, 6, 10), LegalStatus: "C2", PlacementType: "K2"}},
		want: timeline{
			"age16.pa.introduce":     {d(2026, 9, 8)}, // the 91st day looked after
			"age16.needs_assessment": {d(2026, 12, 8)},
			"age16.pathway_plan":     {d(2026, 12, 8)},
			"plan.review":            nil, // no plan, so no review is due yet
			"data.oc3.birthday":      {d(2028, 1, 10), d(2029, 1, 10), d(2030, 1, 10), d(2031, 1, 10)},
		},
	}, {
		name:     "the late entrant's plan written: reviews every six months from it",
		episodes: []domain.CareEpisode{{Start: d(2026, 6, 10), LegalStatus: "C2", PlacementType: "K2"}},
		achieved: map[string]civil.Date{"age16.pathway_plan": d(2026, 12, 1)},
		want:     timeline{"plan.review": every(d(2027, 6, 1), 6, 8)}, // to 2030-12-01, before 21
	}, {
		name:     "a late entrant who leaves before 13 weeks: qualifying, no leaving-care plan",
		episodes: []domain.CareEpisode{episode(d(2026, 6, 10), d(2026, 8, 1), "E13")},
		want: timeline{"age16.pa.introduce": nil, "age16.needs_assessment": nil, "age16.pathway_plan": nil,
			"relevant.needs_assessment": nil, "data.oc3.birthday": {d(2027, 1, 10), d(2028, 1, 10), d(2029, 1, 10), d(2030, 1, 10)}},
	}, {
		name:     "detained on the 16th birthday after 13 weeks looked after (CLR reg 3(2))",
		episodes: []domain.CareEpisode{episode(d(2024, 1, 10), d(2025, 12, 20), "E9")},
		circ:     func(yp *domain.YoungPerson) { yp.DetainedOrInHospitalAt16 = true },
		want: timeline{
			"age16.pa.introduce":        {d(2026, 1, 10)},
			"age16.needs_assessment":    {d(2026, 4, 10)},
			"relevant.needs_assessment": {d(2026, 3, 20)},
		},
	}, {
		name:     "the same history without the detention recorded: no duties",
		episodes: []domain.CareEpisode{episode(d(2024, 1, 10), d(2025, 12, 20), "E9")},
		want:     timeline{"age16.pa.introduce": nil, "age16.needs_assessment": nil, "relevant.needs_assessment": nil},
	}, {
		name: "left care at 16y5m, back at 16y8m and still looked after: no relevant child's assessment",
		episodes: []domain.CareEpisode{episode(d(2024, 1, 10), d(2026, 6, 1), "E13"),
			{Start: d(2026, 9, 1), LegalStatus: "V2", PlacementType: "U4"}},
		want: timeline{"age16.pa.introduce": {d(2026, 1, 10)}, "relevant.needs_assessment": nil},
	}, {
		name:     "left care at 17 without a plan: assessed within three months (CLR reg 5(2)(a))",
		episodes: []domain.CareEpisode{episode(d(2024, 1, 10), d(2027, 1, 10), "E6")},
		want: timeline{"relevant.needs_assessment": {d(2027, 4, 10)},
			"data.oc3.birthday": {d(2027, 1, 10), d(2028, 1, 10), d(2029, 1, 10), d(2030, 1, 10), d(2031, 1, 10)}},
	}, {
		name:     "born on 29 February: eligible on the 16th birthday, the OC3 record on 29 February in a leap year",
		dob:      d(2008, 2, 29),
		episodes: []domain.CareEpisode{{Start: d(2022, 3, 1), LegalStatus: "C2", PlacementType: "K2"}},
		want: timeline{
			"age16.pa.introduce":     {d(2024, 2, 29)},
			"age16.needs_assessment": {d(2024, 5, 29)},
			"data.oc3.birthday":      {d(2026, 3, 1), d(2027, 3, 1), d(2028, 2, 29), d(2029, 3, 1)},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			yp := domain.YoungPerson{DateOfBirth: born}
			if !tc.dob.IsZero() {
				yp.DateOfBirth = tc.dob
			}
			if tc.circ != nil {
				tc.circ(&yp)
			}
			plan := Plan(catalogue.Default(), Input{YoungPerson: yp, Episodes: tc.episodes, Achieved: tc.achieved, Rule: civil.MarchFirst})
			for key, want := range tc.want {
				var got []civil.Date
				for _, p := range plan {
					if p.Key == key {
						got = append(got, p.Due)
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s due dates (-want +got):\n%s", key, diff)
				}
			}
		})
	}
}
