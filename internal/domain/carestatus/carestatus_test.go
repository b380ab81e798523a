package carestatus

import (
	"slices"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
)

// Most cases follow one young person born on 15 June 2008, a date no leapling rule touches.
var (
	dob = civil.New(2008, 6, 15)
	b14 = civil.New(2022, 6, 15)
	b16 = civil.New(2024, 6, 15)
	b17 = civil.New(2025, 6, 15)
	b18 = civil.New(2026, 6, 15)
	b21 = civil.New(2029, 6, 15)
	b25 = civil.New(2033, 6, 15)

	zero civil.Date
)

// spell is an ended episode on a full care order in a children's home.
func spell(start, end civil.Date, reason string) Episode {
	return Episode{Start: start, End: end, LegalStatus: "C2", PlacementType: "K2", ReasonEnded: reason}
}

// ongoing is an open episode on a full care order with long-term foster carers.
func ongoing(start civil.Date) Episode {
	return Episode{Start: start, LegalStatus: "C2", PlacementType: "U4"}
}

func months(d civil.Date, n int) civil.Date {
	return d.Add(civil.Period{Months: n}, civil.MarchFirst)
}

type deriveCase struct {
	name     string
	dob      civil.Date // dob when zero
	episodes []Episode
	asOf     civil.Date
	rule     civil.LeaplingRule
	circ     Circumstances
	want     Status // Explanation is checked for being present and free of the date of birth
}

func run(t *testing.T, cases []deriveCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			born := tc.dob
			if born.IsZero() {
				born = dob
			}
			got := Derive(born, tc.episodes, tc.asOf, tc.rule, tc.circ)
			explanation := got.Explanation
			got.Explanation = ""
			if got != tc.want {
				t.Errorf("Derive on %v\n got %+v\nwant %+v", tc.asOf, got, tc.want)
			}
			if explanation == "" || strings.Contains(explanation, born.String()) {
				t.Errorf("explanation %q is empty or holds the date of birth", explanation)
			}
		})
	}
}

func TestThirteenWeekTest90Versus91Days(t *testing.T) {
	run(t, []deriveCase{
		{
			name:     "in care: 90 days since 14 by the 16th birthday is not enough",
			episodes: []Episode{ongoing(b16.AddDays(-89))},
			asOf:     b16,
			want: Status{Category: NotYetEligible, Rule: RuleTooFewDays, To: b16.AddDays(1),
				DaysSince14: 90, DaysSince16: 1, LookedAfter: true},
		},
		{
			name:     "in care: the 91st day meets the test",
			episodes: []Episode{ongoing(b16.AddDays(-89))},
			asOf:     b16.AddDays(1),
			want: Status{Category: Eligible, Rule: RuleEligible, From: b16.AddDays(1), To: b18,
				DaysSince14: 91, DaysSince16: 2, LookedAfter: true},
		},
		{
			name: "left care: 89 days at 15 and 1 day at 16 make 90",
			episodes: []Episode{
				spell(b16.AddDays(-200), b16.AddDays(-111), "E13"),
				spell(b16.AddDays(10), b16.AddDays(11), "E13"),
			},
			asOf: b16.AddDays(30),
			want: Status{Category: Qualifying, Rule: RuleQualifying, From: b16.AddDays(11), To: b21,
				DaysSince14: 90, DaysSince16: 1},
		},
		{
			name: "left care: 90 days at 15 and 1 day at 16 make 91",
			episodes: []Episode{
				spell(b16.AddDays(-200), b16.AddDays(-110), "E13"),
				spell(b16.AddDays(10), b16.AddDays(11), "E13"),
			},
			asOf: b16.AddDays(30),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: b16.AddDays(11), To: b18,
				DaysSince14: 91, DaysSince16: 1},
		},
		{
			name:     "days before the 14th birthday do not count",
			episodes: []Episode{ongoing(b14.AddDays(-400))},
			asOf:     b14.AddDays(89),
			want: Status{Category: NotYetEligible, Rule: RuleUnder16, To: b16,
				DaysSince14: 90, LookedAfter: true},
		},
	})
}

func TestEpisodeEndingOn16thBirthday(t *testing.T) {
	run(t, []deriveCase{
		{
			name:     "ends on the 16th birthday: no day after 16, not eligible",
			episodes: []Episode{spell(b16.AddDays(-91), b16, "E13")},
			asOf:     b16.AddDays(10),
			want:     Status{Category: None, Rule: RuleNotLookedAfterAfter16, DaysSince14: 91},
		},
		{
			name:     "ends on the 16th birthday, asked that day",
			episodes: []Episode{spell(b16.AddDays(-91), b16, "E13")},
			asOf:     b16,
			want:     Status{Category: None, Rule: RuleNotLookedAfterAfter16, DaysSince14: 91},
		},
		{
			name:     "ends the day after: one day after 16, so relevant",
			episodes: []Episode{spell(b16.AddDays(-91), b16.AddDays(1), "E13")},
			asOf:     b16.AddDays(10),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: b16.AddDays(1), To: b18,
				DaysSince14: 92, DaysSince16: 1},
		},
		{
			name:     "looked after on the 16th birthday itself, asked that day",
			episodes: []Episode{ongoing(b16.AddDays(-91))},
			asOf:     b16,
			want: Status{Category: Eligible, Rule: RuleEligible, From: b16, To: b18,
				DaysSince14: 92, DaysSince16: 1, LookedAfter: true},
		},
	})
}

