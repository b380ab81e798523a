package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
)

// auditRecord is an unsealed record of chain, told apart by its request id, made minutes
// after `at`.
func auditRecord(requestID, chain, actor, council string, minutes int, youngPeople ...string) audit.Record {
	return audit.Record{Chain: chain, Time: at.Add(time.Duration(minutes) * time.Minute), Actor: actor,
		Organisation: chain, Roles: []string{"PERSONAL_ADVISER"}, Purpose: "DIRECT_CARE",
		Action: "carepath.v1.YoungPeopleService/GetYoungPerson", Outcome: "OK", Council: council,
		YoungPeople: youngPeople, RequestID: requestID, ClientAddress: "192.0.2.1"}
}

// appendAudit appends rs in one transaction.
func appendAudit(t *testing.T, s store.Store, rs ...audit.Record) []store.AuditEntry {
	t.Helper()
	return createEach(t, s, store.Tx.AppendAudit, rs...)
}

// sealedAt is the sealer's clock in these tests: with sub-microsecond digits, which stores
// must drop.
var sealedAt = at.Add(time.Hour)

// sealAudit runs one SealAudit.
func sealAudit(t *testing.T, s store.Store, limit int) (out store.AuditSealing) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		out, err = tx.SealAudit(context.Background(), sealedAt, limit)
		return err
	})
	return out
}

// sealAll seals in batches of limit until nothing is left, and returns the heads appended.
func sealAll(t *testing.T, s store.Store, limit int) (heads []audit.Head) {
	t.Helper()
	for {
		done := sealAudit(t, s, limit)
		if done.Busy {
			t.Fatal("SealAudit found another sealing, though none runs")
		}
		heads = append(heads, done.Heads...)
		if done.Sealed < limit {
			return heads
		}
	}
}

func auditHeads(t *testing.T, s store.Store) (heads []audit.Head) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		heads, err = tx.AuditHeads(context.Background())
		return err
	})
	return heads
}

func auditChains(t *testing.T, s store.Store) (chains []string) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		chains, err = tx.AuditChains(context.Background())
		return err
	})
	return chains
}

func auditBacklog(t *testing.T, s store.Store, council string) (b store.AuditBacklog) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		b, err = tx.AuditBacklog(context.Background(), council)
		return err
	})
	return b
}

func readAuditChain(t *testing.T, s store.Store, chain string, afterSeq int64, limit int) (rs []audit.Record) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		rs, err = tx.ReadAuditChain(context.Background(), chain, afterSeq, limit)
		return err
	})
	return rs
}

func readAuditSeals(t *testing.T, s store.Store, chain string) []audit.Head {
	t.Helper()
	return allPages(t, 2, int64(0), func(after int64) (hs []audit.Head) {
		inTx(t, s, func(tx store.Tx) (err error) {
			hs, err = tx.ReadAuditSeals(context.Background(), chain, after, 2)
			return err
		})
		return hs
	}, func(h audit.Head) int64 { return h.Seq })
}

func listAudit(t *testing.T, s store.Store, q store.AuditQuery) (es []store.AuditEntry) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		es, err = tx.ListAuditRecords(context.Background(), q)
		return err
	})
	return es
}

func requestIDs(es []store.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.RequestID
	}
	return out
}

