package app_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A burst above a principal's or an organisation's limit gets RESOURCE_EXHAUSTED (429 over
// REST) with RetryInfo and Retry-After; other people and organisations go on being served;
// health checks are never limited; the bucket refills with time (the test's clock, not a
// sleep). Rates of one call in 100 s keep the real time the test takes from refilling.
func TestRateLimits(t *testing.T) {
	clk := newTokenClock()
	cfg := testConfig()
	cfg.TokenClock = clk.now
	cfg.RateLimitPrincipal, cfg.RateLimitPrincipalBurst = 0.01, 4
	cfg.RateLimitOrganisation, cfg.RateLimitOrganisationBurst = 0.01, 6
	s := start(t, cfg) // the administrator's call that adds the test adviser is Nottinghamshire's first
	pa := s.caller(t, s.token)

	// The adviser's burst of 4, over both protocols; the fifth is refused on either.
	for range 2 {
		mustREST(t, pa.rest.do(t, "GET", "/v1/youngPeople", ""))
		if _, err := pa.grpc.ListYoungPeople(t.Context(), &pb.ListYoungPeopleRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	wantLimited(t, pa.rest.do(t, "GET", "/v1/youngPeople", ""), "principal")
	_, err := pa.grpc.ListYoungPeople(t.Context(), &pb.ListYoungPeopleRequest{})
	wantGRPCError(t, err, codes.ResourceExhausted, "RESOURCE_EXHAUSTED")
	if d := retryDelay(status.Convert(err)); d <= 0 || d > 100*time.Second {
		t.Errorf("gRPC RetryInfo delay = %v, want up to 100s", d)
	}

	// Health checks carry no principal, even with the adviser's token: never limited.
	health := healthpb.NewHealthClient(s.dial(t, s.token))
	for range 10 {
		if _, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health check: %v", err)
		}
	}

	// Framework Housing's people share its organisation's 6: its officer takes 4, its
	// administrator 2, and the administrator's third is refused for the organisation.
	hana := s.as(tokenFor(t, "hana-housing"))
	hal := s.as(tokenFor(t, "hal-housing-admin"))
	for range 4 {
		mustREST(t, hana.do(t, "GET", "/v1/organisations/framework-housing/sharedYoungPeople", ""))
	}
	for range 2 {
		mustREST(t, hal.do(t, "GET", "/v1/organisations/framework-housing/webhookEndpoints", ""))
	}
	wantLimited(t, hal.do(t, "GET", "/v1/organisations/framework-housing/webhookEndpoints", ""), "organisation")

	// Nottinghamshire has used 5 of its 6 (refused calls cost nothing): its administrator
	// is still served, untouched by Framework Housing's limit.
	mustREST(t, s.as(tokenFor(t, "ada-admin")).do(t, "GET", "/v1/people", ""))

	// /metrics is never limited, and counts the refusals by the limit reached.
	metrics := string(mustREST(t, pa.rest.do(t, "GET", "/metrics", "")).body)
	for _, want := range []string{`carepath_rate_limited_total{limit="principal"} 2`, `carepath_rate_limited_total{limit="organisation"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// 101 s later the adviser has one call again, and then none.
	clk.advance(101 * time.Second)
	mustREST(t, pa.rest.do(t, "GET", "/v1/youngPeople", ""))
	wantLimited(t, pa.rest.do(t, "GET", "/v1/youngPeople", ""), "principal")
}

// wantLimited checks a 429 with Retry-After in whole seconds, and the AIP-193 body naming
// the limit reached with its RetryInfo.
func wantLimited(t *testing.T, r restResponse, limit string) {
	t.Helper()
	wantRESTError(t, r, 429, "RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED")
	after, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || after < 1 || after > 100 {
		t.Errorf("Retry-After = %q, want 1 to 100 seconds", r.header.Get("Retry-After"))
	}
	var body struct {
		Error struct {
			Details []struct {
				Type       string            `json:"@type"`
				Metadata   map[string]string `json:"metadata"`
				RetryDelay string            `json:"retryDelay"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	var gotLimit, delay string
	for _, d := range body.Error.Details {
		switch d.Type {
		case "type.googleapis.com/google.rpc.ErrorInfo":
			gotLimit = d.Metadata["limit"]
		case "type.googleapis.com/google.rpc.RetryInfo":
			delay = d.RetryDelay
		}
	}
	if gotLimit != limit || delay != strconv.Itoa(after)+"s" {
		t.Errorf("ErrorInfo limit %q and RetryInfo delay %q, want %q and %ds\n%s", gotLimit, delay, limit, after, r.body)
	}
}

func retryDelay(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}
