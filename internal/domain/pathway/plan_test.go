package pathway

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

const testCatalogue = `version: "t"
milestones:
  - {key: plan.assess, title: Assess, area: CONTACT_AND_SUPPORT, owner: CHILDRENS_SOCIAL_CARE, due: "age 16 + 3m until age 18", statutory: true, basis: b, sources: ["https://example.org"]}
  - {key: plan.review, title: Review, area: CONTACT_AND_SUPPORT, owner: CHILDRENS_SOCIAL_CARE, due: "age 16 every 6m until age 18", statutory: true, basis: b, sources: ["https://example.org"]}
  - {key: health.transfer, title: Transfer, area: HEALTH, owner: NHS, due: "age 18 - 6m", applies: [open_to_camhs], basis: b, sources: ["https://example.org"]}
  - {key: uasc.legal, title: Legal, area: IDENTITY, owner: LEGAL, due: "age 17", applies: [uasc], basis: b, sources: ["https://example.org"]}
  - {key: housing.staying_put, title: Staying Put, area: ACCOMMODATION, owner: FOSTER_CARER, due: "age 16y6m", applies: [fostered], basis: b, sources: ["https://example.org"]}
  - {key: housing.move, title: Move, area: ACCOMMODATION, owner: HOUSING, due: "age 18", basis: b, sources: ["https://example.org"]}
  - {key: housing.visit, title: Visit, area: ACCOMMODATION, owner: CHILDRENS_SOCIAL_CARE, due: "after housing.move + 7d", basis: b, sources: ["https://example.org"]}
  - {key: relevant.assess, title: Relevant assessment, area: CONTACT_AND_SUPPORT, owner: CHILDRENS_SOCIAL_CARE, due: "left_care + 3m", applies: [care_leaver, not looked_after], basis: b, sources: ["https://example.org"]}
  - {key: school.wex, title: Work experience, area: EMPLOYMENT, owner: VIRTUAL_SCHOOL, due: "age 13 + 6m", applies: [looked_after], basis: b, sources: ["https://example.org"]}
  - {key: adult.offer, title: Offer to 25, area: CONTACT_AND_SUPPORT, owner: CHILDRENS_SOCIAL_CARE, due: "age 21 every 1y", applies: [former_relevant], basis: b, sources: ["https://example.org"]}
`

