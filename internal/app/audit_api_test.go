package app_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// auditTrail pages through the audit records an auditor finds with req, newest first.
func auditTrail(t *testing.T, s *server, auditor string, req *pb.ListAuditRecordsRequest) []*pb.AuditRecord {
	t.Helper()
	client := pb.NewAuditServiceClient(s.dial(t, tokenFor(t, auditor)))
	req.PageSize = 2
	var all []*pb.AuditRecord
	for {
		resp, err := client.ListAuditRecords(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, resp.GetAuditRecords()...)
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return all
		}
	}
}

func actions(records []*pb.AuditRecord) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = strings.TrimPrefix(r.GetAction(), "carepath.v1.")
	}
	return out
}

// TestAuditTrail checks that each access to a young person's data leaves a record with who,
// where from, why and which request; that REST clients cannot forge their address or a
// gateway's word; and that auditors search by young person, person and time, in their own
// council only.
func TestAuditTrail(t *testing.T) {
	t.Parallel() // slow (servers, databases, waiting for the sealer): run after the sequential tests
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testAuditTrail(t, b) })
	}
}

func testAuditTrail(t *testing.T, b backend) {
	ctx := context.Background()
	s := start(t, b.configure(t))

	// A REST create that tries to forge its address and the gateway's metadata.
	r := s.do(t, "POST", "/v1/youngPeople", youngPersonJSON("AUDIT-1"),
		"X-Request-Id", "audit-create-1",
		"X-Forwarded-For", "203.0.113.7",
		"X-Carepath-Client-Address", "203.0.113.8",
		"Grpc-Metadata-"+access.GatewayAddressKey, "203.0.113.9",
		"Grpc-Metadata-"+access.GatewaySecretKey, "a guess")
	if r.code != 200 {
		t.Fatalf("create: HTTP %d %s", r.code, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("personal data served with Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
	}
	name := r.json(t)["name"].(string)
	// A gRPC read that tries the same with metadata.
	spoofed := metadata.AppendToOutgoingContext(ctx, access.GatewayAddressKey, "203.0.113.10",
		access.GatewaySecretKey, "another guess")
	if _, err := s.yp.GetYoungPerson(spoofed, &pb.GetYoungPersonRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	beforeShare := testclock.Now()
	if _, err := pb.NewSharingServiceClient(s.conn).CreateShare(ctx, &pb.CreateShareRequest{Parent: name, Share: &pb.Share{
		Partner: "organisations/framework-housing", Purpose: pb.SharingAgreement_HOUSING, Basis: pb.Share_REFERRAL,
		ExpiryDate: pbDate(today().AddDays(90))}}); err != nil {
		t.Fatal(err)
	}
	housing := pb.NewPartnerServiceClient(s.dial(t, tokenFor(t, "hana-housing")))
	if _, err := housing.GetSharedYoungPerson(ctx, sharedRequest("framework-housing", name)); err != nil {
		t.Fatal(err)
	}
	// A refused attempt reads nothing, and is recorded as refused: who, what, whom and why.
	nosy := pb.NewYoungPeopleServiceClient(s.dial(t, s.newPerson(t, "audit-nosy", "nottinghamshire", "west", "PERSONAL_ADVISER")))
	if _, err := nosy.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name}); err == nil {
		t.Fatal("another adviser read the young person")
	}

	all := auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{YoungPerson: name})
	if len(all) == 0 || all[0].GetActor() != "people/audit-nosy" || all[0].GetOutcome() != "PERMISSION_DENIED" ||
		all[0].GetReason() == "" || all[0].GetAction() != "carepath.v1.YoungPeopleService/GetYoungPerson" ||
		all[0].GetCouncil() != "organisations/nottinghamshire" || len(all[0].GetYoungPeople()) != 1 {
		t.Fatalf("the refused attempt was not recorded as such: %v", all)
	}
	trail := all[1:]
	want := []string{"PartnerService/GetSharedYoungPerson", "SharingService/CreateShare",
		"YoungPeopleService/GetYoungPerson", "YoungPeopleService/CreateYoungPerson"}
	if got := actions(trail); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit trail of the young person, newest first: %v, want %v", got, want)
	}
	for _, rec := range trail {
		if rec.GetOutcome() != "OK" || rec.GetReason() != "" {
			t.Errorf("%s recorded outcome %q (%q), want OK", rec.GetAction(), rec.GetOutcome(), rec.GetReason())
		}
	}
	partner, create := trail[0], trail[3]
	adviser := create.GetActor()
	if !strings.HasPrefix(adviser, "people/test-pa-") || create.GetOrganisation() != "organisations/nottinghamshire" ||
		len(create.GetRoles()) != 1 || create.GetRoles()[0] != pb.Person_PERSONAL_ADVISER ||
		create.GetPurpose() != "DIRECT_CARE" || create.GetCouncil() != "organisations/nottinghamshire" ||
		create.GetRequestId() != "audit-create-1" || len(create.GetYoungPeople()) != 1 || create.GetYoungPeople()[0] != name {
		t.Errorf("create record = %v", create)
	}
	if partner.GetActor() != "people/hana-housing" || partner.GetOrganisation() != "organisations/framework-housing" ||
		partner.GetPurpose() != "HOUSING" || partner.GetCouncil() != "organisations/nottinghamshire" {
		t.Errorf("partner record = %v", partner)
	}
	for _, rec := range trail {
		if rec.GetClientAddress() != "127.0.0.1" {
			t.Errorf("%s recorded client address %q, want the connection's 127.0.0.1", rec.GetAction(), rec.GetClientAddress())
		}
		if rec.GetRequestId() == "" || !strings.HasPrefix(rec.GetName(), "auditChains/") {
			t.Errorf("record %v lacks a request id or name", rec)
		}
	}

	// Search by person, and by time.
	if got := actions(auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{Actor: "people/hana-housing"})); len(got) != 1 ||
		got[0] != "PartnerService/GetSharedYoungPerson" {
		t.Errorf("records of the housing officer: %v", got)
	}
	byAdviser := actions(auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{Actor: adviser, YoungPerson: name}))
	if strings.Join(byAdviser, " ") != strings.Join(want[1:], " ") {
		t.Errorf("records of the adviser for the young person: %v, want %v", byAdviser, want[1:])
	}
	since := actions(auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{YoungPerson: name,
		StartTime: timestamppb.New(beforeShare)}))
	if strings.Join(since, " ") != strings.Join(append([]string{"YoungPeopleService/GetYoungPerson"}, want[:2]...), " ") {
		t.Errorf("records since the share: %v, want the refusal then %v", since, want[:2])
	}
	until := actions(auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{YoungPerson: name,
		EndTime: timestamppb.New(beforeShare)}))
	if strings.Join(until, " ") != strings.Join(want[2:], " ") {
		t.Errorf("records before the share: %v, want %v", until, want[2:])
	}

	// Another council's auditor sees none of it; other roles may not search at all.
	s.newPersonBy(t, "dara-admin", "audit-derby", "derbyshire", "", "AUDITOR")
	if got := auditTrail(t, s, "audit-derby", &pb.ListAuditRecordsRequest{YoungPerson: name}); len(got) != 0 {
		t.Errorf("another council's auditor found %d records", len(got))
	}
	_, err := pb.NewAuditServiceClient(s.conn).ListAuditRecords(ctx, &pb.ListAuditRecordsRequest{})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

	// The sealer seals it all shortly, and auditors can see that it has.
	waitSealed(t, s, "aud-auditor", "nottinghamshire")
	for _, rec := range auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{YoungPerson: name}) {
		if !rec.GetSealed() || rec.GetSequence() < 1 || rec.GetSealTime() == nil {
			t.Errorf("%s is not sealed: %v", rec.GetAction(), rec)
		}
	}
	if b.name == "postgres" {
		var out bytes.Buffer
		if intact, err := app.VerifyAudit(ctx, s.config.DatabaseURL, &out); err != nil || !intact {
			t.Fatalf("audit verify: intact=%v err=%v\n%s", intact, err, out.String())
		}
		for _, chain := range []string{"chain nottinghamshire:", "chain framework-housing: 1 records intact"} {
			if !strings.Contains(out.String(), chain) {
				t.Errorf("audit verify output lacks %q:\n%s", chain, out.String())
			}
		}
	}
}

