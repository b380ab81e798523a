package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// benchConn runs carepath in this process on a fresh PostgreSQL database with the demo's
// organisations and people, and returns a connection acting as the north team's adviser.
func benchConn(b *testing.B) *grpc.ClientConn {
	b.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(b)
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		now := testclock.Now()
		return demo.LoadAccess(ctx, tx, civil.Today(now), now)
	}); err != nil {
		b.Fatal(err)
	}
	s.Close()
	cfg := testConfig()
	cfg.DatabaseURL = url
	cfg.DevIssuer, cfg.DevIssuerForce = "true", true
	appCtx, cancel := context.WithCancel(ctx)
	logs := &syncBuffer{} // TestMain looks for personal data in these too
	testLogs.add(logs)
	a, err := app.New(appCtx, cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(appCtx) }()
	b.Cleanup(func() { cancel(); <-done })

	token, err := authn.DevToken(demo.AdviserNorth, time.Hour, time.Now()) // token lifetimes run on the real clock
	if err != nil {
		b.Fatal(err)
	}
	conn, err := grpc.NewClient(a.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// BenchmarkReadsPostgres is one caller reading young people and their pathways (planned from
// care since 12: 72 milestones each, as milestones/op reports) through the in-process server on PostgreSQL, for
// the read path's allocations and CPU a call: the client's are counted too, the same in any
// two runs compared. carepath-load measures throughput against a ceiling; this is the
// steadier figure for comparing one build with another.
func BenchmarkReadsPostgres(b *testing.B) {
	ctx := context.Background()
	conn := benchConn(b)
	people := pb.NewYoungPeopleServiceClient(conn)
	var names []string
	for i := range 16 {
		yp := newYoungPerson(fmt.Sprintf("BENCH-READ-%d", i))
		dob := agedToday(16, i*20)
		yp.DateOfBirth = pbDate(dob)
		created, err := people.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: yp})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pb.NewCareEpisodesServiceClient(conn).CreateCareEpisode(ctx, &pb.CreateCareEpisodeRequest{
			Parent: created.GetName(),
			CareEpisode: &pb.CareEpisode{StartDate: pbDate(civil.Attains(dob, civil.Period{Years: 12}, civil.MarchFirst)),
				LegalStatus: "C2", PlacementType: "U1"},
		}); err != nil {
			b.Fatal(err)
		}
		names = append(names, created.GetName())
	}
	pathways := pb.NewPathwaysServiceClient(conn)
	b.Run("GetYoungPerson", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := people.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: names[i%len(names)]}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetPathway", func(b *testing.B) {
		b.ReportAllocs()
		milestones := 0
		for i := 0; b.Loop(); i++ {
			p, err := pathways.GetPathway(ctx, &pb.GetPathwayRequest{Name: names[i%len(names)] + "/pathway"})
			if err != nil {
				b.Fatal(err)
			}
			milestones += len(p.GetTimeline())
		}
		b.ReportMetric(float64(milestones)/float64(b.N), "milestones/op")
	})
}
