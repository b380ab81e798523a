package readiness

import (
	"fmt"
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/civil"
)

// Factor is one part of a partner's readiness view: a status with its provenance, never
// health or care detail.
type Factor struct {
	Key   string
	Title string
	// Status is PASS, FAIL, NOT_DUE or NOT_APPLICABLE; information factors always PASS.
	Status   Status
	Hard     bool
	NeededBy civil.Date
	Overdue  bool
	Reason   string
	// Detail states an information factor's value in words.
	Detail     string
	Provenance []Provenance
}

// PartnerReadiness is how ready a young person is for a home or for work.
type PartnerReadiness struct {
	Purpose            domain.Purpose
	AsOf               civil.Date
	EighteenthBirthday civil.Date
	// NeedDate is when readiness is needed: the planned move (housing) or the 18th birthday,
	// or the day asked about when that has passed.
	NeedDate civil.Date
	// PlannedMoveDate is the day the move into a new home is planned (housing), if it is.
	PlannedMoveDate civil.Date
	Rating          domain.Rating
	Rule            string
	Explanation     string
	Factors         []Factor
	ValidUntil      civil.Date
}

// factorDef defines a factor: requirements (facts with no age are needed by the need
// date), or an information function.
type factorDef struct {
	key, title   string
	hard         bool
	requirements []Requirement
	info         func(a *assessor, need civil.Date) string
	source       string
}

// FactorSources gives the source of each factor, for the API's documentation.
func FactorSources(p domain.Purpose) map[string]string {
	out := map[string]string{}
	for _, d := range factorsFor(p) {
		out[d.key] = d.source
	}
	return out
}

const (
	clr2010Schedules = "https://legislation.gov.uk/uksi/2010/2571/schedules/made"
	shelterUnder     = "http://england.shelter.org.uk/legal/homelessness_applications/priority_need/care_leavers_aged_18,_19_or_20"
	shelterOver      = "https://england.shelter.org.uk/legal/homelessness_applications/priority_need/care_leavers_aged_21_or_over"
	bursary          = "http://cheonmugeuk.org/government/publications/apprenticeships-bursary-for-care-leavers/apprenticeships-care-leavers-bursary-policy-summary"
)

// Each factor's source says in words what it rests on, with the law or guidance where there
// is one: partners read it, and have no other document to look it up in.
var (
	identityFactor = factorDef{key: "identity", title: "Photo ID, birth certificate and National Insurance number", hard: true,
		requirements: append(milestones("age17.id.documents"), Requirement{Fact: FactNINumber}),
		source: "A tenancy, a job and benefits all need proof of identity and a National Insurance number; the pathway plan " +
			"covers identity (Care Leavers (England) Regulations 2010 Schedule 1 para 10, " + clr2010Schedules + ")"}
	adviserFactor = factorDef{key: "personal_adviser", title: "Personal adviser named for support",
		requirements: []Requirement{{Special: AdviserAllocated}},
		source: "Every care leaver has a personal adviser from the council until 25, who is the partner's contact " +
			"(Children Act 1989 Schedule 2 para 19C and section 23CZB)"}
)

