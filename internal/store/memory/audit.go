package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
)

// auditEntry is a stored record; the fields memdb indexes must be at the top level. Seq is 0
// until the record is sealed. Stored entries are never changed in place: sealing stores a
// new one.
type auditEntry struct {
	ID       int64
	Chain    string
	Seq      int64
	rec      audit.Record
	sealTime time.Time
}

// sealedIndex indexes sealed records by (chain, seq); unsealed ones are left out.
type sealedIndex struct{ *memdb.CompoundIndex }

func (x sealedIndex) FromObject(obj any) (bool, []byte, error) {
	if obj.(*auditEntry).Seq == 0 {
		return false, nil, nil
	}
	return x.CompoundIndex.FromObject(obj)
}

var auditTables = map[string]*memdb.TableSchema{
	tableAudit: {Name: tableAudit, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.IntFieldIndex{Field: "ID"}},
		"chain": {Name: "chain", Unique: true, AllowMissing: true, Indexer: sealedIndex{&memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "Chain"},
			&memdb.IntFieldIndex{Field: "Seq"},
		}}}},
		"unsealed": {Name: "unsealed", Indexer: &memdb.ConditionalIndex{Conditional: func(obj any) (bool, error) {
			return obj.(*auditEntry).Seq == 0, nil
		}}},
	}},
	tableAuditSeals: {Name: tableAuditSeals, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "Chain"},
			&memdb.IntFieldIndex{Field: "Seq"},
		}}},
	}},
}

func init() { maps.Copy(schema.Tables, auditTables) }

func copyRecord(r audit.Record) audit.Record {
	r.Roles, r.YoungPeople = slices.Clone(r.Roles), slices.Clone(r.YoungPeople)
	r.PrevHash, r.Hash = slices.Clone(r.PrevHash), slices.Clone(r.Hash)
	return r
}

func (e *auditEntry) entry() store.AuditEntry {
	return store.AuditEntry{ID: e.ID, Record: copyRecord(e.rec), SealTime: e.sealTime}
}

func copyHead(h audit.Head) audit.Head {
	h.Hash = slices.Clone(h.Hash)
	return h
}

func (t *tx) AppendAudit(_ context.Context, r audit.Record) (store.AuditEntry, error) {
	r = audit.Normalize(r)
	*t.auditSeq++
	e := &auditEntry{ID: *t.auditSeq, Chain: r.Chain, rec: copyRecord(r)}
	if err := t.insert(tableAudit, e); err != nil {
		return store.AuditEntry{}, err
	}
	return e.entry(), nil
}

