// Package carestatus works out a young person's care-leaver category in England from their
// date of birth and SSDA903 episodes of care. The category is derived, never typed in, so that
// it cannot drift from the history it rests on.
//
// The categories are those of the Children Act 1989: eligible (Sch 2 para 19B and CPPCR 2010
// reg 40), relevant (s23A and Care Leavers (England) Regulations 2010 reg 3), former relevant
// (s23C) and qualifying (s24). Days are counted as DfE's SSDA903 rule 1001 counts them in the
// open-source validator (data-to-insight/csc-validator-be-903): short breaks (LS V3 and V4) are
// left out, and the 13-week test is met with at least 91 days looked after on or after the
// 14th birthday and at least one of them on or after the 16th.
//
// Beyond the episodes, three facts recorded on the young person count (Circumstances): being
// detained or in hospital on the 16th birthday (CLR reg 3), being in education or training
// (s23CA, s24B(3)), and being a student who needs vacation accommodation (s24B(5)).
//
// Decisions where the law leaves a choice to the reader:
//   - A relevant child who has lived at home with a parent or someone with parental
//     responsibility for six continuous months stops being relevant (CLR reg 3(3)); having been
//     looked after since 16, they are then qualifying under s24(1B) until 21.
//   - An eligible child who leaves care to a special guardian is still relevant under s23A
//     (no regulation excludes them); s24(1A) is what covers those who never became eligible.
//   - A special guardianship order is taken to remain in force: carepath holds no revocation.
//
// Not modelled, because carepath does not hold the data they need: a return home that breaks
// down after care has ended (carepath assumes the young person is still at home), and short
// breaks recorded under any code other than V3 or V4.
//
// A 29 February birth reaches 18 on a day that depends on the council's leapling rule; a
// status that changes on that ambiguous day should be confirmed by a person.
package carestatus

import (
	"fmt"
	"slices"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
)

// Category is a young person's care-leaver category with the council.
type Category uint8

const (
	// None: not a care leaver of this council (never looked after since 16, adopted, died,
	// care transferred, returned home for six months or more, or 25 or over).
	None Category = iota
	// NotYetEligible: looked after, or looked after since 14 and under 16, but the 13-week
	// test is not (yet) met.
	NotYetEligible
	// Eligible: 16 or 17, looked after, and the 13-week test met.
	Eligible
	// Relevant: 16 or 17 and left care after becoming eligible.
	Relevant
	// FormerRelevant: 18 to 24, and was relevant at 18 or eligible when care ended at 18.
	FormerRelevant
	// Qualifying (s24): 16 to 20, and looked after at some time since 16 but not eligible or
	// relevant now, or under a special guardianship order made while looked after; to 25 while
	// in education or training (s24B(3)).
	Qualifying
)

func (c Category) String() string {
	switch c {
	case None:
		return "NONE"
	case NotYetEligible:
		return "NOT_YET_ELIGIBLE"
	case Eligible:
		return "ELIGIBLE"
	case Relevant:
		return "RELEVANT"
	case FormerRelevant:
		return "FORMER_RELEVANT"
	case Qualifying:
		return "QUALIFYING"
	}
	return fmt.Sprintf("Category(%d)", uint8(c))
}