// verifyChain reads the chain, its seal log and its head in one transaction and checks them
// with an audit.Verifier, reading in pages of three so that paging by afterSeq is used; it
// returns the chain's records.
func verifyChain(t *testing.T, s store.Store, chain string) []audit.Record {
	t.Helper()
	var records []audit.Record
	inTx(t, s, func(tx store.Tx) error {
		records = records[:0]
		ctx := context.Background()
		v := audit.NewVerifier(chain)
		seals, err := tx.ReadAuditSeals(ctx, chain, 0, 1000)
		if err != nil {
			return err
		}
		for _, h := range seals {
			if p := v.Anchor(h, audit.FromSeal); p != nil {
				t.Fatalf("seal: %v", p)
			}
		}
		for after := int64(0); ; {
			page, err := tx.ReadAuditChain(ctx, chain, after, 3)
			if err != nil {
				return err
			}
			for _, r := range page {
				if p := v.Add(r); p != nil {
					t.Fatalf("reading back: %v", p)
				}
			}
			records = append(records, page...)
			if len(page) < 3 {
				break
			}
			after = page[len(page)-1].Seq
		}
		heads, err := tx.AuditHeads(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(heads, func(h audit.Head) bool { return h.Chain == chain })
		if i < 0 {
			t.Fatalf("AuditHeads has no head for chain %q: %+v", chain, heads)
		}
		if len(seals) == 0 || !cmp.Equal(heads[i], seals[len(seals)-1]) {
			t.Fatalf("the head %+v is not the last seal of the log %+v", heads[i], seals)
		}
		if p := v.Finish(heads[i]); p != nil {
			t.Fatalf("against the head: %v", p)
		}
		return nil
	})
	return records
}

// chainOf seals rs, in order, as a chain of their own.
func chainOf(rs ...audit.Record) []audit.Record {
	sealed, _ := audit.SealBatch(nil, rs, sealedAt)
	return sealed
}

func testAudit(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	stored := sealedAt.UTC().Truncate(time.Microsecond)

	t.Run("AppendIsUnsealed", func(t *testing.T) {
		s := newStore(t)
		bst := time.FixedZone("BST", 3600)
		r := auditRecord("r1", "council-a", "pa-1", "council-a", 0, idOf("y2"), idOf("y1"), idOf("y2"))
		r.Time = r.Time.In(bst)
		r.Seq, r.PrevHash, r.Hash = 7, []byte("forged"), []byte("forged") // a caller cannot seal
		denied := auditRecord("r2", "council-a", "pa-1", "", 1)
		denied.Outcome, denied.Reason, denied.Roles = audit.OutcomeDenied, "your role may not call this method", nil
		entries := appendAudit(t, s, r, denied)
		for i, want := range []audit.Record{audit.Normalize(r), audit.Normalize(denied)} {
			if diff := cmp.Diff(want, entries[i].Record, equateEmpty); diff != "" {
				t.Fatalf("record %d: AppendAudit returned (-want +got):\n%s", i+1, diff)
			}
			if entries[i].Sealed() || !entries[i].SealTime.IsZero() {
				t.Fatalf("record %d was sealed on append: %+v", i+1, entries[i])
			}
		}
		if entries[1].ID <= entries[0].ID {
			t.Fatalf("ids %d then %d do not follow the order of appends", entries[0].ID, entries[1].ID)
		}
		if got := entries[0].YoungPeople; !slices.Equal(got, sortedIDs("y1", "y2")) || entries[0].Time.Location() != time.UTC {
			t.Fatalf("young people stored as %v, time as %v: want them sorted and unique, in UTC", got, entries[0].Time)
		}
		listed := listAudit(t, s, store.AuditQuery{Limit: 10})
		slices.Reverse(listed)
		if diff := cmp.Diff(entries, listed, equateEmpty); diff != "" {
			t.Fatalf("ListAuditRecords (-appended +listed):\n%s", diff)
		}
		if got := readAuditChain(t, s, "council-a", 0, 10); len(got) != 0 {
			t.Fatalf("unsealed records are read as the chain: %+v", got)
		}
		if heads, chains := auditHeads(t, s), auditChains(t, s); len(heads) != 0 || len(chains) != 0 {
			t.Fatalf("before sealing: heads %+v, chains %v", heads, chains)
		}
		if b := auditBacklog(t, s, ""); b.Unsealed != 2 || !b.Oldest.Equal(entries[0].Time) {
			t.Fatalf("backlog %+v, want 2 from %v", b, entries[0].Time)
		}
	})

	t.Run("AppendManyInOneGo", func(t *testing.T) {
		s := newStore(t)
		first := appendAudit(t, s, auditRecord("before", "council-a", "pa-1", "council-a", 0))
		rs := []audit.Record{
			auditRecord("import", "council-a", "cli:ada", "council-a", 1, idOf("y2")),
			auditRecord("import", "council-a", "cli:ada", "council-a", 1, idOf("y1"), idOf("y3"), idOf("y1")),
			auditRecord("import", "council-a", "cli:ada", "council-a", 1),
		}
		rs[2].Roles = nil
		inTx(t, s, func(tx store.Tx) error {
			if err := tx.AppendAudits(context.Background(), nil); err != nil {
				return err
			}
			return tx.AppendAudits(context.Background(), rs)
		})
		listed := listAudit(t, s, store.AuditQuery{Limit: 10})
		slices.Reverse(listed)
		if len(listed) != 4 || listed[0].ID != first[0].ID {
			t.Fatalf("listed %d records, want the first and the three appended after it: %+v", len(listed), listed)
		}
		for i, r := range rs {
			got := listed[i+1]
			if diff := cmp.Diff(audit.Normalize(r), got.Record, equateEmpty); diff != "" {
				t.Fatalf("record %d of AppendAudits (-want +got):\n%s", i+1, diff)
			}
			if got.ID <= listed[i].ID || got.Sealed() {
				t.Fatalf("record %d: id %d after %d, sealed %v: want ids in the order given, unsealed", i+1, got.ID, listed[i].ID, got.Sealed())
			}
		}
		sealAll(t, s, 10)
		if got := readAuditChain(t, s, "council-a", 0, 10); len(got) != 4 || got[3].RequestID != "import" {
			t.Fatalf("sealed chain %+v, want the four records", got)
		}
		// In a failed transaction none is kept.
		err := s.InTx(context.Background(), func(tx store.Tx) error {
			if err := tx.AppendAudits(context.Background(), rs); err != nil {
				return err
			}
			return errors.New("rolled back")
		})
		if err == nil || len(listAudit(t, s, store.AuditQuery{Limit: 10})) != 4 {
			t.Fatalf("records of a rolled-back AppendAudits were kept (err %v)", err)
		}
	})

	t.Run("SealLinksInIDOrder", func(t *testing.T) {
		s := newStore(t)
		rs := []audit.Record{
			auditRecord("r1", "council-a", "pa-1", "council-a", 0, idOf("y1")),
			auditRecord("r2", "council-a", "pa-1", "council-a", 1),
			auditRecord("r3", "council-a", "pa-2", "council-a", 2, idOf("y1")),
			auditRecord("r4", "council-a", "pa-2", "", 3),
			auditRecord("r5", "council-a", "pa-1", "council-a", 4, idOf("y3")),
		}
		rs[1].Roles = nil
		rs[3].Outcome, rs[3].Reason = audit.OutcomeDenied, "not yours"
		// Two records in one transaction, then one per transaction.
		entries := appendAudit(t, s, rs[0], rs[1])
		for _, r := range rs[2:] {
			entries = append(entries, appendAudit(t, s, r)...)
		}
		done := sealAudit(t, s, 100)
		want := chainOf(rs...)
		wantHead := audit.Head{Chain: "council-a", Seq: 5, Hash: want[4].Hash, Time: stored}
		if done.Busy || done.Sealed != 5 || !cmp.Equal(done.Heads, []audit.Head{wantHead}) {
			t.Fatalf("SealAudit = %+v, want 5 sealed and head %+v", done, wantHead)
		}
		records := verifyChain(t, s, "council-a")
		if diff := cmp.Diff(want, records, equateEmpty); diff != "" {
			t.Fatalf("ReadAuditChain (-sealed in id order +read):\n%s", diff)
		}
		for i, e := range listAudit(t, s, store.AuditQuery{Limit: 10}) {
			if !e.Sealed() || !e.SealTime.Equal(stored) || e.ID != entries[4-i].ID || !cmp.Equal(e.Record, want[4-i], equateEmpty) {
				t.Fatalf("listed %+v, want record %d sealed at %v", e, 5-i, stored)
			}
		}
		if diff := cmp.Diff([]audit.Head{wantHead}, auditHeads(t, s)); diff != "" {
			t.Fatalf("AuditHeads (-want +got):\n%s", diff)
		}
		if b := auditBacklog(t, s, ""); b.Unsealed != 0 || !b.Oldest.IsZero() {
			t.Fatalf("backlog after sealing everything: %+v", b)
		}
		if again := sealAudit(t, s, 100); again.Sealed != 0 || len(again.Heads) != 0 {
			t.Fatalf("sealing again sealed %+v", again)
		}
		// The chain goes on after its last record.
		appendAudit(t, s, auditRecord("r6", "council-a", "pa-1", "council-a", 5))
		sealAll(t, s, 100)
		if got := verifyChain(t, s, "council-a"); len(got) != 6 || !bytes.Equal(got[5].PrevHash, want[4].Hash) {
			t.Fatalf("record 6 does not follow record 5: %+v", got)
		}
	})

	t.Run("SealInBatches", func(t *testing.T) {
		s := newStore(t)
		var rs []audit.Record
		for i := range 7 {
			rs = append(rs, auditRecord(fmt.Sprintf("r%d", i), []string{"council-a", "partner-h"}[i%3/2], "actor", "council-a", i))
		}
		appendAudit(t, s, rs...)
		var sealed []int
		for range 3 {
			sealed = append(sealed, sealAudit(t, s, 3).Sealed)
		}
		if !slices.Equal(sealed, []int{3, 3, 1}) {
			t.Fatalf("batches of 3 sealed %v records, want 3 3 1", sealed)
		}
		// The same chains as sealing all at once, with a seal per chain and batch: council-a
		// holds r0 r1 r3 r4 r6, partner-h r2 r5.
		for chain, seals := range map[string][]int64{"council-a": {2, 4, 5}, "partner-h": {1, 2}} {
			var mine []audit.Record
			for _, r := range rs {
				if r.Chain == chain {
					mine = append(mine, r)
				}
			}
			if diff := cmp.Diff(chainOf(mine...), verifyChain(t, s, chain), equateEmpty); diff != "" {
				t.Fatalf("chain %s (-sealed at once +in batches):\n%s", chain, diff)
			}
			var got []int64
			for _, h := range readAuditSeals(t, s, chain) {
				got = append(got, h.Seq)
			}
			if !slices.Equal(got, seals) {
				t.Fatalf("chain %s: seals at %v, want %v", chain, got, seals)
			}
		}
		if chains := auditChains(t, s); !slices.Equal(chains, []string{"council-a", "partner-h"}) {
			t.Fatalf("AuditChains = %v", chains)
		}
	})

	t.Run("ReadChainPages", func(t *testing.T) {
		s := newStore(t)
		var rs []audit.Record
		for i := range 6 {
			rs = append(rs, auditRecord(fmt.Sprintf("r%d", i+1), "council-a", "pa-1", "council-a", i))
		}
		appendAudit(t, s, rs...)
		appendAudit(t, s, auditRecord("other", "council-b", "pb-1", "council-b", 0))
		sealAll(t, s, 100)
		appendAudit(t, s, auditRecord("unsealed", "council-a", "pa-1", "council-a", 9))
		for _, tc := range []struct {
			after int64
			limit int
			want  []int64
		}{
			{0, 100, []int64{1, 2, 3, 4, 5, 6}},
			{0, 2, []int64{1, 2}},
			{2, 2, []int64{3, 4}},
			{5, 10, []int64{6}},
			{6, 10, nil},
		} {
			var got []int64
			for _, r := range readAuditChain(t, s, "council-a", tc.after, tc.limit) {
				if r.Chain != "council-a" {
					t.Fatalf("reading council-a returned a record of %q", r.Chain)
				}
				got = append(got, r.Seq)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("after %d, limit %d: read records %v, want %v", tc.after, tc.limit, got, tc.want)
			}
		}
		if got := readAuditChain(t, s, "council-z", 0, 10); len(got) != 0 {
			t.Fatalf("a chain never appended to has records: %+v", got)
		}
	})

	t.Run("ChainsAreIndependent", func(t *testing.T) {
		s := newStore(t)
		chains := []string{"council-a", "partner-h", audit.AnonymousChain}
		byChain := map[string][]audit.Record{}
		// Interleaved, some in one transaction, sealed now and then.
		for i := range 7 {
			var batch []audit.Record
			for j, chain := range chains {
				if (i+j)%3 != 0 {
					r := auditRecord(fmt.Sprintf("r%d-%d", i, j), chain, "actor-"+chain, "", i)
					batch = append(batch, r)
					byChain[chain] = append(byChain[chain], r)
				}
			}
			appendAudit(t, s, batch...)
			if i%2 == 1 {
				sealAll(t, s, 100)
			}
		}
		sealAll(t, s, 100)
		var want []audit.Head
		for _, chain := range slices.Sorted(slices.Values(chains)) {
			sealed := chainOf(byChain[chain]...)
			if diff := cmp.Diff(sealed, verifyChain(t, s, chain), equateEmpty); diff != "" {
				t.Fatalf("chain %s (-want +got):\n%s", chain, diff)
			}
			last := sealed[len(sealed)-1]
			want = append(want, audit.Head{Chain: chain, Seq: last.Seq, Hash: last.Hash, Time: stored})
		}
		if diff := cmp.Diff(want, auditHeads(t, s)); diff != "" {
			t.Fatalf("AuditHeads (-want +got):\n%s", diff)
		}
	})

	t.Run("ReadsRecordTheirAuditAllOrNone", func(t *testing.T) {
		s := newStore(t)
		yp := createEach(t, s, store.Tx.CreateYoungPerson, youngPerson("read-1"))[0]
		err := s.InRead(ctx, func(tx store.Tx) error {
			if _, err := tx.GetYoungPerson(ctx, yp.ID); err != nil {
				return err
			}
			for i, id := range []string{"read-a", "read-b"} {
				if _, err := tx.AppendAudit(ctx, auditRecord(id, "council-a", "pa-1", "council-a", i, yp.ID)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("InRead = %v", err)
		}
		failed := errors.New("the read failed")
		err = s.InRead(ctx, func(tx store.Tx) error {
			if _, err := tx.AppendAudit(ctx, auditRecord("read-lost", "council-a", "pa-1", "council-a", 2, yp.ID)); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("InRead = %v, want the read's error", err)
		}
		if got := requestIDs(listAudit(t, s, store.AuditQuery{Limit: 10})); !slices.Equal(got, []string{"read-b", "read-a"}) {
			t.Fatalf("audit records after two reads, one failed: %v", got)
		}
		if b := auditBacklog(t, s, ""); b.Unsealed != 2 {
			t.Fatalf("the read's records are not waiting to be sealed: %+v", b)
		}
	})

	t.Run("RollbackLeavesNoRecord", func(t *testing.T) {
		s := newStore(t)
		appendAudit(t, s, auditRecord("r1", "council-a", "pa-1", "council-a", 0), auditRecord("r2", "council-a", "pa-1", "council-a", 1))
		rollback := errors.New("rollback")
		err := s.InTx(ctx, func(tx store.Tx) error {
			for _, r := range []audit.Record{
				auditRecord("lost-1", "council-a", "pa-1", "council-a", 2),
				auditRecord("lost-2", "council-b", "pb-1", "council-b", 2), // a new chain
				auditRecord("lost-3", "council-a", "pa-1", "council-a", 3),
			} {
				if _, err := tx.AppendAudit(ctx, r); err != nil {
					return err
				}
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx = %v, want the rollback", err)
		}
		// A sealing that rolls back leaves the records unsealed.
		err = s.InTx(ctx, func(tx store.Tx) error {
			if done, err := tx.SealAudit(ctx, sealedAt, 100); err != nil || done.Sealed != 2 {
				return fmt.Errorf("SealAudit = %+v, %v", done, err)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx = %v, want the rollback", err)
		}
		if b := auditBacklog(t, s, ""); b.Unsealed != 2 || len(auditHeads(t, s)) != 0 {
			t.Fatalf("after a rolled-back sealing: backlog %+v, heads %+v", b, auditHeads(t, s))
		}
		appendAudit(t, s, auditRecord("r3", "council-a", "pa-1", "council-a", 4))
		sealAll(t, s, 100)
		if got := requestIDs(listAudit(t, s, store.AuditQuery{Limit: 100})); !slices.Equal(got, []string{"r3", "r2", "r1"}) {
			t.Fatalf("records %v are listed, want r3 r2 r1", got)
		}
		if got := verifyChain(t, s, "council-a"); len(got) != 3 {
			t.Fatalf("the chain has %d records, want 3", len(got))
		}
		if chains := auditChains(t, s); !slices.Equal(chains, []string{"council-a"}) {
			t.Fatalf("chains %v, want council-a only", chains)
		}
	})

	// Appends do not wait for one another; sealers running alongside them seal every
	// record once, wherever its transaction ends.
	t.Run("ConcurrentAppendsAndSealers", func(t *testing.T) {
		s := newStore(t)
		const writers, each, sealers = 8, 6, 3
		warmUp(s, writers+sealers)
		var wg sync.WaitGroup
		errs := make(chan error, writers*each+sealers)
		stop := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errs <- s.InTx(ctx, func(tx store.Tx) error {
						_, err := tx.AppendAudit(ctx, auditRecord(fmt.Sprintf("w%d-%d", w, i), "council-a", "pa-1", "council-a", i))
						return err
					})
				}
			})
		}
		var sg sync.WaitGroup
		for range sealers {
			sg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.SealAudit(ctx, sealedAt, 4); return err }); err != nil {
						errs <- err
						return
					}
					time.Sleep(time.Millisecond) // let the writers in
				}
			})
		}
		wg.Wait()
		close(stop)
		sg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		sealAll(t, s, 100)
		records := verifyChain(t, s, "council-a")
		seen := map[string]int{}
		for _, r := range records {
			seen[r.RequestID]++
		}
		if len(records) != writers*each || len(seen) != writers*each {
			t.Fatalf("the chain holds %d records of %d requests, want %d once each", len(records), len(seen), writers*each)
		}
	})

	t.Run("Backlog", func(t *testing.T) {
		s := newStore(t)
		appendAudit(t, s,
			auditRecord("a", "council-a", "pa-1", "council-a", 5),
			auditRecord("b", "partner-h", "ph-1", "council-a", 3), // about council-a's young person
			auditRecord("c", "council-b", "pb-1", "council-b", 1),
			auditRecord("d", "council-a", "pa-1", "", 7))
		for council, want := range map[string]store.AuditBacklog{
			"":          {Unsealed: 4, Oldest: at.Add(time.Minute).Truncate(time.Microsecond)},
			"council-a": {Unsealed: 3, Oldest: at.Add(3 * time.Minute).Truncate(time.Microsecond)},
			"partner-h": {Unsealed: 1, Oldest: at.Add(3 * time.Minute).Truncate(time.Microsecond)},
			"council-z": {},
		} {
			if got := auditBacklog(t, s, council); !cmp.Equal(got, want) {
				t.Errorf("backlog of %q = %+v, want %+v", council, got, want)
			}
		}
	})

	t.Run("List", func(t *testing.T) { testListAudit(t, newStore(t)) })
}

