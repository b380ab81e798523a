// Package readiness decides how ready a young person is for their 18th birthday (the
// cliff-edge checks a council runs from 17½) and for a home and for work (what housing and
// employment partners see). It is pure: an answer depends only on the young person, their
// care episodes, the milestones their pathway holds, the facts recorded about them and the
// date asked about, so the pathway and the readiness views can never disagree.
package readiness

import (
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

// Version identifies these rules; a stored summary assessed with another is reassessed.
const Version = "2026.12.3"

// FactKind is a verified yes/no fact readiness depends on that no milestone records. Where a
// milestone does record something (a bank account opened, ID documents held, the GP
// registration confirmed) the milestone is the one source of truth and there is no fact.
type FactKind struct {
	Key   string
	Title string
	Area  catalogue.Area
	// Purposes are the partners' purposes whose officers may record and see the fact; the
	// council's staff always may.
	Purposes []domain.Purpose
	// Sensitive facts (immigration) are for the council only, whatever the purpose.
	Sensitive bool
	Source    string
}

// The fact kinds.
const (
	FactNINumber          = "identity.ni_number_held"
	FactTenancyTraining   = "accommodation.tenancy_training"
	FactSafetyPlanning    = "accommodation.safety_planning_needed"
	FactOutOfHours        = "contingency.out_of_hours_contact"
	FactBudgeting         = "finance.budgeting_support"
	FactEntitlements      = "finance.entitlements_explained"
	FactDestination       = "education.destination_recorded"
	FactRightToWork       = "employment.right_to_work_checked"
	FactImmigrationStatus = "immigration.status_known"
	// The three items of the SSDA903 OC3 return, recorded around each of a care leaver's
	// 17th to 21st birthdays (milestone data.oc3.birthday); the board's measures read them.
	FactOC3InTouch       = "oc3.in_touch"
	FactOC3InEET         = "oc3.in_eet"
	FactOC3Accommodation = "oc3.accommodation_suitable"
)

var (
	housingPurpose    = []domain.Purpose{domain.PurposeHousing}
	employmentPurpose = []domain.Purpose{domain.PurposeEmployment}
	bothPurposes      = []domain.Purpose{domain.PurposeHousing, domain.PurposeEmployment}
)

// FactKinds lists every kind of fact.
var FactKinds = []FactKind{
	{Key: FactNINumber, Title: "National Insurance number held", Area: catalogue.Identity, Purposes: bothPurposes,
		Source: "The number itself, not only the application: most children in care get none automatically, so the council applies to HMRC at 15 years 9 months (http://www.lagosclothing.com/guidance/national-insurance-number-applying-for-a-number-for-a-looked-after-child)"},
	{Key: FactTenancyTraining, Title: "Tenancy training completed", Area: catalogue.Accommodation, Purposes: housingPurpose,
		Source: "Housing providers look for it before a tenancy; suitability of accommodation, Care Leavers (England) Regulations 2010 Schedule 2, https://legislation.gov.uk/uksi/2010/2571/schedules/made"},
	{Key: FactSafetyPlanning, Title: "Needs safety planning for where they live (yes or no, no detail)", Area: catalogue.Accommodation, Purposes: housingPurpose,
		Source: "From the suitability assessment of Care Leavers (England) Regulations 2010 Schedule 2; yes or no, never the reasons"},
	{Key: FactOutOfHours, Title: "Knows their out-of-hours contact and what happens if their accommodation fails", Area: catalogue.Contingency, Purposes: housingPurpose,
		Source: "Contingency plans, Care Leavers (England) Regulations 2010 Schedule 1 para 4; Ofsted 'Ready or not' (2022): 32% did not know who to call in an emergency, https://www.gov.uk/government/news/care-leavers-feel-they-left-care-too-early-ofsted-finds"},
	{Key: FactBudgeting, Title: "Budgeting support arranged", Area: catalogue.Finance, Purposes: housingPurpose,
		Source: "Practical skills and financial support, Care Leavers (England) Regulations 2010 Schedule 1 para 7 and 8"},
	{Key: FactEntitlements, Title: "Council tax exemption and setting-up-home allowance explained", Area: catalogue.Finance, Purposes: housingPurpose,
		Source: "The setting-up-home allowance and council tax relief (discretionary, under Local Government Finance Act 1992 s13A) explained to the young person"},
	{Key: FactDestination, Title: "Destination for the next academic year recorded", Area: catalogue.EducationAndTraining, Purposes: employmentPurpose,
		Source: "Where the young person will study, train or work next year, so that no one is left not in education, employment or training without a plan"},
	{Key: FactRightToWork, Title: "Right-to-work evidence checked", Area: catalogue.Employment, Purposes: employmentPurpose,
		Source: "Employers must check the right to work; yes or no only, immigration detail is never shared"},
	{Key: FactImmigrationStatus, Title: "Immigration status and leave expiry known", Area: catalogue.Identity, Sensitive: true,
		Source: "For unaccompanied asylum-seeking young people: their leave and when it expires, so an extension is applied for in time"},
	{Key: FactOC3InTouch, Title: "The council is in touch with the young person (OC3 IN_TOUCH YES)", Area: catalogue.ContactAndSupport,
		Source: "SSDA903 OC3 IN_TOUCH, recorded around each of the 17th to 21st birthdays; DfE publishes the share of 19 to 21 year olds in touch"},
	{Key: FactOC3InEET, Title: "In education, employment or training (OC3 ACTIV F1/P1/F2/P2/F4/P4/F5/P5)", Area: catalogue.EducationAndTraining, Purposes: employmentPurpose,
		Source: "SSDA903 OC3 ACTIV, recorded around each of the 17th to 21st birthdays; yes or no only, not the activity"},
	{Key: FactOC3Accommodation, Title: "Accommodation suitable (OC3 ACCOM suitability 1)", Area: catalogue.Accommodation, Purposes: housingPurpose,
		Source: "SSDA903 OC3 ACCOM suitability digit, recorded around each of the 17th to 21st birthdays; yes or no only, not the type"},
}

// LookupFact returns the kind of fact with the key.
func LookupFact(key string) (FactKind, bool) {
	i := slices.IndexFunc(FactKinds, func(k FactKind) bool { return k.Key == key })
	if i < 0 {
		return FactKind{}, false
	}
	return FactKinds[i], true
}

// VisibleTo reports whether partners sharing for the purpose may see and record the fact.
func (k FactKind) VisibleTo(p domain.Purpose) bool {
	return !k.Sensitive && slices.Contains(k.Purposes, p)
}

// ValidateFact checks a new fact record: a known kind, a known way of verifying it, and an
// effective date that is real and not after today. Field names are the API's.
func ValidateFact(f domain.Fact, today civil.Date) error {
	var v errs.Violations
	if _, ok := LookupFact(f.Key); !ok {
		v.Add("name", "does not name a kind of fact; list a young person's facts to see the kinds")
	}
	if !slices.Contains(domain.EvidenceTypes, f.EvidenceType) {
		v.Add("evidence_type", "is required")
	}
	if !f.EffectiveDate.Valid() || f.EffectiveDate.After(today) {
		v.Add("effective_date", "must be a real calendar date, not in the future")
	}
	return v.Err()
}