// The rules that decide a status. Each value is stable: callers may store it and test for it.
const (
	// RuleInvalidInput: the date of birth or the date asked about is not a real date.
	RuleInvalidInput = "NONE_INVALID_INPUT"
	// RuleNeverLookedAfter: no day looked after (short breaks aside) up to the date.
	RuleNeverLookedAfter = "NONE_NEVER_LOOKED_AFTER"
	// RuleNotLookedAfterUnder16: under 16, not looked after now and not since the 14th birthday.
	RuleNotLookedAfterUnder16 = "NONE_NOT_LOOKED_AFTER_UNDER_16"
	// RuleUnder16: looked after and under 16, so not eligible yet whatever the count.
	RuleUnder16 = "NOT_YET_ELIGIBLE_UNDER_16"
	// RuleLeftCareUnder16: under 16 and no longer looked after, but days since 14 would count
	// if care resumed after 16.
	RuleLeftCareUnder16 = "NOT_YET_ELIGIBLE_LEFT_CARE_UNDER_16"
	// RuleTooFewDays: 16 or 17 and looked after, but the 13-week test is not met.
	RuleTooFewDays = "NOT_YET_ELIGIBLE_TOO_FEW_DAYS"
	// RuleEligible: 16 or 17, looked after, and the 13-week test met.
	RuleEligible = "ELIGIBLE_13_WEEKS"
	// RuleRelevant: 16 or 17 and left care after meeting the 13-week test.
	RuleRelevant = "RELEVANT_LEFT_CARE_ELIGIBLE"
	// RuleReturnedHome: left care eligible by returning home to a parent or someone with
	// parental responsibility (REC E4A or E4B) six months or more ago, so no longer relevant
	// (CLR reg 3(3)) but qualifying until 21, having been looked after since 16 (s24(1B)).
	RuleReturnedHome = "QUALIFYING_RETURNED_HOME"
	// RuleRelevantDetainedAt16: detained or in hospital on the 16th birthday, and looked after
	// for 13 weeks since the 14th birthday immediately before (CLR reg 3(2)).
	RuleRelevantDetainedAt16 = "RELEVANT_DETAINED_OR_IN_HOSPITAL_AT_16"
	// RuleQualifyingSpecialGuardianship: 16 to 20, and care last ended with a special
	// guardianship order (REC E45 to E48), so looked after immediately before it (s24(1A)).
	RuleQualifyingSpecialGuardianship = "QUALIFYING_SPECIAL_GUARDIANSHIP"
	// RuleQualifyingInEducation: 21 to 24, qualifying at 21 and in education or training, so
	// help with its costs may continue to 25 (s24B(3)).
	RuleQualifyingInEducation = "QUALIFYING_IN_EDUCATION_AFTER_21"
	// RuleQualifying: under 21 and looked after on a day since 16, but never eligible.
	RuleQualifying = "QUALIFYING_LOOKED_AFTER_AFTER_16"
	// RuleQualifyingEnded: 21 or over and was qualifying, not former relevant.
	RuleQualifyingEnded = "NONE_QUALIFYING_ENDED_AT_21"
	// RuleNotLookedAfterAfter16: 16 or over and not looked after on any day since 16.
	RuleNotLookedAfterAfter16 = "NONE_NOT_LOOKED_AFTER_AFTER_16"
	// RuleEligibleAt18: looked after and eligible on the day before the 18th birthday.
	RuleEligibleAt18 = "FORMER_RELEVANT_ELIGIBLE_AT_18"
	// RuleWasRelevant: relevant on the day before the 18th birthday, and not since home for
	// six months (s23C(1)(a): "and would be one if he were under eighteen").
	RuleWasRelevant = "FORMER_RELEVANT_WAS_RELEVANT"
	// RuleAdoptedDiedOrTransferred: the last episode ended in adoption (E11, E12), death (E2)
	// or transfer to another council (E3).
	RuleAdoptedDiedOrTransferred = "NONE_ADOPTED_DIED_OR_TRANSFERRED"
	// RuleAged25: 25 or over; every leaving-care duty has ended.
	RuleAged25 = "NONE_AGED_25"
)

// Episode is one SSDA903 episode of care.
type Episode struct {
	Start         civil.Date
	End           civil.Date // the day care ceased, not itself looked after; zero while open
	LegalStatus   string     // SSDA903 LS
	PlacementType string     // SSDA903 PLACE
	ReasonEnded   string     // SSDA903 REC, "" while open
}

