package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
)

// auditEntry is a stored record; the fields memdb indexes must be at the top level.
type auditEntry struct {
	ID    int64
	Chain string
	Seq   int64
	rec   audit.Record
}

func copyRecord(r audit.Record) audit.Record {
	r.Roles, r.YoungPeople = slices.Clone(r.Roles), slices.Clone(r.YoungPeople)
	r.PrevHash, r.Hash = slices.Clone(r.PrevHash), slices.Clone(r.Hash)
	return r
}

func (t *tx) AppendAudit(_ context.Context, r audit.Record) (store.AuditEntry, error) {
	head, err := t.first(tableAuditHeads, "id", r.Chain)
	if err != nil {
		return store.AuditEntry{}, err
	}
	var prev *audit.Record // sealing needs only the last record's seq and hash, which the head holds
	if h, ok := head.(*audit.Head); ok {
		prev = &audit.Record{Chain: r.Chain, Seq: h.Seq, Hash: h.Hash}
	}
	sealed := audit.Seal(prev, copyRecord(r))
	*t.auditSeq++
	e := &auditEntry{ID: *t.auditSeq, Chain: sealed.Chain, Seq: sealed.Seq, rec: copyRecord(sealed)}
	if err := t.insert(tableAudit, e); err != nil {
		return store.AuditEntry{}, err
	}
	if err := t.insert(tableAuditHeads, &audit.Head{Chain: sealed.Chain, Seq: sealed.Seq, Hash: slices.Clone(sealed.Hash)}); err != nil {
		return store.AuditEntry{}, err
	}
	return store.AuditEntry{ID: e.ID, Record: sealed}, nil
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
		out = append(out, store.AuditEntry{ID: e.ID, Record: copyRecord(r)})
	}
	return out, nil
}

func int64OrMax(id int64) int64 {
	if id == 0 {
		return 1<<63 - 1
	}
	return id
}

func (t *tx) AuditHeads(_ context.Context) ([]audit.Head, error) {
	objs, err := t.all(tableAuditHeads, "id")
	if err != nil {
		return nil, err
	}
	out := make([]audit.Head, len(objs))
	for i, o := range objs {
		h := *o.(*audit.Head)
		h.Hash = slices.Clone(h.Hash)
		out[i] = h
	}
	return out, nil
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
