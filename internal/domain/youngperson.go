// Package domain holds carepath's core types and rules. It is pure Go: no I/O, no transport
// and no storage types, so that the rules can be tested on their own.
package domain

import (
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

// YoungPerson is a looked-after child or care leaver whose pathway carepath plans.
type YoungPerson struct {
	ID            string
	GivenName     string
	FamilyName    string
	PreferredName string
	DateOfBirth   civil.Date
	// CouncilID is the organisation id of the responsible council.
	CouncilID     string
	CaseReference string
	// Flags that change the pathway.
	UnaccompaniedAsylumSeekingChild bool
	EHCPlan                         bool
	Disability                      bool
	OpenToCAMHS                     bool
	InEducationOrTraining           bool
	// Circumstances the care-leaver status needs beyond the episodes (carestatus.Circumstances).
	DetainedOrInHospitalAt16 bool
	RelevantStudent          bool
	// PersonalAdviserID is the person id of the young person's personal adviser, if any.
	PersonalAdviserID string
	// SSDA903 holds the return's Header columns carepath keeps without using them
	// (ssda903.Kept), so that the return it writes gives back the rows it read; nil for a
	// young person not imported.
	SSDA903 map[string]string

	CreateTime time.Time
	UpdateTime time.Time
	// Revision increases by one with every change; it backs the API's etag.
	Revision int64
}

// Validate checks the rules a young person must always meet, given today's date. Field
// names in the violations are those of the API resource.
func (yp YoungPerson) Validate(today civil.Date) error {
	var v errs.Violations
	required := func(field, value string) {
		if value == "" {
			v.Add(field, "is required")
		}
	}
	required("given_name", yp.GivenName)
	required("family_name", yp.FamilyName)
	required("council", yp.CouncilID)
	required("case_reference", yp.CaseReference)
	switch dob := yp.DateOfBirth; {
	case dob.IsZero():
		v.Add("date_of_birth", "is required")
	case !dob.Valid():
		v.Add("date_of_birth", "is not a real calendar date")
	case dob.After(today):
		v.Add("date_of_birth", "is in the future")
	}
	return v.Err()
}