// Status is a young person's care-leaver status on one date, with the reason for it.
type Status struct {
	Category Category
	// Rule is the Rule* constant that decided.
	Rule string
	// Explanation is one plain-English sentence for a personal adviser. It holds counts and
	// the dates care changed, never a name or date of birth.
	Explanation string
	// From and To bound the period the category runs, To excluded: ELIGIBLE from the day the
	// 13-week test was met to the 18th birthday, RELEVANT from leaving care to 18,
	// FORMER_RELEVANT from 18 to 25, QUALIFYING from leaving care to 21. For NOT_YET_ELIGIBLE
	// while looked after, To is the day the test would be met if nothing changes. Zero when
	// open or unknown.
	From, To civil.Date
	// DaysSince14 and DaysSince16 count the days looked after on or after the 14th and 16th
	// birthdays, up to and including the date asked about; short breaks are not counted.
	DaysSince14 int
	DaysSince16 int
	// LookedAfter reports whether the young person is looked after on the date asked about.
	LookedAfter bool
	// StayingPut: former relevant and under 21, fostered immediately before 18 and stayed
	// with the carers (REC E17 ending a foster placement on or after the 18th birthday).
	StayingPut bool
	// AdviserOnRequest: former relevant and 21 to 24, so a personal adviser, needs assessment
	// and pathway plan are owed whenever the young person asks (s23CZB).
	AdviserOnRequest bool
	// EducationAfter21: former relevant, 21 to 24 and in education or training (or wishing to
	// be), so an assessment, a personal adviser and a pathway plan are owed (s23CA).
	EducationAfter21 bool
	// VacationAccommodation: former relevant or qualifying, under 25, and a student whose
	// term-time accommodation is not available in a vacation (a relevant student, s24B(5)).
	VacationAccommodation bool
}

// Circumstances are what the status needs beyond the episodes, recorded on the young person.
type Circumstances struct {
	// DetainedOrInHospitalAt16: detained (custody, remand) or in hospital on the 16th birthday.
	DetainedOrInHospitalAt16 bool
	// InEducationOrTraining: in, or wishing to pursue, education or training.
	InEducationOrTraining bool
	// RelevantStudent: in full-time further or higher education and without term-time
	// accommodation in a vacation.
	RelevantStudent bool
}

// daysNeeded is the 13 weeks of the 13-week test (CPPCR reg 40), counted from the 14th
// birthday; the test also needs one of them on or after the 16th birthday.
const daysNeeded = 91

// Derive works out the status on asOf. It is pure and deterministic: the same inputs always
// give the same answer, whatever the order of the episodes, and overlapping days count once.
// An open episode is taken to continue, so a future asOf answers "if nothing changes"; and
// every episode is taken to end by the 18th birthday, because nobody is looked after from 18.
// Episodes that are not well formed (a start that is not a real date, an end before the
// start) and episodes starting on or after the 18th birthday are ignored: validate episodes
// where they are entered.
func Derive(dob civil.Date, episodes []Episode, asOf civil.Date, rule civil.LeaplingRule, c Circumstances) Status {
	return NewDeriver(dob, episodes, rule, c).On(asOf)
}

// A Deriver is Derive for one young person on many days: it reads their birthdays and
// episodes once (planning a pathway asks about fifty or so days).
type Deriver struct{ h *history } // nil for a date of birth that is not a real date

// NewDeriver reads a young person's history for Derive.
func NewDeriver(dob civil.Date, episodes []Episode, rule civil.LeaplingRule, c Circumstances) Deriver {
	if !dob.Valid() {
		return Deriver{}
	}
	return Deriver{newHistory(dob, episodes, rule, c)}
}

// On is Derive's status on asOf.
func (d Deriver) On(asOf civil.Date) Status {
	if d.h == nil || !asOf.Valid() {
		return Status{Category: None, Rule: RuleInvalidInput,
			Explanation: "The date of birth or the date asked about is not a real calendar date, so no status can be worked out."}
	}
	return d.h.entitlements(d.h.statusOn(asOf), asOf)
}

// NeverLookedAfter says whether On is None on every day: the date of birth is not a real
// date, or no episode counts (none, or only short breaks, or all from 18 on).
func (d Deriver) NeverLookedAfter() bool { return d.h == nil || len(d.h.episodes) == 0 }

