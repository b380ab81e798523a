package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

// BenchmarkConcurrentAuditAppendsOneChain is 32 transactions at a time each appending one
// record to the same council's chain and committing: the audit part of 32 concurrent reads
// of one council, without the API around it.
func BenchmarkConcurrentAuditAppendsOneChain(b *testing.B) {
	s, err := postgres.Open(context.Background(), pgtest.NewDatabase(b), postgres.Options{MaxConns: 32})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := s.InTx(ctx, func(tx store.Tx) error {
				_, err := tx.AppendAudit(ctx, audit.Record{Chain: "council-a", Time: testclock.Now(), Actor: "pa-1",
					Organisation: "council-a", Roles: []string{"PERSONAL_ADVISER"}, Purpose: "DIRECT_CARE",
					Action: "carepath.v1.YoungPeopleService/GetYoungPerson", Outcome: "OK", Council: "council-a",
					RequestID: fmt.Sprint(n.Add(1)), ClientAddress: "192.0.2.1"})
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}
