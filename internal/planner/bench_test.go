package planner_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

// benchSize is how many young people the PostgreSQL benchmarks hold: a council the size of
// a large national share (CAREPATH_BENCH_YOUNG_PEOPLE overrides it).
func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("CAREPATH_BENCH_YOUNG_PEOPLE")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

const benchCouncil = "bench-council"

// seed bulk-loads n young people aged 13 to 24 into one council, each with a care episode:
// in care from 12 to 15, open until 18, ended at 18 after that.
func seed(b *testing.B, url string, n int) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	today := civil.Today(testclock.Now())
	now := testclock.Now().UTC()
	var yps, eps [][]any
	for i := range n {
		id := uuid.NewString()
		dob := today.Sub(civil.Period{Years: 13, Days: i * 17 % (12 * 365)}, civil.MarchFirst)
		start := civil.Attains(dob, civil.Period{Years: 12 + i%4}, civil.MarchFirst)
		var end any
		reason := ""
		if at18 := civil.Attains(dob, civil.Period{Years: 18}, civil.MarchFirst); !at18.After(today) {
			end, reason = at18.String(), []string{"E17", "E6", "E5"}[i%3]
		}
		yps = append(yps, []any{id, benchCouncil, fmt.Sprintf("B-%07d", i), "Bench", "Person", dob.String(), i%20 == 0, i%7 == 0, now, now})
		eps = append(eps, []any{uuid.NewString(), id, start.String(), end, "C2", []string{"U1", "K2", "U4"}[i%3], reason, now, now})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"young_people"},
		[]string{"id", "council_id", "case_reference", "given_name", "family_name", "date_of_birth",
			"unaccompanied_asylum_seeking_child", "ehc_plan", "create_time", "update_time"}, pgx.CopyFromRows(yps)); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"care_episodes"},
		[]string{"id", "young_person_id", "start_date", "end_date", "legal_status", "placement_type", "reason_ended",
			"create_time", "update_time"}, pgx.CopyFromRows(eps)); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// benchCouncilDB is a seeded council in a database of its own, shared by the benchmarks
// of a run: seeding and planning 100,000 young people takes minutes.
type benchCouncilDB struct {
	once    sync.Once
	store   *postgres.Store
	planned bool
}

var benchDBs sync.Map // database name -> *benchCouncilDB