// testListAudit lists records of this fixture, appended in this order (so with increasing
// ids), each a number of minutes after `at`; the first four are sealed:
//
//	rid  chain      actor  council    young people  minutes
//	r0   council-a  pa-1   council-a  y1            0
//	r1   council-a  pa-2   council-a  y1 y2         10
//	r2   partner-h  ph-1   council-a  y2            20   (a partner reads council-a's young person)
//	r3   council-b  pb-1   council-b  y3            30
//	r4   council-a  pa-1   -          -             40   (council-a staff, no young person)
//	r5   anonymous  -      -          -             50
//	r6   council-b  pb-1   council-a  y1            60   (council-b staff, council-a's young person)
//	r7   council-a  pa-1   council-a  y2            70
func testListAudit(t *testing.T, s store.Store) {
	y1, y2, y3 := idOf("y1"), idOf("y2"), idOf("y3")
	fixture := []audit.Record{
		auditRecord("r0", "council-a", "pa-1", "council-a", 0, y1),
		auditRecord("r1", "council-a", "pa-2", "council-a", 10, y1, y2),
		auditRecord("r2", "partner-h", "ph-1", "council-a", 20, y2),
		auditRecord("r3", "council-b", "pb-1", "council-b", 30, y3),
		auditRecord("r4", "council-a", "pa-1", "", 40),
		auditRecord("r5", audit.AnonymousChain, "", "", 50),
		auditRecord("r6", "council-b", "pb-1", "council-a", 60, y1),
		auditRecord("r7", "council-a", "pa-1", "council-a", 70, y2),
	}
	fixture[5].Organisation, fixture[5].Roles, fixture[5].Outcome, fixture[5].Reason = "", nil, audit.OutcomeDenied, "not registered"
	appendAudit(t, s, fixture[:4]...)
	sealAll(t, s, 100)
	for _, r := range fixture[4:] {
		appendAudit(t, s, r)
	}
	byID := map[string]store.AuditEntry{}
	for _, e := range listAudit(t, s, store.AuditQuery{Limit: 100}) {
		byID[e.RequestID] = e
	}
	if len(byID) != len(fixture) || !byID["r3"].Sealed() || byID["r4"].Sealed() {
		t.Fatalf("the fixture is not as described: %+v", byID)
	}
	minutes := func(n int) time.Time { return at.Add(time.Duration(n) * time.Minute) }

	for _, tc := range []struct {
		name string
		q    store.AuditQuery
		want []string // newest first
	}{
		{"everything", store.AuditQuery{}, []string{"r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"}},
		{"council", store.AuditQuery{Council: "council-a"}, []string{"r7", "r6", "r4", "r2", "r1", "r0"}},
		{"other council", store.AuditQuery{Council: "council-b"}, []string{"r6", "r3"}},
		{"partner's chain", store.AuditQuery{Council: "partner-h"}, []string{"r2"}},
		{"council with no records", store.AuditQuery{Council: "council-z"}, nil},
		{"young person", store.AuditQuery{YoungPersonID: y1}, []string{"r6", "r1", "r0"}},
		{"another young person", store.AuditQuery{YoungPersonID: y2}, []string{"r7", "r2", "r1"}},
		{"young person never touched", store.AuditQuery{YoungPersonID: idOf("y9")}, nil},
		{"actor", store.AuditQuery{Actor: "pa-1"}, []string{"r7", "r4", "r0"}},
		{"from", store.AuditQuery{Start: minutes(15)}, []string{"r7", "r6", "r5", "r4", "r3", "r2"}},
		{"until", store.AuditQuery{End: minutes(35)}, []string{"r3", "r2", "r1", "r0"}},
		{"between", store.AuditQuery{Start: minutes(15), End: minutes(35)}, []string{"r3", "r2"}},
		{"between in another zone", store.AuditQuery{Start: minutes(15).In(time.FixedZone("EST", -5*3600)),
			End: minutes(35).In(time.FixedZone("CET", 3600))}, []string{"r3", "r2"}},
		{"council and young person", store.AuditQuery{Council: "council-a", YoungPersonID: y2}, []string{"r7", "r2", "r1"}},
		{"council, actor and young person", store.AuditQuery{Council: "council-a", Actor: "pa-1", YoungPersonID: y2}, []string{"r7"}},
		{"actor and time", store.AuditQuery{Actor: "pb-1", Start: minutes(45)}, []string{"r6"}},
		{"before an id", store.AuditQuery{BeforeID: byID["r4"].ID}, []string{"r3", "r2", "r1", "r0"}},
		{"council before an id", store.AuditQuery{Council: "council-a", BeforeID: byID["r6"].ID}, []string{"r4", "r2", "r1", "r0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Limit = 100
			got := listAudit(t, s, q)
			if ids := requestIDs(got); !slices.Equal(ids, tc.want) {
				t.Fatalf("listed %v, want %v", ids, tc.want)
			}
			for _, e := range got {
				if diff := cmp.Diff(byID[e.RequestID], e, equateEmpty); diff != "" {
					t.Fatalf("%s: listings disagree (-everything +filtered):\n%s", e.RequestID, diff)
				}
			}
			// Pages of 1 and 3, each before the last id of the page before.
			for _, limit := range []int{1, 3} {
				q := tc.q
				q.Limit = limit
				paged := requestIDs(allPages(t, limit, q.BeforeID, func(before int64) []store.AuditEntry {
					q.BeforeID = before
					return listAudit(t, s, q)
				}, func(e store.AuditEntry) int64 { return e.ID }))
				if !slices.Equal(paged, tc.want) {
					t.Fatalf("pages of %d listed %v, want %v", limit, paged, tc.want)
				}
			}
		})
	}
}