// BecameEligible returns the day the young person became eligible, the 13-week test met while
// looked after (CPPCR reg 40), or else became relevant without having been eligible, detained
// or in hospital on the 16th birthday (CLR reg 3(2)); false if neither happens before 18. Open
// episodes are taken to continue. The leaving-care duties run from this day (CPPCR reg 42:
// three months from the 16th birthday or from becoming eligible after it).
func BecameEligible(dob civil.Date, episodes []Episode, rule civil.LeaplingRule, c Circumstances) (civil.Date, bool) {
	if !dob.Valid() {
		return civil.Date{}, false
	}
	h := newHistory(dob, episodes, rule, c)
	if met := h.testMet(h.spells(h.b18.AddDays(-1))); !met.IsZero() {
		return met, true
	}
	before16 := h.spells(h.b16.AddDays(-1))
	if c.DetainedOrInHospitalAt16 && daysFrom(before16, h.b14) >= daysNeeded && daysFrom(h.spells(h.b18.AddDays(-1)), h.b16) == 0 {
		return h.b16, true
	}
	return civil.Date{}, false
}

// history is a young person's birthdays and the episodes that count as looked after.
type history struct {
	b14, b16, b18, b21, b25 civil.Date
	rule                    civil.LeaplingRule
	episodes                []Episode
	c                       Circumstances
}

func newHistory(dob civil.Date, episodes []Episode, rule civil.LeaplingRule, c Circumstances) *history {
	at := func(years int) civil.Date { return civil.Attains(dob, civil.Period{Years: years}, rule) }
	h := &history{b14: at(14), b16: at(16), b18: at(18), b21: at(21), b25: at(25), rule: rule, c: c}
	for _, e := range episodes {
		wellFormed := e.Start.Valid() && (e.End.IsZero() || e.End.Valid() && !e.End.Before(e.Start))
		if wellFormed && e.Start.Before(h.b18) && !ssda903.IsShortBreak(e.LegalStatus) {
			h.episodes = append(h.episodes, e)
		}
	}
	return h
}

// span is a run of days looked after, [from, to).
type span struct{ from, to civil.Date }

// spells returns the days looked after up to and including asOf as sorted, disjoint spans,
// so that overlapping or back-to-back episodes count once.
func (h *history) spells(asOf civil.Date) []span {
	limit := earlier(asOf.AddDays(1), h.b18)
	var s []span
	for _, e := range h.episodes {
		to := limit
		if !e.End.IsZero() {
			to = earlier(e.End, limit)
		}
		if e.Start.Before(to) {
			s = append(s, span{e.Start, to})
		}
	}
	slices.SortFunc(s, func(a, b span) int { return a.from.Compare(b.from) })
	var merged []span
	for _, x := range s {
		if n := len(merged); n > 0 && !x.from.After(merged[n-1].to) {
			merged[n-1].to = later(merged[n-1].to, x.to)
			continue
		}
		merged = append(merged, x)
	}
	return merged
}

// daysFrom counts the days in spells on or after day.
func daysFrom(spells []span, day civil.Date) int {
	n := 0
	for _, s := range spells {
		if from := later(s.from, day); from.Before(s.to) {
			n += from.DaysUntil(s.to)
		}
	}
	return n
}

// testMet returns the first day on which both parts of the 13-week test were met in spells,
// or the zero Date if they never were.
func (h *history) testMet(spells []span) civil.Date {
	var at14, at16 civil.Date
	counted := 0
	for _, s := range spells {
		if at16.IsZero() && s.to.After(h.b16) {
			at16 = later(s.from, h.b16) // the first day looked after on or after the 16th birthday
		}
		if from := later(s.from, h.b14); at14.IsZero() && from.Before(s.to) {
			if n := from.DaysUntil(s.to); counted+n >= daysNeeded {
				at14 = from.AddDays(daysNeeded - counted - 1)
			} else {
				counted += n
			}
		}
	}
	if at14.IsZero() || at16.IsZero() {
		return civil.Date{}
	}
	return later(at14, at16)
}