func TestShortBreaksNotCounted(t *testing.T) {
	shortBreak := func(ls string, start, end civil.Date) Episode {
		return Episode{Start: start, End: end, LegalStatus: ls, PlacementType: "K2", ReasonEnded: "E8"}
	}
	run(t, []deriveCase{
		{
			name:     "V3 only",
			episodes: []Episode{shortBreak("V3", b14, b16.AddDays(100))},
			asOf:     b16.AddDays(200),
			want:     Status{Category: None, Rule: RuleNeverLookedAfter},
		},
		{
			name:     "V4 only, still open",
			episodes: []Episode{{Start: b14, LegalStatus: "V4", PlacementType: "U6"}},
			asOf:     b16.AddDays(200),
			want:     Status{Category: None, Rule: RuleNeverLookedAfter},
		},
		{
			name: "V2 then V3: only the 60 days of V2 count, and short breaks are not being looked after",
			episodes: []Episode{
				{Start: b16.AddDays(-50), End: b16.AddDays(10), LegalStatus: "V2", PlacementType: "U6", ReasonEnded: "X1"},
				{Start: b16.AddDays(10), LegalStatus: "V3", PlacementType: "U6"},
			},
			asOf: b16.AddDays(50),
			want: Status{Category: Qualifying, Rule: RuleQualifying, From: b16.AddDays(10), To: b21,
				DaysSince14: 60, DaysSince16: 10},
		},
		{
			name: "V2 for 91 days then V3 breaks",
			episodes: []Episode{
				{Start: b16.AddDays(-81), End: b16.AddDays(10), LegalStatus: "V2", PlacementType: "U6", ReasonEnded: "E4A"},
				shortBreak("V3", b16.AddDays(20), b16.AddDays(25)),
				shortBreak("V4", b16.AddDays(40), b16.AddDays(45)),
			},
			asOf: b16.AddDays(50),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: b16.AddDays(10), To: b18,
				DaysSince14: 91, DaysSince16: 10},
		},
	})
}

func TestOverlappingEpisodesNotDoubleCounted(t *testing.T) {
	run(t, []deriveCase{
		{
			name: "the same episode twice: 70 days, not 140",
			episodes: []Episode{
				spell(b16.AddDays(-50), b16.AddDays(20), "E13"),
				spell(b16.AddDays(-50), b16.AddDays(20), "E13"),
			},
			asOf: b16.AddDays(40),
			want: Status{Category: Qualifying, Rule: RuleQualifying, From: b16.AddDays(20), To: b21,
				DaysSince14: 70, DaysSince16: 20},
		},
		{
			name: "partly overlapping: 91 days in all",
			episodes: []Episode{
				spell(b16.AddDays(-40), b16.AddDays(31), "E13"),
				spell(b16.AddDays(-60), b16.AddDays(20), "E13"),
			},
			asOf: b16.AddDays(40),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: b16.AddDays(31), To: b18,
				DaysSince14: 91, DaysSince16: 31},
		},
		{
			name: "one inside another, the outer still open",
			episodes: []Episode{
				spell(b16.AddDays(-10), b16.AddDays(10), "X1"),
				ongoing(b16.AddDays(-100)),
			},
			asOf: b16.AddDays(99),
			want: Status{Category: Eligible, Rule: RuleEligible, From: b16, To: b18,
				DaysSince14: 200, DaysSince16: 100, LookedAfter: true},
		},
		{
			name: "back to back (X1): one spell of 91 days",
			episodes: []Episode{
				spell(b16, b16.AddDays(31), "E13"),
				spell(b16.AddDays(-60), b16, "X1"),
			},
			asOf: b16.AddDays(40),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: b16.AddDays(31), To: b18,
				DaysSince14: 91, DaysSince16: 31},
		},
	})
}

