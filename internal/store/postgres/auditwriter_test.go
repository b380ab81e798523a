package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store/postgres"
)

// heldWrites hands each list of records to a held writer from a goroutine of its own, waits
// until all wait, flushes them as one writer would, and returns each write's error and the
// size of every INSERT sent.
func heldWrites(t *testing.T, s *postgres.Store, writes [][]audit.Record) (results []error, inserts []int) {
	t.Helper()
	var mu sync.Mutex
	h := s.NewHeldAuditWriter(func(n int) {
		mu.Lock()
		defer mu.Unlock()
		inserts = append(inserts, n)
	})
	results = make([]error, len(writes))
	var wg sync.WaitGroup
	for i, rs := range writes {
		wg.Go(func() { results[i] = h.Write(context.Background(), rs) })
		for h.Waiting() < i+1 { // one at a time, so the queue holds them in order
			time.Sleep(time.Millisecond)
		}
	}
	h.FlushWaiting()
	wg.Wait()
	return results, inserts
}

// readRecord is an audit record of a read, told apart by its actor and request id.
func readRecord(actor, requestID string) audit.Record {
	return audit.Normalize(audit.Record{Chain: "nottinghamshire", Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		Actor: actor, Organisation: "nottinghamshire", Roles: []string{"TEAM_MANAGER"}, Purpose: "DIRECT_CARE",
		Action: "carepath.v1.YoungPeopleService/GetYoungPerson", Outcome: "OK", Council: "nottinghamshire",
		RequestID: requestID, ClientAddress: "192.0.2.1"})
}

// stored is every audit record's actor and request id, in id order.
func stored(t *testing.T, s *postgres.Store) []string {
	t.Helper()
	rows, _ := s.Pool().Query(context.Background(), `SELECT actor || ' ' || request_id FROM audit_records ORDER BY id`)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReadsShareOneAuditInsert: the records of reads that end together go in one INSERT,
// each read's records together and in its order.
func TestReadsShareOneAuditInsert(t *testing.T) {
	s := open(t)
	var writes [][]audit.Record
	var want []string
	for i := range 5 {
		actor := fmt.Sprintf("adviser-%d", i)
		writes = append(writes, []audit.Record{readRecord(actor, "first"), readRecord(actor, "second")})
		want = append(want, actor+" first", actor+" second")
	}
	results, inserts := heldWrites(t, s, writes)
	for i, err := range results {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if !slices.Equal(inserts, []int{10}) {
		t.Errorf("INSERTs of %v records, want one of 10", inserts)
	}
	if got := stored(t, s); !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
}

// TestARefusedAuditFailsOnlyItsRead: when the database refuses one read's record, that read
// fails and the reads gathered with it are written.
func TestARefusedAuditFailsOnlyItsRead(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.actor = 'refused' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END; $$`,
		`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
	} {
		if _, err := s.Pool().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	results, inserts := heldWrites(t, s, [][]audit.Record{
		{readRecord("adviser-1", "a")},
		{readRecord("refused", "b"), readRecord("adviser-2", "b")},
		{readRecord("adviser-3", "c")},
	})
	if results[0] != nil || results[1] == nil || results[2] != nil {
		t.Errorf("results %v, want only the second write to fail", results)
	}
	if !slices.Equal(inserts, []int{4, 1, 2, 1}) {
		t.Errorf("INSERTs of %v records, want the batch of 4 and then each write alone", inserts)
	}
	if got, want := stored(t, s), []string{"adviser-1 a", "adviser-3 c"}; !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
}
