package ssda903

import (
	"slices"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

// OC3Milestone is the catalogue key of the milestone at each of the 17th to 21st birthdays
// on which a care leaver's OC3 record is made.
const OC3Milestone = "data.oc3.birthday"

// OfferTo25Milestone is the catalogue key of the yearly contact from 21 to 25 in which the
// council reminds a care leaver of the personal adviser it offers up to 25 on request
// (Children Act 1989 s23CZB). The contact may be recorded on it for the OC3 table: from 22
// to 25 the table holds the latest contact in the collection year, not a birthday's.
const OfferTo25Milestone = "age21.offer_to_25.contact"

// The ages of the OC3 table. Around each birthday from the 17th to the 21st falling in the
// collection year the council records in touch, activity and accommodation; since the
// 2022-23 collection it also returns, for care leavers whose 22nd to 25th birthday falls in
// the year, the latest contact of the year (DfE, "Care leavers (now 22-25 years) - in
// contact with the responsible authority",
// https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/0809c1ed-e08b-43e6-b83b-ccb409051010;
// domain brief 8.1).
const (
	FirstOC3Age        = 17
	LastBirthdayOC3Age = 21
	LastOC3Age         = 25
)

// TakesContact reports whether a milestone, by catalogue key, is where a care leaver's
// contact is recorded for the OC3 table, and whether it must be (the birthday milestone
// cannot be completed without; on the yearly offer to 25 it is the council's to give).
func TakesContact(key string) (takes, required bool) {
	switch key {
	case OC3Milestone:
		return true, true
	case OfferTo25Milestone:
		return true, false
	}
	return false, false
}

// OC3Birthday returns the care leaver's birthday in the collection year first to last (one
// year, 1 April to 31 March, so there is exactly one) and the age it brings, and whether
// that age is one the OC3 table holds (17 to 25).
func OC3Birthday(dob, first, last civil.Date, rule civil.LeaplingRule) (birthday civil.Date, age int, ok bool) {
	for age = last.Year - dob.Year; age >= last.Year-dob.Year-1; age-- {
		birthday = civil.Attains(dob, civil.Period{Years: age}, rule)
		if !birthday.Before(first) && !birthday.After(last) {
			return birthday, age, FirstOC3Age <= age && age <= LastOC3Age
		}
	}
	return civil.Date{}, 0, false
}

// DatedContact is a contact recorded for the OC3 table and the day it was made.
type DatedContact struct {
	On      civil.Date
	Contact CareLeaverContact
}

// LatestContact returns the latest of the contacts made from first to last, as the OC3
// table holds it for a care leaver of 22 to 25; nil if there was none (the row is then
// blank, as rule 153 allows). Of two on the same day the one given last wins.
func LatestContact(contacts []DatedContact, first, last civil.Date) *CareLeaverContact {
	var latest *DatedContact
	for i, c := range contacts {
		if c.On.Before(first) || c.On.After(last) || latest != nil && c.On.Before(latest.On) {
			continue
		}
		latest = &contacts[i]
	}
	if latest == nil {
		return nil
	}
	c := latest.Contact
	return &c
}

// The OC3 code lists (DfE SSDA903 guide; domain brief 8.2).
var (
	InTouchCodes = []Code{
		{"YES", "In touch"}, {"NO", "Not in touch"}, {"DIED", "Died since leaving care"},
		{"REFU", "Young person refuses contact"}, {"NREQ", "No longer requires services"},
		{"RHOM", "Returned home to parents or others with parental responsibility for six months or more"},
	}
	Activities = []Code{
		{"F1", "Full-time higher education"}, {"P1", "Part-time higher education"},
		{"F2", "Full-time other education"}, {"P2", "Part-time other education"},
		{"F4", "Full-time apprenticeship"}, {"P4", "Part-time apprenticeship"},
		{"F5", "Full-time training or employment other than an apprenticeship"},
		{"P5", "Part-time training or employment other than an apprenticeship"},
		{"G4", "Not in education, employment or training: illness or disability"},
		{"G5", "Not in education, employment or training: other reasons"},
		{"G6", "Not in education, employment or training: pregnancy or parenting"},
		{"0", "Not in touch and not known, died, or returned home for six months or more"},
	}
	// AccommodationTypes are the letters of ACCOM; a digit follows: 1 suitable, 2 not.
	AccommodationTypes = []Code{
		{"B", "With parents or relatives"}, {"C", "Community home or other residential care"},
		{"D", "Semi-independent, transitional accommodation"}, {"E", "Supported lodgings"},
		{"G", "Gone abroad"}, {"H", "Deported"}, {"K", "Ordinary lodgings, without formal support"},
		{"R", "Residence not known"}, {"S", "No fixed abode or homeless"},
		{"T", "Foyers and similar supported accommodation tied to education, employment or training"},
		{"U", "Independent living"}, {"V", "Emergency accommodation"}, {"W", "Bed and breakfast"},
		{"X", "In custody"}, {"Y", "Other accommodation"},
		{"Z", "With former foster carers after 18 (staying put)"},
	}
)

// CareLeaverContact is what a personal adviser records around a care leaver's 17th to 21st
// birthday, or at a contact from 22 to 25, for the OC3 table: whether the council is in touch, the main activity and the
// accommodation with its suitability.
type CareLeaverContact struct {
	InTouch       string
	Activity      string
	Accommodation string
}

// Validate checks a record made around the birthday on which the young person turned age,
// by the DfE rules of the OC3 table, so that a return written from it passes them: valid
// codes (rules 131, 132, 133, homeless and custody never suitable), all three given (153),
// nothing but 0 for someone who died or returned home (344) and something known for someone
// in touch (345), no former foster carers at 17 (3001) and no foyer under 18 (347). Field
// names are prefixed with prefix.
func (c CareLeaverContact) Validate(prefix string, age int) error {
	var v errs.Violations
	if !has(InTouchCodes, c.InTouch) {
		v.Add(prefix+"in_touch", "is not an IN_TOUCH code (DfE rule 131): YES, NO, DIED, REFU, NREQ or RHOM")
	}
	if !has(Activities, c.Activity) {
		v.Add(prefix+"activity", "is not an ACTIV code (DfE rule 132)")
	}
	if !ValidAccommodation(c.Accommodation) {
		v.Add(prefix+"accommodation", "is not an ACCOM code (DfE rule 133): a type letter and 1 (suitable) or 2 "+
			"(not suitable), or 0; homelessness (S) and custody (X) are never suitable")
	}
	switch c.InTouch {
	case "DIED", "RHOM":
		if c.Activity != "0" || c.Accommodation != "0" {
			v.Add(prefix+"in_touch", "is "+c.InTouch+", so activity and accommodation must be 0 (DfE rule 344)")
		}
	case "YES":
		if c.Activity == "0" || c.Accommodation == "0" {
			v.Add(prefix+"in_touch", "is YES, so activity and accommodation must be known, not 0 (DfE rule 345)")
		}
	}
	if age == 17 && len(c.Accommodation) == 2 && c.Accommodation[0] == 'Z' {
		v.Add(prefix+"accommodation", "cannot be with former foster carers (Z) at 17 (DfE rule 3001)")
	}
	if age < 18 && len(c.Accommodation) == 2 && c.Accommodation[0] == 'T' {
		v.Add(prefix+"accommodation", "cannot be a foyer (T) under 18 (DfE rule 347)")
	}
	return v.Err()
}

// ValidAccommodation reports whether s is an ACCOM code.
func ValidAccommodation(s string) bool {
	if s == "0" {
		return true
	}
	if len(s) != 2 || !has(AccommodationTypes, s[:1]) || s[1] != '1' && s[1] != '2' {
		return false
	}
	return !slices.Contains([]string{"S1", "X1"}, s)
}