func TestReturnHomeUnder18(t *testing.T) {
	home := func(reason string) []Episode {
		return []Episode{{Start: b14, End: b17, LegalStatus: "C2", PlacementType: "U4", ReasonEnded: reason}}
	}
	days14, days16 := b14.DaysUntil(b17), b16.DaysUntil(b17)
	relevant := Status{Category: Relevant, Rule: RuleRelevant, From: b17, To: b18, DaysSince14: days14, DaysSince16: days16}
	// No longer relevant (CLR reg 3(3)) but qualifying until 21, looked after since 16 (s24(1B)).
	returned := Status{Category: Qualifying, Rule: RuleReturnedHome, From: months(b17, 6), To: b21, DaysSince14: days14, DaysSince16: days16}
	run(t, []deriveCase{
		{name: "E4A, 5 months on: still relevant", episodes: home("E4A"), asOf: months(b17, 5), want: relevant},
		{name: "E4A, a day short of 6 months: still relevant", episodes: home("E4A"), asOf: months(b17, 6).AddDays(-1), want: relevant},
		{name: "E4A, 6 months on: no longer relevant", episodes: home("E4A"), asOf: months(b17, 6), want: returned},
		{name: "E4B, 6 months on: no longer relevant", episodes: home("E4B"), asOf: months(b17, 6), want: returned},
		{name: "E13 (no parental responsibility), 6 months on: still relevant", episodes: home("E13"), asOf: months(b17, 6), want: relevant},
		{name: "E4A, then 18: still qualifying, not former relevant", episodes: home("E4A"), asOf: b18, want: returned},
		{name: "E4A, then 21: qualifying ends", episodes: home("E4A"), asOf: b21,
			want: Status{Category: None, Rule: RuleQualifyingEnded, From: b21, DaysSince14: days14, DaysSince16: days16}},
		{
			name:     "E4A, then back in care for a week and out again (E8): relevant again",
			episodes: append(home("E4A"), spell(months(b17, 8), months(b17, 8).AddDays(7), "E8")),
			asOf:     months(b17, 10),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: months(b17, 8).AddDays(7), To: b18,
				DaysSince14: days14 + 7, DaysSince16: days16 + 7},
		},
	})
}

// A relevant child is former relevant only while they "would be" relevant if under 18
// (CA89 s23C(1)(a)), so six months at home ends it after 18 too.
func TestReturnHomeShortlyBefore18(t *testing.T) {
	left := months(b18, -2)
	episodes := []Episode{{Start: b14, End: left, LegalStatus: "C2", PlacementType: "U4", ReasonEnded: "E4A"}}
	days14, days16 := b14.DaysUntil(left), b16.DaysUntil(left)
	run(t, []deriveCase{
		{name: "the day before 18", episodes: episodes, asOf: b18.AddDays(-1),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: left, To: b18, DaysSince14: days14, DaysSince16: days16}},
		{name: "18", episodes: episodes, asOf: b18,
			want: Status{Category: FormerRelevant, Rule: RuleWasRelevant, From: b18, To: b25, DaysSince14: days14, DaysSince16: days16}},
		{name: "six months at home", episodes: episodes, asOf: months(left, 6),
			want: Status{Category: Qualifying, Rule: RuleReturnedHome, From: months(left, 6), To: b21, DaysSince14: days14, DaysSince16: days16}},
	})
}

func TestBirthdays18_21_25(t *testing.T) {
	inCare := civil.New(2022, 1, 1)
	days14, days16 := b14.DaysUntil(b18), b16.DaysUntil(b18)
	if days14 != 1461 || days16 != 730 {
		t.Fatalf("fixture: %d and %d days", days14, days16)
	}
	leftAt18 := []Episode{spell(inCare, b18, "E5")}
	fosteredAt18 := []Episode{{Start: inCare, End: b18, LegalStatus: "C2", PlacementType: "U4", ReasonEnded: "E17"}}
	stillOpen := []Episode{ongoing(inCare)}
	lateArrival := []Episode{{Start: b18.AddDays(-30), End: b18, LegalStatus: "V2", PlacementType: "U6", ReasonEnded: "E17"}}
	leftAt17 := []Episode{spell(inCare, b17, "E5")}

	eligible := Status{Category: Eligible, Rule: RuleEligible, From: b16, To: b18, DaysSince14: days14, DaysSince16: days16, LookedAfter: true}
	formerRelevant := Status{Category: FormerRelevant, Rule: RuleEligibleAt18, From: b18, To: b25, DaysSince14: days14, DaysSince16: days16}
	stayingPut := formerRelevant
	stayingPut.StayingPut = true
	// From 21 a personal adviser is owed on request (s23CZB).
	after21 := formerRelevant
	after21.AdviserOnRequest = true
	aged25 := Status{Category: None, Rule: RuleAged25, From: b25, DaysSince14: days14, DaysSince16: days16}
	qualifying := Status{Category: Qualifying, Rule: RuleQualifying, From: b18, To: b21, DaysSince14: 30, DaysSince16: 30}
	l14, l16 := b14.DaysUntil(b17), b16.DaysUntil(b17)

	run(t, []deriveCase{
		{name: "left at 18: the day before 18", episodes: leftAt18, asOf: b18.AddDays(-1), want: eligible},
		{name: "left at 18: 18", episodes: leftAt18, asOf: b18, want: formerRelevant},
		{name: "left at 18: the day before 21", episodes: leftAt18, asOf: b21.AddDays(-1), want: formerRelevant},
		{name: "left at 18: 21", episodes: leftAt18, asOf: b21, want: after21},
		{name: "left at 18: the day before 25", episodes: leftAt18, asOf: b25.AddDays(-1), want: after21},
		{name: "left at 18: 25", episodes: leftAt18, asOf: b25, want: aged25},

		{name: "open episode, asked after 18: it ends at 18", episodes: stillOpen, asOf: b18.AddDays(1), want: formerRelevant},

		{name: "Staying Put: the day before 18", episodes: fosteredAt18, asOf: b18.AddDays(-1), want: eligible},
		{name: "Staying Put: 18", episodes: fosteredAt18, asOf: b18, want: stayingPut},
		{name: "Staying Put: the day before 21", episodes: fosteredAt18, asOf: b21.AddDays(-1), want: stayingPut},
		{name: "Staying Put: 21 ends it", episodes: fosteredAt18, asOf: b21, want: after21},
		{name: "Staying Put: 25", episodes: fosteredAt18, asOf: b25, want: aged25},
		{
			name:     "E17 from a children's home is not Staying Put",
			episodes: []Episode{spell(inCare, b18, "E17")}, asOf: b18, want: formerRelevant,
		},

		{name: "qualifying: the day before 18", episodes: lateArrival, asOf: b18.AddDays(-1),
			want: Status{Category: NotYetEligible, Rule: RuleTooFewDays, DaysSince14: 30, DaysSince16: 30, LookedAfter: true}},
		{name: "qualifying: 18, and not Staying Put though E17", episodes: lateArrival, asOf: b18, want: qualifying},
		{name: "qualifying: the day before 21", episodes: lateArrival, asOf: b21.AddDays(-1), want: qualifying},
		{name: "qualifying: 21 ends it", episodes: lateArrival, asOf: b21,
			want: Status{Category: None, Rule: RuleQualifyingEnded, From: b21, DaysSince14: 30, DaysSince16: 30}},
		{name: "qualifying: 25", episodes: lateArrival, asOf: b25,
			want: Status{Category: None, Rule: RuleAged25, From: b25, DaysSince14: 30, DaysSince16: 30}},

		{name: "left at 17: the day before 18", episodes: leftAt17, asOf: b18.AddDays(-1),
			want: Status{Category: Relevant, Rule: RuleRelevant, From: b17, To: b18, DaysSince14: l14, DaysSince16: l16}},
		{name: "left at 17: 18", episodes: leftAt17, asOf: b18,
			want: Status{Category: FormerRelevant, Rule: RuleWasRelevant, From: b18, To: b25, DaysSince14: l14, DaysSince16: l16}},
		{name: "left at 17: 25", episodes: leftAt17, asOf: b25,
			want: Status{Category: None, Rule: RuleAged25, From: b25, DaysSince14: l14, DaysSince16: l16}},
	})
}

