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
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/domain/pathway"
	"github.com/carepath/carepath/internal/domain/query"
)

// Store opens transactions and reports readiness.
type Store interface {
	// InTx runs fn in a transaction that commits if fn returns nil and rolls back otherwise.
	// fn may be run again when the transaction conflicts with another, so it must not have
	// effects outside the transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// InRead runs fn, which only reads and appends audit records, as cheaply as the backend
	// allows: the audit records are written, all or none, when fn returns nil, and if they
	// cannot be the call fails. fn must not write anything else.
	InRead(ctx context.Context, fn func(Tx) error) error
	// Ready returns nil when the store can serve requests: reachable and fully migrated.
	Ready(ctx context.Context) error
	// Close releases the store's resources.
	Close()
}

// Tx is what a transaction can do.
//
// Writes that return only an error (AppendAudits, SavePathways' statement, SaveReadiness,
// SaveMeasureStandings, SetReminderSchedules) may be sent with the transaction's next statement or its commit,
// to save round trips: if one fails, that statement or the commit fails instead, and the
// transaction writes nothing. A statement always sees the writes made before it.
type Tx interface {
	YoungPeople
	CareEpisodes
	Milestones
	Pathways
	Settings
	Access
	Sharing
	Audit
	Requests
	Facts
	Readiness
	Reminders
	Webhooks
	Measures
	DeliveryPlans
	Voice
	Operations
}

// YoungPeople stores young people.
type YoungPeople interface {
	GetYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error)
	// LockYoungPerson is GetYoungPerson that also holds the young person until the
	// transaction ends, so that changes to their episodes and milestones are serialised.
	LockYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error)
	// LockYoungPeople is LockYoungPerson for many at once: the young people among ids that
	// exist, in id order, held until the transaction ends. Rows are locked in id order, so
	// two transactions locking overlapping sets wait for each other instead of deadlocking.
	LockYoungPeople(ctx context.Context, ids []string) ([]domain.YoungPerson, error)
	// AllocateYoungPeople sets the personal adviser ("" for none) of the young people among
	// ids that exist, increments their revisions, sets their update time to at, and returns
	// them in id order.
	AllocateYoungPeople(ctx context.Context, ids []string, adviserID string, at time.Time) ([]domain.YoungPerson, error)
	// ListYoungPeople returns up to q.Limit young people matching q.Filter whose ids sort
	// after q.AfterID, in id order.
	ListYoungPeople(ctx context.Context, q YoungPeopleQuery) ([]domain.YoungPerson, error)
	// YoungPeopleByCaseReference returns the council's young people whose case references
	// are among refs, in id order: how a return's children (CHILD) are matched.
	YoungPeopleByCaseReference(ctx context.Context, councilID string, refs []string) ([]domain.YoungPerson, error)
	// CreateYoungPerson stores a new young person with Revision 1. It fails with
	// AlreadyExists when the council already uses the case reference.
	CreateYoungPerson(ctx context.Context, yp domain.YoungPerson) (domain.YoungPerson, error)
	// CreateYoungPeople stores many new young people (each with Revision 1) and their
	// episodes at once, as CreateYoungPerson and CreateCareEpisode would one by one, for
	// loading a council's cohort: PostgreSQL copies them. It fails with AlreadyExists, and
	// stores nothing, when a case reference is taken.
	CreateYoungPeople(ctx context.Context, yps []domain.YoungPerson, episodes []domain.CareEpisode) error
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
	// Scope, if set, limits the query to the young people a caller may see.
	Scope *Scope
	// IDs, if set, limits the query to these young people.
	IDs []string
}

// Scope is the set of young people a member of a council's staff may see: those of the
// council whose personal adviser is one of AdviserIDs, and, if Unallocated, those with
// none. (Partners see young people through shares instead: see Sharing.)
type Scope struct {
	CouncilID   string
	AdviserIDs  []string
	Unallocated bool
	// WholeCouncil widens the scope to every young person of the council, for counts
	// that name no one.
	WholeCouncil bool
	// YoungPersonID, if set, narrows the scope to that young person of the council alone,
	// whatever the other fields say: a young person's own scope (SelfScope).
	YoungPersonID string
}

// SelfScope is the scope of a young person's own account: themself, in their council.
// With no young person it matches no one.
func SelfScope(council, youngPersonID string) *Scope {
	if youngPersonID == "" {
		return &Scope{}
	}
	return &Scope{CouncilID: council, YoungPersonID: youngPersonID}
}

// StaffScope is the scope of a member of a council's staff with these roles: a personal
// adviser sees their caseload; a team manager their team's caseloads (teamAdvisers, those
// who have left included) and the council's unallocated young people. With neither role it
// matches no one (every young person has a council, and the scope's is empty).
func StaffScope(council, person string, roles []domain.Role, teamAdvisers []string) *Scope {
	s := &Scope{CouncilID: council}
	if slices.Contains(roles, domain.PersonalAdviser) {
		s.AdviserIDs = append(s.AdviserIDs, person)
	}
	if slices.Contains(roles, domain.TeamManager) {
		s.AdviserIDs = append(s.AdviserIDs, teamAdvisers...)
		s.Unallocated = true
	}
	if len(s.AdviserIDs) == 0 && !s.Unallocated {
		return &Scope{}
	}
	return s
}

