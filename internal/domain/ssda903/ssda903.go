// Package ssda903 holds the SSDA903 code lists carepath reads from episodes of care: legal
// status (LS), placement type (PLACE) and reason episode ended (REC).
//
// The codes are those of the DfE "Children looked after return (SSDA903) guide", as the
// open-source implementation of DfE's validation rules uses them
// (data-to-insight/csc-validator-be-903, https://github.com/data-to-insight/csc-validator-be-903).
// The labels are short paraphrases of the guide's wording, as reproduced in
// data-to-insight/patch (apps/016_903_drilldown); read the guide for the full definitions.
// The lists change between collection years: check them against each year's guide.
//
// Codes are matched exactly, upper case and without spaces; callers normalise first.
package ssda903

import "slices"

// Code is one value of a code list with a short label for people.
type Code struct{ Code, Label string }

// The code lists, in the order the DfE guide gives them. Treat them as read-only.
var (
	LegalStatuses = []Code{
		{"C1", "Interim care order"},
		{"C2", "Full care order"},
		{"D1", "Freeing order granted"},
		{"E1", "Placement order granted"},
		{"J1", "Remanded to local authority or youth detention accommodation"},
		{"J2", "Placed in local authority accommodation under PACE 1984"},
		{"J3", "Youth rehabilitation order with residence or intensive fostering requirement"},
		{"L1", "Under police protection, in local authority accommodation"},
		{"L2", "Emergency protection order"},
		{"L3", "Child assessment order, in local authority accommodation"},
		{"V2", "Single period of accommodation under section 20"},
		{"V3", "Series of short breaks, episodes recorded"},
		{"V4", "Series of short breaks, agreements recorded"},
	}
	PlacementTypes = []Code{
		{"A3", "Placed for adoption with consent, with current foster carers"},
		{"A4", "Placed for adoption with consent, not with current foster carers"},
		{"A5", "Placed for adoption under a placement order, with current foster carers"},
		{"A6", "Placed for adoption under a placement order, not with current foster carers"},
		{"H5", "Semi-independent living not subject to children's homes regulations"},
		{"K1", "Secure children's home"},
		{"K2", "Children's home subject to children's homes regulations"},
		{"K3", "Registered supported accommodation"},
		{"P1", "Placed with own parents or others with parental responsibility"},
		{"P2", "Independent living, with or without formal support"},
		{"P3", "Residential employment"},
		{"R1", "Residential care home"},
		{"R2", "NHS or health trust establishment providing medical or nursing care"},
		{"R3", "Family centre or mother and baby unit"},
		{"R5", "Young offender institution"},
		{"S1", "Residential school, except where also a children's home"},
		{"T0", "Temporary move of any type"},
		{"T1", "Temporary period in hospital"},
		{"T2", "Temporary absence on holiday"},
		{"T3", "Temporary accommodation while the usual foster carers are on holiday"},
		{"T4", "Temporary accommodation of seven days or less for another reason"},
		{"U1", "Foster placement with relatives or friends, long term"},
		{"U2", "Foster placement with relatives or friends who are approved adopters (fostering for adoption)"},
		{"U3", "Foster placement with relatives or friends, not long term or fostering for adoption"},
		{"U4", "Foster placement with other foster carers, long term"},
		{"U5", "Foster placement with other foster carers who are approved adopters (fostering for adoption)"},
		{"U6", "Foster placement with other foster carers, not long term or fostering for adoption"},
		{"Z1", "Other placement (listed on a schedule sent to DfE)"},
	}
	ReasonsEnded = []Code{
		{"E11", "Adopted: application unopposed"},
		{"E12", "Adopted: consent dispensed with by the court"},
		{"E13", "Left care to live with parents, relatives or others without parental responsibility"},
		{"E14", "Accommodation on remand ended"},
		{"E15", "Age assessment found the child to be 18 or over"},
		{"E16", "Moved abroad"},
		{"E17", "Aged 18 or over and stayed with current carers (including Staying Put)"},
		{"E2", "Died"},
		{"E3", "Care taken over by another local authority in the UK"},
		{"E41", "Residence order or child arrangements order granted"},
		{"E45", "Special guardianship order to former foster carers who are relatives or friends"},
		{"E46", "Special guardianship order to former foster carers who are not relatives or friends"},
		{"E47", "Special guardianship order to other carers who are relatives or friends"},
		{"E48", "Special guardianship order to other carers who are not relatives or friends"},
		{"E4A", "Returned home to parents or others with parental responsibility, as planned"},
		{"E4B", "Returned home to parents or others with parental responsibility, not as planned"},
		{"E5", "Moved to independent living with formal support"},
		{"E6", "Moved to independent living without formal support"},
		{"E7", "Moved to residential care funded by adult social care"},
		{"E8", "Care ceased for any other reason"},
		{"E9", "Sentenced to custody"},
		{"X1", "Episode ended and a new one began the same day"},
	}
)

// StayedWithCarers is the reason ended for a young person aged 18 or over who stayed with
// their current carers, Staying Put included.
const StayedWithCarers = "E17"

func has(list []Code, s string) bool {
	return slices.ContainsFunc(list, func(c Code) bool { return c.Code == s })
}

// ValidLegalStatus reports whether s is an LS code.
func ValidLegalStatus(s string) bool { return has(LegalStatuses, s) }

// ValidPlacementType reports whether s is a PLACE code.
func ValidPlacementType(s string) bool { return has(PlacementTypes, s) }

// ValidReasonEnded reports whether s is a REC code.
func ValidReasonEnded(s string) bool { return has(ReasonsEnded, s) }

// IsShortBreak reports whether a legal status is a pre-planned series of short breaks. A
// child on short breaks is not an eligible child however many days they add up to
// (CPPCR 2010 reg 40(2) and reg 48), so these episodes are left out of every count.
func IsShortBreak(legalStatus string) bool { return legalStatus == "V3" || legalStatus == "V4" }

// IsFosterPlacement reports whether a placement is with foster carers (U1 to U6), which is
// what Staying Put needs immediately before the 18th birthday.
func IsFosterPlacement(placement string) bool {
	return len(placement) == 2 && placement[0] == 'U' && '1' <= placement[1] && placement[1] <= '6'
}

// IsReturnHome reports whether an episode ended with a return home to parents or others
// with parental responsibility: after six months there a child is no longer relevant.
func IsReturnHome(reasonEnded string) bool { return reasonEnded == "E4A" || reasonEnded == "E4B" }

// IsSpecialGuardianship reports whether care ended with a special guardianship order (REC E45
// to E48), to former foster carers or other carers, relatives or not.
func IsSpecialGuardianship(reasonEnded string) bool {
	switch reasonEnded {
	case "E45", "E46", "E47", "E48":
		return true
	}
	return false
}

// EndsCareLeaverStatus reports whether an episode ended in a way that means the council owes
// no leaving-care duties: adoption (E11, E12), death (E2) or care taken over by another
// authority (E3), as DfE rules 1001, 1000 and 1011 exclude them.
func EndsCareLeaverStatus(reasonEnded string) bool {
	switch reasonEnded {
	case "E11", "E12", "E2", "E3":
		return true
	}
	return false
}
