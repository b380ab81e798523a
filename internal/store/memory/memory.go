// Package memory is the in-memory store: the zero-setup default for trying carepath and
// for fast tests. It keeps everything in a go-memdb database, whose write transactions
// give the same all-or-nothing behaviour as PostgreSQL; writers are serialised.
package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

const (
	tableYoungPeople = "young_people"
	tableRequests    = "requests"
	tableEpisodes    = "care_episodes"
	tableMilestones  = "milestones"
	tableChanges     = "milestone_changes"
	tableSettings    = "pathway_settings"
	tableOrgs        = "organisations"
	tablePeople      = "people"
	tableAgreements  = "sharing_agreements"
	tableShares      = "shares"
	tableAudit       = "audit_records"
	tableAuditSeals  = "audit_seals"
	tableFacts       = "facts"
	tableReadiness   = "readiness"
	tableReminders   = "reminders"
	tableSchedules   = "reminder_schedules"
	tableEndpoints   = "webhook_endpoints"
	tableDeliveries  = "webhook_deliveries"
	tablePlans       = "delivery_plans"
	tableActions     = "plan_actions"
	tableActionLog   = "plan_action_changes"
	tableViews       = "views"
	tableGoals       = "goals"
	tableAnswers     = "skill_answers"
	tableSupport     = "adviser_support_requests"
	tableLocalOffer  = "local_offer_entries"
)

var schema = &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
	tableYoungPeople: {Name: tableYoungPeople, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"case_reference": {Name: "case_reference", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "CouncilID"},
			&memdb.StringFieldIndex{Field: "CaseReference"},
		}}},
	}},
	tableEpisodes: {Name: tableEpisodes, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableMilestones: {Name: tableMilestones, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
		"due":          {Name: "due", Unique: true, Indexer: dueIndex{}},
	}},
	tableChanges: {Name: tableChanges, Indexes: map[string]*memdb.IndexSchema{
		"id":        {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"milestone": {Name: "milestone", Indexer: &memdb.StringFieldIndex{Field: "MilestoneID"}},
	}},
	tableSettings: {Name: tableSettings, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "CouncilID"}},
	}},
	tableOrgs: {Name: tableOrgs, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"certificate": {Name: "certificate", AllowMissing: true,
			Indexer: &memdb.StringSliceFieldIndex{Field: "CertificateSubjects"}},
	}},
	tablePeople: {Name: tablePeople, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		// A young person's own account; staff and partners have none.
		"young_person": {Name: "young_person", AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableAgreements: {Name: tableAgreements, Indexes: map[string]*memdb.IndexSchema{
		"id":      {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"council": {Name: "council", Indexer: &memdb.StringFieldIndex{Field: "CouncilID"}},
	}},
	tableShares: {Name: tableShares, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
		"partner":      {Name: "partner", Indexer: &memdb.StringFieldIndex{Field: "PartnerID"}},
	}},
	tableFacts: {Name: tableFacts, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableReadiness: {Name: tableReadiness, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
		// The same, under the name the young person's cascade looks for.
		"young_person": {Name: "young_person", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
		"council":      {Name: "council", Indexer: &memdb.StringFieldIndex{Field: "CouncilID"}},
	}},
	tableReminders: {Name: tableReminders, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
		"recipient":    {Name: "recipient", Indexer: &memdb.StringFieldIndex{Field: "Recipient"}},
		// At most one per young person, rule, milestone, due date and recipient.
		"key": {Name: "key", Unique: true, Indexer: keyIndex(reminderKey)},
	}},
	tableSchedules: {Name: tableSchedules, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
		// The same, under the name the young person's cascade looks for.
		"young_person": {Name: "young_person", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableEndpoints: {Name: tableEndpoints, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"organisation": {Name: "organisation", Indexer: &memdb.StringFieldIndex{Field: "OrganisationID"}},
	}},
	tableDeliveries: {Name: tableDeliveries, Indexes: map[string]*memdb.IndexSchema{
		"id":       {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"reminder": {Name: "reminder", Indexer: &memdb.StringFieldIndex{Field: "ReminderID"}},
		"endpoint": {Name: "endpoint", Indexer: &memdb.StringFieldIndex{Field: "EndpointID"}},
		// At most one per reminder and endpoint, and webhook ids are unique.
		"key":        {Name: "key", Unique: true, Indexer: keyIndex(deliveryKey)},
		"webhook_id": {Name: "webhook_id", Unique: true, Indexer: keyIndex(webhookIDKey)},
	}},
	tablePlans: {Name: tablePlans, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "CouncilID"},
			&memdb.StringFieldIndex{Field: "ID"},
		}}},
	}},
	tableActions: {Name: tableActions, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
	}},
	tableActionLog: {Name: tableActionLog, Indexes: map[string]*memdb.IndexSchema{
		"id":     {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"action": {Name: "action", Indexer: &memdb.StringFieldIndex{Field: "ActionID"}},
	}},
	tableViews: {Name: tableViews, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "YoungPersonID"},
			&memdb.StringFieldIndex{Field: "Area"},
		}}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableGoals: {Name: tableGoals, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableAnswers: {Name: tableAnswers, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "YoungPersonID"},
			&memdb.StringFieldIndex{Field: "Key"},
		}}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableSupport: {Name: tableSupport, Indexes: map[string]*memdb.IndexSchema{
		"id":           {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		"young_person": {Name: "young_person", Indexer: &memdb.StringFieldIndex{Field: "YoungPersonID"}},
	}},
	tableLocalOffer: {Name: tableLocalOffer, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "CouncilID"},
			&memdb.StringFieldIndex{Field: "ID"},
		}}},
	}},
	tableRequests: {Name: tableRequests, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "Scope"},
			&memdb.StringFieldIndex{Field: "ID"},
		}}},
	}},
}}