var housingFactors = []factorDef{
	{key: "priority_need", title: "Priority need route", info: priorityNeed,
		source: "Care leavers aged 18 to 20 have priority need if homeless; from 21, if vulnerable as a result of having been in care: " +
			shelterUnder + " ; " + shelterOver},
	{key: "independent_living_skills", title: "Independent-living skills programme and self-assessment",
		requirements: milestones("age16.skills.programme"),
		source: "Practical skills for living independently (cooking, budgeting, looking after a home) are part of the pathway plan " +
			"(Care Leavers (England) Regulations 2010 Schedule 1 para 7, " + clr2010Schedules + ")"},
	{key: "tenancy_training", title: "Tenancy training completed", requirements: []Requirement{{Fact: FactTenancyTraining}},
		source: "Knowing the rights and duties of a tenant before a tenancy starts lowers the risk of losing it; suitability of " +
			"accommodation, Care Leavers (England) Regulations 2010 Schedule 2, " + clr2010Schedules},
	{key: "income", title: "Income from 18 arranged and a bank account open", hard: true,
		requirements: milestones("age17_9.income.plan", "age17.bank_account"),
		source: "Rent is paid from income (usually Universal Credit from 18) into the young person's own bank account; " +
			"financial support is part of the pathway plan (Care Leavers (England) Regulations 2010 Schedule 1 para 8)"},
	identityFactor,
	{key: "accommodation", title: "Accommodation from the 18th birthday confirmed and suitability assessed", hard: true,
		requirements: milestones("age17_9.accommodation.confirmed"),
		source: "The council must make sure a care leaver's accommodation is suitable (Care Leavers (England) Regulations 2010 " +
			"reg 9 and Schedule 2, " + clr2010Schedules + ")"},
	adviserFactor,
	{key: "contingency", title: "Out-of-hours contact and a plan if the home fails",
		requirements: []Requirement{{Fact: FactOutOfHours}},
		source: "The pathway plan says what happens if the accommodation fails and whom to call out of hours (Care Leavers " +
			"(England) Regulations 2010 Schedule 1 para 4)"},
	{key: "safety_planning", title: "Whether safety planning is needed for where they live",
		requirements: []Requirement{{Fact: FactSafetyPlanning, EitherWay: true}},
		source: "Whether the home needs safety planning, from the council's suitability assessment (Care Leavers (England) " +
			"Regulations 2010 Schedule 2); shared as yes or no, never the reasons"},
}

var employmentFactors = []factorDef{
	{key: "activity", title: "Current activity", info: activity,
		source: "Whether the council records the young person as in education or training"},
	{key: "work_experience", title: "Work experience", requirements: milestones("ks4.work_experience.placement"),
		source: "Work experience at school in Years 10 and 11 (the national work experience guarantee; Gatsby Benchmark 6)"},
	{key: "careers_guidance", title: "Careers guidance received", requirements: milestones("y9.careers.guidance"),
		source: "Schools must secure independent careers guidance and give training providers access to pupils"},
	{key: "right_to_work", title: "Right-to-work evidence checked", requirements: []Requirement{{Fact: FactRightToWork}},
		source: "Employers must check the right to work before employment starts; shared as yes or no, never immigration detail"},
	identityFactor,
	{key: "bank_account", title: "Bank account open", hard: true, requirements: milestones("age17.bank_account"),
		source: "Wages, training allowances and benefits are paid into the young person's own bank account"},
	{key: "apprenticeship_bursary", title: "Care leaver apprenticeship bursary", info: apprenticeshipBursary,
		source: "Care leavers who start an apprenticeship can claim a bursary from the government: " + bursary},
	adviserFactor,
}

func factorsFor(p domain.Purpose) []factorDef {
	if p == domain.PurposeEmployment {
		return employmentFactors
	}
	return housingFactors
}

// careLeaver reports whether the status is one that was looked after at 16 or 17.
func careLeaver(s carestatus.Status) bool {
	return slices.Contains([]carestatus.Category{carestatus.Eligible, carestatus.Relevant, carestatus.FormerRelevant,
		carestatus.Qualifying}, s.Category)
}

func priorityNeed(a *assessor, need civil.Date) string {
	twentyOne := a.attains(civil.Period{Years: 21})
	a.when(twentyOne)
	switch {
	case !careLeaver(a.status):
		return "No care-leaver priority need route applies yet."
	case need.Before(twentyOne):
		return "Automatic priority need as a care leaver under 21 (relevant students excepted)."
	}
	return "Priority need depends on an assessment of vulnerability as a result of having been in care (21 or over)."
}

func activity(a *assessor, _ civil.Date) string {
	if a.in.YoungPerson.InEducationOrTraining {
		return "In education or training."
	}
	return "Not recorded as in education or training."
}

func apprenticeshipBursary(a *assessor, _ civil.Date) string {
	if careLeaver(a.status) {
		return "Eligible for the care leaver apprenticeship bursary; the council confirms it by letter."
	}
	return "Not eligible for the care leaver apprenticeship bursary."
}