// The categories that turn on more than the episodes, each with its source.
func TestStatutoryCategoriesBeyondTheEpisodes(t *testing.T) {
	inCare := civil.New(2022, 1, 1)
	leftAt18 := []Episode{spell(inCare, b18, "E5")}
	days14, days16 := b14.DaysUntil(b18), b16.DaysUntil(b18)
	formerRelevant := Status{Category: FormerRelevant, Rule: RuleEligibleAt18, From: b18, To: b25, DaysSince14: days14, DaysSince16: days16}
	with := func(st Status, f func(*Status)) Status { f(&st); return st }

	// Looked after from 14 until three weeks before 16, then detained (E9: custody) over it.
	detained := []Episode{spell(b14, b16.AddDays(-21), "E9")}
	d14 := b14.DaysUntil(b16.AddDays(-21))
	// Care ended with a special guardianship order at 12, at 15 and at 17 (never eligible).
	sgoAt := func(end civil.Date) []Episode {
		return []Episode{{Start: end.AddDays(-60), End: end, LegalStatus: "C2", PlacementType: "U1", ReasonEnded: "E45"}}
	}
	// A short stay after 16: qualifying at 16 to 21 under s24(1B).
	shortStay := []Episode{spell(b17, b17.AddDays(30), "E13")}

	run(t, []deriveCase{
		// CLR 2010 reg 3(2): detained or in hospital on the 16th birthday after 13 weeks looked after.
		{name: "reg 3: detained at 16 after 13 weeks since 14 is relevant", episodes: detained, asOf: b16.AddDays(10),
			circ: Circumstances{DetainedOrInHospitalAt16: true},
			want: Status{Category: Relevant, Rule: RuleRelevantDetainedAt16, From: b16, To: b18, DaysSince14: d14}},
		{name: "reg 3: and so former relevant at 18 (s23C)", episodes: detained, asOf: b18,
			circ: Circumstances{DetainedOrInHospitalAt16: true},
			want: Status{Category: FormerRelevant, Rule: RuleWasRelevant, From: b18, To: b25, DaysSince14: d14}},
		{name: "reg 3: the same history without detention is not a care leaver", episodes: detained, asOf: b16.AddDays(10),
			want: Status{Category: None, Rule: RuleNotLookedAfterAfter16, DaysSince14: d14}},
		{name: "reg 3: detained, but under 13 weeks since 14, is not relevant",
			episodes: []Episode{spell(b16.AddDays(-60), b16.AddDays(-1), "E9")}, asOf: b16.AddDays(10),
			circ: Circumstances{DetainedOrInHospitalAt16: true},
			want: Status{Category: None, Rule: RuleNotLookedAfterAfter16, DaysSince14: 59}},

		// CA89 s24(1A): 16 to 21, under a special guardianship order made while looked after.
		{name: "s24(1A): SGO at 12, aged 15: not yet", episodes: sgoAt(b14.AddDays(-700)), asOf: b16.AddDays(-1),
			want: Status{Category: None, Rule: RuleNotLookedAfterUnder16}},
		{name: "s24(1A): SGO at 12, aged 16: qualifying", episodes: sgoAt(b14.AddDays(-700)), asOf: b16,
			want: Status{Category: Qualifying, Rule: RuleQualifyingSpecialGuardianship, From: b16, To: b21}},
		{name: "s24(1A): SGO at 17 before eligibility: qualifying from the order", episodes: sgoAt(b17), asOf: b17.AddDays(1),
			want: Status{Category: Qualifying, Rule: RuleQualifyingSpecialGuardianship, From: b17, To: b21, DaysSince14: 60, DaysSince16: 60}},
		{name: "s24(1A): 21 ends it", episodes: sgoAt(b14.AddDays(-700)), asOf: b21,
			want: Status{Category: None, Rule: RuleQualifyingEnded, From: b21}},
		{name: "s24(1A): an adoption is not a special guardianship order", asOf: b16,
			episodes: []Episode{{Start: civil.New(2019, 1, 1), End: civil.New(2020, 1, 1), LegalStatus: "E1", PlacementType: "A4", ReasonEnded: "E11"}},
			want:     Status{Category: None, Rule: RuleAdoptedDiedOrTransferred, From: civil.New(2020, 1, 1)}},

		// CA89 s24B(3): a qualifying young person in education or training may be helped to 25.
		{name: "s24B(3): qualifying at 21 in education continues to 25", episodes: shortStay, asOf: b21,
			circ: Circumstances{InEducationOrTraining: true},
			want: Status{Category: Qualifying, Rule: RuleQualifyingInEducation, From: b21, To: b25, DaysSince14: 30, DaysSince16: 30}},
		{name: "s24B(3): not in education, 21 ends it", episodes: shortStay, asOf: b21,
			want: Status{Category: None, Rule: RuleQualifyingEnded, From: b21, DaysSince14: 30, DaysSince16: 30}},
		{name: "s24B(3): in education before 21 is plain qualifying", episodes: shortStay, asOf: b18,
			circ: Circumstances{InEducationOrTraining: true},
			want: Status{Category: Qualifying, Rule: RuleQualifying, From: b17.AddDays(30), To: b21, DaysSince14: 30, DaysSince16: 30}},

		// CA89 s23CZB (CSWA 2017 s3): former relevant 21 to 24, a personal adviser on request.
		{name: "s23CZB: former relevant at 20 has an adviser as of right", episodes: leftAt18, asOf: b21.AddDays(-1), want: formerRelevant},
		{name: "s23CZB: at 21, on request", episodes: leftAt18, asOf: b21,
			want: with(formerRelevant, func(s *Status) { s.AdviserOnRequest = true })},
		// CA89 s23CA: former relevant returning to education or training after 21.
		{name: "s23CA: at 22 in education or training", episodes: leftAt18, asOf: b21.AddDays(400),
			circ: Circumstances{InEducationOrTraining: true},
			want: with(formerRelevant, func(s *Status) { s.AdviserOnRequest, s.EducationAfter21 = true, true })},
		{name: "s23CA: in education at 19 changes nothing", episodes: leftAt18, asOf: b18.AddDays(400),
			circ: Circumstances{InEducationOrTraining: true}, want: formerRelevant},
		// CA89 s24B(5), CLR reg 9(4): relevant students are owed vacation accommodation.
		{name: "s24B(5): a former relevant student", episodes: leftAt18, asOf: b18.AddDays(100),
			circ: Circumstances{RelevantStudent: true},
			want: with(formerRelevant, func(s *Status) { s.VacationAccommodation = true })},
		{name: "s24B(5): a qualifying student", episodes: shortStay, asOf: b18,
			circ: Circumstances{RelevantStudent: true},
			want: Status{Category: Qualifying, Rule: RuleQualifying, From: b17.AddDays(30), To: b21, DaysSince14: 30, DaysSince16: 30, VacationAccommodation: true}},
		{name: "s24B(5): not for someone who is not a care leaver", episodes: nil, asOf: b18,
			circ: Circumstances{RelevantStudent: true}, want: Status{Category: None, Rule: RuleNeverLookedAfter}},
	})
}

