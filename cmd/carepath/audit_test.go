package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

// auditWorld is a database set up as production runs it (an owner that migrated it with
// `carepath migrate --app-role`, and the service's role that owns nothing) with the demo
// council's people and one young person on Sam Okoro's caseload.
type auditWorld struct {
	bin   string
	roles pgtest.Roles
	pool  *pgxpool.Pool // as the owner, to look at the trail
	name  string        // the young person, youngPeople/{id}
	token string        // Sam Okoro's
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	ctx := context.Background()
	w := &auditWorld{bin: build(t), roles: pgtest.NewRoles(t)}
	// The command grants again what NewRoles granted: it is safe to run after every migration.
	if out, err := exec.Command(w.bin, "migrate", "--database-url", w.roles.OwnerURL, "--app-role", w.roles.App).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "granted the service's role") {
		t.Fatalf("carepath migrate --app-role: %v\n%s", err, out)
	}
	s, err := postgres.Open(ctx, w.roles.AppURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := testclock.Now()
	id := "a0000000-0000-4000-8000-000000000001"
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if err := demo.LoadAccess(ctx, tx, civil.Today(now), now); err != nil {
			return err
		}
		_, err := tx.CreateYoungPerson(ctx, domain.YoungPerson{ID: id, GivenName: "Aud", FamilyName: "Ittrail",
			DateOfBirth: civil.Today(now).Sub(civil.Period{Years: 16}, civil.MarchFirst), CouncilID: demo.CouncilID,
			CaseReference: "AUDIT-1", PersonalAdviserID: demo.AdviserNorth, CreateTime: now, UpdateTime: now})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.name = "youngPeople/" + id
	if w.pool, err = pgxpool.New(ctx, w.roles.OwnerURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.pool.Close)
	if w.token, err = authn.DevToken(demo.AdviserNorth, time.Hour, time.Now()); err != nil { // token lifetimes: the real clock
		t.Fatal(err)
	}
	return w
}

// serve starts a replica connected as the app role, sealing every interval.
func (w *auditWorld) serve(t *testing.T, interval string) (string, *exec.Cmd) {
	t.Helper()
	addr, cmd, _ := startBinary(t, w.bin, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
		"CAREPATH_DATABASE_URL="+w.roles.AppURL, "CAREPATH_DEV_ISSUER=true", "CAREPATH_DEV_ISSUER_FORCE=true",
		"CAREPATH_AUDIT_SEAL_INTERVAL="+interval,
		// The tests read as fast as the replicas answer: a per-caller limit would answer 429.
		"CAREPATH_RATE_LIMIT_PRINCIPAL=0", "CAREPATH_RATE_LIMIT_ORGANISATION=0")
	return addr, cmd
}

