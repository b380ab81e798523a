package delivery

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/jobs"
	"github.com/carepath/carepath/internal/store"
)

// worker runs delivery jobs on River. A retry is a snooze, so that carepath's schedule, not
// River's, decides when to try again and when to give up (in River v0.51 a snooze does not
// use up an attempt, so jobs.MaxAttempts only has to cover failures of the store); a
// returned error (the database was unreachable) is retried by River's own policy.
type worker struct {
	river.WorkerDefaults[jobs.Deliver]
	sender *Sender
}

func (w *worker) Work(ctx context.Context, job *river.Job[jobs.Deliver]) error {
	err := w.sender.Attempt(ctx, job.Args.DeliveryID)
	if retry, ok := errors.AsType[*ErrRetry](err); ok {
		return river.JobSnooze(retry.After)
	}
	if err != nil && ctx.Err() != nil {
		return river.JobSnooze(0) // stopping: another worker takes it up at once
	}
	return err
}

// RiverOptions tune the River client that runs deliveries.
type RiverOptions struct {
	Workers int
	// JobTimeout bounds one attempt (the HTTP timeout plus the store's work).
	JobTimeout time.Duration
	// RescueAfter is how long a job may be running before River takes it for lost (its
	// worker crashed) and runs it again. It must exceed JobTimeout.
	RescueAfter time.Duration
	// Middleware wraps job runs (tracing).
	Middleware []rivertype.Middleware
	// Others adds the workers of the service's other jobs and their queues, so that one
	// client works every job.
	Others func(*river.Workers) (map[string]river.QueueConfig, error)
}

// NewRiver returns a River client that works delivery jobs from the pool's database; Start
// it to work, Stop it to drain. Every replica may run one: River hands each job to one.
func NewRiver(pool *pgxpool.Pool, sender *Sender, opts RiverOptions, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{sender: sender}); err != nil {
		return nil, err
	}
	queues := map[string]river.QueueConfig{jobs.Queue: {MaxWorkers: max(opts.Workers, 1)}}
	if opts.Others != nil {
		more, err := opts.Others(workers)
		if err != nil {
			return nil, err
		}
		maps.Copy(queues, more)
	}
	return river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:               queues,
		Workers:              workers,
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		Logger:               log,
		Middleware:           opts.Middleware,
	})
}

// Dispatcher runs deliveries in-process for the in-memory store: it polls for pending
// deliveries that are due and attempts them one after another. It is for a single
// process; PostgreSQL deployments use River.
type Dispatcher struct {
	store  store.Store
	sender *Sender
	now    func() time.Time
	log    *slog.Logger
	poke   chan struct{}
}

// NewDispatcher returns a dispatcher.
func NewDispatcher(s store.Store, sender *Sender, now func() time.Time, log *slog.Logger) *Dispatcher {
	return &Dispatcher{store: s, sender: sender, now: now, log: log, poke: make(chan struct{}, 1)}
}

// Poke asks for a look at due deliveries now.
func (d *Dispatcher) Poke() {
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

// pollInterval is how often the dispatcher looks for due deliveries unless poked.
const pollInterval = 250 * time.Millisecond

// Run dispatches until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if err := d.DispatchDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook dispatch failed; will retry", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.poke:
		}
	}
}

// DispatchDue attempts every delivery due now, in batches, until none is left.
func (d *Dispatcher) DispatchDue(ctx context.Context) error {
	for {
		var due []domain.Delivery
		err := d.store.InTx(ctx, func(tx store.Tx) (err error) {
			due, err = tx.DueDeliveries(ctx, d.now(), 50)
			return err
		})
		if err != nil || len(due) == 0 {
			return err
		}
		failed := false
		for _, x := range due {
			if err := d.sender.Attempt(ctx, x.ID); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if _, retry := errors.AsType[*ErrRetry](err); !retry {
					// One delivery the store failed on does not hold up the others; it is
					// still due, so a later round tries it again.
					d.log.Warn("webhook delivery attempt failed; will retry", "delivery", x.ID, "error", err)
					failed = true
				}
			}
		}
		if len(due) < 50 || failed { // after a failure, Run's ticker paces the next round
			return nil
		}
	}
}
