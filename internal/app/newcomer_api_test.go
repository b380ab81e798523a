package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// demoBackends are both stores with the whole demo: the in-memory store loads it at start;
// the database has it loaded as `carepath setup --demo` does, and runs the development
// issuer forced, as the README's local PostgreSQL path does.
func demoBackends() []backend {
	return []backend{memoryBackend(), {name: "postgres", configure: func(t *testing.T) app.Config {
		cfg := testConfig()
		cfg.DatabaseURL, cfg.DevIssuerForce = pgtest.NewDatabase(t), true
		ctx := context.Background()
		s, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := demo.Load(ctx, s, planner.New(catalogue.Default(), testclock.Now), civil.Today(testclock.Now())); err != nil {
			t.Fatal(err)
		}
		return cfg
	}}}
}

// Every demo young person can be opened with the token of some demo adviser or manager
// that `carepath dev-token` prints, over REST and gRPC.
func TestEveryDemoYoungPersonIsSomeonesToSee(t *testing.T) {
	for _, b := range demoBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := startWithoutPerson(t, b.configure(t))
			var staff []string
			for role, person := range demo.DevPrincipals {
				if strings.Contains(role, "adviser") || strings.Contains(role, "manager") {
					staff = append(staff, person)
				}
			}
			for _, id := range demo.YoungPeople() {
				var rest, grpc []string
				for _, person := range staff {
					token := tokenFor(t, person)
					if r := s.as(token).do(t, "GET", "/v1/youngPeople/"+id, ""); r.code == 200 {
						rest = append(rest, person)
					}
					yp := pb.NewYoungPeopleServiceClient(s.dial(t, token))
					if _, err := yp.GetYoungPerson(context.Background(), &pb.GetYoungPersonRequest{Name: "youngPeople/" + id}); err == nil {
						grpc = append(grpc, person)
					}
				}
				if len(rest) == 0 || len(grpc) == 0 {
					t.Errorf("demo young person %s: no demo adviser or manager may open them (REST %v, gRPC %v)", id, rest, grpc)
				}
			}
		})
	}
}

// The development issuer on a database is logged as a warning, once, at start; in memory it
// is not.
func TestDevIssuerWithADatabaseIsWarnedOf(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := startWithoutPerson(t, b.configure(t))
			warned := strings.Contains(s.logs.String(), `"level":"WARN","msg":"the development issuer runs with a database`)
			if warned != (b.name == "postgres") {
				t.Errorf("%s: warned %v; logs:\n%s", b.name, warned, s.logs)
			}
		})
	}
}
