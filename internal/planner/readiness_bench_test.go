package planner_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/testclock"
)

// readinessBenchSize is how many young people the readiness benchmarks hold: 200,000 in
// one council (CAREPATH_BENCH_READINESS_YOUNG_PEOPLE overrides it).
func readinessBenchSize() int {
	if n, err := strconv.Atoi(os.Getenv("CAREPATH_BENCH_READINESS_YOUNG_PEOPLE")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

func readinessCouncil(b *testing.B) *benchCouncilDB {
	db := seededCouncil(b, "carepath_bench_readiness", readinessBenchSize())
	db.plan(b) // planning assesses readiness too
	return db
}

// BenchmarkReassessPostgres reassesses the readiness of every young person of the council
// from scratch, in batches of 500 with two workers, as the background refresher does each
// night for those whose answer time has overtaken.
func BenchmarkReassessPostgres(b *testing.B) {
	db := readinessCouncil(b)
	ctx := context.Background()
	p := planner.New(catalogue.Default(), testclock.Now)
	n := readinessBenchSize()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := db.store.Pool().Exec(ctx, `TRUNCATE readiness`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		done, err := p.RefreshReadiness(ctx, db.store, "", 500, 2)
		if err != nil || done != n {
			b.Fatalf("reassessed %d of %d: %v", done, n, err)
		}
	}
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perRun, "young_people/s")
	b.ReportMetric(perRun, "s/council")
}

// BenchmarkCliffEdgeViewPostgres pages through a council's "turning 18 in the next 90
// days" view as a team manager sees it (ListCliffEdgeAssessments: the count on the first
// page, then pages of 50 in 18th-birthday order), set-based statements on the readiness
// summaries. Reported per page (ms/page), the count included.
func BenchmarkCliffEdgeViewPostgres(b *testing.B) {
	db := readinessCouncil(b)
	ctx := context.Background()
	if _, err := db.store.Pool().Exec(ctx, `ANALYZE readiness`); err != nil {
		b.Fatal(err)
	}
	today := civil.Today(testclock.Now())
	q := store.ReadinessQuery{
		Scope:          &store.Scope{CouncilID: benchCouncil, AdviserIDs: []string{"pa-1", "pa-2", "pa-3"}, Unallocated: true},
		EighteenthFrom: today, EighteenthTo: today.AddDays(89), Order: store.ByEighteenthBirthday, Limit: 51,
	}
	var counts store.ReadinessCounts
	if err := db.store.InTx(ctx, func(tx store.Tx) (err error) { counts, err = tx.CountReadiness(ctx, q); return err }); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d young people; %d turn 18 in the next 90 days (red %d, amber %d, green %d)", readinessBenchSize(), counts.Total,
		counts.ByRating[domain.Red], counts.ByRating[domain.Amber], counts.ByRating[domain.Green])
	if counts.Total < 100 {
		b.Fatalf("only %d young people in the view", counts.Total)
	}
	// Each iteration pages through the whole view as the service does; the metric is per
	// page.
	pages := 0
	b.ResetTimer()
	for range b.N {
		q.After = store.ReadinessCursor{}
		for {
			var page []store.ReadinessEntry
			err := db.store.InTx(ctx, func(tx store.Tx) (err error) {
				if q.After == (store.ReadinessCursor{}) { // the service counts on the first page
					if _, err = tx.CountReadiness(ctx, q); err != nil {
						return err
					}
				}
				page, err = tx.ListReadiness(ctx, q)
				return err
			})
			if err != nil || len(page) == 0 {
				b.Fatalf("page %d: %d entries, %v", pages, len(page), err)
			}
			pages++
			if len(page) < 51 {
				break
			}
			last := page[49]
			q.After = store.ReadinessCursor{Value: last.Summary.EighteenthBirthday.String(), YoungPersonID: last.YoungPerson.ID}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(pages), "ms/page")
	b.ReportMetric(float64(pages)/float64(b.N), "pages/view")
}
