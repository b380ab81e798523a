package app_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"

	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// TestRefusedCallsAreAudited: a call refused by its method's policy or by the service, to a
// caller whose identity is known, leaves a record of who tried what on whom, and why; over
// gRPC and REST. The council whose young person it was sees the attempt; another council's
// auditor sees its own staff's attempt without learning whose young person it was.
func TestRefusedCallsAreAudited(t *testing.T) {
	t.Parallel() // slow (servers, databases, waiting for the sealer): run after the sequential tests
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testRefusedCallsAreAudited(t, b) })
	}
}

func testRefusedCallsAreAudited(t *testing.T, b backend) {
	ctx := context.Background()
	s := start(t, b.configure(t))
	created, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("REFUSE-1")})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetName()
	nobody := "youngPeople/" + uuid.NewString()
	s.newPersonBy(t, "dara-admin", "refuse-derby-auditor", "derbyshire", "", "AUDITOR")
	derbyToken := s.newPersonBy(t, "dara-admin", "refuse-derby-pa", "derbyshire", "peak", "PERSONAL_ADVISER")
	_, err = pb.NewYoungPeopleServiceClient(s.dial(t, derbyToken)).GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

	nosyToken := s.newPerson(t, "refuse-nosy", "nottinghamshire", "west", "PERSONAL_ADVISER")
	nosy := pb.NewYoungPeopleServiceClient(s.dial(t, nosyToken))
	_, err = nosy.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name}) // not on their caseload
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	wantRESTError(t, s.as(nosyToken).do(t, "GET", "/v1/"+nobody, ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED") // no one
	housing := pb.NewPartnerServiceClient(s.dial(t, tokenFor(t, "hana-housing")))
	_, err = housing.GetSharedYoungPerson(ctx, sharedRequest("framework-housing", name)) // not shared
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	// A partner trying a staff method with a filter on hidden fields: refused by the policy,
	// and the filter, which may hold personal data, is not recorded.
	r := s.as(tokenFor(t, "hana-housing")).do(t, "GET", "/v1/youngPeople?filter="+
		url.QueryEscape(`family_name = "`+fixtureFamily+`" AND ehc_plan = true`), "")
	wantRESTError(t, r, 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	auditorReads := pb.NewYoungPeopleServiceClient(s.dial(t, tokenFor(t, "aud-auditor")))
	_, err = auditorReads.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name}) // auditors see no young people
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

	denied := func(records []*pb.AuditRecord) map[string]*pb.AuditRecord {
		out := map[string]*pb.AuditRecord{}
		for _, rec := range records {
			if rec.GetOutcome() == "PERMISSION_DENIED" {
				out[rec.GetActor()+" "+strings.TrimPrefix(rec.GetAction(), "carepath.v1.")] = rec
			}
			if strings.Contains(rec.String(), fixtureFamily) {
				t.Errorf("an audit record holds personal data: %v", rec)
			}
		}
		return out
	}
	council := denied(auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{}))
	for key, want := range map[string]struct{ young, council, purpose, reason string }{
		"people/refuse-nosy YoungPeopleService/GetYoungPerson":     {name, "organisations/nottinghamshire", "DIRECT_CARE", "may not access this young person"},
		"people/hana-housing PartnerService/GetSharedYoungPerson":  {name, "organisations/nottinghamshire", "HOUSING", "not shared"},
		"people/aud-auditor YoungPeopleService/GetYoungPerson":     {name, "organisations/nottinghamshire", "", "role may not call"},
		"people/refuse-derby-pa YoungPeopleService/GetYoungPerson": {name, "organisations/nottinghamshire", "DIRECT_CARE", "may not access"},
	} {
		rec, ok := council[key]
		switch {
		case !ok:
			t.Errorf("the council's auditor does not see the refusal of %s: %v", key, council)
		case len(rec.GetYoungPeople()) != 1 || rec.GetYoungPeople()[0] != want.young || rec.GetCouncil() != want.council ||
			rec.GetPurpose() != want.purpose || !strings.Contains(rec.GetReason(), want.reason) || rec.GetRequestId() == "":
			t.Errorf("refusal of %s recorded as %v, want %+v", key, rec, want)
		}
	}
	// The attempt on no one is in the adviser's council's chain, naming the id they tried.
	byNosy := denied(auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{YoungPerson: nobody}))
	if rec := byNosy["people/refuse-nosy YoungPeopleService/GetYoungPerson"]; rec == nil || rec.GetCouncil() != "" {
		t.Errorf("the attempt on a young person who does not exist: %v", byNosy)
	}
	derby := denied(auditTrail(t, s, "refuse-derby-auditor", &pb.ListAuditRecordsRequest{}))
	if rec := derby["people/refuse-derby-pa YoungPeopleService/GetYoungPerson"]; rec == nil || rec.GetCouncil() != "" ||
		len(rec.GetYoungPeople()) != 1 {
		t.Errorf("Derby's auditor does not see its adviser's attempt, or sees whose young person it was: %v", derby)
	}
	// A partner's refused search names no young person and no council: it is in the
	// partner's chain, for `carepath audit verify` and the database's readers.
	if b.name == "postgres" {
		var reason, purpose string
		err := pgxQueryRow(t, s.config.DatabaseURL, `SELECT reason, purpose FROM audit_records WHERE chain = 'framework-housing'
			AND actor = 'hana-housing' AND action = 'carepath.v1.YoungPeopleService/ListYoungPeople' AND outcome = 'PERMISSION_DENIED'`,
			&reason, &purpose)
		if err != nil || !strings.Contains(reason, "role") || purpose != "HOUSING" {
			t.Errorf("the partner's refused search: %q %q (%v)", reason, purpose, err)
		}
	}
}

