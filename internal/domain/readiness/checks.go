package readiness

import (
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

// A Requirement is one thing a check needs. Exactly one of its fields is set.
type Requirement struct {
	// Milestone is a catalogue key: every applicable occurrence due by the date checked
	// must be achieved (or waived, or marked not applicable).
	Milestone string
	// Fact is a fact kind that must be recorded as true by the age NeededAt (or, in a
	// partner's view, by the need date), or recorded either way if EitherWay.
	Fact      string
	NeededAt  civil.Period
	EitherWay bool
	// Special names a rule of its own: PlanReviewed or AdviserAllocated.
	Special string
}

// The special requirements.
const (
	// PlanReviewed: the pathway plan was written, and reviewed within the six months
	// before the date checked.
	PlanReviewed = "plan_reviewed"
	// AdviserAllocated: a personal adviser is allocated (from 16).
	AdviserAllocated = "adviser_allocated"
)

// Check is one of the cliff-edge checks, made at 17y6m, 17y9m and on the 18th birthday.
type Check struct {
	Key   string
	Title string
	// Owner is the agency type that must fix a failure.
	Owner catalogue.Owner
	// Hard checks (accommodation, income, identity) turn the rating red when they fail in
	// the last three months before the 18th birthday.
	Hard bool
	// UASCOnly checks apply to unaccompanied asylum-seeking young people only.
	UASCOnly     bool
	Requirements []Requirement
	Basis        string
	Sources      []string
}

func milestones(keys ...string) []Requirement {
	out := make([]Requirement, len(keys))
	for i, k := range keys {
		out[i] = Requirement{Milestone: k}
	}
	return out
}

func fact(key string, neededAt civil.Period) Requirement {
	return Requirement{Fact: key, NeededAt: neededAt}
}

var seventeenNine = civil.Period{Years: 17, Months: 9}

const (
	clr2010   = "https://legislation.gov.uk/uksi/2010/2571/schedules/made"
	cppcr2010 = "https://legislation.gov.uk/uksi/2010/959/contents/2011-04-01?view=plain"
	ofsted    = "https://www.gov.uk/government/news/care-leavers-feel-they-left-care-too-early-ofsted-finds"
)

// Checks are the cliff-edge checks.
var Checks = []Check{
	{Key: "plan_reviewed", Title: "Pathway plan written and reviewed in the last six months", Owner: "CHILDRENS_SOCIAL_CARE", Requirements: []Requirement{{Special: PlanReviewed}},
		Basis:   "Care Planning, Placement and Case Review (England) Regulations 2010 reg 43; Care Leavers (England) Regulations 2010 reg 7 (review at least every six months)",
		Sources: []string{cppcr2010, "https://legislation.gov.uk/uksi/2010/2571/part/4/made"}},
	{Key: "personal_adviser", Title: "Personal adviser allocated and has met the young person", Owner: "CHILDRENS_SOCIAL_CARE",
		Requirements: append([]Requirement{{Special: AdviserAllocated}}, milestones("age16.pa.introduce")...),
		Basis:        "Children Act 1989 Sch 2 para 19C (personal adviser for eligible children); Ofsted found over a quarter first met their adviser at 18 or later",
		Sources:      []string{"http://www.legislation.gov.uk/ukpga/1989/41/section/24/data.html", ofsted}},
	{Key: "accommodation", Title: "Accommodation from the 18th birthday confirmed and suitable", Owner: "CHILDRENS_SOCIAL_CARE", Hard: true,
		Requirements: milestones("age17_9.accommodation.confirmed", "housing.protocol_referral",
			"age16_6.staying_put.decision", "age17_9.staying_put.agreement"),
		Basis: "Care Leavers (England) Regulations 2010 reg 9 and Schedule 2 (suitable accommodation); Children Act 1989 s23CZA (Staying Put); joint housing protocols",
		Sources: []string{clr2010, "https://legislation.gov.uk/ukpga/1989/41/section/23CZA/2020-03-31?view=plain",
			"https://gov.uk/government/publications/joint-housing-protocols-for-care-leavers/joint-housing-protocols-for-care-leavers-good-practice-advice"}},
	{Key: "income", Title: "Income from 18 arranged and a bank account open", Owner: "CHILDRENS_SOCIAL_CARE", Hard: true, Requirements: milestones("age17_9.income.plan", "age17.bank_account"),
		Basis:   "Care Leavers (England) Regulations 2010 Schedule 1 para 8 (financial support); Universal Credit for care leavers from 18",
		Sources: []string{clr2010}},
	{Key: "identity", Title: "Birth certificate, photo ID and National Insurance number held; Junior ISA located", Owner: "CHILDRENS_SOCIAL_CARE", Hard: true,
		Requirements: append(milestones("age17.id.documents", "age15_9.nino.apply", "age16.jisa.control"), fact(FactNINumber, civil.Period{Years: 17, Months: 6})),
		Basis:        "Care Leavers (England) Regulations 2010 Schedule 1 para 10 (identity); HMRC National Insurance numbers for looked-after children; Share Foundation Junior ISAs",
		Sources: []string{clr2010, "http://www.lagosclothing.com/guidance/national-insurance-number-applying-for-a-number-for-a-looked-after-child",
			"https://sharefound.org/your-age-18"}},
	{Key: "health", Title: "GP registered, health history handed over, adult health and care transitions planned", Owner: "NHS",
		Requirements: milestones("health.gp_dentist", "health.history_summary", "health.camhs_transfer_plan",
			"careact.s58.outcome", "y9.ehcp.pfa_review"),
		Basis: "Promoting the health and well-being of looked-after children (statutory guidance); NICE NG43 (transition from children's to adults' services, at least six months' overlap); Care Act 2014 s58",
		Sources: []string{"https://nice.org.uk/guidance/ng43/chapter/recommendations",
			"https://legislation.gov.uk/ukpga/2014/23/part/1/crossheading/transition-for-children-to-adult-care-and-support-etc"}},
	{Key: "education_employment", Title: "Education, training or work destination recorded; bursaries claimed; work experience recorded", Owner: "VIRTUAL_SCHOOL",
		Requirements: append(milestones("age16.post16.enrolment", "age16.bursary_16_19",
			"ks4.work_experience.placement"), fact(FactDestination, seventeenNine)),
		Basis:   "Care Leavers (England) Regulations 2010 Schedule 1 para 2 and 3 (education, training, employment); 16 to 19 bursary fund; work experience before 16 (statutory careers guidance for schools)",
		Sources: []string{clr2010, "https://gov.uk/government/publications/16-to-19-bursary-fund-guidance/16-to-19-bursary-fund-guide-2025-to-2026"}},
	{Key: "immigration", Title: "Immigration status known, legal representation and in-time extension in place", Owner: "LEGAL", UASCOnly: true,
		Requirements: append(milestones("uasc.legal_representation", "uasc.leave_extension", "uasc.triple_plan"),
			fact(FactImmigrationStatus, civil.Period{Years: 17})),
		Basis:   "Care planning for unaccompanied asylum-seeking children: triple planning and in-time applications before leave expires",
		Sources: []string{clr2010}},
	{Key: "money_and_skills", Title: "Independent-living skills assessed, budgeting support arranged, entitlements and local offer explained", Owner: "CHILDRENS_SOCIAL_CARE",
		Requirements: append(milestones("age16.skills.programme", "age17_6.local_offer.share"),
			fact(FactBudgeting, seventeenNine), fact(FactEntitlements, seventeenNine)),
		Basis:   "Care Leavers (England) Regulations 2010 Schedule 1 para 7 (practical skills); Children and Social Work Act 2017 s2 (local offer); Ofsted: about half recalled being told the local offer",
		Sources: []string{clr2010, "https://frg.org.uk/get-help-and-advice/a-z-of-terms/local-offer-for-care-leavers/", ofsted}},
	{Key: "contingency", Title: "Out-of-hours contact named and a plan if accommodation fails", Owner: "CHILDRENS_SOCIAL_CARE", Requirements: []Requirement{fact(FactOutOfHours, seventeenNine)},
		Basis:   "Care Leavers (England) Regulations 2010 Schedule 1 para 4 (contingency plans); Ofsted: 32% did not know who to call in an emergency",
		Sources: []string{clr2010, ofsted}},
}

// LookupCheck returns the check with the key.
func LookupCheck(key string) (Check, bool) {
	for _, c := range Checks {
		if c.Key == key {
			return c, true
		}
	}
	return Check{}, false
}
