package app_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// BenchmarkConcurrentReadsOfOneCouncil is 32 callers (16 per CPU on this 2-core machine)
// reading young people of one council through the in-process server on PostgreSQL, each
// read audited. While every append took the council's chain-head row lock until commit,
// the reads of a council queued behind one another; this measures how far they now don't.
func BenchmarkConcurrentReadsOfOneCouncil(b *testing.B) {
	ctx := context.Background()
	conn := benchConn(b)
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
