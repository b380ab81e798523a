package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
)

// recordColumns are an audit record's (r), for scanAudit before its seal's.
const recordColumns = `r.id, r.chain, r.time, r.actor, r.organisation, r.roles, r.purpose, r.action, r.outcome,
	r.reason, r.council, r.young_people::text[], r.request_id, r.client_address`

// auditColumns are a record's and its seal's (s: an outer join's, none while unsealed).
const auditColumns = recordColumns + `, coalesce(s.seq, 0), s.prev_hash, s.hash, s.seal_time`

// unsealedColumns are a record's and no seal, for records known to have none.
const unsealedColumns = recordColumns + `, 0::bigint, NULL::bytea, NULL::bytea, NULL::timestamptz`

func scanAudit(row pgx.Row) (store.AuditEntry, error) {
	var e store.AuditEntry
	var sealTime *time.Time
	r := &e.Record
	err := row.Scan(&e.ID, &r.Chain, &r.Time, &r.Actor, &r.Organisation, &r.Roles, &r.Purpose, &r.Action,
		&r.Outcome, &r.Reason, &r.Council, &r.YoungPeople, &r.RequestID, &r.ClientAddress, &r.Seq, &r.PrevHash, &r.Hash, &sealTime)
	r.Time = r.Time.UTC()
	if sealTime != nil {
		e.SealTime = sealTime.UTC()
	}
	if len(r.Roles) == 0 {
		r.Roles = nil
	}
	if len(r.YoungPeople) == 0 {
		r.YoungPeople = nil
	}
	return e, err
}

func collectAudit(rows pgx.Rows, err error) ([]store.AuditEntry, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) { return scanAudit(r) })
}

// AppendAudit is one INSERT of an unsealed record: it takes no lock, so concurrent calls of a
// council do not wait for each other's commits (the sealer orders them afterwards).
func (t *tx) AppendAudit(ctx context.Context, r audit.Record) (store.AuditEntry, error) {
	r = audit.Normalize(r)
	if t.audits != nil { // InRead: written when the read ends
		*t.audits = append(*t.audits, r)
		return store.AuditEntry{Record: r}, nil
	}
	var id int64
	if err := t.q.QueryRow(ctx, insertAudit+" RETURNING id", auditArgs(r)...).Scan(&id); err != nil {
		return store.AuditEntry{}, err
	}
	return store.AuditEntry{ID: id, Record: r}, nil
}

// AppendAudits is one INSERT of every record, unsealed, in the order given (ids follow it),
// taking no lock.
func (t *tx) AppendAudits(ctx context.Context, rs []audit.Record) error {
	if len(rs) == 0 {
		return nil
	}
	if t.audits != nil {
		for _, r := range rs {
			*t.audits = append(*t.audits, audit.Normalize(r))
		}
		return nil
	}
	normalised := make([]audit.Record, len(rs))
	for i, r := range rs {
		normalised[i] = audit.Normalize(r)
	}
	// The outcome is not read: the records go with the transaction's next statement or its
	// commit, which fails if they cannot be written.
	sql, args := auditsInsert(normalised)
	return t.later(ctx, nil, sql, args...)
}

// insertAudits writes normalised records with auditsInsert.
func insertAudits(ctx context.Context, q querier, rs []audit.Record) error {
	sql, args := auditsInsert(rs)
	_, err := q.Exec(ctx, sql, args...)
	return err
}

// auditsInsert is one INSERT of normalised records, unsealed, in the order given (ids follow
// it). Each record's lists travel joined by commas: roles are names and young people ids,
// neither of which holds one.
func auditsInsert(rs []audit.Record) (string, []any) {
	n := len(rs)
	var (
		chains, actors, orgs, roles, purposes, actions = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		outcomes, reasons, councils, youngPeople       = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		requestIDs, addresses                          = make([]string, n), make([]string, n)
		times                                          = make([]time.Time, n)
	)
	for i, r := range rs {
		chains[i], times[i], actors[i], orgs[i] = r.Chain, r.Time, r.Actor, r.Organisation
		roles[i], purposes[i], actions[i], outcomes[i] = strings.Join(r.Roles, ","), r.Purpose, r.Action, r.Outcome
		reasons[i], councils[i], youngPeople[i] = r.Reason, r.Council, strings.Join(r.YoungPeople, ",")
		requestIDs[i], addresses[i] = r.RequestID, r.ClientAddress
	}
	return `INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose,
		action, outcome, reason, council, young_people, request_id, client_address)
		SELECT u.chain, u.time, u.actor, u.organisation, string_to_array(u.roles, ','), u.purpose, u.action,
			u.outcome, u.reason, u.council, string_to_array(u.young_people, ',')::uuid[], u.request_id, u.client_address
		FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY
			AS u(chain, time, actor, organisation, roles, purpose, action, outcome, reason, council, young_people,
			request_id, client_address, n)
		ORDER BY u.n`,
		[]any{chains, times, actors, orgs, roles, purposes, actions, outcomes, reasons, councils, youngPeople, requestIDs, addresses}
}