// Contains reports whether yp is in the scope; stores use it to agree with their queries.
func (s *Scope) Contains(yp domain.YoungPerson) bool {
	if s == nil {
		return true
	}
	if yp.CouncilID != s.CouncilID {
		return false
	}
	if s.YoungPersonID != "" {
		return yp.ID == s.YoungPersonID
	}
	if s.WholeCouncil {
		return true
	}
	if yp.PersonalAdviserID == "" {
		return s.Unallocated
	}
	return slices.Contains(s.AdviserIDs, yp.PersonalAdviserID)
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
	// Scope, if set, limits the query to the milestones of young people in it.
	Scope *Scope
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
	// LoadPathways returns what planning needs for each of the young people that exist:
	// their episodes by start date, milestones by due date and facts by record time (each
	// then by id).
	LoadPathways(ctx context.Context, youngPersonIDs []string) ([]PathwayState, error)
	// LoadTimelines returns what showing pathways needs: as LoadPathways, without the facts.
	LoadTimelines(ctx context.Context, youngPersonIDs []string) ([]PathwayState, error)
	// LoadOpenMilestones returns what working out reminders needs, for a council's whole
	// cohort at a time: each of the young people that exist, as LoadPathways, with only their
	// open, applicable milestones due from from to to (reminder.Window) and those of named
	// whatever their due date (the milestones their open reminders name), by due date, then
	// id, and of those only OpenMilestoneFields. Episodes and facts are not loaded.
	LoadOpenMilestones(ctx context.Context, youngPersonIDs []string, from, to civil.Date, named []string) ([]PathwayState, error)
	// SavePathways applies plans: for each young person, planned milestones are added or
	// have their due dates and details brought up to date, milestones no longer planned are
	// removed unless Recorded (then only marked not applicable), one-off milestones are left
	// alone, and the young person's pathway version is set.
	// now is the update time of what changes. Plans for young people who no longer exist are
	// skipped. It returns, by index of plans, the milestones of each fresh plan as stored
	// (FreshMilestones, in LoadPathways' order), nil for the others: the planner goes on
	// with them rather than read back what it has just written.
	SavePathways(ctx context.Context, now time.Time, plans []PathwayPlan) ([][]domain.Milestone, error)
	// StalePathways returns up to limit young people whose pathway version is not
	// PathwayVersion(catalogueVersion, their council's settings revision), and locks them
	// for this transaction, skipping any another transaction holds.
	StalePathways(ctx context.Context, catalogueVersion string, limit int) ([]string, error)
}

// OpenMilestoneFields keeps of a milestone what LoadOpenMilestones loads.
func OpenMilestoneFields(m domain.Milestone) domain.Milestone {
	return domain.Milestone{ID: m.ID, YoungPersonID: m.YoungPersonID, Title: m.Title, Statutory: m.Statutory,
		DueDate: m.DueDate, LapseDate: m.LapseDate, Applicable: m.Applicable, State: m.State,
		OwnerOrganisation: m.OwnerOrganisation, OwnerPerson: m.OwnerPerson}
}

// PathwayState is a young person with their episodes, milestones and fact records: what
// planning and readiness assessment need.
type PathwayState struct {
	YoungPerson domain.YoungPerson
	Episodes    []domain.CareEpisode
	Milestones  []domain.Milestone
	// Facts are every record of the young person's facts, oldest first.
	Facts []domain.Fact
}

// PathwayPlan is the planned catalogue milestones of one young person.
type PathwayPlan struct {
	YoungPersonID string
	CouncilID     string
	Version       string
	Planned       []pathway.Planned
	// Fresh says the young person has no milestones at all (as loaded in this transaction,
	// with the young person locked or created in it), so the store may write the planned
	// ones as they are, without matching them against stored ones: PostgreSQL copies them.
	Fresh bool
}

// FreshMilestones are the milestones a fresh plan is stored as, in the order of p.Planned:
// ids[i] that of p.Planned[i], and now their create and update time. SavePathways gives
// them back sorted ByDueDate, as LoadPathways reads them.
func FreshMilestones(p PathwayPlan, ids []string, now time.Time) []domain.Milestone {
	out := make([]domain.Milestone, len(p.Planned))
	for i, m := range p.Planned {
		out[i] = domain.Milestone{ID: ids[i], YoungPersonID: p.YoungPersonID, CouncilID: p.CouncilID, Key: m.Key,
			Occurrence: m.Occurrence, Title: m.Title, Area: m.Area, OwnerAgency: m.OwnerAgency, Statutory: m.Statutory,
			DueDate: m.Due, LapseDate: m.Lapse, Applicable: true, State: domain.Planned, Revision: 1,
			CreateTime: now, UpdateTime: now}
	}
	return out
}

// ByDueDate orders milestones as LoadPathways gives them: by due date, then id.
func ByDueDate(a, b domain.Milestone) int {
	return cmp.Or(a.DueDate.Compare(b.DueDate), strings.Compare(a.ID, b.ID))
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
	// LeaplingRule returns the rule of the council's settings alone: what showing an age
	// needs, without the copy of every setting that GetPathwaySettings makes.
	LeaplingRule(ctx context.Context, councilID string) (civil.LeaplingRule, error)
	// SettingsRevisions is every council's settings revision, as one string that changes
	// whenever any council's settings do.
	SettingsRevisions(ctx context.Context) (string, error)
	// PutPathwaySettings stores a council's settings, incrementing the revision; when
	// ifRevision is not zero and differs from the stored one it fails with ETAG_MISMATCH.
	PutPathwaySettings(ctx context.Context, s domain.PathwaySettings, ifRevision int64) (domain.PathwaySettings, error)
}

