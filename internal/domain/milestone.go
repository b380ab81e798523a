package domain

import (
	"slices"
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
)

// MilestoneState is where a milestone is in its life.
type MilestoneState string

const (
	Planned       MilestoneState = "PLANNED"
	Scheduled     MilestoneState = "SCHEDULED"
	InProgress    MilestoneState = "IN_PROGRESS"
	Achieved      MilestoneState = "ACHIEVED"
	Waived        MilestoneState = "WAIVED"
	NotApplicable MilestoneState = "NOT_APPLICABLE"
)

// MilestoneStates lists the states.
var MilestoneStates = []MilestoneState{Planned, Scheduled, InProgress, Achieved, Waived, NotApplicable}

// OpenStates are the states in which a milestone still needs doing.
var OpenStates = []MilestoneState{Planned, Scheduled, InProgress}

// Open reports whether the milestone still needs doing.
func (s MilestoneState) Open() bool { return slices.Contains(OpenStates, s) }

// Milestone is one step of a young person's pathway.
type Milestone struct {
	ID            string
	YoungPersonID string
	CouncilID     string
	// Key is the catalogue key it was planned from; "" for a one-off added by a person.
	Key        string
	Occurrence int
	Title      string
	// Description is kept for one-off milestones; catalogue ones have the definition's.
	Description string
	Area        string
	OwnerAgency string
	Statutory   bool
	DueDate     civil.Date
	// LapseDate is the day from which the milestone, if not done, is no longer overdue (see
	// catalogue.DueRule).
	LapseDate civil.Date
	// Applicable is false when the catalogue no longer plans it for the young person but
	// something was recorded, so it is kept.
	Applicable bool

	State             MilestoneState
	ScheduledDate     civil.Date
	OwnerOrganisation string // organisation id
	OwnerPerson       string // person id
	AchievedDate      civil.Date
	Evidence          []Evidence
	// CareLeaverContact is what was recorded for the OC3 table on completing the SSDA903
	// birthday milestone (ssda903.OC3Milestone); nil for every other milestone.
	CareLeaverContact *ssda903.CareLeaverContact
	StateReason       string
	// Recorded is set once a person has changed the milestone; planning never discards a
	// recorded milestone.
	Recorded bool

	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// Evidence that a milestone was achieved: a pointer to a document held elsewhere.
type Evidence struct {
	Description string
	Reference   string
	RecordedBy  string
	RecordTime  time.Time
}

// Overdue reports whether the milestone is due before today, still open and not lapsed.
func (m Milestone) Overdue(today civil.Date) bool {
	return m.Applicable && m.State.Open() && m.DueDate.Before(today) && today.Before(m.LapseDate)
}

// Lapsed reports whether the milestone was never done and its time has passed.
func (m Milestone) Lapsed(today civil.Date) bool {
	return m.Applicable && m.State.Open() && !today.Before(m.LapseDate)
}

// MilestoneChange records one change to a milestone: who, when, why and what.
type MilestoneChange struct {
	ID                string
	MilestoneID       string
	YoungPersonID     string
	Action            string
	FromState         MilestoneState
	ToState           MilestoneState
	Actor             string
	Reason            string
	Time              time.Time
	ScheduledDate     civil.Date
	AchievedDate      civil.Date
	OwnerOrganisation string
	OwnerPerson       string
}

// ErrInvalidTransition is returned for a change the milestone's state does not allow.
func errTransition(action string, from MilestoneState) error {
	return errs.New(errs.FailedPrecondition, errs.ReasonInvalidTransition,
		"the milestone is %s and cannot be %s", from, action).With("state", string(from))
}

// Schedule arranges the milestone for a date with an owner. An in-progress milestone keeps
// its state.
func (m Milestone) Schedule(date civil.Date, organisation, person string) (Milestone, error) {
	if !m.State.Open() {
		return m, errTransition("scheduled", m.State)
	}
	var v errs.Violations
	if !date.Valid() {
		v.Add("scheduled_date", "is not a real calendar date")
	}
	if organisation == "" && person == "" {
		v.Add("owner_organisation", "or owner_person is required")
	}
	if err := v.Err(); err != nil {
		return m, err
	}
	if m.State == Planned {
		m.State = Scheduled
	}
	m.ScheduledDate, m.OwnerOrganisation, m.OwnerPerson = date, organisation, person
	return m, nil
}

// Start records that work has started.
func (m Milestone) Start() (Milestone, error) {
	if m.State != Planned && m.State != Scheduled {
		return m, errTransition("started", m.State)
	}
	m.State = InProgress
	return m, nil
}

// Complete records the milestone as achieved on a date (not after today), with evidence.
func (m Milestone) Complete(on, today civil.Date, evidence []Evidence) (Milestone, error) {
	if !m.State.Open() {
		return m, errTransition("completed", m.State)
	}
	var v errs.Violations
	switch {
	case !on.Valid():
		v.Add("achieved_date", "is not a real calendar date")
	case on.After(today):
		v.Add("achieved_date", "is in the future")
	}
	if len(evidence) == 0 {
		v.Add("evidence", "at least one piece of evidence is required")
	}
	if err := v.Err(); err != nil {
		return m, err
	}
	m.State, m.AchievedDate, m.StateReason = Achieved, on, ""
	m.Evidence = append(slices.Clone(m.Evidence), evidence...)
	return m, nil
}

// Close waives the milestone or marks it not applicable, for a reason.
func (m Milestone) Close(to MilestoneState, reason string) (Milestone, error) {
	if !m.State.Open() {
		return m, errTransition(map[MilestoneState]string{Waived: "waived", NotApplicable: "marked not applicable"}[to], m.State)
	}
	m.State, m.StateReason = to, reason
	return m, nil
}

// Reopen returns a closed milestone to work: scheduled if it has a date, else planned.
// Evidence is kept.
func (m Milestone) Reopen(reason string) (Milestone, error) {
	if m.State.Open() {
		return m, errTransition("reopened", m.State)
	}
	m.State, m.StateReason, m.AchievedDate = Planned, reason, civil.Date{}
	if !m.ScheduledDate.IsZero() {
		m.State = Scheduled
	}
	return m, nil
}

// WithCareLeaverContact adds what was recorded for the OC3 table to the milestone that takes
// it (ssda903.TakesContact): the SSDA903 birthday milestone, which cannot be completed
// without, or the yearly contact from 21 about the offer to 25, where it is optional (from
// 22 to 25 the OC3 table holds the latest contact of the year). It is checked by the DfE's
// rules for the age the young person turned on the milestone's birthday; every other
// milestone refuses it. RHOM (home for six months or more) needs the care-leaver status on
// the birthday to say so (returnedHome: carestatus.RuleReturnedHome, CLR 2010 reg 3(3)).
func (m Milestone) WithCareLeaverContact(c *ssda903.CareLeaverContact, age int, returnedHome bool) (Milestone, error) {
	takes, required := ssda903.TakesContact(m.Key)
	switch {
	case !takes && c != nil:
		return m, errs.Invalid(errs.Violation{Field: "care_leaver_contact",
			Description: "is recorded only on the SSDA903 birthday milestone (" + ssda903.OC3Milestone +
				") and the yearly contact about the offer to 25 (" + ssda903.OfferTo25Milestone + ")"})
	case c == nil && required:
		return m, errs.Invalid(errs.Violation{Field: "care_leaver_contact",
			Description: "is required: in touch, main activity and accommodation for the OC3 table"})
	case c == nil:
		m.CareLeaverContact = nil
		return m, nil
	}
	if err := c.Validate("care_leaver_contact.", age); err != nil {
		return m, err
	}
	if c.InTouch == "RHOM" && !returnedHome {
		return m, errs.Invalid(errs.Violation{Field: "care_leaver_contact.in_touch", Description: "is RHOM, but the " +
			"care episodes show no six continuous months at home with a parent since leaving care (CLR 2010 reg 3(3))"})
	}
	cc := *c
	m.CareLeaverContact = &cc
	return m, nil
}
