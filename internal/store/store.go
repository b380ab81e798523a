// Package store is the storage interface of carepath. Two backends implement it:
// store/postgres (production) and store/memory (the zero-setup default); the conformance
// suite in store/storetest holds them to the same behaviour.
//
// All access happens in a transaction (Store.InTx), so that a request's reads, writes and,
// later, its audit records and queued jobs commit together or not at all. Failures are
// *errs.Error values: NotFound, AlreadyExists, Aborted (stale revision or conflict),
// Unavailable (database unreachable), never driver errors.
package store

import (
	"context"
	"strconv"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/pathway"
	"github.com/carepath/carepath/internal/domain/query"
)

// Store opens transactions and reports readiness.
type Store interface {
	// InTx runs fn in a transaction that commits if fn returns nil and rolls back otherwise.
	// fn may be run again when the transaction conflicts with another, so it must not have
	// effects outside the transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Ready returns nil when the store can serve requests: reachable and fully migrated.
	Ready(ctx context.Context) error
	// Close releases the store's resources.
	Close()
}

// Tx is what a transaction can do.
type Tx interface {
	YoungPeople
	CareEpisodes
	Milestones
	Pathways
	Settings
	Requests
}

// YoungPeople stores young people.
type YoungPeople interface {
	GetYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error)
	// LockYoungPerson is GetYoungPerson that also holds the young person until the
	// transaction ends, so that changes to their episodes and milestones are serialised.
	LockYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error)
	// ListYoungPeople returns up to q.Limit young people matching q.Filter whose ids sort
	// after q.AfterID, in id order.
	ListYoungPeople(ctx context.Context, q YoungPeopleQuery) ([]domain.YoungPerson, error)
	// CreateYoungPerson stores a new young person with Revision 1. It fails with
	// AlreadyExists when the council already uses the case reference.
	CreateYoungPerson(ctx context.Context, yp domain.YoungPerson) (domain.YoungPerson, error)
	// UpdateYoungPerson replaces the stored young person yp.ID and increments its revision.
	// When ifRevision is not zero and differs from the stored revision it fails with
	// Aborted (ETAG_MISMATCH) and changes nothing.
	UpdateYoungPerson(ctx context.Context, yp domain.YoungPerson, ifRevision int64) (domain.YoungPerson, error)
	// DeleteYoungPerson deletes young person id, with their episodes and milestones, with
	// ifRevision as for UpdateYoungPerson.
	DeleteYoungPerson(ctx context.Context, id string, ifRevision int64) error
}

// YoungPeopleQuery selects a page of young people.
type YoungPeopleQuery struct {
	Filter  query.Expr
	AfterID string
	Limit   int
}

// YoungPersonFields are the fields a YoungPeopleQuery filter may use, with their types.
var YoungPersonFields = map[string]query.Type{
	"date_of_birth":                      query.Date,
	"council":                            query.String,
	"personal_adviser":                   query.String,
	"unaccompanied_asylum_seeking_child": query.Bool,
	"ehc_plan":                           query.Bool,
	"disability":                         query.Bool,
}

// Requests remembers the client request ids of completed creates (AIP-155), so that a
// retried create returns what the first one made instead of making another.
type Requests interface {
	// ClaimRequest records r unless a request with the same Scope and ID exists, in which
	// case it returns that request and claimed is false. Concurrent claims of one id are
	// serialised: the second waits for the first transaction to finish.
	ClaimRequest(ctx context.Context, r Request) (existing Request, claimed bool, err error)
}

// Request is a client request id and what it produced.
type Request struct {
	// Scope separates ids of different methods (and, with authentication, callers).
	Scope string
	ID    string
	// Hash fingerprints the request body, to refuse an id reused for a different request.
	Hash []byte
	// ResourceID is the id of the resource the request created.
	ResourceID string
	CreateTime time.Time
}

// CareEpisodes stores young people's episodes of care.
type CareEpisodes interface {
	// ListCareEpisodes returns all of a young person's episodes, earliest first.
	ListCareEpisodes(ctx context.Context, youngPersonID string) ([]domain.CareEpisode, error)
	GetCareEpisode(ctx context.Context, youngPersonID, id string) (domain.CareEpisode, error)
	// CreateCareEpisode stores a new episode with Revision 1.
	CreateCareEpisode(ctx context.Context, e domain.CareEpisode) (domain.CareEpisode, error)
	// UpdateCareEpisode replaces an episode, guarded by ifRevision as for young people.
	UpdateCareEpisode(ctx context.Context, e domain.CareEpisode, ifRevision int64) (domain.CareEpisode, error)
	DeleteCareEpisode(ctx context.Context, youngPersonID, id string, ifRevision int64) error
}

