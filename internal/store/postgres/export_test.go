package postgres

import (
	"context"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
)

// The audit trail's statements that must read only the queued records.
const (
	UnsealedBatch = unsealedBatch
	Backlog       = backlog
	AuditSearch   = auditSearch
)

// HeldAuditWriter is an audit writer on a store's pool with no writer running: a test
// flushes by hand what is waiting, so it knows which writes were gathered together.
type HeldAuditWriter struct{ w *auditWriter }

// NewHeldAuditWriter tells inserted the number of records of every INSERT it sends.
func (s *Store) NewHeldAuditWriter(inserted func(records int)) *HeldAuditWriter {
	return &HeldAuditWriter{newAuditWriter(func(ctx context.Context, rs []audit.Record) error {
		inserted(len(rs))
		return insertAudits(ctx, s.pool, rs)
	}, s.maxTx, 0)}
}

// Write is what InRead does with a read's records.
func (h *HeldAuditWriter) Write(ctx context.Context, rs []audit.Record) error {
	return h.w.write(ctx, rs)
}

// Waiting is the number of writes waiting for a writer.
func (h *HeldAuditWriter) Waiting() int { return len(h.w.queue) }

// FlushWaiting does what a writer does when it wakes, until nothing waits: gathers what
// waits and writes it.
func (h *HeldAuditWriter) FlushWaiting() {
	for len(h.w.queue) > 0 {
		h.w.flush(h.w.gather(<-h.w.queue))
	}
}

// PlanCacheMode is the plan_cache_mode of a transaction begun with ctx or, with read, of a
// read (InRead) run with it.
func (s *Store) PlanCacheMode(ctx context.Context, read bool) (mode string, err error) {
	run := s.InTx
	if read {
		run = s.InRead
	}
	err = run(ctx, func(stx store.Tx) error {
		return stx.(*tx).q.QueryRow(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&mode)
	})
	return mode, err
}

// OpenRemindersOf is the statement ReminderRouting reads the open reminders with.
const OpenRemindersOf = openRemindersOf

// SharedYoungPeopleOf is the statement ListSharedYoungPeople reads with, and its arguments.
func SharedYoungPeopleOf(q store.SharedQuery) (string, []any) { return sharedYoungPeople(q) }

// RequeuePickOf is the statement RequeueDeliveries picks deliveries with, and its arguments.
func RequeuePickOf(q store.RequeueQuery) (string, []any) { return requeuePick(q, q.IDs) }

// StaleReadinessOf is the statement StaleReadiness finds and locks with, and its arguments.
func StaleReadinessOf(q store.StaleReadinessQuery) (string, []any) { return staleReadinessOf(q) }
