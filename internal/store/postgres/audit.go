package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
)

const auditColumns = `id, chain, seq, time, actor, organisation, roles, purpose, action, outcome, council,
	young_people::text[], request_id, client_address, prev_hash, hash`

func scanAudit(row pgx.Row) (store.AuditEntry, error) {
	var e store.AuditEntry
	r := &e.Record
	err := row.Scan(&e.ID, &r.Chain, &r.Seq, &r.Time, &r.Actor, &r.Organisation, &r.Roles, &r.Purpose, &r.Action,
		&r.Outcome, &r.Council, &r.YoungPeople, &r.RequestID, &r.ClientAddress, &r.PrevHash, &r.Hash)
	r.Time = r.Time.UTC()
	if len(r.Roles) == 0 {
		r.Roles = nil
	}
	if len(r.YoungPeople) == 0 {
		r.YoungPeople = nil
	}
	return e, err
}

// AppendAudit locks the chain's head row (creating it for a new chain), seals the record
// after the last one and stores both, so appends to one chain are serialised. Sealing needs
// only the last record's seq and hash, which the head holds.
func (t *tx) AppendAudit(ctx context.Context, r audit.Record) (store.AuditEntry, error) {
	// The no-op update takes the row lock and returns the latest committed head.
	var head audit.Head
	if err := t.tx.QueryRow(ctx, `INSERT INTO audit_heads AS h (chain, seq, hash) VALUES ($1, 0, '')
		ON CONFLICT (chain) DO UPDATE SET seq = h.seq RETURNING seq, hash`, r.Chain).Scan(&head.Seq, &head.Hash); err != nil {
		return store.AuditEntry{}, err
	}
	var prev *audit.Record
	if head.Seq > 0 {
		prev = &audit.Record{Chain: r.Chain, Seq: head.Seq, Hash: head.Hash}
	}
	sealed := audit.Seal(prev, r)
	youngPeople := sealed.YoungPeople
	if youngPeople == nil {
		youngPeople = []string{}
	}
	roles := sealed.Roles
	if roles == nil {
		roles = []string{}
	}
	var id int64
	err := t.tx.QueryRow(ctx, `INSERT INTO audit_records (chain, seq, time, actor, organisation, roles, purpose,
		action, outcome, council, young_people, request_id, client_address, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::uuid[], $12, $13, $14, $15) RETURNING id`,
		sealed.Chain, sealed.Seq, sealed.Time, sealed.Actor, sealed.Organisation, roles, sealed.Purpose, sealed.Action,
		sealed.Outcome, sealed.Council, youngPeople, sealed.RequestID, sealed.ClientAddress, sealed.PrevHash,
		sealed.Hash).Scan(&id)
	if err != nil {
		return store.AuditEntry{}, err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE audit_heads SET seq = $2, hash = $3 WHERE chain = $1`,
		sealed.Chain, sealed.Seq, sealed.Hash); err != nil {
		return store.AuditEntry{}, err
	}
	return store.AuditEntry{ID: id, Record: sealed}, nil
}

func (t *tx) ListAuditRecords(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	before := q.BeforeID
	if before == 0 {
		before = 1<<63 - 1
	}
	var ypFilter any
	if q.YoungPersonID != "" {
		ypFilter = []string{q.YoungPersonID}
	}
	rows, err := t.tx.Query(ctx, `SELECT `+auditColumns+` FROM audit_records
		WHERE id < $1 AND ($2 = '' OR council = $2 OR chain = $2)
		AND ($3::uuid[] IS NULL OR young_people @> $3::uuid[]) AND ($4 = '' OR actor = $4)
		AND ($5::timestamptz IS NULL OR time >= $5) AND ($6::timestamptz IS NULL OR time < $6)
		ORDER BY id DESC LIMIT $7`, before, q.Council, ypFilter, q.Actor, timestampArg(q.Start), timestampArg(q.End), q.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) { return scanAudit(r) })
}

func (t *tx) AuditHeads(ctx context.Context) ([]audit.Head, error) {
	rows, err := t.tx.Query(ctx, `SELECT chain, seq, hash FROM audit_heads WHERE seq > 0 ORDER BY chain`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Head, error) {
		var h audit.Head
		err := r.Scan(&h.Chain, &h.Seq, &h.Hash)
		return h, err
	})
}

func (t *tx) ReadAuditChain(ctx context.Context, chain string, afterSeq int64, limit int) ([]audit.Record, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+auditColumns+` FROM audit_records WHERE chain = $1 AND seq > $2
		ORDER BY seq LIMIT $3`, chain, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) { return scanAudit(r) })
	out := make([]audit.Record, len(entries))
	for i, e := range entries {
		out[i] = e.Record
	}
	return out, err
}
