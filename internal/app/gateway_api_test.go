package app_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// TestIdentityCannotBeInjected tries to pass credentials the way only the gateway may: as
// Grpc-Metadata-* headers over REST, and as the gateway's own metadata over gRPC.
func TestIdentityCannotBeInjected(t *testing.T) {
	s := startWithoutPerson(t, testConfig())
	admin := tokenFor(t, "ada-admin")
	partnerCert := "spiffe://carepath.demo/partner/framework-housing"
	anonymous := s.as("")

	// Control: the same token in the Authorization header works.
	if r := s.as(admin).do(t, "GET", "/v1/organisations", ""); r.code != 200 {
		t.Fatalf("control: HTTP %d %s", r.code, r.body)
	}
	for name, headers := range map[string][]string{
		"token as gRPC metadata": {"Grpc-Metadata-Authorization", "Bearer " + admin},
		"certificate as gRPC metadata": {"Grpc-Metadata-" + access.GatewayCertKey, partnerCert,
			"Grpc-Metadata-" + access.GatewaySecretKey, "a guess"},
		"certificate as a header": {access.GatewayCertKey, partnerCert, access.GatewaySecretKey, "a guess"},
	} {
		r := anonymous.do(t, "GET", "/v1/organisations/framework-housing/sharedYoungPeople", "", headers...)
		if r.code != 401 {
			t.Errorf("%s: HTTP %d %s, want 401", name, r.code, r.body)
		}
	}

	ctx := metadata.AppendToOutgoingContext(context.Background(),
		access.GatewayCertKey, partnerCert, access.GatewaySecretKey, "a guess")
	_, err := pb.NewPartnerServiceClient(s.dial(t, "")).ListSharedYoungPeople(ctx,
		&pb.ListSharedYoungPeopleRequest{Parent: "organisations/framework-housing"})
	wantGRPCError(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
}

// TestMalformedIDsAndCursorsAreBadInput sends ids that fit the name patterns loosely but are
// not ids the server assigns, and page tokens crafted around them: each is refused as bad
// input (never reaching the store, where PostgreSQL would reject it with an error of its own).
func TestMalformedIDsAndCursorsAreBadInput(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			for _, path := range []string{
				"/v1/youngPeople/------------------------------------",
				"/v1/youngPeople/D3E10000-0000-4000-8000-000000000002",
				"/v1/youngPeople/d3e10000-0000-4000-8000-000000000002/careEpisodes/not-a-uuid",
				"/v1/youngPeople/d3e10000-0000-4000-8000-000000000002/shares?pageToken=" + pagetoken.Encode("zzz", "youngPeople/d3e10000-0000-4000-8000-000000000002"),
				"/v1/youngPeople?pageToken=" + pagetoken.Encode("not-a-uuid", ""),
				"/v1/youngPeople/-/milestones?pageToken=" + pagetoken.Encode("2026-01-01|zzz", "youngPeople/-", ""),
			} {
				r := s.do(t, "GET", path, "")
				if r.code != 400 {
					t.Errorf("GET %s: HTTP %d %s, want 400", path, r.code, r.body)
				}
			}
		})
	}
}