// pgxQueryRow scans one row of a query on the database at url.
func pgxQueryRow(t *testing.T, url, sql string, dest ...any) error {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url) // closed at once: callers poll with it
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	return c.QueryRow(context.Background(), sql).Scan(dest...)
}

// TestRefusalStandsWhenItCannotBeRecorded: with the audit trail refusing writes, a refused
// call gets the same refusal, not another answer, and the failure is logged.
func TestRefusalStandsWhenItCannotBeRecorded(t *testing.T) {
	t.Parallel() // slow (servers, databases, waiting for the sealer): run after the sequential tests
	s := auditedServer(t, 1)
	ctx := context.Background()
	created, err := s.yp.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{})
	if err != nil || len(created.GetYoungPeople()) != 1 {
		t.Fatalf("list: %v", err)
	}
	name := created.GetYoungPeople()[0].GetName()
	nosyToken := s.newPerson(t, "refuse-down", "nottinghamshire", "west", "PERSONAL_ADVISER")
	refuseAudits(t, s.config.DatabaseURL, `'audit is down'`, func() {
		_, err = pb.NewYoungPeopleServiceClient(s.dial(t, nosyToken)).GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
		wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		wantRESTError(t, s.as(nosyToken).do(t, "GET", "/v1/"+name, ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
		_, err = pb.NewYoungPeopleServiceClient(s.dial(t, tokenFor(t, "hana-housing"))).ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{})
		wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	})
	if n := strings.Count(s.logs.String(), "could not record a refused call in the audit trail"); n != 3 {
		t.Errorf("%d failures to record a refusal logged, want 3", n)
	}
}

// TestAuditStatusShowsTheSealingLag: auditors see how many records of theirs wait to be
// sealed and for how long, and the sealer's metrics say the same for the whole service.
func TestAuditStatusShowsTheSealingLag(t *testing.T) {
	t.Parallel() // slow (servers, databases, waiting for the sealer): run after the sequential tests
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.configure(t)
			cfg.AuditSealInterval = time.Hour // nothing is sealed while the test looks
			later := aheadOf(&cfg)
			s := start(t, cfg)
			before := s.config.Clock()
			if _, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("LAG-1")}); err != nil {
				t.Fatal(err)
			}
			later(90 * time.Second) // the record waits a minute and a half
			client := pb.NewAuditServiceClient(s.dial(t, tokenFor(t, "aud-auditor")))
			st, err := client.GetAuditStatus(ctx, &pb.GetAuditStatusRequest{Name: "organisations/nottinghamshire/auditStatus"})
			if err != nil {
				t.Fatal(err)
			}
			if lag := st.GetSealingLag().AsDuration(); st.GetUnsealedRecords() != 1 ||
				st.GetOldestUnsealedTime().AsTime().Before(before.Truncate(time.Microsecond)) ||
				lag < 90*time.Second || lag > 150*time.Second || st.GetSealedRecords() != 0 || st.GetLastSealTime() != nil {
				t.Errorf("status before sealing, 90 s after the record: %v", st)
			}
			r := s.as(tokenFor(t, "aud-auditor")).do(t, "GET", "/v1/organisations/nottinghamshire/auditStatus", "")
			if r.code != 200 || r.json(t)["unsealedRecords"] != "1" {
				t.Errorf("status over REST: HTTP %d %s", r.code, r.body)
			}
			_, err = client.GetAuditStatus(ctx, &pb.GetAuditStatusRequest{Name: "organisations/derbyshire/auditStatus"})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = pb.NewAuditServiceClient(s.conn).GetAuditStatus(ctx, &pb.GetAuditStatusRequest{Name: "organisations/nottinghamshire/auditStatus"})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		})
	}
	// The operators' gauge says so too, while sealing is held up (here by a lock the sealer
	// finds taken, as when another replica is sealing or stuck).
	t.Run("gauge", func(t *testing.T) {
		cfg := postgresBackend().configure(t)
		cfg.AuditSealInterval = 20 * time.Millisecond
		later := aheadOf(&cfg)
		release := pgtest.HoldSealing(t, cfg.DatabaseURL)
		s := start(t, cfg)
		if _, err := s.yp.CreateYoungPerson(context.Background(), &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("LAG-3")}); err != nil {
			t.Fatal(err)
		}
		later(90 * time.Second)
		eventually(t, "a sealing lag of 90 s in the metrics", func() bool {
			m := s.metrics(t)
			lag := m["carepath_audit_sealing_lag_seconds"]
			return lag >= 90 && lag <= 150 && m["carepath_audit_unsealed_records"] == 1
		})
		release()
		eventually(t, "no sealing lag once sealing goes on", func() bool {
			m := s.metrics(t)
			return m["carepath_audit_sealing_lag_seconds"] == 0 && m["carepath_audit_unsealed_records"] == 0
		})
	})
	// With the sealer at work the backlog empties, and the metrics say so.
	s := start(t, memoryBackend().configure(t))
	if _, err := s.yp.CreateYoungPerson(context.Background(), &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("LAG-2")}); err != nil {
		t.Fatal(err)
	}
	st := waitSealed(t, s, "aud-auditor", "nottinghamshire")
	if st.GetSealedRecords() < 1 || st.GetLastSealTime() == nil || st.GetSealingLag().AsDuration() != 0 {
		t.Errorf("status after sealing: %v", st)
	}
	eventually(t, "the sealer's metrics", func() bool {
		m := string(s.do(t, "GET", "/metrics", "").body)
		return strings.Contains(m, "carepath_audit_unsealed_records 0") && strings.Contains(m, "carepath_audit_sealing_lag_seconds 0") &&
			strings.Contains(m, "carepath_audit_records_sealed_total") && !strings.Contains(m, "carepath_audit_records_sealed_total 0")
	})
}