// Someone born on 29 February 2008 and in care throughout is 18 on 28 February 2026 under
// one rule and on 1 March under the other.
func TestLeapDayBirth18thByRule(t *testing.T) {
	leapDOB := civil.New(2008, 2, 29)
	episodes := []Episode{ongoing(civil.New(2020, 1, 1))}
	for _, tc := range []struct {
		asOf civil.Date
		rule civil.LeaplingRule
		want Category
		from civil.Date
	}{
		{civil.New(2026, 2, 27), civil.MarchFirst, Eligible, civil.New(2024, 2, 29)},
		{civil.New(2026, 2, 27), civil.FebruaryTwentyEighth, Eligible, civil.New(2024, 2, 29)},
		{civil.New(2026, 2, 28), civil.MarchFirst, Eligible, civil.New(2024, 2, 29)},
		{civil.New(2026, 2, 28), civil.FebruaryTwentyEighth, FormerRelevant, civil.New(2026, 2, 28)},
		{civil.New(2026, 3, 1), civil.MarchFirst, FormerRelevant, civil.New(2026, 3, 1)},
		{civil.New(2026, 3, 1), civil.FebruaryTwentyEighth, FormerRelevant, civil.New(2026, 2, 28)},
	} {
		got := Derive(leapDOB, episodes, tc.asOf, tc.rule, Circumstances{})
		if got.Category != tc.want || got.From != tc.from {
			t.Errorf("Derive on %v under %v = %v from %v (%s), want %v from %v",
				tc.asOf, tc.rule, got.Category, got.From, got.Rule, tc.want, tc.from)
		}
		if got.Category == FormerRelevant && got.Rule != RuleEligibleAt18 {
			t.Errorf("Derive on %v under %v: rule %s", tc.asOf, tc.rule, got.Rule)
		}
	}
}

