package app_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/platform/authn"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// tokenClock is the clock of token lifetimes, the principal cache and rate limits
// (app.Config.TokenClock), standing still until the test moves it, so a test passes a TTL
// or a token's expiry without sleeping and without racing the real time. It starts ten
// minutes ahead of the real time: tokens minted on the real clock during the test (tokenFor,
// an hour's life) are then not "issued in the future" to it (the verifier allows 60 s)
// unless the test runs for eleven minutes.
type tokenClock struct {
	start time.Time
	ahead atomic.Int64
}

func newTokenClock() *tokenClock { return &tokenClock{start: time.Now().Add(10 * time.Minute)} }

func (c *tokenClock) now() time.Time          { return c.start.Add(time.Duration(c.ahead.Load())) }
func (c *tokenClock) advance(d time.Duration) { c.ahead.Add(int64(d)) }

// caller is one person's calls to a server over both protocols.
type caller struct {
	t    *testing.T
	rest *server
	grpc pb.YoungPeopleServiceClient
	acc  pb.AccessServiceClient
}

func (s *server) caller(t *testing.T, token string) caller {
	conn := s.dial(t, token)
	return caller{t: t, rest: s.as(token), grpc: pb.NewYoungPeopleServiceClient(conn), acc: pb.NewAccessServiceClient(conn)}
}

// getYoungPerson reads a young person over gRPC and REST, wanting both to succeed or both
// to be refused with PERMISSION_DENIED.
func (c caller) getYoungPerson(yp string, allowed bool) {
	c.t.Helper()
	_, err := c.grpc.GetYoungPerson(context.Background(), &pb.GetYoungPersonRequest{Name: yp})
	r := c.rest.do(c.t, "GET", "/v1/"+yp, "")
	if allowed {
		if err != nil || r.code != 200 {
			c.t.Fatalf("GetYoungPerson: gRPC %v, REST HTTP %d %s; want both served", err, r.code, r.body)
		}
		return
	}
	wantGRPCError(c.t, err, codes.PermissionDenied, "ACCESS_DENIED")
	wantRESTError(c.t, r, 403, "PERMISSION_DENIED", "ACCESS_DENIED")
}

// listPeople lists people (administrators only) over gRPC and REST, likewise.
func (c caller) listPeople(allowed bool) {
	c.t.Helper()
	_, err := c.acc.ListPeople(context.Background(), &pb.ListPeopleRequest{})
	r := c.rest.do(c.t, "GET", "/v1/people", "")
	if allowed {
		if err != nil || r.code != 200 {
			c.t.Fatalf("ListPeople: gRPC %v, REST HTTP %d %s; want both served", err, r.code, r.body)
		}
		return
	}
	wantGRPCError(c.t, err, codes.PermissionDenied, "ACCESS_DENIED")
	wantRESTError(c.t, r, 403, "PERMISSION_DENIED", "ACCESS_DENIED")
}

// newAdviser adds a personal adviser of team east with a young person on their caseload.
func newAdviser(t *testing.T, s *server) (id, token, yp string) {
	t.Helper()
	id = fmt.Sprintf("test-pa-%d", personSeq.Add(1))
	token = s.newPerson(t, id, "nottinghamshire", "east", "PERSONAL_ADVISER")
	r := mustREST(t, s.as(token).do(t, "POST", "/v1/youngPeople",
		youngPersonTurned(civil.Period{Years: 16}, 3, "PC-"+id, id)))
	return id, token, r.json(t)["name"].(string)
}