// Milestones stores the milestones of pathways and their histories.
type Milestones interface {
	GetMilestone(ctx context.Context, youngPersonID, id string) (domain.Milestone, error)
	// ListMilestones returns up to q.Limit milestones matching q, ordered by due date and id.
	ListMilestones(ctx context.Context, q MilestoneQuery) ([]domain.Milestone, error)
	// CreateMilestone stores a one-off milestone (Key "") with Revision 1.
	CreateMilestone(ctx context.Context, m domain.Milestone) (domain.Milestone, error)
	// UpdateMilestone stores a change of a milestone's state, schedule, evidence or reason,
	// guarded by ifRevision, and marks it Recorded.
	UpdateMilestone(ctx context.Context, m domain.Milestone, ifRevision int64) (domain.Milestone, error)
	AddMilestoneChange(ctx context.Context, c domain.MilestoneChange) (domain.MilestoneChange, error)
	// ListMilestoneChanges returns up to limit changes of a milestone after the change with
	// id after ("" for the first), oldest first.
	ListMilestoneChanges(ctx context.Context, milestoneID, after string, limit int) ([]domain.MilestoneChange, error)
}

// MilestoneQuery selects a page of milestones.
type MilestoneQuery struct {
	// YoungPersonID limits the query to one young person; "" means every young person.
	YoungPersonID string
	Filter        query.Expr
	After         MilestoneCursor
	Limit         int
}

// MilestoneCursor is the position after which a page of milestones starts.
type MilestoneCursor struct {
	DueDate civil.Date
	ID      string
}

// MilestoneFields are the fields a MilestoneQuery filter may use. Definition is the
// catalogue key; council, owner_organisation and personal_adviser are ids.
var MilestoneFields = map[string]query.Type{
	"due_date":           query.Date,
	"lapse_date":         query.Date,
	"state":              query.String,
	"area":               query.String,
	"owner_agency_type":  query.String,
	"owner_organisation": query.String,
	"council":            query.String,
	"personal_adviser":   query.String,
	"definition":         query.String,
	"applicable":         query.Bool,
}

// Pathways loads and saves planned pathways, many young people at a time.
type Pathways interface {
	// LoadPathways returns what planning needs for each of the young people that exist.
	LoadPathways(ctx context.Context, youngPersonIDs []string) ([]PathwayState, error)
	// SavePathways applies plans: for each young person, planned milestones are added or
	// have their due dates and details brought up to date, milestones no longer planned are
	// removed unless Recorded (then only marked not applicable), one-off milestones are left
	// alone, and the young person's pathway version is set.
	// now is the update time of what changes. Plans for young people who no longer exist are
	// skipped.
	SavePathways(ctx context.Context, now time.Time, plans []PathwayPlan) error
	// StalePathways returns up to limit young people whose pathway version is not
	// PathwayVersion(catalogueVersion, their council's settings revision), and locks them
	// for this transaction, skipping any another transaction holds.
	StalePathways(ctx context.Context, catalogueVersion string, limit int) ([]string, error)
}

// PathwayState is a young person with their episodes and milestones.
type PathwayState struct {
	YoungPerson domain.YoungPerson
	Episodes    []domain.CareEpisode
	Milestones  []domain.Milestone
}

// PathwayPlan is the planned catalogue milestones of one young person.
type PathwayPlan struct {
	YoungPersonID string
	CouncilID     string
	Version       string
	Planned       []pathway.Planned
}

// PathwayVersion identifies what a pathway was planned with. The PostgreSQL store's
// StalePathways builds the same string in SQL.
func PathwayVersion(catalogueVersion string, settingsRevision int64) string {
	return catalogueVersion + ":" + strconv.FormatInt(settingsRevision, 10)
}

// Settings stores councils' pathway settings.
type Settings interface {
	// GetPathwaySettings returns a council's settings; the defaults (Revision 0) if it has
	// none.
	GetPathwaySettings(ctx context.Context, councilID string) (domain.PathwaySettings, error)
	// PutPathwaySettings stores a council's settings, incrementing the revision; when
	// ifRevision is not zero and differs from the stored one it fails with ETAG_MISMATCH.
	PutPathwaySettings(ctx context.Context, s domain.PathwaySettings, ifRevision int64) (domain.PathwaySettings, error)
}