// read reads the young person with a request id of the caller's; it reports whether the
// server answered 200 (false if it answered otherwise or not at all).
func (w *auditWorld) read(addr, requestID string) bool {
	req, err := http.NewRequest("GET", "http://"+addr+"/v1/"+w.name, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("X-Request-Id", requestID)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// count returns one number about the trail.
func (w *auditWorld) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := w.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// unsealedRecords are the audit records that have no seal.
const unsealedRecords = `audit_records r WHERE NOT EXISTS (SELECT 1 FROM audit_record_seals s WHERE s.id = r.id)`

// waitAllSealed waits until no record is left unsealed.
func (w *auditWorld) waitAllSealed(t *testing.T) {
	t.Helper()
	w.waitUnsealed(t, "every record sealed", func(n int) bool { return n == 0 })
}

// waitUnsealed waits (30 s at most) until the number of unsealed records satisfies done,
// and returns it.
func (w *auditWorld) waitUnsealed(t *testing.T, what string, done func(int) bool) int {
	t.Helper()
	var n int
	eventually(t, 30*time.Second, what, func() (bool, string) {
		n = w.count(t, `SELECT count(*) FROM `+unsealedRecords)
		return done(n), fmt.Sprintf("%d records unsealed", n)
	})
	return n
}

// verify runs `carepath audit verify` (with a checkpoint, if given) and returns its output;
// it fails the test unless the trail is intact.
func (w *auditWorld) verify(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(w.bin, append([]string{"audit", "verify", "--database-url", w.roles.AppURL}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("carepath audit verify: %v\n%s", err, out)
	}
	return string(out)
}

// sealedInOrder checks that the answered reads of each reader of the replica test (rep-G-N,
// N counting its reads, made one after another) were sealed in the order they were made: a
// read's record commits before it is answered, so before the reader's next read begins.
func (w *auditWorld) sealedInOrder(t *testing.T, answered map[string]bool) {
	t.Helper()
	rows, err := w.pool.Query(context.Background(), `SELECT r.request_id, s.seq FROM audit_records r
		JOIN audit_record_seals s ON s.id = r.id WHERE r.request_id LIKE 'rep-%' ORDER BY r.request_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	last := map[string]struct {
		id  string
		seq int64
	}{} // each reader's latest answered read so far, in the order of N
	checked, wrong := 0, 0
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			t.Fatal(err)
		}
		if !answered[id] {
			continue // unanswered: it may have committed after the reader moved on
		}
		reader := id[:strings.LastIndexByte(id, '-')]
		if before, ok := last[reader]; ok {
			checked++
			if before.seq >= seq {
				if wrong++; wrong <= 5 {
					t.Errorf("%s was sealed at seq %d, %s at %d, though its reader made it later", before.id, before.seq, id, seq)
				}
			}
		}
		last[reader] = struct {
			id  string
			seq int64
		}{id, seq}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if wrong > 5 {
		t.Errorf("and %d more sealed out of order", wrong-5)
	}
	if checked < len(answered)/2 {
		t.Errorf("checked the order of %d reads of %d answered", checked, len(answered))
	}
}

// eachSealedOnce checks that every request the servers answered left exactly one record,
// sealed, and that nothing else is in the trail but what was maybe answered.
func (w *auditWorld) eachSealedOnce(t *testing.T, answered map[string]bool, tried int) {
	t.Helper()
	rows, err := w.pool.Query(context.Background(), `SELECT request_id, count(*), count(s.seq) FROM audit_records r
		LEFT JOIN audit_record_seals s ON s.id = r.id WHERE action = 'carepath.v1.YoungPeopleService/GetYoungPerson' GROUP BY request_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var id string
		var n, sealed int
		if err := rows.Scan(&id, &n, &sealed); err != nil {
			t.Fatal(err)
		}
		if n != 1 || sealed != 1 {
			t.Errorf("request %s left %d records, %d sealed; want one, sealed", id, n, sealed)
		}
		found[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id := range answered {
		if !found[id] {
			t.Errorf("request %s was answered but its audit record is lost", id)
		}
	}
	if len(found) > tried {
		t.Errorf("%d requests left records, but only %d were tried", len(found), tried)
	}
}

// kill -9 after records are written and before any is sealed; after a restart every one
// is sealed, once, and the trail verifies, against a checkpoint taken before the crash too.
func TestAuditRecordsSurviveKill9BeforeSealing(t *testing.T) {
	w := newAuditWorld(t)
	addr, cmd := w.serve(t, "1h") // the first sealing would be an hour after the start
	answered := map[string]bool{}
	for i := range 20 {
		id := fmt.Sprintf("kill9-%02d", i)
		if !w.read(addr, id) {
			t.Fatalf("read %s failed", id)
		}
		answered[id] = true
	}
	if n := w.count(t, `SELECT count(*) FROM `+unsealedRecords+` AND request_id LIKE 'kill9-%'`); n != 20 {
		t.Fatalf("%d unsealed records before the crash, want 20: the test did not crash between insert and sealing", n)
	}
	if out := w.verify(t); !strings.Contains(out, "20 records not sealed yet") {
		t.Errorf("verify before sealing does not report the backlog:\n%s", out)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	w.serve(t, "100ms")
	w.waitAllSealed(t)
	w.eachSealedOnce(t, answered, len(answered))
	checkpoint := filepath.Join(t.TempDir(), "checkpoint.jsonl")
	if out, err := exec.Command(w.bin, "audit", "checkpoint", "--database-url", w.roles.AppURL, "--out", checkpoint).CombinedOutput(); err != nil {
		t.Fatalf("carepath audit checkpoint: %v\n%s", err, out)
	}
	out := w.verify(t, "--checkpoint", checkpoint)
	if !strings.Contains(out, "chain nottinghamshire: 20 records intact, agreeing with 1 checkpoint heads") ||
		!strings.Contains(out, "every record is sealed") {
		t.Errorf("verify after the restart:\n%s", out)
	}
	// A checkpoint that vouches for more than the database holds fails verification.
	b, err := os.ReadFile(checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	ahead := filepath.Join(t.TempDir(), "ahead.jsonl")
	if err := os.WriteFile(ahead, []byte(strings.Replace(string(b), `"seq":20`, `"seq":21`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(w.bin, "audit", "verify", "--database-url", w.roles.AppURL, "--checkpoint", ahead).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "TAMPERED at record 21") {
		t.Errorf("verify against a checkpoint beyond the chain: %v\n%s", err, out)
	}
}

// Two replicas against one database, each sealing every 100ms while both serve reads; each
// is killed with kill -9 in turn, while more records wait to be sealed than one sealing
// takes, and restarted, and the replicas catch up. Every answered read leaves one record,
// sealed once, in the order the reads were answered, in a chain that verifies.
func TestTwoReplicasSealEachRecordOnce(t *testing.T) {
	w := newAuditWorld(t)
	var mu sync.Mutex
	addrs := make([]string, 2)
	cmds := make([]*exec.Cmd, 2)
	for i := range 2 {
		addrs[i], cmds[i] = w.serve(t, "100ms")
	}
	answered := map[string]bool{}
	var tried atomic.Int64
	stop := make(chan struct{})
	var load sync.WaitGroup
	for g := range 6 {
		load.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				addr := addrs[(g+n)%2]
				mu.Unlock()
				id := fmt.Sprintf("rep-%d-%05d", g, n)
				tried.Add(1)
				if !w.read(addr, id) {
					time.Sleep(10 * time.Millisecond) // a replica killed or starting: try the other
					continue
				}
				mu.Lock()
				answered[id] = true
				mu.Unlock()
			}
		})
	}
	// Each phase runs for a while and until 40 more reads were answered: on a busy machine
	// the time alone may hold few.
	phase := func() {
		t.Helper()
		mu.Lock()
		want := len(answered) + 40
		mu.Unlock()
		time.Sleep(1500 * time.Millisecond)
		eventually(t, 60*time.Second, fmt.Sprintf("%d reads answered", want), func() (bool, string) {
			mu.Lock()
			defer mu.Unlock()
			return len(answered) >= want, fmt.Sprintf("%d answered", len(answered))
		})
	}
	// Sealing held up while the reads go on, so that the kill lands with a backlog of more
	// than one sealing's batch (1,000) for the replicas to catch up on once it is let go.
	const backlog = 1500
	for i := range 2 {
		phase()
		release := pgtest.HoldSealing(t, w.roles.OwnerURL)
		unsealed := w.waitUnsealed(t, fmt.Sprintf("%d records unsealed while sealing is held", backlog),
			func(n int) bool { return n >= backlog })
		if err := cmds[i].Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmds[i].Wait()
		t.Logf("killed replica %d with %d records unsealed", i, unsealed)
		time.Sleep(500 * time.Millisecond) // the other serves alone meanwhile
		addr, cmd := w.serve(t, "100ms")
		mu.Lock()
		addrs[i], cmds[i] = addr, cmd
		mu.Unlock()
		release()
	}
	phase()
	close(stop)
	load.Wait()
	if len(answered) < 100 {
		t.Fatalf("only %d reads were answered", len(answered))
	}
	w.waitAllSealed(t)
	w.eachSealedOnce(t, answered, int(tried.Load()))
	w.sealedInOrder(t, answered)
	out := w.verify(t)
	if !strings.Contains(out, "every record is sealed") ||
		!strings.Contains(out, fmt.Sprintf("chain nottinghamshire: %d records intact", w.count(t, `SELECT count(*) FROM audit_records WHERE chain = 'nottinghamshire'`))) {
		t.Errorf("verify:\n%s", out)
	}
	// Seals are in order: each chain's seal log climbs with the records it vouches for.
	if n := w.count(t, `SELECT count(*) FROM audit_seals s JOIN audit_record_seals r USING (chain, seq) WHERE r.hash <> s.hash`); n != 0 {
		t.Errorf("%d seals disagree with their records", n)
	}
	t.Logf("%d reads answered of %d tried; %d seals", len(answered), tried.Load(), w.count(t, `SELECT count(*) FROM audit_seals`))
}