// Access stores organisations and the people in them.
type Access interface {
	GetOrganisation(ctx context.Context, id string) (domain.Organisation, error)
	// ListOrganisations returns up to limit organisations with ids after afterID, in id order.
	ListOrganisations(ctx context.Context, afterID string, limit int) ([]domain.Organisation, error)
	// CreateOrganisation fails with AlreadyExists (RESOURCE_EXISTS) if the id is taken, and
	// with NotFound if the steward is not an organisation.
	CreateOrganisation(ctx context.Context, o domain.Organisation) (domain.Organisation, error)
	// UpdateOrganisation changes the display name and certificate subjects; the type and
	// the steward never change.
	UpdateOrganisation(ctx context.Context, o domain.Organisation, ifRevision int64) (domain.Organisation, error)
	// OrganisationByCertificateSubject finds the organisation whose systems use a client
	// certificate with the subject, or fails with NotFound.
	OrganisationByCertificateSubject(ctx context.Context, subject string) (domain.Organisation, error)

	GetPerson(ctx context.Context, id string) (domain.Person, error)
	// ListPeople returns up to q.Limit people after q.AfterID, in id order.
	ListPeople(ctx context.Context, q PeopleQuery) ([]domain.Person, error)
	// CreatePerson fails with AlreadyExists (RESOURCE_EXISTS) if the id is taken.
	CreatePerson(ctx context.Context, p domain.Person) (domain.Person, error)
	// UpdatePerson changes a person; never OwnReminders, which is the young person's own
	// choice (SetOwnReminders).
	UpdatePerson(ctx context.Context, p domain.Person, ifRevision int64) (domain.Person, error)
	// YoungPersonAccount is the young person's own account, or fails with NotFound.
	YoungPersonAccount(ctx context.Context, youngPersonID string) (domain.Person, error)
	// YoungPersonAccounts are the own accounts of those of the young people who have one,
	// in no particular order.
	YoungPersonAccounts(ctx context.Context, youngPersonIDs []string) ([]domain.Person, error)
	// SetOwnReminders records whether a person is reminded of their own steps, incrementing
	// the revision; ifRevision as for UpdatePerson.
	SetOwnReminders(ctx context.Context, personID string, on bool, at time.Time, ifRevision int64) (domain.Person, error)
}

// PeopleQuery selects a page of people.
type PeopleQuery struct {
	// OrganisationIDs, if not empty, limits the query to people of these organisations.
	OrganisationIDs []string
	// Team, if set, limits it to one team.
	Team    string
	AfterID string
	Limit   int
}

// Sharing stores sharing agreements and shares.
type Sharing interface {
	GetSharingAgreement(ctx context.Context, id string) (domain.SharingAgreement, error)
	// ListSharingAgreements returns up to limit of a council's agreements after afterID, in
	// id order.
	ListSharingAgreements(ctx context.Context, councilID, afterID string, limit int) ([]domain.SharingAgreement, error)
	CreateSharingAgreement(ctx context.Context, a domain.SharingAgreement) (domain.SharingAgreement, error)
	UpdateSharingAgreement(ctx context.Context, a domain.SharingAgreement, ifRevision int64) (domain.SharingAgreement, error)
	// PartnerCouncils returns, in id order, the councils that have an agreement (in any
	// state) with the partner.
	PartnerCouncils(ctx context.Context, partnerID string) ([]string, error)

	// ListShares returns all shares of the young people: of one, newest first; of several,
	// by young person (in id order), each newest first.
	ListShares(ctx context.Context, youngPersonIDs ...string) ([]domain.Share, error)
	GetShare(ctx context.Context, youngPersonID, id string) (domain.Share, error)
	CreateShare(ctx context.Context, s domain.Share) (domain.Share, error)
	// UpdateShare stores a withdrawal, guarded by ifRevision.
	UpdateShare(ctx context.Context, s domain.Share, ifRevision int64) (domain.Share, error)

	// ListSharedYoungPeople returns up to q.Limit young people after q.AfterID, in id order,
	// who on q.Day have a share in force with q.PartnerID for q.Purpose under an agreement in
	// force between their council and the partner for that purpose, and were born after
	// q.BornAfter (if it is not the zero date).
	ListSharedYoungPeople(ctx context.Context, q SharedQuery) ([]domain.YoungPerson, error)
}

// SharedQuery selects the young people shared with a partner.
type SharedQuery struct {
	PartnerID string
	Purpose   domain.Purpose
	Day       civil.Date
	BornAfter civil.Date
	// YoungPersonID, if set, asks about that young person only; YoungPersonIDs, if set,
	// about these only.
	YoungPersonID  string
	YoungPersonIDs []string
	AfterID        string
	Limit          int
}

