package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

func TestDemoData(t *testing.T) {
	s := start(t, testConfig()) // the defaults: memory store with demo data
	// The demo team manager of the north team sees the north caseload.
	r := s.as(tokenFor(t, "tess-manager")).do(t, "GET", "/v1/youngPeople", "")
	if r.code != 200 {
		t.Fatalf("HTTP %d %s", r.code, r.body)
	}
	var body struct {
		YoungPeople []*struct {
			DateOfBirth struct{ Year, Month, Day int }
		}
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.YoungPeople) < 4 {
		t.Fatalf("demo data has %d young people, want a handful", len(body.YoungPeople))
	}
	day := civil.Today(testclock.Now())
	ages := map[int]bool{}
	for _, yp := range body.YoungPeople {
		dob := yp.DateOfBirth
		age := day.Year - dob.Year
		if day.Before(civil.New(day.Year, time.Month(dob.Month), dob.Day)) {
			age--
		}
		if age < 13 || age > 24 {
			t.Errorf("demo young person aged %d, want 13-24", age)
		}
		ages[age] = true
	}
	if len(ages) < 4 {
		t.Errorf("demo ages %v are not varied", ages)
	}
}

func TestDatabaseMigratesAndKeepsDataAcrossRestart(t *testing.T) {
	cfg := testConfig()
	cfg.DatabaseURL = pgtest.NewEmptyDatabase(t)
	cfg.MigrateOnStart = true
	cfg.DevIssuer, cfg.DevIssuerForce = "true", true
	if err := app.Migrate(context.Background(), cfg.DatabaseURL, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	seedAccess(t, cfg.DatabaseURL)
	s := start(t, cfg)
	created, err := s.yp.CreateYoungPerson(context.Background(), &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("RESTART-1")})
	if err != nil {
		t.Fatal(err)
	}
	s.stop()

	token := s.token
	s = start(t, cfg) // migrations are already applied: a no-op
	got := s.as(token).do(t, "GET", "/v1/"+created.GetName(), "")
	if got.code != 200 || got.json(t)["caseReference"] != "RESTART-1" {
		t.Fatalf("after restart: HTTP %d %s", got.code, got.body)
	}
}

func TestNotReadyUntilMigrated(t *testing.T) {
	cfg := testConfig()
	cfg.DatabaseURL = pgtest.NewEmptyDatabase(t)
	cfg.DevIssuer, cfg.DevIssuerForce = "true", true
	s := startWithoutPerson(t, cfg)
	s.conn = s.dial(t, tokenFor(t, "sam-okoro"))
	s.yp = pb.NewYoungPeopleServiceClient(s.conn)
	if r := s.do(t, "GET", "/readyz", ""); r.code != 503 {
		t.Fatalf("/readyz on an unmigrated database: HTTP %d, want 503", r.code)
	}
	resp, err := healthpb.NewHealthClient(s.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health = %v, %v; want NOT_SERVING", resp, err)
	}
	_, err = s.yp.ListYoungPeople(context.Background(), &pb.ListYoungPeopleRequest{})
	wantGRPCError(t, err, codes.Unavailable, "STORE_UNAVAILABLE")
}

func TestOperationalEndpoints(t *testing.T) {
	s := start(t, testConfig())
	ctx := context.Background()
	eventually(t, "readiness", func() bool { return s.do(t, "GET", "/readyz", "").code == 200 })
	if r := s.do(t, "GET", "/healthz", ""); r.code != 200 {
		t.Errorf("/healthz: HTTP %d", r.code)
	}
	for _, service := range []string{"", "carepath.v1.YoungPeopleService"} {
		resp, err := healthpb.NewHealthClient(s.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, %v; want SERVING", service, resp, err)
		}
	}

	// Reflection lists the API, as `grpcurl -plaintext localhost:9090 list` does.
	stream, err := reflectionpb.NewServerReflectionClient(s.conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		services = append(services, svc.GetName())
	}
	if !strings.Contains(strings.Join(services, " "), "carepath.v1.YoungPeopleService") {
		t.Errorf("reflection lists %v", services)
	}

	s.do(t, "GET", "/v1/youngPeople", "")
	metrics := s.do(t, "GET", "/metrics", "")
	if !strings.Contains(string(metrics.body), `grpc_server_handled_total{grpc_code="OK",grpc_method="ListYoungPeople"`) {
		t.Errorf("/metrics has no count of handled ListYoungPeople calls")
	}
	spec := s.do(t, "GET", "/openapi.json", "").json(t)
	if _, ok := spec["paths"].(map[string]any)["/v1/youngPeople"]; !ok {
		t.Errorf("/openapi.json does not describe /v1/youngPeople")
	}
}