const insertAudit = `INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose,
		action, outcome, reason, council, young_people, request_id, client_address)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::uuid[], $12, $13)`

// auditArgs are insertAudit's arguments for a normalised record.
func auditArgs(r audit.Record) []any {
	youngPeople, roles := r.YoungPeople, r.Roles
	if youngPeople == nil {
		youngPeople = []string{}
	}
	if roles == nil {
		roles = []string{}
	}
	return []any{r.Chain, r.Time, r.Actor, r.Organisation, roles, r.Purpose, r.Action, r.Outcome, r.Reason, r.Council,
		youngPeople, r.RequestID, r.ClientAddress}
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
	return collectAudit(t.q.Query(ctx, auditSearch, before, q.Council, ypFilter, q.Actor, timestampArg(q.Start),
		timestampArg(q.End), q.Limit))
}

// auditSearch is a page of the trail, newest first, before record $1, filtered by any of
// council or chain $2, young person $3, actor $4 and time $5 to $6 (each unset: empty or null).
// Planned for its values (store.ForSearch), a filter absent folds away and the scan is by
// the index of the rarest filter given: the young people's, the actor's, the time's, or
// with none of them the trail's key, newest first.
const auditSearch = `SELECT ` + auditColumns + ` FROM audit_records r
	LEFT JOIN audit_record_seals s ON s.id = r.id
	WHERE r.id < $1 AND ($2 = '' OR r.council = $2 OR r.chain = $2)
	AND ($3::uuid[] IS NULL OR r.young_people @> $3::uuid[]) AND ($4 = '' OR r.actor = $4)
	AND ($5::timestamptz IS NULL OR r.time >= $5) AND ($6::timestamptz IS NULL OR r.time < $6)
	ORDER BY r.id DESC LIMIT $7`

// The trail holds years of records, the queue of unsealed ones seconds of them: these read
// the trail only by key, however the statement is planned (a join would let the planner merge
// the queue with every record from the first).
const (
	// unsealedBatch is the first $1 records of the queue, passing over queued ids whose
	// record is gone (removed behind the service's back, which verification reports): a
	// thousand of them at the queue's head would otherwise stop sealing for good.
	unsealedBatch = `SELECT ` + unsealedColumns + ` FROM audit_unsealed u
		CROSS JOIN LATERAL (SELECT * FROM audit_records r WHERE r.id = u.id OFFSET 0) r
		ORDER BY u.id LIMIT $1`
	// backlog is the number and the earliest time of the queued records of council $1 (of
	// every council: '', counting any queued id whose record is gone, which the sealer can
	// never seal).
	backlog = `SELECT count(*), min(r.time) FROM audit_unsealed u
		LEFT JOIN LATERAL (SELECT time, council, chain FROM audit_records r WHERE r.id = u.id OFFSET 0) r ON true
		WHERE $1 = '' OR r.council = $1 OR r.chain = $1`
)

// SealLock names the advisory lock of the transaction that seals (hashtextextended(SealLock,
// 0)): one at a time, across replicas. Whoever holds it holds sealing up.
const SealLock = "carepath-audit-seal"

// maxSealRead bounds the room SealAudit makes before reading a batch.
const maxSealRead = 1000