// Audit keeps the audit trail: append-only, hash-chained per chain (audit.Record). A record
// is appended unsealed, in the transaction of the access it records and without a lock, so
// that no call waits for another's commit; SealAudit later gives records their places in
// their chains, in the order their transactions ended, and logs a seal for each chain it
// extends.
type Audit interface {
	// AppendAudit stores r normalized and unsealed (whatever Seq and hashes it carries), in
	// this transaction: if the transaction rolls back, so does the record. It takes no lock.
	AppendAudit(ctx context.Context, r audit.Record) (AuditEntry, error)
	// AppendAudits stores every record as AppendAudit does, in one statement however many
	// there are (an import of a council's return records one per child it wrote), in the
	// order given: all of them or, if that fails, none. Unlike AppendAudit it may be sent
	// with the commit (see Tx), and so is what a call's own audit entry uses.
	AppendAudits(ctx context.Context, rs []audit.Record) error
	// ListAuditRecords returns up to q.Limit records matching q, sealed or not, newest first.
	// Its read should be marked ForSearch: a filter may match one record of millions.
	ListAuditRecords(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
	// SealAudit seals up to limit committed unsealed records, in id order, each as the next
	// record of its chain (after the last one sealed), stamps them with now, and appends to
	// the seal log the new head of each chain it extended. A record committed later takes a
	// later place, so none can ever come before one already sealed. One transaction seals at
	// a time: another gets Busy at once and seals nothing.
	SealAudit(ctx context.Context, now time.Time, limit int) (AuditSealing, error)
	// AuditHeads returns the latest seal of every chain, by chain.
	AuditHeads(ctx context.Context) ([]audit.Head, error)
	// AuditChains returns every chain with sealed records or seals, sorted.
	AuditChains(ctx context.Context) ([]string, error)
	// ReadAuditChain returns up to limit sealed records of a chain after afterSeq, by sequence.
	ReadAuditChain(ctx context.Context, chain string, afterSeq int64, limit int) ([]audit.Record, error)
	// ReadAuditSeals returns up to limit seals of a chain after afterSeq, by sequence.
	ReadAuditSeals(ctx context.Context, chain string, afterSeq int64, limit int) ([]audit.Head, error)
	// AuditBacklog counts the records not yet sealed, with the time of the oldest: of every
	// chain, or with council set, of the records ListAuditRecords would find for it.
	AuditBacklog(ctx context.Context, council string) (AuditBacklog, error)
	// AuditStranded counts what the sealer can never seal: only tampering or a fault leaves
	// any. It reads the whole trail.
	AuditStranded(ctx context.Context) (AuditStranding, error)
}

// AuditStranding is what sealing can never reach.
type AuditStranding struct {
	// Unqueued records are neither sealed nor waiting to be: taken off the queue.
	Unqueued int64
	// Gone are queued records that no longer exist: removed before they were sealed.
	Gone int64
}

// AuditEntry is a stored audit record; ID orders all records by when they were stored.
type AuditEntry struct {
	ID int64
	audit.Record
	// SealTime is when the record was sealed: zero until then, and for records sealed as they
	// were written, before sealing was done apart.
	SealTime time.Time
}

// AuditSealing is what one SealAudit did.
type AuditSealing struct {
	Busy   bool         // another transaction was sealing: nothing was done
	Sealed int          // records sealed
	Heads  []audit.Head // the seals appended, one per chain extended, by chain
}

// AuditBacklog is what is waiting to be sealed.
type AuditBacklog struct {
	Unsealed int64
	Oldest   time.Time // the Time of the oldest unsealed record; zero when there is none
}

// Lag is how long the oldest record not yet sealed has waited at now (0 when none waits).
func (b AuditBacklog) Lag(now time.Time) time.Duration {
	if b.Unsealed == 0 || b.Oldest.IsZero() {
		return 0
	}
	return max(now.Sub(b.Oldest), 0)
}

// AuditQuery selects audit records.
type AuditQuery struct {
	// Council limits the query to records about the council's young people or made by its
	// staff (the record's chain).
	Council       string
	YoungPersonID string
	Actor         string
	Start, End    time.Time // zero: unbounded
	BeforeID      int64     // 0: from the newest
	Limit         int
}

// Facts stores the records of young people's facts. Records are appended, never changed.
type Facts interface {
	// AddFact stores a new record (ID is set by the caller). It fails with
	// ErrYoungPersonNotFound if the young person does not exist.
	AddFact(ctx context.Context, f domain.Fact) (domain.Fact, error)
	// ListFacts returns every record of a young person's facts, oldest first (by record
	// time, then id).
	ListFacts(ctx context.Context, youngPersonID string) ([]domain.Fact, error)
}

// Readiness stores each young person's latest cliff-edge summary, for councils' views.
type Readiness interface {
	// SaveReadiness inserts or replaces the summaries (one per young person). Summaries of
	// young people who no longer exist are skipped.
	SaveReadiness(ctx context.Context, rows []domain.ReadinessSummary) error
	// StaleReadiness returns up to q.Limit young people (of q.CouncilID, if set) whose
	// summary is missing (unless q.Overtaken), has ValidUntil on or before q.Today, or has a
	// Version other than q.Version, in id order (the first in id order, unless q.Overtaken),
	// and locks them for this transaction, skipping any another transaction holds.
	StaleReadiness(ctx context.Context, q StaleReadinessQuery) ([]string, error)
	// ListReadiness returns up to q.Limit summaries matching q with their young people, in
	// q.Order and then young person id, after q.After.
	ListReadiness(ctx context.Context, q ReadinessQuery) ([]ReadinessEntry, error)
	// CountReadiness counts the summaries matching q (Order, After and Limit are ignored):
	// in all, by rating, by failing check and by failing ambition.
	CountReadiness(ctx context.Context, q ReadinessQuery) (ReadinessCounts, error)
}

// StaleReadinessQuery selects summaries to refresh.
type StaleReadinessQuery struct {
	CouncilID string // "" for every council
	Today     civil.Date
	Version   string
	Limit     int
	// Overtaken leaves out the young people with no summary: only summaries there are,
	// overtaken by time or of other rules, which is what a view refreshes before it shows
	// them. A young person's summary is saved with their plan, so only data from before
	// summaries has none, and the background refresher finds it; finding it is a pass over
	// every young person, which a view cannot afford each time it is looked at. The
	// overtaken are found a batch at a time in the order of an index, before those another
	// transaction holds are skipped: a batch may come back short while there are more, so a
	// view may show some overtaken summaries until the background refresher reaches them.
	Overtaken bool
}

// ReadinessOrder is the sort order of a readiness view.
type ReadinessOrder string

const (
	// ByEighteenthBirthday sorts soonest first.
	ByEighteenthBirthday ReadinessOrder = "eighteenth_birthday"
	// ByFixBy sorts by the earliest fix-by date, soonest first; summaries with none last.
	ByFixBy ReadinessOrder = "fix_by"
	// ByRating sorts red, then amber, then green.
	ByRating ReadinessOrder = "rating"
)

// ReadinessQuery selects summaries for a council's view.
type ReadinessQuery struct {
	// Scope limits the view to the young people a member of staff may see; required.
	Scope *Scope
	// EighteenthFrom and EighteenthTo bound the 18th birthday, inclusive, when not zero.
	EighteenthFrom, EighteenthTo civil.Date
	// Ratings, if any, keep summaries with one of these ratings.
	Ratings []domain.Rating
	// Check, if set, keeps summaries where that check fails.
	Check string
	// AdviserIDs, if any, keep young people whose personal adviser is one of these (a
	// team's, or one person).
	AdviserIDs []string
	Order      ReadinessOrder
	After      ReadinessCursor
	Limit      int
}

// ReadinessCursor is the position after which a page starts: the sort value of the last
// summary returned and its young person's id. The sort value is a date as YYYY-MM-DD
// ("9999-12-31" for a summary with no fix-by date) or a rating's rank as a decimal.
type ReadinessCursor struct {
	Value         string
	YoungPersonID string
}

// ReadinessEntry is a summary with its young person.
type ReadinessEntry struct {
	Summary     domain.ReadinessSummary
	YoungPerson domain.YoungPerson
}

// ReadinessCounts are the numbers of young people in a view.
type ReadinessCounts struct {
	Total      int
	ByRating   map[domain.Rating]int
	ByCheck    map[string]int
	ByAmbition map[string]int
}

// Reminders stores reminders and when each young person's are next due to be worked out.
type Reminders interface {
	// AddReminders stores those of rs that do not exist yet (same young person, rule,
	// milestone, due date and recipient; of several in rs with one key, the first), and
	// returns the ones it stored, in input order. IDs are set by the caller. A reminder
	// whose key a cancelled reminder has reopens that one: it becomes OPEN again, with no
	// cancel reason or snooze, the title and update time of the new one and its revision
	// incremented, and is returned among the stored with its own id. One whose key an open
	// or acknowledged reminder has is left out, and that reminder is kept unchanged.
	AddReminders(ctx context.Context, rs []domain.Reminder) ([]domain.Reminder, error)
	GetReminder(ctx context.Context, id string) (domain.Reminder, error)
	// ListReminders returns up to q.Limit reminders matching q, newest first (by id, which
	// is time-ordered).
	ListReminders(ctx context.Context, q ReminderQuery) ([]domain.Reminder, error)
	// ReminderRouting reads what routing the young people's reminders needs, together (one
	// round trip on PostgreSQL): their shares (as ListShares), their own accounts (as
	// YoungPersonAccounts), the open reminders of each (at most openLimit of each, by young
	// person id, each's newest first) and the people of personIDs who exist (as GetPerson),
	// each once, in no particular order.
	ReminderRouting(ctx context.Context, youngPersonIDs, personIDs []string, openLimit int) (ReminderRouting, error)
	// UpdateReminder stores a change of state or snooze, guarded by ifRevision as for young
	// people, and increments the revision.
	UpdateReminder(ctx context.Context, r domain.Reminder, ifRevision int64) (domain.Reminder, error)
	// CancelReminders cancels the open reminders with ids, for reason, and cancels their
	// pending deliveries.
	CancelReminders(ctx context.Context, ids []string, reason string, now time.Time) error
	// SetReminderSchedules records when each young person's reminders must next be worked
	// out; the zero time means never (they are past 25). Of several for one young person,
	// the last counts. It fails with NotFound if a young person given a time does not exist.
	SetReminderSchedules(ctx context.Context, schedules []ReminderSchedule) error
	// DueReminderSchedules returns up to limit young people whose reminders were due to be
	// worked out at or before now, earliest first, and locks them (the young person, as
	// LockYoungPerson does, and their schedule) for this transaction, skipping any whose
	// young person or schedule another transaction holds.
	DueReminderSchedules(ctx context.Context, now time.Time, limit int) ([]string, error)
	// HastenReminderSchedules brings forward to at the schedule of every young person of the
	// council who has a share (in any state) with the partner, where it is later than at:
	// when their agreement changes, what the partner may hear of them is worked out again.
	// Young people with no schedule (past 25) are left alone.
	HastenReminderSchedules(ctx context.Context, councilID, partnerID string, at time.Time) error
	// HastenCaseloads brings forward to at the schedule of every young person of the
	// council whose personal adviser is one of adviserIDs, where it is later: when staff
	// change, who their reminders go to is worked out again.
	HastenCaseloads(ctx context.Context, councilID string, adviserIDs []string, at time.Time) error
}

// ReminderSchedule is when a young person's reminders must next be worked out.
type ReminderSchedule struct {
	YoungPersonID string
	Next          time.Time
}

// ReminderRouting is what Tx.ReminderRouting reads.
type ReminderRouting struct {
	Shares   []domain.Share
	Accounts []domain.Person
	Open     []domain.Reminder
	People   []domain.Person
}

// ReminderQuery selects reminders.
type ReminderQuery struct {
	// YoungPersonID, if set, limits the query to one young person.
	YoungPersonID string
	// Recipients, if any, keep reminders addressed to one of them.
	Recipients []domain.Recipient
	// States, if any, keep reminders in one of them.
	States []domain.ReminderState
	// AwakeAt, if not zero, leaves out reminders snoozed beyond it.
	AwakeAt time.Time
	// AfterID, if set, keeps reminders created after it (ids sort by time), for watching.
	AfterID string
	// BeforeID, if set, keeps reminders with ids before it, for paging newest first.
	BeforeID string
	// Oldest lists oldest first instead (with AfterID), for watching.
	Oldest bool
	Limit  int
}

// Webhooks stores organisations' webhook endpoints and the deliveries to them.
type Webhooks interface {
	// CreateWebhookEndpoint fails with AlreadyExists if the id is taken.
	CreateWebhookEndpoint(ctx context.Context, e domain.WebhookEndpoint) (domain.WebhookEndpoint, error)
	// GetWebhookEndpoint returns an endpoint with its FailedDeliveries counted.
	GetWebhookEndpoint(ctx context.Context, id string) (domain.WebhookEndpoint, error)
	// ListWebhookEndpoints returns up to limit endpoints of an organisation ("" for all)
	// after afterID, in id order, with their FailedDeliveries counted.
	ListWebhookEndpoints(ctx context.Context, organisationID, afterID string, limit int) ([]domain.WebhookEndpoint, error)
	// UpdateWebhookEndpoint stores a change, guarded by ifRevision.
	UpdateWebhookEndpoint(ctx context.Context, e domain.WebhookEndpoint, ifRevision int64) (domain.WebhookEndpoint, error)

	// AddDeliveries stores those of ds that do not exist yet (same reminder and endpoint;
	// of several in ds with one, the first) and queues each stored one for its first
	// attempt at once, in this transaction; it returns the stored, in input order. A delivery whose reminder and
	// endpoint have a cancelled delivery reopens that one instead: it becomes PENDING again,
	// with no attempts, error or deliver time and the next attempt and update time of the
	// new one, keeps its id and webhook id (the same reminder goes to an endpoint under one
	// webhook id), and is queued and returned as a stored one. One whose reminder and
	// endpoint have a pending, delivered or failed delivery is left out.
	AddDeliveries(ctx context.Context, ds []domain.Delivery) ([]domain.Delivery, error)
	GetDelivery(ctx context.Context, id string) (domain.Delivery, error)
	// UpdateDelivery stores the outcome of an attempt (state, attempts, times, error).
	UpdateDelivery(ctx context.Context, d domain.Delivery) (domain.Delivery, error)
	// ListDeliveries returns up to q.Limit deliveries matching q, newest first (by id).
	ListDeliveries(ctx context.Context, q DeliveryQuery) ([]domain.Delivery, error)
	// DueDeliveries returns up to limit pending deliveries whose next attempt is due at
	// now, earliest first, locked for this transaction (others skip them). The in-process
	// dispatcher of the memory store uses it; on PostgreSQL River does this work.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]domain.Delivery, error)
	// RequeueDeliveries makes the deliveries q selects pending again, due at now with a
	// fresh retry schedule (no attempts, no error, no deliver time), each keeping its id and
	// webhook id so that receivers drop what they already have. It returns them in id order
	// with whom each one's reminder is about. On PostgreSQL it queues a River job for each,
	// in the transaction.
	RequeueDeliveries(ctx context.Context, q RequeueQuery, now time.Time) ([]Requeued, error)
}

// RequeueQuery selects deliveries of one endpoint to send again: those in States, created
// at or after Since, with ids after AfterID (and among IDs, if any), the first Limit in id
// (so creation) order.
type RequeueQuery struct {
	EndpointID string
	IDs        []string
	States     []domain.DeliveryState
	Since      time.Time
	AfterID    string
	Limit      int
}

// Requeued is a delivery made pending again, with the young person its reminder is about
// and their council, for the audit trail.
type Requeued struct {
	Delivery      domain.Delivery
	YoungPersonID string
	CouncilID     string
}

// DeliveryQuery selects deliveries.
type DeliveryQuery struct {
	OrganisationID string // "" for all
	EndpointID     string // "" for all
	ReminderID     string // "" for all
	States         []domain.DeliveryState
	BeforeID       string
	Limit          int
}

// Measures computes a council's outcome measures (domain/measure) over all its young
// people at once, as of past dates too, from each young person's standing in each measure
// (measure.Standing: spans of days worked out from their records).
type Measures interface {
	// CountMeasures returns, for each of q.Measures, each of q.Dates and each team (the
	// team of the young person's personal adviser now, "" for none), the size
	// of the measure's cohort and how many of it its count holds for. Groups whose cohort is
	// empty are left out; the order is unspecified. It counts the standings kept for
	// measure.Version(q.Measures, q.Rule) and works out, from their records, those of young people
	// whose kept standings are of another version or missing: the answer is the same, only
	// slower, until they are saved again.
	CountMeasures(ctx context.Context, q MeasureQuery) ([]MeasureCount, error)
	// SaveMeasureStandings replaces the kept standings of each young person given (a store
	// that works them out when counting may keep nothing).
	SaveMeasureStandings(ctx context.Context, rows []MeasureStandings) error
	// StaleMeasureStandings returns up to limit young people of the council whose kept
	// standings are not of version, in id order, locked, skipping those another transaction
	// holds (a store that keeps none has none stale).
	StaleMeasureStandings(ctx context.Context, councilID, version string, limit int) ([]string, error)
	// CountAgencies returns, for each organisation that owns applicable milestones of the
	// council's young people due on or before asOf (the one they were given to; the council
	// for those given to no one) or recorded facts about them effective by then, in
	// organisation order: those milestones, how many were achieved by asOf, how many were
	// overdue on asOf (as the overdue measure counts), and by how many days in all and at
	// most, and the fact records.
	CountAgencies(ctx context.Context, councilID string, asOf civil.Date) ([]AgencyCount, error)
}

// AgencyCount is one organisation's share of a council's work on a date.
type AgencyCount struct {
	OrganisationID                     string
	Due, Done, Overdue                 int
	DaysOverdue, MaxDaysOverdue, Facts int
}

// MeasureQuery asks for measures of one council.
type MeasureQuery struct {
	CouncilID string
	Measures  []measure.Measure
	Dates     []civil.Date
	// Rule is the council's leap-day rule, by which ages are attained.
	Rule civil.LeaplingRule
}

// MeasureStandings are one young person's standings in a version of a set of measures.
type MeasureStandings struct {
	YoungPersonID, CouncilID string
	// Version is measure.Version of the measures they were worked out for.
	Version   string
	Standings []measure.Standing
}

// MeasureCounts turns a tally into counts, in the order first counted.
func MeasureCounts(t measure.Tally) []MeasureCount {
	out := make([]MeasureCount, len(t.Order))
	for i, k := range t.Order {
		c := t.Counts[k]
		out[i] = MeasureCount{Measure: k.Measure, AsOf: k.AsOf, Team: k.Team, Cohort: c[0], Count: c[1]}
	}
	return out
}

// MeasureCount is one measure on one date for one team.
type MeasureCount struct {
	Measure string
	AsOf    civil.Date
	Team    string
	// Cohort is the denominator, Count the numerator.
	Cohort, Count int
}

// DeliveryPlans stores councils' partnership delivery plans, their actions and every change
// of an action.
type DeliveryPlans interface {
	// CreateDeliveryPlan stores a new plan with Revision 1; AlreadyExists (ErrExists) if the
	// council has a plan with the id.
	CreateDeliveryPlan(ctx context.Context, p domain.DeliveryPlan) (domain.DeliveryPlan, error)
	GetDeliveryPlan(ctx context.Context, councilID, id string) (domain.DeliveryPlan, error)
	// ListDeliveryPlans returns up to limit plans of the council with ids after afterID, in
	// id order.
	ListDeliveryPlans(ctx context.Context, councilID, afterID string, limit int) ([]domain.DeliveryPlan, error)
	// UpdateDeliveryPlan replaces a plan's title and year, guarded by ifRevision.
	UpdateDeliveryPlan(ctx context.Context, p domain.DeliveryPlan, ifRevision int64) (domain.DeliveryPlan, error)

	// CreatePlanAction stores a new action (ID set by the caller) with Revision 1; NotFound
	// if its plan does not exist.
	CreatePlanAction(ctx context.Context, a domain.PlanAction) (domain.PlanAction, error)
	GetPlanAction(ctx context.Context, councilID, planID, id string) (domain.PlanAction, error)
	// ListPlanActions returns up to q.Limit actions matching q after q.AfterID, in id order.
	ListPlanActions(ctx context.Context, q PlanActionQuery) ([]domain.PlanAction, error)
	// UpdatePlanAction replaces an action, guarded by ifRevision, and increments its revision.
	UpdatePlanAction(ctx context.Context, a domain.PlanAction, ifRevision int64) (domain.PlanAction, error)
	// AddActionChange appends a change (ID set by the caller) to an action's history.
	AddActionChange(ctx context.Context, c domain.ActionChange) (domain.ActionChange, error)
	// ListActionChanges returns up to limit changes of an action after the change with id
	// after ("" for the first), oldest first.
	ListActionChanges(ctx context.Context, actionID, after string, limit int) ([]domain.ActionChange, error)
}

// PlanActionQuery selects a council's plan actions.
type PlanActionQuery struct {
	CouncilID string
	// PlanID, if set, limits the query to one plan.
	PlanID  string
	AfterID string
	Limit   int
}

// Voice stores the young person's own voice in their pathway: their views of each plan
// area, their goals, their answers to the self-assessment checklists, the requests they
// make for a personal adviser's help after 21, and the councils' local offers.
type Voice interface {
	// ListViews returns the young person's views, in area order.
	ListViews(ctx context.Context, youngPersonID string) ([]domain.View, error)
	// PutView stores the view of its area, replacing any (AIP-134 allow_missing): with
	// ifRevision as for young people, where a missing view has revision 0. The stored view
	// has its revision incremented (1 when new). ErrYoungPersonNotFound if the young person
	// does not exist.
	PutView(ctx context.Context, v domain.View, ifRevision int64) (domain.View, error)

	// CreateGoal stores a new goal (ID set by the caller) with Revision 1.
	CreateGoal(ctx context.Context, g domain.Goal) (domain.Goal, error)
	GetGoal(ctx context.Context, youngPersonID, id string) (domain.Goal, error)
	// ListGoals returns up to limit of the young person's goals with ids after afterID, in
	// id (so creation) order.
	ListGoals(ctx context.Context, youngPersonID, afterID string, limit int) ([]domain.Goal, error)
	// UpdateGoal replaces a goal's title, area, target date, done, author and update time,
	// guarded by ifRevision.
	UpdateGoal(ctx context.Context, g domain.Goal, ifRevision int64) (domain.Goal, error)
	DeleteGoal(ctx context.Context, youngPersonID, id string, ifRevision int64) error

	// ListSkillAnswers returns the young person's answers, in key order.
	ListSkillAnswers(ctx context.Context, youngPersonID string) ([]domain.SkillAnswer, error)
	// PutSkillAnswers stores the answers, each replacing any of its young person and key.
	PutSkillAnswers(ctx context.Context, answers []domain.SkillAnswer) error

	// AddAdviserSupportRequest stores a request (ID set by the caller).
	AddAdviserSupportRequest(ctx context.Context, r domain.AdviserSupportRequest) (domain.AdviserSupportRequest, error)
	// ListAdviserSupportRequests returns the young person's requests, oldest first.
	ListAdviserSupportRequests(ctx context.Context, youngPersonID string) ([]domain.AdviserSupportRequest, error)

	// CreateLocalOfferEntry stores a new entry (ID set by the caller) with Revision 1;
	// ErrOrganisationNotFound if the council does not exist.
	CreateLocalOfferEntry(ctx context.Context, e domain.LocalOfferEntry) (domain.LocalOfferEntry, error)
	GetLocalOfferEntry(ctx context.Context, councilID, id string) (domain.LocalOfferEntry, error)
	// ListLocalOfferEntries returns up to q.Limit entries matching q after q.AfterID, in
	// id order.
	ListLocalOfferEntries(ctx context.Context, q LocalOfferQuery) ([]domain.LocalOfferEntry, error)
	// UpdateLocalOfferEntry replaces an entry, guarded by ifRevision.
	UpdateLocalOfferEntry(ctx context.Context, e domain.LocalOfferEntry, ifRevision int64) (domain.LocalOfferEntry, error)
	DeleteLocalOfferEntry(ctx context.Context, councilID, id string, ifRevision int64) error
}

// LocalOfferQuery selects a council's local offer entries.
type LocalOfferQuery struct {
	CouncilID string
	// Age, if not zero, keeps the entries for that age.
	Age     int
	AfterID string
	Limit   int
}

// Operations stores councils' long-running operations (AIP-151) and the files they work on.
type Operations interface {
	// CreateOperation stores a new operation with the files it works on and queues its work:
	// on PostgreSQL a River job (jobs.ImportReturn) in the same transaction, so that the
	// work is done once, by one replica, even across restarts; the memory store queues
	// nothing (the caller runs the work itself). It fails with ErrOrganisationNotFound
	// when the council does not exist.
	CreateOperation(ctx context.Context, op domain.Operation, files []domain.File) (domain.Operation, error)
	// GetOperation returns one of a council's operations, or ErrOperationNotFound.
	GetOperation(ctx context.Context, councilID, id string) (domain.Operation, error)
	// LockOperation is GetOperation by id alone, holding the operation until the
	// transaction ends.
	LockOperation(ctx context.Context, id string) (domain.Operation, error)
	// ListOperations returns up to limit of the council's operations with ids before
	// beforeID ("" for the newest), newest first (ids are time-ordered UUIDs).
	ListOperations(ctx context.Context, councilID, beforeID string, limit int) ([]domain.Operation, error)
	// UpdateOperation stores an operation's stage, progress and outcome. Once it is done
	// its files are deleted: they hold personal data and are not needed again.
	UpdateOperation(ctx context.Context, op domain.Operation) error
	// OperationFiles returns the files of an operation not yet done, in the order given.
	OperationFiles(ctx context.Context, id string) ([]domain.File, error)
}

type oneCallKey struct{}

// ForOneCall marks the transactions and reads run with ctx as serving one API call: a few statements
// over one young person's rows (or a request's bounded batch), run thousands of times a
// minute. A backend may plan such statements once and reuse the plan, which would not suit
// background work over a whole council, whose arrays run to hundreds of thousands of rows.
func ForOneCall(ctx context.Context) context.Context {
	return context.WithValue(ctx, oneCallKey{}, true)
}

// OneCall reports whether ctx was marked by ForOneCall.
func OneCall(ctx context.Context) bool {
	v, _ := ctx.Value(oneCallKey{}).(bool)
	return v
}

type searchKey struct{}

// ForSearch marks the reads run with ctx as a search: a statement whose filters may match one
// row or every row of a large table (an auditor's search of the trail by young person, actor
// or time). Its plan must be made for the values given each time: a plan made once for any
// values reads the table in key order and filters it, which for a rare value reads it all.
func ForSearch(ctx context.Context) context.Context {
	return context.WithValue(ctx, searchKey{}, true)
}

// Search reports whether ctx was marked by ForSearch, before or after ForOneCall.
func Search(ctx context.Context) bool {
	v, _ := ctx.Value(searchKey{}).(bool)
	return v
}
