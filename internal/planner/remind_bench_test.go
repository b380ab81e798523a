package planner_test

import (
	"context"
	"testing"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/testclock"
)

// BenchmarkRemindersPostgres works out the reminders of every young person of a council at
// once, in batches of planner.ReminderBatch with two workers as the sweep does: the worst
// case, a catch-up of everyone (after a change of the council's rules, or a restore). A
// normal day claims only the young people with something due.
func BenchmarkRemindersPostgres(b *testing.B) {
	db := readinessCouncil(b)
	ctx := context.Background()
	p := planner.New(catalogue.Default(), testclock.Now)
	n := readinessBenchSize()
	var raised int
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := db.store.Pool().Exec(ctx, `TRUNCATE reminders CASCADE`); err != nil {
			b.Fatal(err)
		}
		if _, err := db.store.Pool().Exec(ctx, `INSERT INTO reminder_schedules (young_person_id, next_time)
			SELECT id, $1::timestamptz - interval '1 minute' FROM young_people
			ON CONFLICT (young_person_id) DO UPDATE SET next_time = excluded.next_time`, testclock.Now()); err != nil {
			b.Fatal(err)
		}
		// As autovacuum would between catch-ups (test servers often run without it): each run
		// leaves a dead version of every schedule and young person it locked.
		if _, err := db.store.Pool().Exec(ctx, `VACUUM ANALYZE reminder_schedules, young_people`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		done, err := p.RefreshReminders(ctx, db.store, planner.ReminderBatch, 2)
		if err != nil || done != n {
			b.Fatalf("worked out %d of %d: %v", done, n, err)
		}
		b.StopTimer()
		if err := db.store.Pool().QueryRow(ctx, `SELECT count(*) FROM reminders`).Scan(&raised); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perRun, "young_people/s")
	b.ReportMetric(float64(raised), "reminders")
}