// Housing assesses readiness for a home.
func Housing(in Input) PartnerReadiness { return partner(in, domain.PurposeHousing) }

// Employment assesses readiness for work or training.
func Employment(in Input) PartnerReadiness { return partner(in, domain.PurposeEmployment) }

func partner(in Input, purpose domain.Purpose) PartnerReadiness {
	eighteenth := civil.Attains(in.YoungPerson.DateOfBirth, eighteen, in.Rule)
	out := PartnerReadiness{Purpose: purpose, AsOf: in.AsOf, EighteenthBirthday: eighteenth, NeedDate: eighteenth}
	if purpose == domain.PurposeHousing {
		out.PlannedMoveDate = plannedMove(in)
		if !out.PlannedMoveDate.IsZero() {
			out.NeedDate = out.PlannedMoveDate
		}
	}
	if out.NeedDate.Before(in.AsOf) {
		out.NeedDate = in.AsOf
	}
	// What the 18th birthday needs is needed by an earlier move too.
	horizon := out.NeedDate
	if horizon.Before(eighteenth) {
		horizon = eighteenth
	}
	a := newAssessor(in, horizon)
	a.need = out.NeedDate
	hardFrom := out.NeedDate.Sub(civil.Period{Months: 3}, in.Rule)
	a.when(eighteenth, hardFrom)
	var overdue, hardNear, notReady *Factor
	for _, d := range factorsFor(purpose) {
		out.Factors = append(out.Factors, a.factor(d))
		f := &out.Factors[len(out.Factors)-1]
		switch {
		case f.Status != Fail:
		case f.Overdue && overdue == nil:
			overdue = f
		case f.Hard && !in.AsOf.Before(hardFrom) && hardNear == nil:
			hardNear = f
		case notReady == nil:
			notReady = f
		}
	}
	switch {
	case overdue != nil:
		out.Rating, out.Rule = domain.Red, RuleOverdue
		out.Explanation = fmt.Sprintf("%q is overdue. %s", overdue.Title, overdue.Reason)
	case hardNear != nil:
		out.Rating, out.Rule = domain.Red, RuleHardNear18
		out.Explanation = fmt.Sprintf("%q is not in place and it is needed within three months, by %s.", hardNear.Title, out.NeedDate)
	case notReady != nil:
		out.Rating, out.Rule = domain.Amber, RuleNotReady
		out.Explanation = fmt.Sprintf("%q is not ready yet. %s", notReady.Title, notReady.Reason)
	default:
		out.Rating, out.Rule = domain.Green, RuleAllPass
		out.Explanation = "Everything needed by " + out.NeedDate.String() + " is in place."
	}
	out.ValidUntil = a.validUntil()
	return out
}

// factor evaluates one factor.
func (a *assessor) factor(d factorDef) Factor {
	f := Factor{Key: d.key, Title: d.title, Hard: d.hard, Status: Pass}
	if d.info != nil {
		f.Detail = d.info(a, a.need)
		return f
	}
	var findings []Finding
	for _, r := range d.requirements {
		findings = append(findings, a.requirement(r))
	}
	f.Status, f.NeededBy, f.Overdue, f.Reason = combine(findings)
	for _, fd := range findings {
		if fd.Provenance != nil {
			f.Provenance = append(f.Provenance, *fd.Provenance)
		}
	}
	if d.key == "safety_planning" && f.Status == Pass {
		f.Detail = "Safety planning for where they live is not needed."
		if fact := a.latestFact(FactSafetyPlanning); fact != nil && fact.Value {
			f.Detail = "Safety planning for where they live is needed."
		}
	}
	return f
}

// plannedMove is the planned (scheduled, else due) date of the move into a new home, if the
// move is planned and not yet done.
func plannedMove(in Input) civil.Date {
	for _, m := range in.Milestones {
		if m.Key != "housing.tenancy.start" || !m.Applicable || !m.State.Open() {
			continue
		}
		if !m.ScheduledDate.IsZero() {
			return m.ScheduledDate
		}
		return m.DueDate
	}
	return civil.Date{}
}