func testCat(t *testing.T) *catalogue.Catalogue {
	t.Helper()
	c, err := catalogue.Parse([]byte(testCatalogue))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inCareFrom is a young person born on dob, looked after from an age, in a placement.
func inCareFrom(dob civil.Date, from civil.Period, placement string) Input {
	return Input{
		YoungPerson: domain.YoungPerson{ID: "yp", DateOfBirth: dob},
		Episodes: []domain.CareEpisode{{Start: civil.Attains(dob, from, civil.MarchFirst),
			LegalStatus: "C2", PlacementType: placement}},
	}
}

// due returns the due (and lapse) dates planned for key, by occurrence.
func due(ps []Planned, key string) (dates, lapses []civil.Date) {
	for _, p := range ps {
		if p.Key == key {
			dates, lapses = append(dates, p.Due), append(lapses, p.Lapse)
		}
	}
	return dates, lapses
}

func d(y, m, day int) civil.Date { return civil.Date{Year: y, Month: time.Month(m), Day: day} }

func TestDueDatesFromTheDateOfBirth(t *testing.T) {
	in := inCareFrom(d(2010, 1, 31), civil.Period{Years: 12}, "K2")
	ps := Plan(testCat(t), in)
	// 16 years and 3 months after 31 January is "31 April": under the default rule the
	// period ends on the day after the month's last, 1 May. It lapses at 18 (until age 18).
	got, lapse := due(ps, "plan.assess")
	if !cmp.Equal(got, []civil.Date{d(2026, 5, 1)}) || !cmp.Equal(lapse, []civil.Date{d(2028, 1, 31)}) {
		t.Fatalf("plan.assess due %v lapsing %v; want 2026-05-01 lapsing 2028-01-31", got, lapse)
	}
	reviews, lapses := due(ps, "plan.review")
	wantReviews := []civil.Date{d(2026, 1, 31), in.YoungPerson.DateOfBirth.Add(civil.Period{Years: 16, Months: 6}, civil.MarchFirst),
		d(2027, 1, 31), in.YoungPerson.DateOfBirth.Add(civil.Period{Years: 17, Months: 6}, civil.MarchFirst)}
	if !cmp.Equal(reviews, wantReviews) {
		t.Fatalf("reviews due %v, want %v", reviews, wantReviews)
	}
	// Each review lapses when the next is due; the last at the 18th birthday.
	wantLapses := append(slices.Clone(wantReviews[1:]), d(2028, 1, 31))
	if !cmp.Equal(lapses, wantLapses) {
		t.Fatalf("reviews lapse %v, want %v", lapses, wantLapses)
	}
}

func TestMonthEndsFollowTheCouncilRule(t *testing.T) {
	in := inCareFrom(d(2010, 8, 31), civil.Period{Years: 12}, "K2")
	for rule, want := range map[civil.LeaplingRule]civil.Date{civil.MarchFirst: d(2027, 3, 1), civil.FebruaryTwentyEighth: d(2027, 2, 28)} {
		in.Rule = rule
		if got, _ := due(Plan(testCat(t), in), "housing.staying_put"); len(got) != 0 {
			t.Fatalf("a children's home placement planned Staying Put: %v", got)
		}
		got, _ := due(Plan(testCat(t), in), "plan.review")
		if got[1] != want { // 16y6m after 31 August 2010 is "31 February 2027"
			t.Errorf("%v: second review due %v, want %v", rule, got[1], want)
		}
	}
}

func TestLeapDayBirth(t *testing.T) {
	in := inCareFrom(d(2008, 2, 29), civil.Period{Years: 12}, "U1")
	for rule, want := range map[civil.LeaplingRule]civil.Date{civil.MarchFirst: d(2026, 3, 1), civil.FebruaryTwentyEighth: d(2026, 2, 28)} {
		in.Rule = rule
		// housing.move is due at 18; it applies while in care or leaving it.
		if got, _ := due(Plan(testCat(t), in), "housing.move"); !cmp.Equal(got, []civil.Date{want}) {
			t.Errorf("%v: due at 18 on %v, want %v", rule, got, want)
		}
	}
}

func TestConditions(t *testing.T) {
	dob := d(2010, 6, 15)
	base := inCareFrom(dob, civil.Period{Years: 12}, "U4") // fostered throughout
	has := func(in Input, key string) bool { got, _ := due(Plan(testCat(t), in), key); return len(got) > 0 }

	if has(base, "uasc.legal") || has(base, "health.transfer") {
		t.Error("UASC or CAMHS milestones planned for a young person with neither")
	}
	uasc := base
	uasc.YoungPerson.UnaccompaniedAsylumSeekingChild, uasc.YoungPerson.OpenToCAMHS = true, true
	if !has(uasc, "uasc.legal") || !has(uasc, "health.transfer") {
		t.Error("UASC and CAMHS milestones missing for a young person with both")
	}
	if !has(base, "housing.staying_put") {
		t.Error("Staying Put decision missing for a fostered 16-year-old")
	}
	home := inCareFrom(dob, civil.Period{Years: 12}, "K2")
	if has(home, "housing.staying_put") {
		t.Error("Staying Put decision planned for a young person in a children's home")
	}
	// Looked after at 13½ only if in care then.
	if !has(base, "school.wex") || has(inCareFrom(dob, civil.Period{Years: 15}, "U4"), "school.wex") {
		t.Error("the work-experience offer at 13½ follows being looked after on that day")
	}
	// Former relevant from 18: the offer to 25 recurs yearly from 21 to 24.
	if got, _ := due(Plan(testCat(t), base), "adult.offer"); len(got) != 4 || got[0] != d(2031, 6, 15) {
		t.Errorf("offer to 25 due %v, want four from the 21st birthday", got)
	}
}

func TestNothingForSomeoneNeverInCare(t *testing.T) {
	in := Input{YoungPerson: domain.YoungPerson{DateOfBirth: d(2010, 1, 1)}}
	if ps := Plan(testCat(t), in); len(ps) != 0 {
		t.Fatalf("planned %d milestones for a young person with no care episodes", len(ps))
	}
	// In care only from 17: nothing before that, a pathway from then on.
	late := inCareFrom(d(2010, 1, 1), civil.Period{Years: 17}, "K2")
	for _, p := range Plan(testCat(t), late) {
		if p.Due.Before(late.Episodes[0].Start) {
			t.Errorf("%s due %v, before the young person came into care", p.Key, p.Due)
		}
	}
}

func TestEventAnchors(t *testing.T) {
	dob := d(2009, 3, 10)
	in := inCareFrom(dob, civil.Period{Years: 14}, "K2")
	if got, _ := due(Plan(testCat(t), in), "housing.visit"); len(got) != 0 {
		t.Fatalf("a visit after a move was planned before any move: %v", got)
	}
	in.Achieved = map[string]civil.Date{"housing.move": d(2027, 4, 1)}
	if got, _ := due(Plan(testCat(t), in), "housing.visit"); !cmp.Equal(got, []civil.Date{d(2027, 4, 8)}) {
		t.Fatalf("visit due %v, want 7 days after the move", got)
	}
	// Left care at 16½ after 2½ years in care: relevant, assessed within 3 months.
	left := civil.Attains(dob, civil.Period{Years: 16, Months: 6}, civil.MarchFirst)
	in.Episodes[0].End, in.Episodes[0].ReasonEnded = left, "E6"
	if got, _ := due(Plan(testCat(t), in), "relevant.assess"); !cmp.Equal(got, []civil.Date{left.Add(civil.Period{Months: 3}, civil.MarchFirst)}) {
		t.Fatalf("relevant-child assessment due %v, want 3 months after leaving care on %v", got, left)
	}
}

func TestDateOfBirthChangeMovesEveryDueDate(t *testing.T) {
	a := inCareFrom(d(2010, 5, 1), civil.Period{Years: 12}, "U4")
	b := a
	b.YoungPerson.DateOfBirth = d(2010, 9, 1)
	b.Episodes = slices.Clone(a.Episodes) // same care history
	pa, pb := Plan(testCat(t), a), Plan(testCat(t), b)
	if len(pa) != len(pb) {
		t.Fatalf("%d milestones before and %d after the change", len(pa), len(pb))
	}
	for i := range pa {
		if pa[i].Key != pb[i].Key || pa[i].Occurrence != pb[i].Occurrence {
			t.Fatalf("milestone %d changed identity: %v -> %v", i, pa[i], pb[i])
		}
		if pa[i].Key != "school.wex" && pa[i].Due.DaysUntil(pb[i].Due) < 120 {
			t.Errorf("%s #%d moved from %v to %v; expected about four months later", pa[i].Key, pa[i].Occurrence, pa[i].Due, pb[i].Due)
		}
	}
}

func TestShippedCataloguePlansAPathwayFrom13To25(t *testing.T) {
	in := inCareFrom(d(2011, 7, 25), civil.Period{Years: 12, Months: 5}, "U4")
	ps := Plan(catalogue.Default(), in)
	if again := Plan(catalogue.Default(), in); !cmp.Equal(ps, again) {
		t.Fatal("planning is not deterministic")
	}
	first, last := ps[0].Due, ps[0].Due
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Due.Before(first) {
			first = p.Due
		}
		if p.Due.After(last) {
			last = p.Due
		}
		id := fmt.Sprintf("%s#%d", p.Key, p.Occurrence)
		if seen[id] {
			t.Fatalf("%s planned twice", id)
		}
		seen[id] = true
		if !p.Lapse.After(p.Due) {
			t.Errorf("%s #%d lapses on %v, not after it is due on %v", p.Key, p.Occurrence, p.Lapse, p.Due)
		}
	}
	if y, _ := civil.AgeOn(in.YoungPerson.DateOfBirth, first, civil.MarchFirst); y != 13 {
		t.Errorf("the pathway starts at age %d, want 13", y)
	}
	if y, _ := civil.AgeOn(in.YoungPerson.DateOfBirth, last, civil.MarchFirst); y != 24 {
		t.Errorf("the pathway ends at age %d, want 24 (the exit plan before 25)", y)
	}
	for _, key := range []string{"age16.needs_assessment", "age16_6.staying_put.decision", "age17_9.accommodation.confirmed", "age24_6.exit.plan"} {
		if !seen[key+"#1"] {
			t.Errorf("a fostered young person's pathway lacks %s", key)
		}
	}
}