// lastEnded returns the episode that ended last by asOf, if every episode begun by then had
// ended. On the same day an X1 (a new episode begins at once) ends before any other reason,
// then the later start wins, so the answer does not depend on the order of the episodes.
func (h *history) lastEnded(asOf civil.Date) (Episode, bool) {
	var last Episode
	found := false
	for _, e := range h.episodes {
		switch {
		case e.Start.After(asOf):
			continue
		case e.End.IsZero() || e.End.After(asOf):
			return Episode{}, false
		}
		if !found || endsAfter(e, last) {
			last, found = e, true
		}
	}
	return last, found
}

func endsAfter(a, b Episode) bool {
	if c := a.End.Compare(b.End); c != 0 {
		return c > 0
	}
	if ax, bx := a.ReasonEnded == "X1", b.ReasonEnded == "X1"; ax != bx {
		return bx
	}
	if c := a.Start.Compare(b.Start); c != 0 {
		return c > 0
	}
	return a.ReasonEnded > b.ReasonEnded
}

// sixMonthsHome returns the day six months after the young person left care by returning home
// to a parent or someone with parental responsibility, if that is how care last ended.
func (h *history) sixMonthsHome(asOf civil.Date) (civil.Date, bool) {
	last, ok := h.lastEnded(asOf)
	if !ok || !ssda903.IsReturnHome(last.ReasonEnded) {
		return civil.Date{}, false
	}
	return last.End.Add(civil.Period{Months: 6}, h.rule), true
}