func TestAdoptedDiedOrTransferred(t *testing.T) {
	var cases []deriveCase
	for _, reason := range []string{"E11", "E12", "E2", "E3"} {
		cases = append(cases, deriveCase{
			name:     reason + " after becoming eligible",
			episodes: []Episode{spell(b14, b16.AddDays(30), reason)},
			asOf:     b16.AddDays(60),
			want: Status{Category: None, Rule: RuleAdoptedDiedOrTransferred, From: b16.AddDays(30),
				DaysSince14: b14.DaysUntil(b16.AddDays(30)), DaysSince16: 30},
		})
	}
	cases = append(cases,
		deriveCase{
			name:     "adopted (E11) at 15",
			episodes: []Episode{spell(b14, months(b14, 12), "E11")},
			asOf:     months(b14, 18),
			want: Status{Category: None, Rule: RuleAdoptedDiedOrTransferred, From: months(b14, 12),
				DaysSince14: 365},
		},
		deriveCase{
			name: "adopted at 10, back in care from 15: the adoption no longer decides",
			episodes: []Episode{
				spell(civil.New(2015, 1, 1), civil.New(2018, 6, 1), "E11"),
				ongoing(b16.AddDays(-100)),
			},
			asOf: b16.AddDays(10),
			want: Status{Category: Eligible, Rule: RuleEligible, From: b16, To: b18,
				DaysSince14: 111, DaysSince16: 11, LookedAfter: true},
		},
	)
	run(t, cases)
}

func TestFutureDateWithOpenEpisode(t *testing.T) {
	episodes := []Episode{ongoing(b16.AddDays(-10))}
	eligibleOn := b16.AddDays(80) // the 91st day from b16-10
	run(t, []deriveCase{
		{name: "today", episodes: episodes, asOf: b16,
			want: Status{Category: NotYetEligible, Rule: RuleTooFewDays, To: eligibleOn, DaysSince14: 11, DaysSince16: 1, LookedAfter: true}},
		{name: "the day before the test is met", episodes: episodes, asOf: eligibleOn.AddDays(-1),
			want: Status{Category: NotYetEligible, Rule: RuleTooFewDays, To: eligibleOn, DaysSince14: 90, DaysSince16: 80, LookedAfter: true}},
		{name: "the day it is met", episodes: episodes, asOf: eligibleOn,
			want: Status{Category: Eligible, Rule: RuleEligible, From: eligibleOn, To: b18, DaysSince14: 91, DaysSince16: 81, LookedAfter: true}},
		{name: "a year after 18", episodes: episodes, asOf: months(b18, 12),
			want: Status{Category: FormerRelevant, Rule: RuleEligibleAt18, From: b18, To: b25,
				DaysSince14: b16.AddDays(-10).DaysUntil(b18), DaysSince16: b16.DaysUntil(b18)}},
		{name: "in 2100", episodes: episodes, asOf: civil.New(2100, 1, 1),
			want: Status{Category: None, Rule: RuleAged25, From: b25,
				DaysSince14: b16.AddDays(-10).DaysUntil(b18), DaysSince16: b16.DaysUntil(b18)}},
		{name: "in care only from 17y11m: never eligible before 18", episodes: []Episode{ongoing(months(b18, -1))}, asOf: months(b18, -1),
			want: Status{Category: NotYetEligible, Rule: RuleTooFewDays, DaysSince14: 1, DaysSince16: 1, LookedAfter: true}},
	})
}