// TestAPIAsTheAppRole runs the API connected as a database role that owns nothing, set up by
// migrating as the owner with an app role (`carepath migrate --app-role`): everything works,
// the records are sealed and verify, and the server does not warn that its role is too
// mighty, as it does when run as the owner.
func TestAPIAsTheAppRole(t *testing.T) {
	t.Parallel() // slow (servers, databases, waiting for the sealer): run after the sequential tests
	roles := pgtest.NewRoles(t)
	seedAccess(t, roles.AppURL)
	cfg := testConfig()
	cfg.DatabaseURL = roles.AppURL
	cfg.DevIssuer, cfg.DevIssuerForce = "true", true
	s := start(t, cfg)
	ctx := context.Background()
	created, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("ROLE-1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: created.GetName()}); err != nil {
		t.Fatal(err)
	}
	if r := s.do(t, "GET", "/v1/youngPeople", ""); r.code != 200 {
		t.Fatalf("list: HTTP %d %s", r.code, r.body)
	}
	shareWith(t, s, created.GetName(), "framework-housing", pb.SharingAgreement_HOUSING)
	if _, err := pb.NewPartnerServiceClient(s.dial(t, tokenFor(t, "hana-housing"))).GetHousingReadiness(ctx,
		&pb.GetHousingReadinessRequest{Name: sharedName("framework-housing", created.GetName()) + "/housingReadiness"}); err != nil {
		t.Fatal(err)
	}
	if len(auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{YoungPerson: created.GetName()})) < 4 {
		t.Fatal("the calls left too few audit records")
	}
	waitSealed(t, s, "aud-auditor", "nottinghamshire")
	var out bytes.Buffer
	if intact, err := app.VerifyAudit(ctx, roles.AppURL, &out); err != nil || !intact {
		t.Fatalf("verify: intact=%v err=%v\n%s", intact, err, out.String())
	}
	const warning = "owns the audit tables or is a superuser"
	if strings.Contains(s.logs.String(), warning) {
		t.Error("the server run as the app role warns that its role is too mighty")
	}
	owner := testConfig()
	owner.DatabaseURL = roles.OwnerURL
	owner.DevIssuer, owner.DevIssuerForce = "true", true
	owner.AuditSealInterval = 50 * time.Millisecond
	o := startWithoutPerson(t, owner)
	eventually(t, "the warning of a server run as the owner", func() bool { return strings.Contains(o.logs.String(), warning) })
}

// aheadOf gives cfg a clock the test can put ahead of the tests' clock (testclock), and the
// function that does so.
func aheadOf(cfg *app.Config) func(time.Duration) {
	var ahead atomic.Int64
	cfg.Clock = func() time.Time { return testclock.Now().Add(time.Duration(ahead.Load())) }
	return func(d time.Duration) { ahead.Add(int64(d)) }
}
