package domain

import (
	"time"

	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
)

// CareEpisode is a period in which a young person was looked after, as recorded for the
// SSDA903 return.
type CareEpisode struct {
	ID            string
	YoungPersonID string
	Start         civil.Date
	// End is the day care ceased (not itself a day looked after); zero while open.
	End           civil.Date
	LegalStatus   string
	PlacementType string
	ReasonEnded   string
	// SSDA903 holds the return's Episodes columns carepath keeps without using them
	// (ssda903.Kept); nil for an episode not imported.
	SSDA903 map[string]string

	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// StatusEpisodes returns episodes as care-status derivation reads them.
func StatusEpisodes(eps []CareEpisode) []carestatus.Episode {
	out := make([]carestatus.Episode, len(eps))
	for i, e := range eps {
		out[i] = carestatus.Episode{Start: e.Start, End: e.End, LegalStatus: e.LegalStatus,
			PlacementType: e.PlacementType, ReasonEnded: e.ReasonEnded}
	}
	return out
}

// StatusCircumstances returns what the care-leaver status needs of the young person beyond
// their episodes.
func (yp YoungPerson) StatusCircumstances() carestatus.Circumstances {
	return carestatus.Circumstances{DetainedOrInHospitalAt16: yp.DetainedOrInHospitalAt16,
		InEducationOrTraining: yp.InEducationOrTraining, RelevantStudent: yp.RelevantStudent}
}

// Open reports whether the episode has not ended.
func (e CareEpisode) Open() bool { return e.End.IsZero() }

// Validate checks an episode against the young person's date of birth and today. Field
// names are those of the API resource.
func (e CareEpisode) Validate(dob, today civil.Date) error {
	var v errs.Violations
	switch {
	case e.Start.IsZero():
		v.Add("start_date", "is required")
	case !e.Start.Valid():
		v.Add("start_date", "is not a real calendar date")
	case e.Start.Before(dob):
		v.Add("start_date", "is before the young person's date of birth")
	case e.Start.After(today):
		v.Add("start_date", "is in the future")
	}
	if !e.End.IsZero() {
		switch {
		case !e.End.Valid():
			v.Add("end_date", "is not a real calendar date")
		case e.Start.Valid() && !e.End.After(e.Start):
			v.Add("end_date", "must be after the start date")
		case e.End.After(today):
			v.Add("end_date", "is in the future")
		}
		if e.ReasonEnded == "" {
			v.Add("reason_ended", "is required when the episode has ended")
		}
	} else if e.ReasonEnded != "" {
		v.Add("reason_ended", "must be empty while the episode is open")
	}
	if !ssda903.ValidLegalStatus(e.LegalStatus) {
		v.Add("legal_status", "is not an SSDA903 legal status code")
	}
	if !ssda903.ValidPlacementType(e.PlacementType) {
		v.Add("placement_type", "is not an SSDA903 placement type code")
	}
	if e.ReasonEnded != "" && !ssda903.ValidReasonEnded(e.ReasonEnded) {
		v.Add("reason_ended", "is not an SSDA903 reason-episode-ended code")
	}
	return v.Err()
}

// Overlaps reports whether two episodes share a day.
func (e CareEpisode) Overlaps(o CareEpisode) bool {
	endsAfter := func(x CareEpisode, d civil.Date) bool { return x.Open() || x.End.After(d) }
	return endsAfter(e, o.Start) && endsAfter(o, e.Start)
}
