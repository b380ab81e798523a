package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

// hookLog is a webhook receiver that records the webhook-id of every attempt and of every
// attempt it answered; while hold is set it keeps requests waiting.
type hookLog struct {
	mu       sync.Mutex
	attempts map[string]int // webhook-id → attempts begun
	answered map[string]int // webhook-id → attempts answered 200
	hold     time.Duration
	arrived  chan struct{}
}

func newHookLog() *hookLog {
	return &hookLog{attempts: map[string]int{}, answered: map[string]int{}, arrived: make(chan struct{}, 1)}
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	h.attempts[id]++
	hold := h.hold
	h.mu.Unlock()
	select {
	case h.arrived <- struct{}{}:
	default:
	}
	if hold > 0 {
		select {
		case <-time.After(hold):
		case <-r.Context().Done(): // the sender died
			return
		}
	}
	h.mu.Lock()
	h.answered[id]++
	h.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (h *hookLog) counts() (attempts, answered map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, b := map[string]int{}, map[string]int{}
	for k, v := range h.attempts {
		a[k] = v
	}
	for k, v := range h.answered {
		b[k] = v
	}
	return a, b
}

// deliveryWorld is a migrated database with the demo council, a webhook endpoint of the
// council on a local receiver, and a way to add young people whose reminders are due.
type deliveryWorld struct {
	url   string
	store *postgres.Store
	hooks *hookLog
}

func newDeliveryWorld(t *testing.T) *deliveryWorld {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	w := &deliveryWorld{url: url, store: s, hooks: newHookLog()}
	srv := httptest.NewServer(w.hooks)
	t.Cleanup(srv.Close)
	now := testclock.Now()
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := demo.LoadAccess(ctx, tx, civil.Today(now), now); err != nil {
			return err
		}
		_, err := tx.CreateWebhookEndpoint(ctx, domain.WebhookEndpoint{ID: "e0000000-0000-4000-8000-000000000001",
			OrganisationID: demo.CouncilID, URL: srv.URL, Secrets: []domain.WebhookSecret{{Secret: "whsec_" +
				"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreateTime: now}}, CreateTime: now, UpdateTime: now, Revision: 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// addYoungPeople adds n young people who turned 18 three days ago, with a personal adviser
// of the council. With raise, their reminders are raised (and deliveries enqueued) in the
// same transaction, as an API call would; without, they are left for the servers' sweep.
func (w *deliveryWorld) addYoungPeople(t *testing.T, n int, raise bool) {
	t.Helper()
	ctx := context.Background()
	now := testclock.Now()
	p := planner.New(catalogue.Default(), testclock.Now)
	err := w.store.InTx(ctx, func(tx store.Tx) error {
		var ids []string
		for i := range n {
			yp := domain.YoungPerson{ID: fmt.Sprintf("f0000000-0000-4000-8000-%012d", i), GivenName: "Del", FamilyName: "Ivery",
				DateOfBirth: civil.Today(now).AddDays(-3).Sub(civil.Period{Years: 18}, civil.MarchFirst), CouncilID: demo.CouncilID,
				CaseReference: fmt.Sprintf("DEL-%d", i), PersonalAdviserID: demo.AdviserNorth, CreateTime: now, UpdateTime: now}
			if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
				return err
			}
			ids = append(ids, yp.ID)
			if !raise {
				if err := tx.SetReminderSchedules(ctx, []store.ReminderSchedule{{YoungPersonID: yp.ID, Next: now.Add(-time.Minute)}}); err != nil {
					return err
				}
			}
		}
		if raise {
			return p.Remind(ctx, tx, ids...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// deliveries returns every delivery in the database.
func (w *deliveryWorld) deliveries(t *testing.T) []domain.Delivery {
	t.Helper()
	var out []domain.Delivery
	q := store.DeliveryQuery{Limit: 500}
	err := w.store.InTx(context.Background(), func(tx store.Tx) (err error) {
		out, err = tx.ListDeliveries(context.Background(), q)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitDelivered waits until every delivery is DELIVERED and returns them.
func (w *deliveryWorld) waitDelivered(t *testing.T, want int, within time.Duration) []domain.Delivery {
	t.Helper()
	var ds []domain.Delivery
	eventually(t, within, fmt.Sprintf("%d deliveries delivered", want), func() (bool, string) {
		ds = w.deliveries(t)
		done := 0
		for _, d := range ds {
			if d.State == domain.DeliveryDelivered {
				done++
			}
		}
		return len(ds) == want && done == want, fmt.Sprintf("%d delivered, %d exist", done, len(ds))
	})
	return ds
}

// serve starts a replica; env, last, overrides what it sets.
func (w *deliveryWorld) serve(t *testing.T, bin string, env ...string) *exec.Cmd {
	t.Helper()
	_, cmd, _ := startBinary(t, bin, append([]string{"CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
		"CAREPATH_DATABASE_URL=" + w.url, "CAREPATH_DEV_ISSUER=true", "CAREPATH_DEV_ISSUER_FORCE=true",
		"CAREPATH_WEBHOOK_ALLOW_PRIVATE=true", "CAREPATH_WEBHOOK_TIMEOUT=2s", "CAREPATH_JOB_RESCUE_AFTER=13s",
		"CAREPATH_REMINDER_INTERVAL=200ms"}, env...)...)
	return cmd
}

// kill -9 in the middle of deliveries, then a restart: every reminder reaches the receiver,
// and an attempt repeated after the crash carries the same webhook-id.
func TestDeliveriesSurviveKill9(t *testing.T) {
	bin := build(t)
	w := newDeliveryWorld(t)
	w.hooks.hold = 1500 * time.Millisecond // answers come after the crash, if at all
	w.addYoungPeople(t, 6, true)
	want := len(w.deliveries(t))
	if want < 6 {
		t.Fatalf("only %d deliveries were enqueued", want)
	}
	cmd := w.serve(t, bin)
	select {
	case <-w.hooks.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery reached the receiver")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before, _ := w.hooks.counts()

	w.hooks.mu.Lock()
	w.hooks.hold = 0
	w.hooks.mu.Unlock()
	w.serve(t, bin)
	ds := w.waitDelivered(t, want, 120*time.Second) // River rescues the interrupted jobs after 13 s, at its next pass

	attempts, answered := w.hooks.counts()
	ids := map[string]bool{}
	for _, d := range ds {
		ids[d.WebhookID] = true
		if answered[d.WebhookID] < 1 {
			t.Errorf("delivery %s was recorded delivered but the receiver never answered it", d.WebhookID)
		}
	}
	repeated := 0
	for id, n := range attempts {
		if !ids[id] {
			t.Errorf("the receiver got webhook-id %s, which belongs to no delivery", id)
		}
		if n > 1 {
			repeated++
		}
	}
	if len(before) == 0 || repeated == 0 {
		t.Errorf("the crash interrupted %d deliveries and %d were repeated; the test did not crash mid-delivery", len(before), repeated)
	}
	// River records completion after the worker returns, and rescues the jobs the crash
	// left running: in the end none is left undone.
	eventually(t, 30*time.Second, "every delivery job completed", func() (bool, string) {
		var undone int
		if err := w.store.Pool().QueryRow(context.Background(),
			`SELECT count(*) FROM river_job WHERE state <> 'completed'`).Scan(&undone); err != nil {
			t.Fatal(err)
		}
		return undone == 0, fmt.Sprintf("%d not completed", undone)
	})
}

// Two replicas against one database raise each reminder once and deliver each once.
func TestTwoReplicasDeliverEachReminderOnce(t *testing.T) {
	bin := build(t)
	w := newDeliveryWorld(t)
	// An attempt slower than its timeout would be retried, and counted twice below: on a
	// busy machine 2 s is not enough.
	w.serve(t, bin, "CAREPATH_WEBHOOK_TIMEOUT=15s", "CAREPATH_JOB_RESCUE_AFTER=60s")
	w.serve(t, bin, "CAREPATH_WEBHOOK_TIMEOUT=15s", "CAREPATH_JOB_RESCUE_AFTER=60s")
	w.addYoungPeople(t, 30, false) // raised by the replicas' sweeps, racing
	eventually(t, 30*time.Second, "the replicas to raise the due reminders", func() (bool, string) {
		var due int
		if err := w.store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM reminder_schedules WHERE next_time <= $1`,
			testclock.Now()).Scan(&due); err != nil {
			t.Fatal(err)
		}
		return due == 0, fmt.Sprintf("%d schedules due", due)
	})
	var reminders, distinct int
	if err := w.store.Pool().QueryRow(context.Background(), `SELECT count(*), count(DISTINCT (young_person_id, rule, milestone_id, due_on, recipient))
		FROM reminders`).Scan(&reminders, &distinct); err != nil {
		t.Fatal(err)
	}
	if reminders == 0 || reminders != distinct {
		t.Fatalf("%d reminders, %d distinct", reminders, distinct)
	}
	ds := w.waitDelivered(t, len(w.deliveries(t)), 60*time.Second)
	if len(ds) != reminders {
		t.Errorf("%d deliveries for %d reminders to the council's staff", len(ds), reminders)
	}
	attempts, _ := w.hooks.counts()
	for _, d := range ds {
		if n := attempts[d.WebhookID]; n != 1 {
			t.Errorf("delivery %s reached the receiver %d times", d.WebhookID, n)
		}
	}
}