func TestUnder16(t *testing.T) {
	run(t, []deriveCase{
		{name: "never looked after", asOf: b16.AddDays(-1), want: Status{Category: None, Rule: RuleNeverLookedAfter}},
		{name: "in care at 13", episodes: []Episode{ongoing(b14.AddDays(-400))}, asOf: b14.AddDays(-1),
			want: Status{Category: NotYetEligible, Rule: RuleUnder16, To: b16, LookedAfter: true}},
		{name: "in care at 10 only, asked at 13", episodes: []Episode{spell(civil.New(2018, 1, 1), civil.New(2019, 1, 1), "E4A")},
			asOf: b14.AddDays(-1), want: Status{Category: None, Rule: RuleNotLookedAfterUnder16}},
		{name: "in care at 10 only, asked at 15", episodes: []Episode{spell(civil.New(2018, 1, 1), civil.New(2019, 1, 1), "E4A")},
			asOf: b16.AddDays(-1), want: Status{Category: None, Rule: RuleNotLookedAfterUnder16}},
		{name: "in care at 15", episodes: []Episode{ongoing(b14.AddDays(30))}, asOf: b16.AddDays(-1),
			want: Status{Category: NotYetEligible, Rule: RuleUnder16, To: b16, DaysSince14: b14.DaysUntil(b16) - 30, LookedAfter: true}},
		{name: "left care at 14y6m", episodes: []Episode{spell(b14, months(b14, 6), "E13")}, asOf: b16.AddDays(-1),
			want: Status{Category: NotYetEligible, Rule: RuleLeftCareUnder16, DaysSince14: b14.DaysUntil(months(b14, 6))}},
		{name: "left care at 14y6m, asked after 16", episodes: []Episode{spell(b14, months(b14, 6), "E13")}, asOf: b16,
			want: Status{Category: None, Rule: RuleNotLookedAfterAfter16, DaysSince14: b14.DaysUntil(months(b14, 6))}},
	})
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		dob  civil.Date
		asOf civil.Date
	}{
		{"zero date of birth", zero, b16},
		{"30 February", civil.New(2008, 2, 30), b16},
		{"zero date asked about", dob, zero},
	} {
		if got := Derive(tc.dob, []Episode{ongoing(b14)}, tc.asOf, civil.MarchFirst, Circumstances{}); got.Category != None || got.Rule != RuleInvalidInput {
			t.Errorf("%s: %+v", tc.name, got)
		}
	}
	run(t, []deriveCase{{
		name: "malformed episodes and episodes from 18 are ignored",
		episodes: []Episode{
			spell(b16.AddDays(20), b16.AddDays(10), "E8"),               // ends before it starts
			spell(civil.New(2024, 2, 30), b16.AddDays(10), "E8"),        // no such date
			spell(b16, civil.New(2024, 13, 1), "E8"),                    // no such end
			spell(b18, b18.AddDays(100), "E8"),                          // from 18
			spell(b16.AddDays(-5), b16.AddDays(-5), "E8"),               // no days at all
			{Start: b16, LegalStatus: "V3", PlacementType: "U6"},        // short break
			{Start: b16.AddDays(1), LegalStatus: "V4", ReasonEnded: ""}, // short break
		},
		asOf: b18.AddDays(10),
		want: Status{Category: None, Rule: RuleNeverLookedAfter},
	}})
}

// untidyHistory is a long, untidy record used to check properties on every date of a childhood.
func untidyHistory() []Episode {
	return []Episode{
		spell(civil.New(2012, 3, 1), civil.New(2013, 1, 10), "E4A"),
		{Start: civil.New(2021, 1, 1), End: civil.New(2023, 1, 1), LegalStatus: "V3", PlacementType: "U6", ReasonEnded: "E8"},
		spell(b14.AddDays(20), b14.AddDays(60), "X1"),
		spell(b14.AddDays(60), b14.AddDays(80), "E13"),
		spell(b14.AddDays(70), b14.AddDays(75), "E8"),
		spell(b16.AddDays(-5), b16.AddDays(40), "E4B"),
		{Start: months(b16, 9), End: b18, LegalStatus: "V2", PlacementType: "U4", ReasonEnded: "E17"},
	}
}

func TestOrderDoesNotMatter(t *testing.T) {
	base := untidyHistory()
	orders := [][]Episode{base, slices.Clone(base), slices.Clone(base)}
	slices.Reverse(orders[1])
	orders[2] = append(orders[2][3:], orders[2][:3]...)
	for d := dob; d.Before(b25.AddDays(10)); d = d.AddDays(3) {
		want := Derive(dob, orders[0], d, civil.MarchFirst, Circumstances{})
		for _, eps := range orders[1:] {
			if got := Derive(dob, eps, d, civil.MarchFirst, Circumstances{}); got != want {
				t.Fatalf("on %v the order of episodes changed the answer:\n%+v\n%+v", d, got, want)
			}
		}
	}
}