func (h *history) statusOn(asOf civil.Date) Status {
	spells := h.spells(asOf)
	st := Status{DaysSince14: daysFrom(spells, h.b14), DaysSince16: daysFrom(spells, h.b16)}
	var leftOn civil.Date // the day care last ceased, when not looked after on asOf
	if n := len(spells); n > 0 {
		if st.LookedAfter = spells[n-1].to.After(asOf); !st.LookedAfter {
			leftOn = spells[n-1].to
		}
	}
	set := func(c Category, rule string, from, to civil.Date, format string, args ...any) Status {
		st.Category, st.Rule, st.From, st.To = c, rule, from, to
		st.Explanation = fmt.Sprintf(format, args...)
		return st
	}
	var unset civil.Date

	// 1. Before 14, or never looked after: too early for any test.
	switch {
	case len(spells) == 0:
		return set(None, RuleNeverLookedAfter, unset, unset,
			"Not looked after on any day up to this date (short breaks are not counted), so not a care leaver.")
	case asOf.Before(h.b14) && st.LookedAfter:
		return set(NotYetEligible, RuleUnder16, unset, h.projected(asOf),
			"Looked after but under 14, so the 13-week clock has not started.")
	case asOf.Before(h.b14):
		return set(None, RuleNotLookedAfterUnder16, unset, unset,
			"Under 14 and not looked after now, so not a care leaver.")
	}
	// 2. Every duty ends at 25.
	if !asOf.Before(h.b25) {
		return set(None, RuleAged25, h.b25, unset, "Aged 25 or over, so every leaving-care duty has ended.")
	}
	// 3. Adoption, death or transfer ends the council's duties. lastEnded finds an episode
	// only when none is running on asOf.
	if last, ok := h.lastEnded(asOf); ok && ssda903.EndsCareLeaverStatus(last.ReasonEnded) {
		return set(None, RuleAdoptedDiedOrTransferred, last.End, unset,
			"Care last ended on %s with SSDA903 reason %s (adopted, died or care taken over by another council), so this council owes no leaving-care duties.",
			last.End, last.ReasonEnded)
	}
	// 4. Under 16.
	if asOf.Before(h.b16) {
		switch {
		case st.LookedAfter:
			return set(NotYetEligible, RuleUnder16, unset, h.projected(asOf),
				"Looked after but under 16, so not yet eligible; %d of the %d days needed since the 14th birthday are counted so far.",
				st.DaysSince14, daysNeeded)
		case st.DaysSince14 > 0:
			return set(NotYetEligible, RuleLeftCareUnder16, unset, unset,
				"Not looked after now, but the %d days looked after since the 14th birthday count towards the 13-week test if care resumes after the 16th birthday.",
				st.DaysSince14)
		}
		return set(None, RuleNotLookedAfterUnder16, unset, unset,
			"Under 16 and not looked after now or at any time since the 14th birthday, so not a care leaver.")
	}
	// 5. Aged 16 or 17.
	if asOf.Before(h.b18) {
		met := h.testMet(spells)
		switch {
		case st.LookedAfter && !met.IsZero():
			return set(Eligible, RuleEligible, met, h.b18,
				"Looked after and eligible since %s, when the 13-week test was met (%d days looked after since the 14th birthday, %d since the 16th).",
				met, st.DaysSince14, st.DaysSince16)
		case st.LookedAfter:
			return set(NotYetEligible, RuleTooFewDays, unset, h.projected(asOf),
				"Looked after but not yet eligible: %d of the %d days needed since the 14th birthday, and %d since the 16th (at least one needed).",
				st.DaysSince14, daysNeeded, st.DaysSince16)
		case !met.IsZero():
			if home, ok := h.sixMonthsHome(asOf); ok && !asOf.Before(home) {
				return h.returnedHome(st, home, asOf)
			}
			return set(Relevant, RuleRelevant, leftOn, h.b18,
				"Left care on %s after meeting the 13-week test (%d days looked after since the 14th birthday), so a relevant child until the 18th birthday.",
				leftOn, st.DaysSince14)
		case h.c.DetainedOrInHospitalAt16 && st.DaysSince16 == 0 && st.DaysSince14 >= daysNeeded:
			return set(Relevant, RuleRelevantDetainedAt16, h.b16, h.b18,
				"Detained or in hospital on the 16th birthday after %d days looked after since the 14th birthday, so a relevant child until the 18th birthday.",
				st.DaysSince14)
		}
		return h.notFormerRelevant(st, asOf, leftOn)
	}
	// 6. Aged 18 to 24: it turns on the status the day before the 18th birthday.
	switch before := h.statusOn(h.b18.AddDays(-1)); {
	case before.Category == Eligible:
		st = set(FormerRelevant, RuleEligibleAt18, h.b18, h.b25,
			"Eligible and looked after until the 18th birthday, so a former relevant child until the 25th birthday.")
		if st.StayingPut = asOf.Before(h.b21) && h.stayedWithFosterCarers(); st.StayingPut {
			st.Explanation = "Eligible and fostered until the 18th birthday and stayed with the foster carers, so a former relevant child until the 25th birthday, Staying Put until the 21st."
		}
		return st
	case before.Category == Relevant || before.Rule == RuleReturnedHome:
		if home, ok := h.sixMonthsHome(asOf); ok && !asOf.Before(home) {
			return h.returnedHome(st, home, asOf)
		}
		return set(FormerRelevant, RuleWasRelevant, h.b18, h.b25,
			"A relevant child on reaching 18 (care last ended on %s), so a former relevant child until the 25th birthday.", leftOn)
	}
	return h.notFormerRelevant(st, asOf, leftOn)
}

// entitlements adds what a former relevant or qualifying young person may ask for.
func (h *history) entitlements(st Status, asOf civil.Date) Status {
	switch st.Category {
	case FormerRelevant:
		st.AdviserOnRequest = !asOf.Before(h.b21)
		st.EducationAfter21 = st.AdviserOnRequest && h.c.InEducationOrTraining
		if st.EducationAfter21 {
			st.Explanation += " In education or training after 21, so owed an assessment, a personal adviser and a pathway plan (s23CA)."
		} else if st.AdviserOnRequest {
			st.Explanation += " From 21 a personal adviser, needs assessment and pathway plan are owed on request (s23CZB)."
		}
		fallthrough
	case Qualifying:
		if st.VacationAccommodation = h.c.RelevantStudent; st.VacationAccommodation {
			st.Explanation += " A student without term-time accommodation in the vacations, so owed vacation accommodation (s24B(5))."
		}
	}
	return st
}

