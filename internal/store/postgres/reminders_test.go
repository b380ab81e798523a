package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/jobs"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
)

// queuedJob is a River job as AddDeliveries queues it.
type queuedJob struct {
	DeliveryID  string
	Queue       string
	MaxAttempts int
	// AvailableNow: River may run the job at once (scheduled at or before the database's now).
	AvailableNow bool
}

// queuedDeliveries returns the delivery jobs in River's table, by delivery id.
func queuedDeliveries(t *testing.T, s *postgres.Store) []queuedJob {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(), `SELECT args, queue, max_attempts, scheduled_at <= now() FROM river_job
		WHERE kind = $1 ORDER BY args->>'delivery_id'`, jobs.Deliver{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []queuedJob
	for rows.Next() {
		var (
			j    queuedJob
			args []byte
		)
		if err := rows.Scan(&args, &j.Queue, &j.MaxAttempts, &j.AvailableNow); err != nil {
			t.Fatal(err)
		}
		var d jobs.Deliver
		if err := json.Unmarshal(args, &d); err != nil {
			t.Fatal(err)
		}
		j.DeliveryID = d.DeliveryID
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAddDeliveriesQueuesJobs(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	yp := domain.YoungPerson{ID: "00000000-0000-4000-8000-000000000001", CouncilID: "council-a", CaseReference: "R1",
		GivenName: "G", FamilyName: "F", DateOfBirth: civil.New(2010, 3, 1), CreateTime: now, UpdateTime: now}
	reminder := func(n int) domain.Reminder {
		return domain.Reminder{ID: "01900000-0001-7000-8000-00000000000" + string(rune('0'+n)), YoungPersonID: yp.ID,
			CouncilID: "council-a", Rule: "milestone.due", Title: "Due", DueOn: civil.New(2026, 12, n),
			Recipient: domain.OrganisationRecipient("partner-h"), State: domain.ReminderOpen, CreateTime: now, UpdateTime: now}
	}
	ep := domain.WebhookEndpoint{ID: "endpoint-1", OrganisationID: "partner-h", URL: "https://h.example/hooks",
		CreateTime: now, UpdateTime: now}
	delivery := func(n int, r domain.Reminder, next time.Time) domain.Delivery {
		id := "01900000-0002-7000-8000-00000000000" + string(rune('0'+n))
		return domain.Delivery{ID: id, ReminderID: r.ID, EndpointID: ep.ID, OrganisationID: ep.OrganisationID,
			WebhookID: "msg_" + id, State: domain.DeliveryPending, NextAttemptTime: next, CreateTime: now, UpdateTime: now}
	}
	r1, r2, r3 := reminder(1), reminder(2), reminder(3)
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateOrganisation(ctx, domain.Organisation{ID: "partner-h", DisplayName: "H", Type: domain.Housing,
			CreateTime: now, UpdateTime: now}); err != nil {
			return err
		}
		if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
			return err
		}
		if _, err := tx.AddReminders(ctx, []domain.Reminder{r1, r2, r3}); err != nil {
			return err
		}
		_, err := tx.CreateWebhookEndpoint(ctx, ep)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	add := func(ds ...domain.Delivery) (added []domain.Delivery, err error) {
		err = s.InTx(ctx, func(tx store.Tx) (err error) {
			added, err = tx.AddDeliveries(ctx, ds)
			return err
		})
		return added, err
	}

	// Each stored delivery gets a job, available at once on River's clock (the first attempt
	// is due when the delivery is raised, whatever the service's clock says).
	d1, d2 := delivery(1, r1, now), delivery(2, r2, now.Add(time.Hour))
	if added, err := add(d1, d2); err != nil || len(added) != 2 {
		t.Fatalf("AddDeliveries = %d, %v; want 2 added", len(added), err)
	}
	want := []queuedJob{
		{DeliveryID: d1.ID, Queue: jobs.Queue, MaxAttempts: jobs.MaxAttempts, AvailableNow: true},
		{DeliveryID: d2.ID, Queue: jobs.Queue, MaxAttempts: jobs.MaxAttempts, AvailableNow: true},
	}
	if got := queuedDeliveries(t, s); !slices.Equal(got, want) {
		t.Fatalf("queued %+v, want %+v", got, want)
	}

	// A delivery that exists already is not queued again.
	again := delivery(3, r1, now)
	if added, err := add(again); err != nil || len(added) != 0 {
		t.Fatalf("AddDeliveries of an existing delivery = %d, %v; want none added", len(added), err)
	}
	if got := queuedDeliveries(t, s); !slices.Equal(got, want) {
		t.Fatalf("after adding an existing delivery, queued %+v, want %+v", got, want)
	}

	// A rolled-back transaction queues nothing.
	boom := errors.New("boom")
	d4 := delivery(4, r3, now)
	err = s.InTx(ctx, func(tx store.Tx) error {
		if added, err := tx.AddDeliveries(ctx, []domain.Delivery{d4}); err != nil || len(added) != 1 {
			t.Errorf("AddDeliveries in the rolled-back transaction = %d, %v", len(added), err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if got := queuedDeliveries(t, s); !slices.Equal(got, want) {
		t.Fatalf("after a rolled-back add, queued %+v, want %+v", got, want)
	}

	// Nor does an add that fails.
	taken := delivery(5, r3, now)
	taken.WebhookID = d1.WebhookID
	_, err = add(taken)
	if errs.KindOf(err) != errs.AlreadyExists {
		t.Fatalf("AddDeliveries with a taken webhook id = %v, want AlreadyExists", err)
	}
	if got := queuedDeliveries(t, s); !slices.Equal(got, want) {
		t.Fatalf("after a failed add, queued %+v, want %+v", got, want)
	}
}

func TestReadyNeedsRiverMigrations(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready on a migrated database = %v", err)
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM river_migration WHERE version = (SELECT max(version) FROM river_migration)`); err != nil {
		t.Fatal(err)
	}
	// A new store: the one above remembers that it saw the schema up to date.
	behind, err := postgres.Open(ctx, s.Pool().Config().ConnString(), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	if err := behind.Ready(ctx); errs.KindOf(err) != errs.Unavailable {
		t.Fatalf("Ready with a River migration missing = %v, want Unavailable", err)
	}
}

func TestConcurrentMigrations(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewEmptyDatabase(t)
	quiet := slog.New(slog.DiscardHandler)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := postgres.Migrate(ctx, url, quiet); err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		})
	}
	wg.Wait()
	if err := postgres.Migrate(ctx, url, quiet); err != nil {
		t.Fatalf("Migrate of a migrated database: %v", err)
	}
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready after concurrent migrations = %v", err)
	}
}

// Routing a young person's reminders reads their open reminders alone, however many others
// the table holds, whether PostgreSQL plans the statement for its arguments or once for all
// (as it may for a statement prepared once and run many times): ordered by id over several
// young people, a plan walked every newer reminder of everyone backwards, filtering.
func TestReadingTheOpenRemindersOfAYoungPersonReadsNoOthers(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	at := councilWithAdviser(t, s)
	one := "00000000-0000-4000-8000-000000000001"
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateYoungPerson(ctx, domain.YoungPerson{ID: one, CouncilID: "council-a", CaseReference: "R1",
			GivenName: "G", FamilyName: "F", DateOfBirth: civil.New(2010, 3, 1), CreateTime: at, UpdateTime: at}); err != nil {
			return err
		}
		var rs []domain.Reminder
		for n := 1; n <= 2; n++ {
			rs = append(rs, domain.Reminder{ID: fmt.Sprintf("01900000-0001-7000-8000-%012d", n), YoungPersonID: one,
				CouncilID: "council-a", Rule: "milestone.due", Title: "Due", DueOn: civil.New(2026, 12, n),
				Recipient: domain.PersonRecipient("pa-1"), State: domain.ReminderOpen, CreateTime: at, UpdateTime: at})
		}
		_, err := tx.AddReminders(ctx, rs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A council's worth of others, with three open reminders each, all newer.
	for _, stmt := range []string{`INSERT INTO young_people (id, council_id, case_reference, given_name, family_name,
			date_of_birth, create_time, update_time)
		SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid, 'council-a', 'O' || n, 'G', 'F',
			DATE '2010-03-01', $1, $1
		FROM generate_series(1, 2000) AS n`,
		`INSERT INTO reminders (id, young_person_id, council_id, rule, title, due_on, recipient, state, create_time,
			update_time)
		SELECT ('01900000-0002-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
			('00000000-0000-4000-9000-' || lpad(to_hex(n % 2000 + 1), 12, '0'))::uuid, 'council-a', 'milestone.due',
			'Due', DATE '2026-01-01' + n, 'people/pa-1', 'OPEN', $1, $1
		FROM generate_series(1, 6000) AS n`} {
		if _, err := s.Pool().Exec(ctx, stmt, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Pool().Exec(ctx, `ANALYZE young_people, reminders`); err != nil {
		t.Fatal(err)
	}
	for _, mode := range planModes {
		// With another young person who has none: several ids are what a plan ordered by id
		// over all of them walked the table for.
		plan := explainAnalyze(t, s.Pool(), mode, postgres.OpenRemindersOf,
			[]string{one, "00000000-0000-4000-8000-0000000000ff"}, "OPEN", 1000)
		if read, returned := plan.readOf("reminders"), plan.ActualRows; read > 2 || returned != 2 {
			t.Errorf("%s: the open reminders of a young person with two and one with none read %v reminders "+
				"and returned %v, want the two alone", mode, read, returned)
		}
	}
}