// waitSealed waits until the auditor sees every record of their organisation sealed.
func waitSealed(t *testing.T, s *server, auditor, org string) *pb.AuditStatus {
	t.Helper()
	client := pb.NewAuditServiceClient(s.dial(t, tokenFor(t, auditor)))
	var st *pb.AuditStatus
	eventually(t, "the audit trail to be sealed", func() bool {
		var err error
		if st, err = client.GetAuditStatus(context.Background(), &pb.GetAuditStatusRequest{Name: "organisations/" + org + "/auditStatus"}); err != nil {
			t.Fatal(err)
		}
		return st.GetUnsealedRecords() == 0
	})
	return st
}

// superuser runs statements on the test database with triggers off, as a database superuser
// tampering with the audit trail would.
func superuser(t *testing.T, url string, statements ...string) {
	t.Helper()
	ctx := context.Background()
	c := dbConn(t, url)
	if _, err := c.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range statements {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// sealNow seals every record written so far, as the sealer does.
func sealNow(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		var done store.AuditSealing
		if err := st.InTx(ctx, func(tx store.Tx) (err error) {
			done, err = tx.SealAudit(ctx, testclock.Now(), 1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if done.Sealed == 0 {
			return
		}
	}
}

// auditedServer is a PostgreSQL-backed server whose council chain holds records 1 to n,
// sealed by the test (its own sealer waits an hour) after each record numbered in sealAt
// and after the last: so the seal log holds the heads sealAt and n.
func auditedServer(t *testing.T, n int, sealAt ...int) *server {
	t.Helper()
	cfg := postgresBackend().configure(t)
	cfg.AuditSealInterval = time.Hour
	s := start(t, cfg)
	created, err := s.yp.CreateYoungPerson(context.Background(), &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("TAMPER-1")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= n; i++ {
		if slices.Contains(sealAt, i-1) {
			sealNow(t, cfg.DatabaseURL)
		}
		if _, err := s.yp.GetYoungPerson(context.Background(), &pb.GetYoungPersonRequest{Name: created.GetName()}); err != nil {
			t.Fatal(err)
		}
	}
	sealNow(t, cfg.DatabaseURL)
	return s
}

func TestAuditRecordsAreAppendOnly(t *testing.T) {
	s := auditedServer(t, 3)
	ctx := context.Background()
	c := dbConn(t, s.config.DatabaseURL)
	for _, stmt := range []string{
		"UPDATE audit_records SET actor = 'someone-else' WHERE " + sealed("= 2"),
		"DELETE FROM audit_records WHERE " + sealed("= 2"),
		"UPDATE audit_record_seals SET hash = sha256(hash) WHERE chain = 'nottinghamshire'",
		"DELETE FROM audit_record_seals WHERE chain = 'nottinghamshire'",
		"UPDATE audit_seals SET hash = sha256(hash) WHERE chain = 'nottinghamshire'",
		"DELETE FROM audit_seals WHERE chain = 'nottinghamshire'",
	} {
		if _, err := c.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only trigger to refuse it", stmt, err)
		}
	}
}

// sealed is the condition on audit records that picks those of the nottinghamshire chain
// whose place in it (seq) meets cond.
func sealed(cond string) string {
	return "id IN (SELECT id FROM audit_record_seals WHERE chain = 'nottinghamshire' AND seq " + cond + ")"
}

// TestAuditTamperingIsDetected changes, removes and reorders sealed records, and changes,
// removes and forges seals, behind the application's back as a database superuser, and
// expects `audit verify` to name the first bad record. The chain holds records 1 to 5, with
// seals at 3 and 5; a checkpoint was taken before the tampering.
func TestAuditTamperingIsDetected(t *testing.T) {
	t.Parallel() // slow (servers, databases, waiting for the sealer): run after the sequential tests
	const where = "chain = 'nottinghamshire' AND seq = "
	const seals = "DELETE FROM audit_seals WHERE chain = 'nottinghamshire'"
	// A record removed goes with its own seal (the seal names the record it seals).
	remove := func(cond string) []string {
		return []string{"DELETE FROM audit_records WHERE " + sealed(cond),
			"DELETE FROM audit_record_seals WHERE chain = 'nottinghamshire' AND seq " + cond}
	}
	// One chain made through the API, copied for each case.
	s := auditedServer(t, 5, 3)
	fixture := s.config.DatabaseURL
	var out, cp bytes.Buffer
	if intact, err := app.WriteCheckpoint(context.Background(), fixture, &out, &cp); err != nil || !intact {
		t.Fatalf("before tampering: intact=%v err=%v\n%s", intact, err, out.String())
	}
	checkpoint, err := app.ReadCheckpoint(&cp)
	if err != nil || len(checkpoint) != 1 || checkpoint[0].Seq != 5 {
		t.Fatalf("checkpoint %+v (%v), want the nottinghamshire chain at 5", checkpoint, err)
	}
	s.stop()
	for _, c := range []struct {
		name    string
		tamper  []string
		rewrite func(t *testing.T, url string) // a rewrite the database cannot tell: records re-sealed in Go
		at      int
		reason  string
		// Without the checkpoint: found there too (the same record), or missed (0).
		withoutCheckpoint int
	}{
		{name: "changed actor", tamper: []string{"UPDATE audit_records SET actor = 'someone-else' WHERE " + sealed("= 3")},
			at: 3, reason: audit.ReasonHashMismatch, withoutCheckpoint: 3},
		{name: "changed young people", tamper: []string{"UPDATE audit_records SET young_people = '{}' WHERE " + sealed("= 4")},
			at: 4, reason: audit.ReasonHashMismatch, withoutCheckpoint: 4},
		{name: "changed time", tamper: []string{"UPDATE audit_records SET time = time - interval '1 day' WHERE " + sealed("= 2")},
			at: 2, reason: audit.ReasonHashMismatch, withoutCheckpoint: 2},
		{name: "removed record", tamper: remove("= 3"),
			at: 3, reason: audit.ReasonSequenceGap, withoutCheckpoint: 3},
		{name: "removed record, its seal kept", tamper: remove("= 3")[:1],
			at: 3, reason: audit.ReasonSequenceGap, withoutCheckpoint: 3},
		{name: "a record's seal removed", tamper: remove("= 3")[1:],
			at: 3, reason: audit.ReasonSequenceGap, withoutCheckpoint: 3},
		{name: "a record's seal moved to another chain", tamper: []string{
			"UPDATE audit_record_seals SET chain = 'elsewhere' WHERE " + where + "3"},
			at: 3, reason: audit.ReasonSequenceGap, withoutCheckpoint: 3},
		{name: "removed last record", tamper: remove("= 5"),
			at: 5, reason: audit.ReasonTruncated, withoutCheckpoint: 5},
		{name: "removed and renumbered, seals forged to match", tamper: append(remove("= 3"),
			"UPDATE audit_record_seals SET seq = seq - 1 WHERE chain = 'nottinghamshire' AND seq > 3",
			seals,
			"INSERT INTO audit_seals SELECT chain, seq, hash, now() FROM audit_record_seals WHERE "+where+"4"),
			at: 3, reason: audit.ReasonBrokenLink, withoutCheckpoint: 3},
		{name: "reordered", tamper: []string{
			"UPDATE audit_record_seals SET seq = 1000 WHERE " + where + "2",
			"UPDATE audit_record_seals SET seq = 2 WHERE " + where + "3",
			"UPDATE audit_record_seals SET seq = 3 WHERE " + where + "1000"},
			at: 2, reason: audit.ReasonBrokenLink, withoutCheckpoint: 2},
		{name: "rehashed last record", tamper: []string{
			"UPDATE audit_records SET actor = 'someone-else' WHERE " + sealed("= 5"),
			"UPDATE audit_record_seals SET hash = sha256(hash) WHERE " + where + "5"},
			at: 5, reason: audit.ReasonHashMismatch, withoutCheckpoint: 5},
		// Issue 18: a changed record whose chain's head is deleted must not verify clean.
		{name: "changed record, every seal deleted", tamper: []string{
			"UPDATE audit_records SET actor = 'someone-else' WHERE " + sealed("= 3"), seals},
			at: 3, reason: audit.ReasonHashMismatch, withoutCheckpoint: 3},
		{name: "every seal deleted", tamper: []string{seals}, at: 1, reason: audit.ReasonBeyondHead, withoutCheckpoint: 1},
		{name: "latest seal deleted", tamper: []string{seals + " AND seq = 5"}, at: 4, reason: audit.ReasonBeyondHead, withoutCheckpoint: 4},
		{name: "a seal changed", tamper: []string{"UPDATE audit_seals SET hash = sha256(hash) WHERE " + where + "3"},
			at: 3, reason: audit.ReasonSealMismatch, withoutCheckpoint: 3},
		{name: "the latest seal changed", tamper: []string{"UPDATE audit_seals SET hash = sha256(hash) WHERE " + where + "5"},
			at: 5, reason: audit.ReasonSealMismatch, withoutCheckpoint: 5},
		{name: "tail cut off, its seal kept", tamper: remove("> 3"),
			at: 4, reason: audit.ReasonTruncated, withoutCheckpoint: 4},
		{name: "tail cut off with its seal", tamper: append(remove("> 3"), seals+" AND seq > 3"),
			at: 4, reason: audit.ReasonTruncated, withoutCheckpoint: 0},
		{name: "chain removed with its seals", tamper: append(remove("> 0"), seals),
			at: 1, reason: audit.ReasonTruncated, withoutCheckpoint: 0},
		{name: "last record rewritten and re-sealed", rewrite: resealLast, at: 5, reason: audit.ReasonCheckpointMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := pgtest.CopyDatabase(t, fixture)
			var out bytes.Buffer
			if c.rewrite != nil {
				c.rewrite(t, url)
			}
			superuser(t, url, c.tamper...)

			out.Reset()
			intact, err := app.VerifyAudit(ctx, url, &out, checkpoint...)
			if err != nil || intact {
				t.Fatalf("after tampering, with the checkpoint: intact=%v err=%v\n%s", intact, err, out.String())
			}
			if want := fmt.Sprintf("chain nottinghamshire: TAMPERED at record %d: %s", c.at, c.reason); !strings.Contains(out.String(), want) {
				t.Errorf("verify with the checkpoint said:\n%s\nwant %q", out.String(), want)
			}
			out.Reset()
			intact, err = app.VerifyAudit(ctx, url, &out)
			switch {
			case err != nil:
				t.Fatal(err)
			case c.withoutCheckpoint == 0 && !intact:
				t.Errorf("without a checkpoint, this rewrite is expected to look consistent; verify said:\n%s", out.String())
			case c.withoutCheckpoint > 0 && (intact || !strings.Contains(out.String(),
				fmt.Sprintf("chain nottinghamshire: TAMPERED at record %d:", c.withoutCheckpoint))):
				t.Errorf("verify without the checkpoint said:\n%s\nwant record %d named", out.String(), c.withoutCheckpoint)
			}
		})
	}
}

// A record taken off the queue of unsealed ones behind the service's back would never be
// sealed, so no chain would show it missing: verify counts it as tampering.
func TestAuditRecordsKeptFromSealingAreTampering(t *testing.T) {
	s := auditedServer(t, 2)
	url := s.config.DatabaseURL
	s.stop()
	ctx := context.Background()
	var out bytes.Buffer
	if intact, err := app.VerifyAudit(ctx, url, &out); err != nil || !intact {
		t.Fatalf("before: intact=%v err=%v\n%s", intact, err, out.String())
	}
	superuser(t, url, `INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose, action, outcome,
			council, young_people, request_id, client_address)
		SELECT chain, time, actor, organisation, roles, purpose, action, outcome, council, young_people,
			'kept-from-sealing', client_address FROM audit_records ORDER BY id LIMIT 1`)
	out.Reset()
	intact, err := app.VerifyAudit(ctx, url, &out)
	if err != nil || intact || !strings.Contains(out.String(), "1 records are neither sealed nor waiting to be: TAMPERED") {
		t.Fatalf("a record written with the queue's trigger off: intact=%v err=%v\n%s", intact, err, out.String())
	}
}

// A record removed while it waits to be sealed is in no chain either: verify counts its
// queued id as tampering.
func TestAuditRecordsRemovedBeforeSealingAreTampering(t *testing.T) {
	s := auditedServer(t, 2)
	url := s.config.DatabaseURL
	s.stop()
	ctx := context.Background()
	c := dbConn(t, url)
	if _, err := c.Exec(ctx, `INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose, action, outcome,
			council, young_people, request_id, client_address)
		SELECT chain, time, actor, organisation, roles, purpose, action, outcome, council, young_people,
			'removed-before-sealing', client_address FROM audit_records ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if intact, err := app.VerifyAudit(ctx, url, &out); err != nil || !intact || !strings.Contains(out.String(), "1 records not sealed yet") {
		t.Fatalf("a record waiting to be sealed: intact=%v err=%v\n%s", intact, err, out.String())
	}
	superuser(t, url, `DELETE FROM audit_records WHERE request_id = 'removed-before-sealing'`)
	out.Reset()
	intact, err := app.VerifyAudit(ctx, url, &out)
	if err != nil || intact || !strings.Contains(out.String(), "1 records waiting to be sealed are gone: TAMPERED") {
		t.Fatalf("a record removed before it was sealed: intact=%v err=%v\n%s", intact, err, out.String())
	}
}

// resealLast rewrites the actor of the chain's last record and seals it again, hash and seal
// included, exactly as the sealer would have: the database alone cannot tell.
func resealLast(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var recs []audit.Record
	if err := st.InTx(ctx, func(tx store.Tx) (err error) {
		recs, err = tx.ReadAuditChain(ctx, "nottinghamshire", 3, 10)
		return err
	}); err != nil || len(recs) != 2 {
		t.Fatalf("records 4 and 5: %d (%v)", len(recs), err)
	}
	forged := recs[1]
	forged.Actor = "someone-else"
	forged = audit.Seal(&recs[0], forged)
	superuser(t, url,
		"UPDATE audit_records SET actor = 'someone-else' WHERE "+sealed("= 5"),
		fmt.Sprintf("UPDATE audit_record_seals SET hash = '\\x%x' WHERE chain = 'nottinghamshire' AND seq = 5", forged.Hash),
		fmt.Sprintf("UPDATE audit_seals SET hash = '\\x%x' WHERE chain = 'nottinghamshire' AND seq = 5", forged.Hash))
	var out bytes.Buffer
	if intact, err := app.VerifyAudit(ctx, url, &out); err != nil || !intact {
		t.Fatalf("the re-sealed chain should look consistent without a checkpoint: intact=%v err=%v\n%s", intact, err, out.String())
	}
}

// TestAuditFailureFailsTheCall makes the audit insert fail: reads and writes of personal data
// must then fail, and writes must leave nothing behind.
func TestAuditFailureFailsTheCall(t *testing.T) {
	s := auditedServer(t, 1)
	ctx := context.Background()
	existing, err := s.yp.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{})
	if err != nil || len(existing.GetYoungPeople()) != 1 {
		t.Fatalf("list: %v (%d)", err, len(existing.GetYoungPeople()))
	}
	yp := existing.GetYoungPeople()[0].GetName()
	shareWith(t, s, yp, "framework-housing", pb.SharingAgreement_HOUSING)
	housing := pb.NewPartnerServiceClient(s.dial(t, tokenFor(t, "hana-housing")))
	shared := &pb.GetSharedYoungPersonRequest{Name: sharedName("framework-housing", yp)}
	if _, err := housing.GetSharedYoungPerson(ctx, shared); err != nil {
		t.Fatalf("the partner's read while the audit works: %v", err)
	}
	// A young person in care on the adviser's caseload, so that they have reminders to watch.
	youngPersonInCare(t, s, "AUDIT-REMINDED", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
	watchOne(t, s, s.token)
	refuseAudits(t, s.config.DatabaseURL, `'audit is down'`, func() {
		_, err = s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("AUDIT-DOWN")})
		wantGRPCError(t, err, codes.Internal, "INTERNAL")
		_, err = s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: yp})
		wantGRPCError(t, err, codes.Internal, "INTERNAL")
		got, err := housing.GetSharedYoungPerson(ctx, shared)
		wantGRPCError(t, err, codes.Internal, "INTERNAL")
		if got != nil {
			t.Errorf("a partner's read whose audit failed returned %v", got)
		}
		// Reads that end together have their records written together: each fails.
		var reads sync.WaitGroup
		answered := make([]*pb.YoungPerson, 8)
		failed := make([]error, 8)
		for i := range 8 {
			reads.Go(func() {
				answered[i], failed[i] = s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: yp})
			})
		}
		reads.Wait()
		for i := range 8 {
			if answered[i] != nil || status.Code(failed[i]) != codes.Internal {
				t.Errorf("concurrent read %d: %v, %v; want it failed with nothing", i, answered[i], failed[i])
			}
		}
		// The reminder stream sends no reminder whose read cannot be recorded.
		watch, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stream, err := pb.NewReminderServiceClient(s.conn).WatchReminders(watch, &pb.WatchRemindersRequest{Parent: "people/me",
			StartAfter: "reminders/00000000-0000-7000-8000-000000000000"})
		if err != nil {
			t.Fatal(err)
		}
		reminder, err := stream.Recv()
		wantGRPCError(t, err, codes.Internal, "INTERNAL")
		if reminder != nil {
			t.Errorf("a reminder sent though its read could not be recorded: %v", reminder)
		}
		r := s.do(t, "GET", "/v1/youngPeople", "")
		wantRESTError(t, r, 500, "INTERNAL", "INTERNAL")
		if strings.Contains(string(r.body), "audit is down") {
			t.Errorf("the database error leaked: %s", r.body)
		}
		c := dbConn(t, s.config.DatabaseURL)
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM young_people WHERE case_reference = 'AUDIT-DOWN'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("young people after the failed create: %d (%v), want none", n, err)
		}
	})
	if _, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("AUDIT-DOWN")}); err != nil {
		t.Fatalf("create once the audit works again: %v", err)
	}
}
