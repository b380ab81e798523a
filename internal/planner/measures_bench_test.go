package planner_test

import (
	"context"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/testclock"
)

// BenchmarkBoardMeasuresPostgres computes every shipped measure for a planned council of
// 200,000 young people (CAREPATH_BENCH_READINESS_YOUNG_PEOPLE overrides it) on one date,
// as a board report does. A third of the milestones due are achieved (on their due date)
// and every care leaver aged 17 to 21 has OC3 records, so every count has work to do. It
// reports the time of all measures (ms/measures; the target is under 2 s) and, as a ratio,
// against one plain count of the council's milestones measured in the same run.
func BenchmarkBoardMeasuresPostgres(b *testing.B) {
	db := seededCouncil(b, "carepath_bench_board", readinessBenchSize())
	db.plan(b)
	ctx := context.Background()
	pool := db.store.Pool()
	today := civil.Today(testclock.Now())
	if !db.measured {
		for _, st := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE milestones SET state = 'ACHIEVED', achieved_date = due_date
				WHERE due_date < $1::date AND abs(hashtext(id::text)) % 3 = 0`, []any{today.String()}},
			{
				`INSERT INTO facts (id, young_person_id, key, value, effective_date, evidence_type, recorded_by, organisation_id, record_time)
				SELECT gen_random_uuid(), m.young_person_id, k.key, abs(hashtext(m.id::text || k.key)) % 4 <> 0, m.due_date,
					'CONFIRMED_BY_AGENCY', 'bench', $2, now()
				FROM milestones m CROSS JOIN unnest(ARRAY['oc3.in_touch', 'oc3.in_eet', 'oc3.accommodation_suitable']) AS k(key)
				WHERE m.key = 'data.oc3.birthday' AND m.due_date < $1::date`, []any{today.String(), benchCouncil}},
			{`VACUUM ANALYZE`, nil}, // as autovacuum would: index-only scans need the visibility map
		} {
			if _, err := pool.Exec(ctx, st.sql, st.args...); err != nil {
				b.Fatal(err)
			}
		}
		db.measured = true
	}
	q := store.MeasureQuery{CouncilID: benchCouncil, Measures: measure.Default().Measures, Dates: []civil.Date{today}}
	var counts []store.MeasureCount
	if err := db.store.InTx(ctx, func(tx store.Tx) (err error) { counts, err = tx.CountMeasures(ctx, q); return err }); err != nil {
		b.Fatal(err)
	}
	cohorts := map[string]int{}
	for _, c := range counts {
		cohorts[c.Measure] += c.Cohort
	}
	b.Logf("%d young people; cohorts %v", readinessBenchSize(), cohorts)
	for _, m := range q.Measures { // which measure costs what, for whoever tunes them
		one := q
		one.Measures = []measure.Measure{m}
		start := time.Now()
		if err := db.store.InTx(ctx, func(tx store.Tx) (err error) { _, err = tx.CountMeasures(ctx, one); return err }); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %s", m.Key, time.Since(start).Round(time.Millisecond))
	}

	// The reference: one count of the council's milestones, the least a whole-council
	// measure could read.
	reference := func() time.Duration {
		start := time.Now()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM milestones WHERE council_id = $1`, benchCouncil).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	ref := reference()
	b.ResetTimer()
	for range b.N {
		if err := db.store.InTx(ctx, func(tx store.Tx) (err error) { _, err = tx.CountMeasures(ctx, q); return err }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ref = min(ref, reference())
	perRun := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perRun.Microseconds())/1000, "ms/measures")
	b.ReportMetric(float64(len(q.Measures)), "measures")
	b.ReportMetric(float64(perRun)/float64(ref), "x_milestone_count")
}
