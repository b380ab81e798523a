package delivery_test

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/carepath/carepath/internal/delivery"
	"github.com/carepath/carepath/internal/store/pgtest"
)

type ping struct{}

func (ping) Kind() string { return "carepath_test_ping" }

type pingWorker struct {
	river.WorkerDefaults[ping]
	worked chan struct{}
}

func (w *pingWorker) Work(context.Context, *river.Job[ping]) error {
	w.worked <- struct{}{}
	return nil
}

// warnings is a log handler that passes on each warning, dropping those nobody waits for.
type warnings chan slog.Record

func (w warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w warnings) WithGroup(string) slog.Handler                { return w }

func (w warnings) Handle(_ context.Context, r slog.Record) error {
	select {
	case w <- r:
	default:
	}
	return nil
}

// A database that does not answer while River starts is an outage the workers wait out: River
// is started again until the database answers, jobs are then worked, and the run ends only
// when its context does. Before, the failed start ended the run, and the server with it.
func TestRiverStartsOnceTheDatabaseAnswers(t *testing.T) {
	proxy, client, w := heldRiver(t, "2")
	warned := make(warnings, 1)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended := make(chan struct{})
	go func() {
		delivery.RunRiver(ctx, client, 5*time.Second, slog.New(warned))
		close(ended)
	}()

	// A real wait, for a real connection attempt to time out.
	select {
	case r := <-warned:
		var why string
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" {
				why = a.Value.String()
			}
			return true
		})
		// The operator reads why: here, the connection attempt's timeout.
		if !strings.Contains(r.Message, "could not start") || !strings.Contains(why, "timeout") {
			t.Fatalf("warned %q (error %q); want that the workers could not start, and why", r.Message, why)
		}
	case <-ended:
		t.Fatal("the run ended while the database did not answer")
	case <-time.After(30 * time.Second):
		t.Fatal("no failed start was logged while the database did not answer")
	}
	proxy.Hold(false)

	if _, err := client.Insert(ctx, ping{}, nil); err != nil {
		t.Fatalf("insert once the database answers: %v", err)
	}
	select {
	case <-w.worked:
	case <-ended:
		t.Fatal("the run ended once the database answered")
	case <-time.After(45 * time.Second):
		t.Fatal("no job was worked within 45 s of the database answering")
	}

	cancel()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end with its context")
	}
}

// heldRiver returns a River client on a fresh database behind a proxy that is holding, its
// connections timing out after connectTimeout seconds, and the worker of its jobs.
func heldRiver(t *testing.T, connectTimeout string) (*pgtest.Blackhole, *river.Client[pgx.Tx], *pingWorker) {
	t.Helper()
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := pgtest.NewBlackhole(t, u.Host)
	u.Host = proxy.Addr()
	q := u.Query()
	q.Set("connect_timeout", connectTimeout) // the server's pool sets 5 s
	u.RawQuery = q.Encode()
	proxy.Hold(true)
	t.Cleanup(func() { proxy.Hold(false) })

	pool, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w := &pingWorker{worked: make(chan struct{}, 1)}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers:           workers,
		FetchPollInterval: 100 * time.Millisecond,
		Logger:            slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return proxy, client, w
}

// A shutdown while River is still trying to start ends the run at once.
func TestRiverRunEndsWhileStarting(t *testing.T) {
	_, client, _ := heldRiver(t, "30")
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		delivery.RunRiver(ctx, client, 5*time.Second, slog.New(slog.DiscardHandler))
		close(ended)
	}()
	time.Sleep(500 * time.Millisecond) // into the first connection attempt
	cancel()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end with its context while River was starting")
	}
}