// SealAudit takes the sealing lock if it is free, reads a batch of committed unsealed records
// and the last sealed record of each of their chains, seals them in Go, and writes the
// records' seals in one INSERT, takes them off the unsealed queue in one DELETE, and writes
// the new heads in one INSERT.
func (t *tx) SealAudit(ctx context.Context, now time.Time, limit int) (store.AuditSealing, error) {
	var locked bool
	if err := t.q.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))`, SealLock).Scan(&locked); err != nil {
		return store.AuditSealing{}, err
	}
	if !locked {
		return store.AuditSealing{Busy: true}, nil
	}
	rows, err := t.q.Query(ctx, unsealedBatch, limit)
	if err != nil {
		return store.AuditSealing{}, err
	}
	// Room for a full batch at once: under load the sealer reads one about every second,
	// and growing the slice as it read made most of the service's garbage.
	batch, err := pgx.AppendRows(make([]store.AuditEntry, 0, min(limit, maxSealRead)), rows,
		func(r pgx.CollectableRow) (store.AuditEntry, error) { return scanAudit(r) })
	if err != nil || len(batch) == 0 {
		return store.AuditSealing{}, err
	}
	records := make([]audit.Record, len(batch))
	chains := map[string]bool{}
	for i, e := range batch {
		records[i] = e.Record
		chains[e.Chain] = true
	}
	heads, err := t.lastSealed(ctx, chains)
	if err != nil {
		return store.AuditSealing{}, err
	}
	sealed, newHeads := audit.SealBatch(heads, records, now)
	n := len(batch)
	ids, chainsOf, seqs, prevs, hashes := make([]int64, n), make([]string, n), make([]int64, n), make([][]byte, n), make([][]byte, n)
	for i, r := range sealed {
		ids[i], chainsOf[i], seqs[i], prevs[i], hashes[i] = batch[i].ID, r.Chain, r.Seq, r.PrevHash, r.Hash
	}
	if _, err := t.q.Exec(ctx, `INSERT INTO audit_record_seals (id, chain, seq, prev_hash, hash, seal_time)
		SELECT id, chain, seq, prev_hash, hash, $6
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[], $5::bytea[]) AS u(id, chain, seq, prev_hash, hash)`,
		ids, chainsOf, seqs, prevs, hashes, now); err != nil {
		return store.AuditSealing{}, err
	}
	if _, err := t.q.Exec(ctx, `DELETE FROM audit_unsealed WHERE id = ANY($1)`, ids); err != nil {
		return store.AuditSealing{}, err
	}
	hc, hs, hh := make([]string, len(newHeads)), make([]int64, len(newHeads)), make([][]byte, len(newHeads))
	for i, h := range newHeads {
		hc[i], hs[i], hh[i] = h.Chain, h.Seq, h.Hash
	}
	if _, err := t.q.Exec(ctx, `INSERT INTO audit_seals (chain, seq, hash, time)
		SELECT chain, seq, hash, $4 FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS h(chain, seq, hash)`,
		hc, hs, hh, now); err != nil {
		return store.AuditSealing{}, err
	}
	return store.AuditSealing{Sealed: len(sealed), Heads: newHeads}, nil
}

// lastSealed returns the last sealed record (seq and hash) of each chain that has one. The
// records' seals (audit_record_seals), not the chains' seal log (audit_seals), say where a
// chain goes on: a chain whose log seals were removed still grows where it ends (and
// verification reports the missing seals).
func (t *tx) lastSealed(ctx context.Context, chains map[string]bool) (map[string]audit.Head, error) {
	names := make([]string, 0, len(chains))
	for c := range chains {
		names = append(names, c)
	}
	rows, err := t.q.Query(ctx, `SELECT c.chain, l.seq, l.hash FROM unnest($1::text[]) AS c(chain)
		CROSS JOIN LATERAL (SELECT seq, hash FROM audit_record_seals s WHERE s.chain = c.chain
			ORDER BY s.seq DESC LIMIT 1) l`, names)
	if err != nil {
		return nil, err
	}
	heads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Head, error) {
		var h audit.Head
		err := r.Scan(&h.Chain, &h.Seq, &h.Hash)
		return h, err
	})
	out := make(map[string]audit.Head, len(heads))
	for _, h := range heads {
		out[h.Chain] = h
	}
	return out, err
}

func scanHeads(rows pgx.Rows, err error) ([]audit.Head, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Head, error) {
		var h audit.Head
		err := r.Scan(&h.Chain, &h.Seq, &h.Hash, &h.Time)
		h.Time = h.Time.UTC()
		return h, err
	})
}

// AuditHeads skips from chain to chain down the seal log's primary key (a loose index scan),
// so it reads one seal per chain however long the log.
func (t *tx) AuditHeads(ctx context.Context) ([]audit.Head, error) {
	return scanHeads(t.q.Query(ctx, `WITH RECURSIVE chains AS (
			(SELECT chain FROM audit_seals ORDER BY chain LIMIT 1)
			UNION ALL
			SELECT (SELECT s.chain FROM audit_seals s WHERE s.chain > c.chain ORDER BY s.chain LIMIT 1)
			FROM chains c WHERE c.chain IS NOT NULL)
		SELECT c.chain, l.seq, l.hash, l.time FROM chains c
		CROSS JOIN LATERAL (SELECT seq, hash, time FROM audit_seals s WHERE s.chain = c.chain ORDER BY seq DESC LIMIT 1) l
		ORDER BY c.chain`))
}

// AuditChains skips from chain to chain down the record seals' (chain, seq) index and the
// seal log's key.
func (t *tx) AuditChains(ctx context.Context) ([]string, error) {
	rows, err := t.q.Query(ctx, `WITH RECURSIVE sealed AS (
			(SELECT chain FROM audit_record_seals ORDER BY chain LIMIT 1)
			UNION ALL
			SELECT (SELECT r.chain FROM audit_record_seals r WHERE r.chain > c.chain ORDER BY r.chain LIMIT 1)
			FROM sealed c WHERE c.chain IS NOT NULL),
		logged AS (
			(SELECT chain FROM audit_seals ORDER BY chain LIMIT 1)
			UNION ALL
			SELECT (SELECT s.chain FROM audit_seals s WHERE s.chain > c.chain ORDER BY s.chain LIMIT 1)
			FROM logged c WHERE c.chain IS NOT NULL)
		SELECT chain FROM sealed WHERE chain IS NOT NULL UNION SELECT chain FROM logged WHERE chain IS NOT NULL
		ORDER BY chain`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (t *tx) ReadAuditChain(ctx context.Context, chain string, afterSeq int64, limit int) ([]audit.Record, error) {
	// The record's own chain, not its seal's: a seal moved to another chain reads as out of
	// order there. A seal whose record is gone reads as a gap.
	entries, err := collectAudit(t.q.Query(ctx, `SELECT `+auditColumns+` FROM audit_record_seals s
		JOIN audit_records r ON r.id = s.id WHERE s.chain = $1 AND s.seq > $2
		ORDER BY s.seq LIMIT $3`, chain, afterSeq, limit))
	out := make([]audit.Record, len(entries))
	for i, e := range entries {
		out[i] = e.Record
	}
	return out, err
}

func (t *tx) ReadAuditSeals(ctx context.Context, chain string, afterSeq int64, limit int) ([]audit.Head, error) {
	return scanHeads(t.q.Query(ctx, `SELECT chain, seq, hash, time FROM audit_seals WHERE chain = $1 AND seq > $2
		ORDER BY seq LIMIT $3`, chain, afterSeq, limit))
}

func (t *tx) AuditBacklog(ctx context.Context, council string) (store.AuditBacklog, error) {
	var b store.AuditBacklog
	var oldest *time.Time
	err := t.q.QueryRow(ctx, backlog, council).Scan(&b.Unsealed, &oldest)
	if oldest != nil {
		b.Oldest = oldest.UTC()
	}
	return b, err
}

func (t *tx) AuditStranded(ctx context.Context) (store.AuditStranding, error) {
	var s store.AuditStranding
	err := t.q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM audit_records r
			WHERE NOT EXISTS (SELECT 1 FROM audit_record_seals s WHERE s.id = r.id)
			AND NOT EXISTS (SELECT 1 FROM audit_unsealed u WHERE u.id = r.id)),
		(SELECT count(*) FROM audit_unsealed u WHERE NOT EXISTS (SELECT 1 FROM audit_records r WHERE r.id = u.id))`).
		Scan(&s.Unqueued, &s.Gone)
	return s, err
}

// InSnapshot runs fn in a read-only transaction that sees one snapshot of the database
// throughout (REPEATABLE READ), as verifying the audit trail needs: records sealed while it
// reads must not look like tampering.
func (s *Store) InSnapshot(ctx context.Context, fn func(store.Tx) error) error {
	return classify(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(ptx pgx.Tx) error { return fn(s.newTx(ctx, ptx)) }))
}