// Who a token stands for is cached (one lookup per token, issue 11 item 2), yet a change to
// a person made through this server applies to the next call, over gRPC and REST: the TTL
// here is the longest allowed, so only the cache's invalidation explains it.
func TestPeopleChangesApplyAtOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.PrincipalCacheTTL = 5 * time.Minute
			s := start(t, cfg)
			ada := s.caller(t, tokenFor(t, "ada-admin"))

			t.Run("Disabled", func(t *testing.T) {
				id, token, yp := newAdviser(t, s)
				pa := s.caller(t, token)
				pa.getYoungPerson(yp, true)
				mustREST(t, ada.rest.do(t, "PATCH", "/v1/people/"+id+"?updateMask=disabled", `{"disabled": true}`))
				pa.getYoungPerson(yp, false)
			})

			t.Run("RolesChanged", func(t *testing.T) {
				id := fmt.Sprintf("test-admin-%d", personSeq.Add(1))
				admin := s.caller(t, s.newPerson(t, id, "nottinghamshire", "", "ADMINISTRATOR"))
				admin.listPeople(true)
				_, err := ada.acc.UpdatePerson(context.Background(), &pb.UpdatePersonRequest{
					Person:     &pb.Person{Name: "people/" + id, Roles: []pb.Person_Role{pb.Person_AUDITOR}},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"roles"}}})
				if err != nil {
					t.Fatal(err)
				}
				admin.listPeople(false)
			})

			// The team manager's own record does not change: what they see does, because
			// the advisers of their team are part of who they are.
			t.Run("TeamChanged", func(t *testing.T) {
				id, _, yp := newAdviser(t, s)
				manager := s.caller(t, s.manager(t))
				manager.getYoungPerson(yp, true)
				mustREST(t, ada.rest.do(t, "PATCH", "/v1/people/"+id+"?updateMask=team", `{"team": "west"}`))
				manager.getYoungPerson(yp, false)
			})
		})
	}
}

// Across replicas the TTL is the bound: a person disabled through one replica is refused
// there at once and by another replica, which had them cached, once the TTL has passed.
func TestPeopleChangesReachOtherReplicasWithinTheTTL(t *testing.T) {
	t.Parallel()
	clock := newTokenClock()
	cfg := postgresBackend().configure(t)
	cfg.TokenClock, cfg.PrincipalCacheTTL = clock.now, 30*time.Second
	one := start(t, cfg)
	two := startWithoutPerson(t, cfg) // the same database

	id, token, yp := newAdviser(t, one)
	onOne, onTwo := one.caller(t, token), two.caller(t, token)
	onTwo.getYoungPerson(yp, true)
	mustREST(t, one.as(tokenFor(t, "ada-admin")).do(t, "PATCH", "/v1/people/"+id+"?updateMask=disabled", `{"disabled": true}`))
	onOne.getYoungPerson(yp, false)

	clock.advance(29 * time.Second)
	onTwo.getYoungPerson(yp, true) // within the TTL, as the README says
	clock.advance(2 * time.Second)
	onTwo.getYoungPerson(yp, false)
}

// A token past its expiry is refused though its principal was cached for longer than its
// life, over both protocols.
func TestCachedTokenPastExpiryIsRefused(t *testing.T) {
	t.Parallel()
	clock := newTokenClock()
	cfg := memoryBackend().configure(t)
	cfg.TokenClock, cfg.PrincipalCacheTTL = clock.now, 5*time.Minute
	s := start(t, cfg)
	token, err := authn.DevToken(s.person, 2*time.Minute, clock.now())
	if err != nil {
		t.Fatal(err)
	}
	pa := s.caller(t, token)
	pa.listYoungPeople(true)
	clock.advance(2*time.Minute + 61*time.Second) // past "exp" and the verifier's 60 s of skew
	pa.listYoungPeople(false)
}

// listYoungPeople lists the caller's young people over gRPC and REST, wanting both served
// or both refused as UNAUTHENTICATED.
func (c caller) listYoungPeople(allowed bool) {
	c.t.Helper()
	_, err := c.grpc.ListYoungPeople(context.Background(), &pb.ListYoungPeopleRequest{})
	r := c.rest.do(c.t, "GET", "/v1/youngPeople", "")
	if allowed {
		if err != nil || r.code != 200 {
			c.t.Fatalf("ListYoungPeople: gRPC %v, REST HTTP %d %s; want both served", err, r.code, r.body)
		}
		return
	}
	wantGRPCError(c.t, err, codes.Unauthenticated, "UNAUTHENTICATED")
	wantRESTError(c.t, r, 401, "UNAUTHENTICATED", "UNAUTHENTICATED")
}