// Properties that must hold on every day for the untidy history.
func TestEveryDay(t *testing.T) {
	eps := untidyHistory()
	var prev Status
	seen := map[Category]bool{}
	for d := dob; d.Before(b25.AddDays(3)); d = d.AddDays(1) {
		st := Derive(dob, eps, d, civil.MarchFirst, Circumstances{})
		seen[st.Category] = true
		switch {
		case st.Rule == "" || st.Explanation == "" || strings.Contains(st.Explanation, dob.String()):
			t.Fatalf("%v: rule %q, explanation %q", d, st.Rule, st.Explanation)
		case st.DaysSince16 > st.DaysSince14 || st.DaysSince14 < prev.DaysSince14 || st.DaysSince16 < prev.DaysSince16:
			t.Fatalf("%v: counts %d, %d after %d, %d", d, st.DaysSince14, st.DaysSince16, prev.DaysSince14, prev.DaysSince16)
		case st.DaysSince14-prev.DaysSince14 > 1:
			t.Fatalf("%v: count jumped by %d in a day", d, st.DaysSince14-prev.DaysSince14)
		case st.LookedAfter && !d.Before(b18):
			t.Fatalf("%v: looked after at 18", d)
		case st.StayingPut && st.Category != FormerRelevant:
			t.Fatalf("%v: Staying Put while %v", d, st.Category)
		case !st.From.IsZero() && st.From.After(d), !st.To.IsZero() && !st.To.After(d) && st.Category != None:
			t.Fatalf("%v: %v runs from %v to %v", d, st.Category, st.From, st.To)
		}
		if got := Derive(dob, eps, d, civil.MarchFirst, Circumstances{}); got != st {
			t.Fatalf("%v: a second call gave %+v", d, got)
		}
		prev = st
	}
	for _, c := range []Category{None, NotYetEligible, Eligible, Relevant, FormerRelevant} {
		if !seen[c] {
			t.Errorf("the history never reached %v", c)
		}
	}
}

func TestCategoryString(t *testing.T) {
	want := []string{"NONE", "NOT_YET_ELIGIBLE", "ELIGIBLE", "RELEVANT", "FORMER_RELEVANT", "QUALIFYING"}
	for c, s := range want {
		if Category(c).String() != s {
			t.Errorf("Category(%d) = %q, want %q", c, Category(c), s)
		}
	}
	if s := Category(len(want)).String(); s != "Category(6)" {
		t.Errorf("unknown category = %q", s)
	}
}

// One Deriver, asked about every day backwards and then forwards, answers each as Derive
// does afresh: reading the history once carries nothing from one day to the next.
func TestADeriverAnswersEveryDayAsDerive(t *testing.T) {
	eps := untidyHistory()
	for _, c := range []Circumstances{{}, {DetainedOrInHospitalAt16: true}, {RelevantStudent: true}} {
		d := NewDeriver(dob, eps, civil.MarchFirst, c)
		var days []civil.Date
		for day := b25.AddDays(3); !day.Before(dob); day = day.AddDays(-2) {
			days = append(days, day)
		}
		forwards := slices.Clone(days)
		slices.Reverse(forwards)
		days = append(days, forwards...)
		for _, day := range days {
			if got, want := d.On(day), Derive(dob, eps, day, civil.MarchFirst, c); got != want {
				t.Fatalf("%+v on %v:\n got %+v\nwant %+v", c, day, got, want)
			}
		}
	}
	if got := NewDeriver(civil.Date{Year: 2008, Month: 2, Day: 30}, eps, civil.MarchFirst, Circumstances{}).On(b18); got.Rule != RuleInvalidInput {
		t.Errorf("a date of birth that is no real date: %+v", got)
	}
}

// NeverLookedAfter holds exactly when no day has a status: planning skips such a young
// person's catalogue on its word.
func TestNeverLookedAfterMeansNoStatusOnAnyDay(t *testing.T) {
	c2 := func(start, end civil.Date) Episode {
		return Episode{Start: start, End: end, LegalStatus: "C2", PlacementType: "U1"}
	}
	for _, tc := range []struct {
		name     string
		dob      civil.Date
		episodes []Episode
		never    bool
	}{
		{"no episodes", dob, nil, true},
		{"short breaks only", dob, []Episode{{Start: b14, End: b16, LegalStatus: "V3", PlacementType: "K2", ReasonEnded: "E8"}}, true},
		{"in care from 18 only", dob, []Episode{c2(b18, b18.AddDays(200))}, true},
		{"no real date of birth", civil.Date{Year: 2008, Month: 2, Day: 30}, []Episode{c2(b14, b16)}, true},
		{"a week in care at 17", dob, []Episode{c2(b18.AddDays(-300), b18.AddDays(-293))}, false},
		{"an untidy history", dob, untidyHistory(), false},
	} {
		d := NewDeriver(tc.dob, tc.episodes, civil.MarchFirst, Circumstances{})
		if got := d.NeverLookedAfter(); got != tc.never {
			t.Errorf("%s: NeverLookedAfter %v, want %v", tc.name, got, tc.never)
		}
		someStatus := false
		for day := dob; !day.After(b25.AddDays(3)); day = day.AddDays(1) {
			someStatus = someStatus || d.On(day).Category != None
		}
		if someStatus == tc.never {
			t.Errorf("%s: a status on some day is %v, but NeverLookedAfter is %v", tc.name, someStatus, tc.never)
		}
	}
}