func (t *tx) AppendAudits(ctx context.Context, rs []audit.Record) error {
	for _, r := range rs {
		if _, err := t.AppendAudit(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) ListAuditRecords(_ context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	it, err := t.txn.ReverseLowerBound(tableAudit, "id", int64OrMax(q.BeforeID))
	if err != nil {
		return nil, fmt.Errorf("memory: audit records: %w", err)
	}
	var out []store.AuditEntry
	for obj := it.Next(); obj != nil && len(out) < q.Limit; obj = it.Next() {
		e := obj.(*auditEntry)
		r := e.rec
		switch {
		case q.BeforeID != 0 && e.ID >= q.BeforeID,
			q.Council != "" && r.Council != q.Council && r.Chain != q.Council,
			q.YoungPersonID != "" && !slices.Contains(r.YoungPeople, q.YoungPersonID),
			q.Actor != "" && r.Actor != q.Actor,
			!q.Start.IsZero() && r.Time.Before(q.Start),
			!q.End.IsZero() && !r.Time.Before(q.End):
			continue
		}
		out = append(out, e.entry())
	}
	return out, nil
}

func int64OrMax(id int64) int64 {
	if id == 0 {
		return 1<<63 - 1
	}
	return id
}

// unsealed returns up to limit unsealed records, by id.
func (t *tx) unsealed(limit int) ([]*auditEntry, error) {
	objs, err := t.all(tableAudit, "unsealed", true)
	if err != nil {
		return nil, err
	}
	out := make([]*auditEntry, 0, min(len(objs), limit))
	for _, o := range objs {
		if len(out) == limit {
			break
		}
		out = append(out, o.(*auditEntry))
	}
	return out, nil
}

// lastSealed returns the last sealed record of a chain, if it has one.
func (t *tx) lastSealed(chain string) (*auditEntry, error) {
	it, err := t.txn.ReverseLowerBound(tableAudit, "chain", chain, int64(1<<63-1))
	if err != nil {
		return nil, fmt.Errorf("memory: audit chain: %w", err)
	}
	if obj := it.Next(); obj != nil && obj.(*auditEntry).Chain == chain {
		return obj.(*auditEntry), nil
	}
	return nil, nil
}

// SealAudit never finds another sealing: memdb runs one writer at a time, and every record
// of a committed transaction is there to seal.
func (t *tx) SealAudit(_ context.Context, now time.Time, limit int) (store.AuditSealing, error) {
	batch, err := t.unsealed(limit)
	if err != nil || len(batch) == 0 {
		return store.AuditSealing{}, err
	}
	last := map[string]audit.Head{}
	records := make([]audit.Record, len(batch))
	for i, e := range batch {
		records[i] = e.rec
		if _, ok := last[e.Chain]; ok {
			continue
		}
		l, err := t.lastSealed(e.Chain)
		if err != nil {
			return store.AuditSealing{}, err
		}
		if l != nil {
			last[e.Chain] = audit.Head{Chain: l.Chain, Seq: l.Seq, Hash: l.rec.Hash}
		}
	}
	sealed, heads := audit.SealBatch(last, records, now)
	for i, r := range sealed {
		e := &auditEntry{ID: batch[i].ID, Chain: r.Chain, Seq: r.Seq, rec: copyRecord(r), sealTime: storedTime(now)}
		if err := t.insert(tableAudit, e); err != nil {
			return store.AuditSealing{}, err
		}
	}
	for _, h := range heads {
		if err := t.insert(tableAuditSeals, ptr(copyHead(h))); err != nil {
			return store.AuditSealing{}, err
		}
	}
	return store.AuditSealing{Sealed: len(sealed), Heads: heads}, nil
}

func ptr[T any](v T) *T { return &v }

func (t *tx) AuditHeads(_ context.Context) ([]audit.Head, error) {
	objs, err := t.all(tableAuditSeals, "id")
	if err != nil {
		return nil, err
	}
	var out []audit.Head
	for _, o := range objs { // by chain, then seq: the last of each chain is its head
		h := *o.(*audit.Head)
		if n := len(out); n > 0 && out[n-1].Chain == h.Chain {
			out[n-1] = copyHead(h)
		} else {
			out = append(out, copyHead(h))
		}
	}
	return out, nil
}

func (t *tx) AuditChains(_ context.Context) ([]string, error) {
	var out []string
	for _, table := range []string{tableAudit, tableAuditSeals} {
		index := "chain"
		if table == tableAuditSeals {
			index = "id"
		}
		objs, err := t.all(table, index)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			switch o := o.(type) {
			case *auditEntry:
				out = append(out, o.Chain)
			case *audit.Head:
				out = append(out, o.Chain)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (t *tx) ReadAuditChain(_ context.Context, chain string, afterSeq int64, limit int) ([]audit.Record, error) {
	it, err := t.txn.LowerBound(tableAudit, "chain", chain, afterSeq+1)
	if err != nil {
		return nil, fmt.Errorf("memory: audit chain: %w", err)
	}
	var out []audit.Record
	for obj := it.Next(); obj != nil && len(out) < limit; obj = it.Next() {
		e := obj.(*auditEntry)
		if e.Chain != chain {
			break
		}
		out = append(out, copyRecord(e.rec))
	}
	return out, nil
}

func (t *tx) ReadAuditSeals(_ context.Context, chain string, afterSeq int64, limit int) ([]audit.Head, error) {
	it, err := t.txn.LowerBound(tableAuditSeals, "id", chain, afterSeq+1)
	if err != nil {
		return nil, fmt.Errorf("memory: audit seals: %w", err)
	}
	var out []audit.Head
	for obj := it.Next(); obj != nil && len(out) < limit; obj = it.Next() {
		h := obj.(*audit.Head)
		if h.Chain != chain {
			break
		}
		out = append(out, copyHead(*h))
	}
	return out, nil
}

// AuditStranded is none: here every record not sealed is waiting to be, and stays.
func (t *tx) AuditStranded(context.Context) (store.AuditStranding, error) {
	return store.AuditStranding{}, nil
}

func (t *tx) AuditBacklog(_ context.Context, council string) (store.AuditBacklog, error) {
	objs, err := t.all(tableAudit, "unsealed", true)
	if err != nil {
		return store.AuditBacklog{}, err
	}
	var b store.AuditBacklog
	for _, o := range objs {
		r := o.(*auditEntry).rec
		if council != "" && r.Council != council && r.Chain != council {
			continue
		}
		b.Unsealed++
		if b.Oldest.IsZero() || r.Time.Before(b.Oldest) {
			b.Oldest = r.Time
		}
	}
	return b, nil
}
