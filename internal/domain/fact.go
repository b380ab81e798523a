package domain

import (
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
)

// EvidenceType says how a recorded fact was verified.
type EvidenceType string

const (
	DocumentSeen           EvidenceType = "DOCUMENT_SEEN"
	ConfirmedByAgency      EvidenceType = "CONFIRMED_BY_AGENCY"
	ConfirmedByYoungPerson EvidenceType = "CONFIRMED_BY_YOUNG_PERSON"
	OtherEvidence          EvidenceType = "OTHER"
)

// EvidenceTypes lists them.
var EvidenceTypes = []EvidenceType{DocumentSeen, ConfirmedByAgency, ConfirmedByYoungPerson, OtherEvidence}

// Fact is one record of a verified yes/no fact about a young person that readiness depends
// on (the kinds are in domain/readiness). Records are never changed: a fact's value on a day
// is its latest record made by then, so answers can be given as of any date.
type Fact struct {
	ID            string
	YoungPersonID string
	// Key is the kind of fact, such as "identity.ni_number_held".
	Key   string
	Value bool
	// EffectiveDate is the day the fact was verified as true or false.
	EffectiveDate civil.Date
	EvidenceType  EvidenceType
	// Note is a free-text note for the council's staff; partners never see it.
	Note string
	// RecordedBy is the person (or "system:{organisation}") who recorded it, for the
	// organisation.
	RecordedBy     string
	OrganisationID string
	RecordTime     time.Time
}

// Rating is a red / amber / green readiness rating.
type Rating string

const (
	Red   Rating = "RED"
	Amber Rating = "AMBER"
	Green Rating = "GREEN"
)

// Rank orders ratings worst first, for sorting.
func (r Rating) Rank() int {
	switch r {
	case Red:
		return 0
	case Amber:
		return 1
	}
	return 2
}

// ReadinessSummary is a young person's cliff-edge assessment for one day, kept by the store
// so that a council's view can be filtered, sorted, paged and counted in the database. It is
// replaced whenever the young person, their episodes, milestones or facts change, and when
// ValidUntil comes (time alone can change the answer then).
type ReadinessSummary struct {
	YoungPersonID      string
	CouncilID          string
	EighteenthBirthday civil.Date
	Rating             Rating
	// FailingChecks are the keys of the checks that fail, FailingAmbitions the ambitions
	// (A1-A6) those checks serve.
	FailingChecks    []string
	FailingAmbitions []string
	// FixBy is the earliest date by which a failing check must be fixed (zero if none fail).
	FixBy civil.Date
	// AssessedOn is the day assessed; ValidUntil the first day the assessment may differ.
	AssessedOn civil.Date
	ValidUntil civil.Date
	// Version identifies the rules and plan the assessment was made with; a summary of
	// another version is stale.
	Version string
	// RatingAtReview is the rating as of the 17½ birthday, when the cliff-edge review
	// begins, from the records effective by then; empty before that birthday. The board
	// counts it ("green on the cliff edge at 17½") for any date after the birthday.
	RatingAtReview Rating
}
