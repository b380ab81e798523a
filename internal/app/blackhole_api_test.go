package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/carepath/carepath/internal/store/pgtest"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A database that stops answering does not hang calls: over gRPC and REST they fail with
// UNAVAILABLE within the database timeout (or before the caller's own shorter deadline),
// readiness goes NOT_SERVING, and all comes back when the database does.
func TestUnansweringDatabaseFailsCallsAndReadiness(t *testing.T) {
	direct := pgtest.NewDatabase(t)
	seedAccess(t, direct)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy := pgtest.NewBlackhole(t, u.Host)
	u.Host = proxy.Addr()

	cfg := testConfig()
	cfg.DatabaseURL = u.String()
	cfg.DevIssuer, cfg.DevIssuerForce = "true", true
	cfg.DatabaseTimeout = 3 * time.Second
	s := start(t, cfg)
	t.Cleanup(func() { proxy.Hold(false) }) // runs before the server stops, even when a check fails
	eventually(t, "readiness", func() bool { return s.do(t, "GET", "/readyz", "").code == 200 })
	ctx := context.Background()
	if _, err := s.yp.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{}); err != nil {
		t.Fatalf("before the blackhole: %v", err)
	}

	proxy.Hold(true)
	// Elapsed times below are of real waits for a real database connection.
	begun := time.Now()
	_, err = s.yp.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{})
	wantGRPCError(t, err, codes.Unavailable, "STORE_UNAVAILABLE")
	if took := time.Since(begun); took > cfg.DatabaseTimeout+2*time.Second {
		t.Errorf("the gRPC call failed after %v; the database timeout is %v", took, cfg.DatabaseTimeout)
	}

	begun = time.Now()
	r := s.do(t, "GET", "/v1/youngPeople", "")
	wantRESTError(t, r, http.StatusServiceUnavailable, "UNAVAILABLE", "STORE_UNAVAILABLE")
	if took := time.Since(begun); took > cfg.DatabaseTimeout+2*time.Second {
		t.Errorf("the REST call failed after %v; the database timeout is %v", took, cfg.DatabaseTimeout)
	}

	// A caller's shorter deadline wins, and the store answers before it passes.
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	_, err = s.yp.ListYoungPeople(short, &pb.ListYoungPeopleRequest{})
	wantGRPCError(t, err, codes.Unavailable, "STORE_UNAVAILABLE")

	// Readiness follows within its check interval and timeout.
	deadline := time.Now().Add(15 * time.Second)
	for s.do(t, "GET", "/readyz", "").code != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still SERVING with the database unanswering")
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := healthpb.NewHealthClient(s.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health = %v, %v; want NOT_SERVING", resp, err)
	}

	proxy.Hold(false)
	deadline = time.Now().Add(20 * time.Second)
	for s.do(t, "GET", "/readyz", "").code != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz not SERVING again after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := s.yp.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{}); err != nil {
		t.Errorf("after the database came back: %v", err)
	}
}

// When the server refuses us (here: no such database), the logs say what PostgreSQL said,
// with its SQLSTATE, and callers get UNAVAILABLE.
func TestDatabaseRefusalIsLoggedWithTheServersMessage(t *testing.T) {
	u, err := url.Parse(pgtest.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/carepath_no_such_database"
	cfg := testConfig()
	cfg.DatabaseURL = u.String()
	cfg.DevIssuer, cfg.DevIssuerForce = "true", true
	s := startWithoutPerson(t, cfg)
	_, err = pb.NewYoungPeopleServiceClient(s.dial(t, tokenFor(t, "sam-okoro"))).ListYoungPeople(context.Background(), &pb.ListYoungPeopleRequest{})
	wantGRPCError(t, err, codes.Unavailable, "STORE_UNAVAILABLE")
	want := `SQLSTATE 3D000: database \"carepath_no_such_database\" does not exist`
	eventually(t, "the refusal in the logs", func() bool { return strings.Contains(s.logs.String(), want) })
	if logs := s.logs.String(); strings.Contains(logs, `table \"\"`) {
		t.Errorf("the logs describe the error by empty fields:\n%s", logs)
	}
}
