package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

func auditHeads(t *testing.T, s store.Store) (heads []audit.Head) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		heads, err = tx.AuditHeads(context.Background())
		return err
	})
	return heads
}

func readAuditChain(t *testing.T, s store.Store, chain string, afterSeq int64, limit int) (rs []audit.Record) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		rs, err = tx.ReadAuditChain(context.Background(), chain, afterSeq, limit)
		return err
	})
	return rs
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

// verifyChain reads the chain and its head in one transaction and checks them with an
// audit.Verifier, reading in pages of three so that paging by afterSeq is used; it
// returns the chain's records.
func verifyChain(t *testing.T, s store.Store, chain string) []audit.Record {
	t.Helper()
	var records []audit.Record
	inTx(t, s, func(tx store.Tx) error {
		records = records[:0]
		ctx := context.Background()
		v := audit.NewVerifier(chain)
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
		if p := v.Finish(heads[i]); p != nil {
			t.Fatalf("against the head: %v", p)
		}
		return nil
	})
	return records
}

func testAudit(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("AppendSealsAndLinks", func(t *testing.T) {
		s := newStore(t)
		bst := time.FixedZone("BST", 3600)
		rs := []audit.Record{
			auditRecord("r1", "council-a", "pa-1", "council-a", 0, idOf("y2"), idOf("y1"), idOf("y2")),
			auditRecord("r2", "council-a", "pa-1", "council-a", 1),
			auditRecord("r3", "council-a", "pa-2", "council-a", 2, idOf("y1")),
			auditRecord("r4", "council-a", "pa-2", "", 3),
			auditRecord("r5", "council-a", "pa-1", "council-a", 4, idOf("y3")),
		}
		rs[1].Roles, rs[1].Time = nil, rs[1].Time.In(bst)
		// Two records in one transaction, then one per transaction.
		entries := appendAudit(t, s, rs[0], rs[1])
		for _, r := range rs[2:] {
			entries = append(entries, appendAudit(t, s, r)...)
		}
		var prev *audit.Record
		for i, e := range entries {
			want := audit.Seal(prev, rs[i])
			if diff := cmp.Diff(want, e.Record, equateEmpty); diff != "" {
				t.Fatalf("record %d: AppendAudit returned (-want +got):\n%s", i+1, diff)
			}
			if i > 0 && e.ID <= entries[i-1].ID {
				t.Fatalf("record %d has id %d, not after the previous one's %d", i+1, e.ID, entries[i-1].ID)
			}
			prev = &want
		}
		if entries[0].Seq != 1 || len(entries[0].PrevHash) != 0 || entries[4].Seq != 5 ||
			!bytes.Equal(entries[4].PrevHash, entries[3].Hash) {
			t.Fatalf("the chain is not numbered from 1 and linked: %+v", entries)
		}
		if got := entries[0].YoungPeople; !slices.Equal(got, sortedIDs("y1", "y2")) {
			t.Fatalf("young people sealed as %v, want them sorted and unique", got)
		}

		records := verifyChain(t, s, "council-a")
		if len(records) != 5 {
			t.Fatalf("the chain has %d records, want 5", len(records))
		}
		for i, r := range records {
			if diff := cmp.Diff(entries[i].Record, r, equateEmpty); diff != "" {
				t.Fatalf("record %d: ReadAuditChain (-appended +read):\n%s", i+1, diff)
			}
			if r.Time.Location() != time.UTC {
				t.Fatalf("record %d: time %v is not in UTC", i+1, r.Time)
			}
		}
		heads := auditHeads(t, s)
		want := []audit.Head{{Chain: "council-a", Seq: 5, Hash: entries[4].Hash}}
		if diff := cmp.Diff(want, heads); diff != "" {
			t.Fatalf("AuditHeads (-want +got):\n%s", diff)
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
		if heads := auditHeads(t, s); len(heads) != 0 {
			t.Fatalf("an empty store has heads %+v", heads)
		}
		chains := []string{"council-a", "partner-h", audit.AnonymousChain}
		counts := map[string]int64{}
		last := map[string][]byte{}
		// Interleaved, some in one transaction.
		for i := range 7 {
			var batch []audit.Record
			for j, chain := range chains {
				if (i+j)%3 != 0 {
					batch = append(batch, auditRecord(fmt.Sprintf("r%d-%d", i, j), chain, "actor-"+chain, "", i))
				}
			}
			for _, e := range appendAudit(t, s, batch...) {
				counts[e.Chain]++
				if e.Seq != counts[e.Chain] {
					t.Fatalf("record %d of chain %s was given seq %d", counts[e.Chain], e.Chain, e.Seq)
				}
				if counts[e.Chain] > 1 && !bytes.Equal(e.PrevHash, last[e.Chain]) {
					t.Fatalf("record %d of chain %s does not link to the previous record of its chain", e.Seq, e.Chain)
				}
				last[e.Chain] = e.Hash
			}
		}
		for _, chain := range chains {
			if got := verifyChain(t, s, chain); int64(len(got)) != counts[chain] {
				t.Fatalf("chain %s has %d records, want %d", chain, len(got), counts[chain])
			}
		}
		var want []audit.Head
		for _, chain := range slices.Sorted(slices.Values(chains)) {
			want = append(want, audit.Head{Chain: chain, Seq: counts[chain], Hash: last[chain]})
		}
		heads := auditHeads(t, s)
		slices.SortFunc(heads, func(a, b audit.Head) int { return strings.Compare(a.Chain, b.Chain) })
		if diff := cmp.Diff(want, heads); diff != "" {
			t.Fatalf("AuditHeads (-want +got):\n%s", diff)
		}
	})

	t.Run("RollbackLeavesNoRecord", func(t *testing.T) {
		s := newStore(t)
		appendAudit(t, s, auditRecord("r1", "council-a", "pa-1", "council-a", 0), auditRecord("r2", "council-a", "pa-1", "council-a", 1))
		heads := auditHeads(t, s)
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
		if diff := cmp.Diff(heads, auditHeads(t, s)); diff != "" {
			t.Fatalf("a rolled-back append moved the heads (-before +after):\n%s", diff)
		}
		if got := requestIDs(listAudit(t, s, store.AuditQuery{Limit: 100})); !slices.Equal(got, []string{"r2", "r1"}) {
			t.Fatalf("after the rollback, records %v are listed, want r2 r1", got)
		}
		if got := readAuditChain(t, s, "council-b", 0, 10); len(got) != 0 {
			t.Fatalf("the rolled-back chain has records: %+v", got)
		}
		// The chain goes on from its committed head.
		e := appendAudit(t, s, auditRecord("r3", "council-a", "pa-1", "council-a", 4))[0]
		if e.Seq != 3 || !bytes.Equal(e.PrevHash, heads[0].Hash) {
			t.Fatalf("the append after the rollback has seq %d and links to %x, want 3 and %x", e.Seq, e.PrevHash, heads[0].Hash)
		}
		if got := verifyChain(t, s, "council-a"); len(got) != 3 {
			t.Fatalf("the chain has %d records, want 3", len(got))
		}
		if got := requestIDs(listAudit(t, s, store.AuditQuery{Limit: 100})); !slices.Equal(got, []string{"r3", "r2", "r1"}) {
			t.Fatalf("records %v are listed, want r3 r2 r1", got)
		}
	})

	t.Run("ConcurrentAppendsAreSerialised", func(t *testing.T) {
		s := newStore(t)
		const n = 12
		warmUp(s, n)
		appendAudit(t, s, auditRecord("first", "council-a", "pa-1", "council-a", 0))
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() {
				results[i] = s.InTx(ctx, func(tx store.Tx) error {
					_, err := tx.AppendAudit(ctx, auditRecord(fmt.Sprintf("c%d", i), "council-a", "pa-1", "council-a", i+1))
					return err
				})
			})
		}
		wg.Wait()
		for i, err := range results {
			if err != nil {
				t.Fatalf("concurrent append %d: %v", i, err)
			}
		}
		if got := verifyChain(t, s, "council-a"); len(got) != n+1 {
			t.Fatalf("after %d concurrent appends the chain has %d records, want %d", n, len(got), n+1)
		}
	})

	t.Run("List", func(t *testing.T) { testListAudit(t, newStore(t)) })
}

// testListAudit lists records of this fixture, appended in this order (so with increasing
// ids), each a number of minutes after `at`:
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
	fixture[5].Organisation, fixture[5].Roles, fixture[5].Outcome = "", nil, "UNAUTHENTICATED"
	entries := appendAudit(t, s, fixture[:4]...)
	for _, r := range fixture[4:] {
		entries = append(entries, appendAudit(t, s, r)...)
	}
	byID := map[string]store.AuditEntry{}
	for _, e := range entries {
		byID[e.RequestID] = e
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
					t.Fatalf("%s: ListAuditRecords and AppendAudit disagree (-appended +listed):\n%s", e.RequestID, diff)
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