// seededCouncil returns the database name seeded with n young people, seeding it (again)
// on first use in the run.
func seededCouncil(b *testing.B, name string, n int) *benchCouncilDB {
	v, _ := benchDBs.LoadOrStore(name, &benchCouncilDB{})
	db := v.(*benchCouncilDB)
	db.once.Do(func() {
		url := pgtest.SharedDatabase(b, pgtest.ServerURL(b), name)
		seed(b, url, n)
		s, err := postgres.Open(context.Background(), url, postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		db.store = s
	})
	if db.store == nil {
		b.Fatal("the benchmark fixture failed to build")
	}
	return db
}

// planned plans every pathway of the council once per run (and so assesses readiness).
func (db *benchCouncilDB) plan(b *testing.B) {
	if db.planned {
		return
	}
	start := time.Now()
	n, err := planner.New(catalogue.Default(), testclock.Now).RefreshStale(context.Background(), db.store, 500, 2)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("planned %d pathways in %s", n, time.Since(start).Round(time.Second))
	// Fresh statistics, as autovacuum would give a long-running database (test servers
	// often run without it): the benchmarks measure plans a deployment would get.
	if _, err := db.store.Pool().Exec(context.Background(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	db.planned = true
}

func council(b *testing.B) *benchCouncilDB {
	return seededCouncil(b, "carepath_bench_planner", benchSize())
}

// BenchmarkPlanPathwaysPostgres plans the pathway of every young person of a council from
// scratch, in batches of 500 with two workers, as the background refresher does.
func BenchmarkPlanPathwaysPostgres(b *testing.B) {
	db := council(b)
	s := db.store
	n := benchSize()
	p := planner.New(catalogue.Default(), testclock.Now)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer() // plan from scratch: forget versions and milestones
		if _, err := s.Pool().Exec(ctx, `UPDATE young_people SET pathway_version = NULL; TRUNCATE milestones CASCADE`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		done, err := p.RefreshStale(ctx, s, 500, 2)
		if err != nil || done != n {
			b.Fatalf("planned %d of %d: %v", done, n, err)
		}
	}
	b.StopTimer()
	var milestones int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM milestones`).Scan(&milestones); err != nil {
		b.Fatal(err)
	}
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perRun, "young_people/s")
	b.ReportMetric(float64(milestones)/perRun, "milestones/s")
	b.ReportMetric(perRun, "s/council")
	b.Logf("%d young people, %d milestones planned, %.1f s per council", n, milestones, perRun)
	db.planned = true
}

// BenchmarkOverdueForCouncilPostgres lists a page of a council's overdue milestones, as
// ListMilestones(youngPeople/-, "overdue = true AND council = ...") does: one statement on
// the partial index of open milestones. Reported per page of 100.
func BenchmarkOverdueForCouncilPostgres(b *testing.B) {
	db := council(b)
	s := db.store
	n := benchSize()
	ctx := context.Background()
	db.plan(b)
	if _, err := s.Pool().Exec(ctx, `ANALYZE milestones`); err != nil {
		b.Fatal(err)
	}
	today := civil.Today(testclock.Now())
	filter := overdueIn(benchCouncil, today)
	var overdue int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM milestones WHERE council_id = $1 AND applicable
		AND state IN ('PLANNED', 'SCHEDULED', 'IN_PROGRESS') AND due_date < $2::date AND lapse_date > $2::date`,
		benchCouncil, today.String()).Scan(&overdue); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d young people; %d overdue milestones in the council", n, overdue)
	explain(b, s, today)

	pages := 0
	var after store.MilestoneCursor
	b.ResetTimer()
	for range b.N {
		var page []domain.Milestone
		err := s.InTx(ctx, func(tx store.Tx) (err error) {
			page, err = tx.ListMilestones(ctx, store.MilestoneQuery{Filter: filter, After: after, Limit: 100})
			return err
		})
		if err != nil || len(page) == 0 {
			b.Fatalf("page %d: %d milestones, %v", pages, len(page), err)
		}
		pages++
		if last := page[len(page)-1]; len(page) == 100 {
			after = store.MilestoneCursor{DueDate: last.DueDate, ID: last.ID}
		} else {
			after = store.MilestoneCursor{} // wrap round to the first page
		}
	}
}

// overdueIn is the filter the service builds for `overdue = true AND council = ...`.
func overdueIn(council string, today civil.Date) query.Expr {
	eq := func(f string, v any) query.Expr { return query.Compare{Field: f, Op: query.Eq, Value: v} }
	open := query.Or{Left: query.Or{Left: eq("state", "PLANNED"), Right: eq("state", "SCHEDULED")}, Right: eq("state", "IN_PROGRESS")}
	return query.And{
		Left: query.And{Left: query.And{Left: eq("applicable", true), Right: open},
			Right: query.And{Left: query.Compare{Field: "due_date", Op: query.Lt, Value: today},
				Right: query.Compare{Field: "lapse_date", Op: query.Gt, Value: today}}},
		Right: eq("council", council),
	}
}

// explain logs the plan of the overdue query, to show it is one index-driven statement.
func explain(b *testing.B, s *postgres.Store, today civil.Date) {
	rows, err := s.Pool().Query(context.Background(), `EXPLAIN SELECT m.id FROM milestones m
		JOIN young_people yp ON yp.id = m.young_person_id
		WHERE m.applicable AND (m.state = 'PLANNED' OR m.state = 'SCHEDULED' OR m.state = 'IN_PROGRESS')
		AND m.due_date < $1::date AND m.lapse_date > $1::date AND m.council_id = $2
		ORDER BY m.due_date, m.id LIMIT 101`, today.String(), benchCouncil)
	if err != nil {
		b.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("plan:\n%s", strings.Join(lines, "\n"))
}