// Store is the in-memory store.
type Store struct {
	db *memdb.MemDB
	// Sequences, guarded by memdb's single writer.
	changeSeq, auditSeq int64
}

// youngPerson is a stored young person with what only the store keeps.
type youngPerson struct {
	domain.YoungPerson
	PathwayVersion string
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	db, err := memdb.NewMemDB(schema)
	if err != nil {
		panic(fmt.Sprintf("memory: invalid schema: %v", err)) // a programming error
	}
	return &Store{db: db}
}

// InTx runs fn in a write transaction.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	txn := s.db.Txn(true)
	defer txn.Abort() // does nothing once committed
	changeSeq, auditSeq := s.changeSeq, s.auditSeq
	if err := fn(&tx{txn: txn, changeSeq: &changeSeq, auditSeq: &auditSeq}); err != nil {
		return err
	}
	s.changeSeq, s.auditSeq = changeSeq, auditSeq
	txn.Commit()
	return nil
}

// InRead is InTx: memory has no round trips to save.
func (s *Store) InRead(ctx context.Context, fn func(store.Tx) error) error { return s.InTx(ctx, fn) }

// Ready always succeeds: memory is always there.
func (s *Store) Ready(context.Context) error { return nil }

// Close does nothing.
func (s *Store) Close() {}

type tx struct {
	txn *memdb.Txn
	// changeSeq and auditSeq number milestone changes and audit records; they live in the
	// store so ids are never reused.
	changeSeq, auditSeq *int64
}

// storedTime mirrors PostgreSQL, which keeps timestamps in UTC to the microsecond.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func (t *tx) first(table, index string, args ...any) (any, error) {
	obj, err := t.txn.First(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("memory: %s.%s lookup: %w", table, index, err)
	}
	return obj, nil
}

// all returns every object of table whose index matches args.
func (t *tx) all(table, index string, args ...any) ([]any, error) {
	it, err := t.txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("memory: %s.%s scan: %w", table, index, err)
	}
	var out []any
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj)
	}
	return out, nil
}

func (t *tx) delete(table string, obj any) error {
	if err := t.txn.Delete(table, obj); err != nil {
		return fmt.Errorf("memory: delete from %s: %w", table, err)
	}
	return nil
}

// deleteAll deletes every object of table whose index matches args, as the cascading
// foreign keys of the PostgreSQL schema do.
func (t *tx) deleteAll(table, index string, args ...any) error {
	if _, err := t.txn.DeleteAll(table, index, args...); err != nil {
		return fmt.Errorf("memory: delete from %s by %s: %w", table, index, err)
	}
	return nil
}
