package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
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

// BenchmarkConcurrentReadsOfOneCouncil is 32 callers (16 per CPU on this 2-core machine)
// reading young people of one council through the in-process server on PostgreSQL, each
// read audited. While every append took the council's chain-head row lock until commit,
// the reads of a council queued behind one another; this measures how far they now don't.
func BenchmarkConcurrentReadsOfOneCouncil(b *testing.B) {
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
	client := pb.NewYoungPeopleServiceClient(conn)
	var names []string
	for i := range 64 {
		created, err := client.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson(fmt.Sprintf("BENCH-%d", i))})
		if err != nil {
			b.Fatal(err)
		}
		names = append(names, created.GetName())
	}

	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb_ *testing.PB) {
		for pb_.Next() {
			name := names[next.Add(1)%int64(len(names))]
			if _, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
