package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

func auditRecord(requestID string) audit.Record {
	return audit.Record{Chain: "council-a", Time: testclock.Now(), Actor: "pa-1", Organisation: "council-a",
		Roles: []string{"PERSONAL_ADVISER"}, Purpose: "DIRECT_CARE", Action: "carepath.v1.YoungPeopleService/GetYoungPerson",
		Outcome: "OK", Council: "council-a", RequestID: requestID, ClientAddress: "192.0.2.1"}
}

func seal(t *testing.T, s store.Store) (out store.AuditSealing) {
	t.Helper()
	if err := s.InTx(context.Background(), func(tx store.Tx) (err error) {
		out, err = tx.SealAudit(context.Background(), testclock.Now(), 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// appendOne appends a record in a transaction of its own, which must not wait for others:
// records are appended without a lock (a chain-head lock would hold it here until another
// test transaction commits).
func appendOne(t *testing.T, s store.Store, requestID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.AppendAudit(ctx, auditRecord(requestID))
		return err
	}); err != nil {
		t.Fatalf("appending %s: %v", requestID, err)
	}
}

// One replica seals at a time: while a sealing transaction is open, another replica's finds
// it busy at once rather than waiting, and seals nothing.
func TestSealingIsOneAtATime(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := open2(t, url), open2(t, url)
	ctx := context.Background()
	appendOne(t, a, "r1")
	sealing := make(chan struct{})
	release := newGate(t)
	done := make(chan error, 1)
	go func() {
		done <- a.InTx(ctx, func(tx store.Tx) error {
			if got, err := tx.SealAudit(ctx, testclock.Now(), 100); err != nil || got.Sealed != 1 {
				return fmt.Errorf("first sealer: %+v, %v", got, err)
			}
			close(sealing)
			<-release.freed
			return nil
		})
	}()
	select {
	case <-sealing:
	case err := <-done:
		t.Fatalf("the first sealer ended before it sealed: %v", err)
	}
	appendOne(t, b, "r2")
	if got := seal(t, b); !got.Busy || got.Sealed != 0 {
		t.Fatalf("a second sealer while the first is open: %+v, want busy", got)
	}
	release.free()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := seal(t, b); got.Busy || got.Sealed != 1 || got.Heads[0].Seq != 2 {
		t.Fatalf("the second sealer after the first: %+v, want record 2 sealed", got)
	}
}

// A record whose transaction is still open is not there to seal; when it commits it takes
// the next place, after records sealed meanwhile, even though its id is smaller.
func TestRecordsOfOpenTransactionsTakeLaterPlaces(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	inserted := make(chan struct{})
	commit := newGate(t)
	done := make(chan error, 1)
	var slowID int64
	go func() {
		done <- s.InTx(ctx, func(tx store.Tx) error {
			e, err := tx.AppendAudit(ctx, auditRecord("slow"))
			slowID = e.ID
			close(inserted)
			<-commit.freed
			return err
		})
	}()
	select {
	case <-inserted:
	case err := <-done:
		t.Fatalf("the slow transaction ended before it inserted: %v", err)
	}
	appendOne(t, s, "quick")
	if got := seal(t, s); got.Sealed != 1 {
		t.Fatalf("sealed %d records while one transaction is open, want the committed one", got.Sealed)
	}
	commit.free()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := seal(t, s); got.Sealed != 1 || got.Heads[0].Seq != 2 {
		t.Fatalf("after the commit: %+v, want the slow record sealed second", got)
	}
	var chain []audit.Record
	var entries []store.AuditEntry
	if err := s.InTx(ctx, func(tx store.Tx) (err error) {
		if chain, err = tx.ReadAuditChain(ctx, "council-a", 0, 10); err != nil {
			return err
		}
		entries, err = tx.ListAuditRecords(ctx, store.AuditQuery{Limit: 10})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || chain[0].RequestID != "quick" || chain[1].RequestID != "slow" || entries[1].ID != slowID {
		t.Fatalf("chain %+v, entries %+v: want quick then slow, slow with the smaller id", chain, entries)
	}
}

// gate holds a test's transaction open until it is freed: by the test, or, when a check
// fails first, when the test ends, before the store closes (Close waits for the transaction).
type gate struct {
	freed chan struct{}
	once  sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{freed: make(chan struct{})}
	t.Cleanup(g.free) // registered after the store's Close, so run before it
	return g
}

func (g *gate) free() { g.once.Do(func() { close(g.freed) }) }

func open2(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// The triggers hold against the role that owns the tables too (a superuser, or the owner,
// can still switch them off: that is what the hash chain and checkpoints are for).
func TestAuditTriggers(t *testing.T) {
	s := open(t)
	appendOne(t, s, "sealed")
	seal(t, s)
	appendOne(t, s, "unsealed")
	ctx := context.Background()
	idOf := func(requestID string) string {
		return "(SELECT id FROM audit_records WHERE request_id = '" + requestID + "')"
	}
	for _, c := range []struct{ stmt, refusal string }{
		{"UPDATE audit_records SET actor = 'x' WHERE request_id = 'sealed'", "append-only"},
		{"UPDATE audit_record_seals SET hash = sha256(hash) WHERE id = " + idOf("sealed"), "append-only"},
		{"DELETE FROM audit_record_seals WHERE id = " + idOf("sealed"), "append-only"},
		{"TRUNCATE audit_record_seals", "append-only"},
		{"UPDATE audit_records SET actor = 'x' WHERE request_id = 'unsealed'", "append-only"},
		{"DELETE FROM audit_records WHERE request_id = 'unsealed'", "append-only"},
		{"TRUNCATE audit_records", "append-only"},
		{"DELETE FROM audit_unsealed WHERE id = " + idOf("unsealed"), "only once it is sealed"},
		{"DELETE FROM audit_unsealed", "only once it is sealed"},
		{"UPDATE audit_unsealed SET id = id + 1000", "only once it is sealed"},
		{"TRUNCATE audit_unsealed", "only once it is sealed"},
		{"UPDATE audit_seals SET hash = 'x'", "append-only"},
		{"DELETE FROM audit_seals", "append-only"},
		{"TRUNCATE audit_seals", "append-only"},
		{"INSERT INTO audit_seals (chain, seq, hash, time) VALUES ('council-a', 2, 'forged', now())", "must extend its chain and match"},
		{"INSERT INTO audit_seals (chain, seq, hash, time) SELECT chain, seq, hash, now() FROM audit_record_seals WHERE seq = 1", "must extend its chain and match"},
		{"DELETE FROM audit_heads", "cannot delete from view"},
	} {
		_, err := s.Pool().Exec(ctx, c.stmt)
		if err == nil || !strings.Contains(err.Error(), c.refusal) {
			t.Errorf("%s: %v, want it refused (%s)", c.stmt, err, c.refusal)
		}
	}
	// What the sealer does is allowed, once.
	if got := seal(t, s); got.Sealed != 1 {
		t.Fatalf("sealing the unsealed record: %+v", got)
	}
}

// Records removed behind the service's back while they wait to be sealed leave their ids
// on the queue: more of them at its head than a sealing takes do not stop sealing (the
// records after them are sealed), and they are counted as gone.
func TestSealingPassesOverRecordsGoneFromTheQueue(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Pool().Exec(ctx, `INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose, action,
			outcome, council, young_people, request_id, client_address)
		SELECT 'council-a', now(), 'pa-1', 'council-a', '{personal-adviser}', 'direct-care', 'get', 'allowed',
			'council-a', '{}', 'gone-' || n, '127.0.0.1'
		FROM generate_series(1, 120) AS n`); err != nil {
		t.Fatal(err)
	}
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// As a superuser can: with the append-only trigger off.
	_, err = conn.Exec(ctx, `SET session_replication_role = replica;
		DELETE FROM audit_records WHERE request_id LIKE 'gone-%';
		RESET session_replication_role`)
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	appendOne(t, s, "after-1")
	appendOne(t, s, "after-2")
	if got := seal(t, s); got.Sealed != 2 { // seal takes 100 at a time
		t.Fatalf("sealing behind 120 gone records: %+v, want the 2 after them sealed", got)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		stranded, err := tx.AuditStranded(ctx)
		if err == nil && stranded != (store.AuditStranding{Gone: 120}) {
			t.Errorf("stranded: %+v, want 120 gone", stranded)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// The service's role, set up by GrantApp, does its work and nothing more.
func TestAppRoleOwnsNothing(t *testing.T) {
	roles := pgtest.NewRoles(t)
	app := open2(t, roles.AppURL)
	ctx := context.Background()
	if err := app.Ready(ctx); err != nil {
		t.Fatalf("Ready as the app role: %v", err)
	}
	appendOne(t, app, "r1")
	appendOne(t, app, "r2")
	if got := seal(t, app); got.Sealed != 2 {
		t.Fatalf("the app role sealed %+v", got)
	}
	appendOne(t, app, "r3")
	for _, stmt := range []string{
		"ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only",
		"ALTER TABLE audit_seals DISABLE TRIGGER USER",
		"DROP TRIGGER audit_records_append_only ON audit_records",
		"SET session_replication_role = replica",
		"DELETE FROM audit_records",
		"DELETE FROM audit_seals",
		"UPDATE audit_records SET actor = 'x' WHERE request_id = 'r3'",
		"UPDATE audit_seals SET hash = 'x'",
		"TRUNCATE audit_records",
		"TRUNCATE audit_seals",
		"INSERT INTO audit_records (id, chain, time, actor, organisation, roles, purpose, action, outcome, council, young_people, request_id, client_address) VALUES (1000, 'council-a', now(), '', '', '{}', '', '', '', '', '{}', '', '')",
		"UPDATE audit_record_seals SET hash = 'x'",
		"DELETE FROM audit_record_seals",
		"TRUNCATE audit_record_seals",
		"INSERT INTO audit_unsealed (id) SELECT id FROM audit_records WHERE request_id = 'r1'",
		"DELETE FROM audit_unsealed",
		"TRUNCATE audit_unsealed",
		"ALTER TABLE audit_unsealed DISABLE TRIGGER USER",
		"DROP TABLE audit_seals",
		"CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$",
		"ALTER TABLE young_people DISABLE TRIGGER ALL",
	} {
		if _, err := app.Pool().Exec(ctx, stmt); err == nil {
			t.Errorf("the app role may %s", stmt)
		}
	}
	// Nor can it get round the queue with temporary tables, which a session finds before
	// the schema's unless told otherwise, or fire the queue's trigger from a table of its own.
	conn, err := app.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE TEMPORARY TABLE audit_unsealed (id bigint)")
	exec("GRANT ALL ON audit_unsealed TO PUBLIC")
	var shadowed int64
	if err := conn.QueryRow(ctx, `INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose, action,
		outcome, council, young_people, request_id, client_address)
		VALUES ('council-a', now(), 'a', 'council-a', '{}', 'p', 'a', 'o', 'council-a', '{}', 'shadowed', '') RETURNING id`).Scan(&shadowed); err != nil {
		t.Fatal(err)
	}
	exec("DROP TABLE pg_temp.audit_unsealed")
	var queued bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM audit_unsealed WHERE id = $1)", shadowed).Scan(&queued); err != nil || !queued {
		t.Errorf("a record written with a temporary audit_unsealed in the way: queued %v (%v), want it in the queue", queued, err)
	}
	exec("CREATE TEMPORARY TABLE audit_record_seals (id bigint)")
	exec("GRANT ALL ON audit_record_seals TO PUBLIC")
	exec("INSERT INTO pg_temp.audit_record_seals (id) VALUES ($1)", shadowed)
	if _, err := conn.Exec(ctx, "DELETE FROM audit_unsealed WHERE id = $1", shadowed); err == nil {
		t.Error("with a temporary audit_record_seals, the app role took an unsealed record off the queue")
	}
	exec("CREATE TEMPORARY TABLE mine (id bigint)")
	if _, err := conn.Exec(ctx, `CREATE TRIGGER mine AFTER INSERT ON mine REFERENCING NEW TABLE AS written
		FOR EACH STATEMENT EXECUTE FUNCTION audit_records_enqueue()`); err == nil {
		t.Error("the app role may fire the queue's trigger from a table of its own")
	}
	if err := postgres.GrantApp(ctx, roles.OwnerURL, "carepath_no_such_role"); err == nil {
		t.Error("GrantApp accepted a role that does not exist")
	}
	var owner string
	if err := app.Pool().QueryRow(ctx, "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_records'").Scan(&owner); err != nil || owner == roles.App {
		t.Fatalf("audit_records is owned by %q (%v)", owner, err)
	}
	// Refused for a role that owns the tables.
	if err := postgres.GrantApp(ctx, roles.OwnerURL, owner); err == nil || !strings.Contains(err.Error(), "must not") {
		t.Errorf("GrantApp to the owner: %v, want a refusal", err)
	}
	var n int
	if err := app.Pool().QueryRow(ctx, "SELECT count(*) FROM audit_record_seals").Scan(&n); err != nil || n != 2 {
		t.Fatalf("sealed records after the attempts: %d (%v)", n, err)
	}
}
