package domain

import (
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
)

// DeliveryPlan is a council's partnership board's plan for a year: the actions its partner
// agencies lead towards the strategy's ambitions (organisations/{council}/deliveryPlans/{id}).
type DeliveryPlan struct {
	CouncilID  string
	ID         string
	Title      string
	Year       int
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// ActionStatus is where a delivery-plan action is.
type ActionStatus string

const (
	ActionNotStarted ActionStatus = "NOT_STARTED"
	ActionInProgress ActionStatus = "IN_PROGRESS"
	ActionDone       ActionStatus = "DONE"
	ActionStopped    ActionStatus = "STOPPED"
)

// ActionStatuses lists them.
var ActionStatuses = []ActionStatus{ActionNotStarted, ActionInProgress, ActionDone, ActionStopped}

// PlanAction is one action of a delivery plan, led by one organisation (the council or a
// partner) and one person there, with a red/amber/green rating and its reason, and its
// intended outcome as a measure moved from a baseline to a target.
type PlanAction struct {
	CouncilID, PlanID, ID string
	Title                 string
	Ambitions             []string
	LeadOrganisationID    string
	LeadPersonID          string
	Start, Due            civil.Date
	Status                ActionStatus
	Rating                Rating
	RatingReason          string
	// Measure is the key of the outcome measure; Baseline and Target are its rate (0-1)
	// when the action started and the rate it aims for.
	Measure          string
	Baseline, Target float64
	Progress         []ProgressUpdate
	Revision         int64
	CreateTime       time.Time
	UpdateTime       time.Time
}

// ProgressUpdate is a dated note of progress on an action, with the rating it gave.
type ProgressUpdate struct {
	Date       civil.Date
	Note       string
	Rating     Rating
	Author     string // person id
	RecordTime time.Time
}

// ActionChange records one change of an action: who, from which organisation, when, why,
// what kind and which fields, and the action as it became.
type ActionChange struct {
	ID             string
	CouncilID      string
	PlanID         string
	ActionID       string
	Actor          string
	OrganisationID string
	Time           time.Time
	Kind           string // CREATE, UPDATE or PROGRESS
	Fields         []string
	Reason         string
	After          PlanAction
}