// notFormerRelevant is the status of someone 16 or over, not looked after, who never met the
// 13-week test while in care: qualifying until 21 if looked after at all since 16 or placed
// with a special guardian from care, and to 25 while in education or training.
func (h *history) notFormerRelevant(st Status, asOf, leftOn civil.Date) Status {
	last, ended := h.lastEnded(asOf)
	sgo := ended && ssda903.IsSpecialGuardianship(last.ReasonEnded)
	switch {
	case !sgo && st.DaysSince16 == 0:
		st.Category, st.Rule = None, RuleNotLookedAfterAfter16
		st.Explanation = "Not looked after on any day since the 16th birthday, so not a care leaver."
	case sgo && asOf.Before(h.b21):
		st.Category, st.Rule, st.From, st.To = Qualifying, RuleQualifyingSpecialGuardianship, later(last.End, h.b16), h.b21
		st.Explanation = fmt.Sprintf(
			"Care ended on %s with a special guardianship order, so a qualifying young person from 16 until the 21st birthday (s24(1A)).", last.End)
	case asOf.Before(h.b21):
		st.Category, st.Rule, st.From, st.To = Qualifying, RuleQualifying, leftOn, h.b21
		st.Explanation = fmt.Sprintf(
			"Looked after on %d days since the 16th birthday but never met the 13-week test (%d of %d days since the 14th), so a qualifying young person until the 21st birthday.",
			st.DaysSince16, st.DaysSince14, daysNeeded)
	case h.c.InEducationOrTraining:
		st.Category, st.Rule, st.From, st.To = Qualifying, RuleQualifyingInEducation, h.b21, h.b25
		st.Explanation = "A qualifying young person at 21 and in education or training, so help with its costs may continue until the 25th birthday (s24B(3))."
	default:
		st.Category, st.Rule, st.From = None, RuleQualifyingEnded, h.b21
		st.Explanation = "A qualifying young person until the 21st birthday, not a former relevant child and not in education or training, so the council's duties have ended."
	}
	return st
}

// returnedHome is the status of someone who left care eligible to live with a parent or
// someone with parental responsibility, and has been there six months: no longer relevant
// (CLR reg 3(3)), but looked after since 16 and so qualifying until 21 (s24(1B)).
func (h *history) returnedHome(st Status, home, asOf civil.Date) Status {
	if !asOf.Before(h.b21) {
		return h.notFormerRelevant(st, asOf, civil.Date{})
	}
	st.Category, st.Rule, st.From, st.To = Qualifying, RuleReturnedHome, home, h.b21
	st.Explanation = fmt.Sprintf(
		"Left care eligible to live at home with a parent or someone with parental responsibility, and had been there six months on %s, so no longer a relevant child (unless the return home breaks down) but a qualifying young person until the 21st birthday.",
		home)
	return st
}

// projected returns the day the 13-week test would be met if the episodes recorded continue
// as they are, or the zero Date if that would not happen before 18.
func (h *history) projected(asOf civil.Date) civil.Date {
	if met := h.testMet(h.spells(h.b18.AddDays(-1))); met.After(asOf) {
		return met
	}
	return civil.Date{}
}

// stayedWithFosterCarers reports whether the episode running on the day before the 18th
// birthday was a foster placement that ended on or after it with REC E17.
func (h *history) stayedWithFosterCarers() bool {
	return slices.ContainsFunc(h.episodes, func(e Episode) bool {
		return e.ReasonEnded == ssda903.StayedWithCarers && ssda903.IsFosterPlacement(e.PlacementType) &&
			e.Start.Before(h.b18) && !e.End.IsZero() && !e.End.Before(h.b18)
	})
}

func earlier(a, b civil.Date) civil.Date {
	if b.Before(a) {
		return b
	}
	return a
}

func later(a, b civil.Date) civil.Date {
	if b.After(a) {
		return b
	}
	return a
}