func TestRequestIDs(t *testing.T) {
	s := start(t, testConfig())
	r := s.do(t, "GET", "/v1/youngPeople", "", "X-Request-Id", "caller-chosen-123")
	if r.header.Get("X-Request-Id") != "caller-chosen-123" {
		t.Errorf("X-Request-Id = %q, want the caller's", r.header.Get("X-Request-Id"))
	}
	eventually(t, "the call's log line", func() bool { return strings.Contains(s.logs.String(), `"request_id":"caller-chosen-123"`) })
	// An id that could inject text into logs is replaced.
	r = s.do(t, "GET", "/v1/youngPeople", "", "X-Request-Id", `x","level":"ERROR`)
	if id := r.header.Get("X-Request-Id"); id == "" || strings.Contains(id, `"`) {
		t.Errorf("unsafe request id kept: %q", id)
	}
}

func TestLogsHaveNoPersonalData(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.configure(t)
			cfg.AuditSealInterval = 20 * time.Millisecond // the sealer's lines are logged too
			testLogsHaveNoPersonalData(t, start(t, cfg))
		})
	}
}

func testLogsHaveNoPersonalData(t *testing.T, s *server) {
	ctx := context.Background()
	created, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("PII-1")})
	if err != nil {
		t.Fatal(err)
	}
	s.do(t, "GET", "/v1/"+created.GetName(), "")
	s.do(t, "POST", "/v1/youngPeople", youngPersonJSON("PII-1"))                                                                          // duplicate reference
	s.do(t, "POST", "/v1/youngPeople", strings.Replace(youngPersonJSON("PII-2"), fixtureDOB, `{"year": 2009, "month": 4, "day": 31}`, 1)) // bad date
	s.do(t, "GET", `/v1/youngPeople?filter=date_of_birth="`+fixtureBirth.String()+`"`, "")
	s.do(t, "GET", `/v1/youngPeople?filter=date_of_birth="2009-04-31"`, "")
	waitSealed(t, s, "aud-auditor", "nottinghamshire")
	if s.config.DatabaseURL != "" {
		// A read whose audit record the database refuses, with an error whose detail echoes
		// values, as a constraint's does ("Key (...)=(...) already exists"): the call fails,
		// and what is logged of the error leaves the values out.
		refuseAudits(t, s.config.DatabaseURL, `'audit is down' USING DETAIL = 'Key (given_name, family_name)=(`+
			fixtureGiven+`, `+fixtureFamily+`)'`, func() {
			if r := s.do(t, "GET", "/v1/"+created.GetName(), ""); r.code != 500 {
				t.Errorf("a read whose audit was refused: HTTP %d, want 500", r.code)
			}
		})
	}
	s.stop()
	logs := s.logs.String()
	if !strings.Contains(logs, "finished call") || !strings.Contains(logs, "sealed audit chain") {
		t.Fatal("the server logged no calls or no sealing; the test would prove nothing")
	}
	if s.config.DatabaseURL != "" && !strings.Contains(logs, "audit is down") {
		t.Fatal("the refused audit's error was not logged; the test would prove nothing")
	}
	for _, pii := range []string{fixtureGiven, fixtureFamily, fixtureBirth.String(), "2009-04-31", "PII-1"} {
		if strings.Contains(logs, pii) {
			t.Errorf("logs contain personal data %q", pii)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	s := start(t, testConfig())
	s.stop() // returns once Run has returned without error
	if !strings.Contains(s.logs.String(), "shutting down") {
		t.Error("no shutdown log")
	}
	if _, err := s.yp.ListYoungPeople(context.Background(), &pb.ListYoungPeopleRequest{}); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

// refuseAudits has the database refuse every audit record, raising raise (a PL/pgSQL RAISE
// EXCEPTION's arguments), while do runs.
func refuseAudits(t *testing.T, url, raise string, do func()) {
	t.Helper()
	ctx := context.Background()
	c := dbConn(t, url)
	for _, stmt := range []string{
		`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION ` + raise + `; END; $$`,
		`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
	} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	do()
	if _, err := c.Exec(ctx, `DROP TRIGGER refuse_audit ON audit_records; DROP FUNCTION refuse_audit()`); err != nil {
		t.Fatal(err)
	}
}
