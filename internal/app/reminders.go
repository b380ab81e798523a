package app

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/carepath/carepath/internal/delivery"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/webhook"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/services/reminders"
)

// startDelivery builds what sends webhook deliveries: River workers on PostgreSQL, the
// in-process dispatcher on the memory store.
func (a *App) startDelivery(cfg Config, reg prometheus.Registerer) error {
	schedule, err := cfg.retrySchedule()
	if err != nil {
		return err
	}
	sender := delivery.NewSender(a.store, webhook.NewClient(cfg.WebhookTimeout, cfg.WebhookAllowPrivate), schedule,
		a.now, a.log, reg)
	pg, ok := a.store.(*postgres.Store)
	if !ok {
		a.dispatcher = delivery.NewDispatcher(a.store, sender, a.now, a.log)
		return nil
	}
	a.river, err = delivery.NewRiver(pg.Pool(), sender, delivery.RiverOptions{Workers: 10,
		JobTimeout: cfg.WebhookTimeout + jobMargin, RescueAfter: cfg.JobRescueAfter,
		Middleware: a.tracing.RiverMiddleware(), Others: a.importWorkers(cfg.JobRescueAfter)}, a.log)
	if err != nil {
		return fmt.Errorf("river: %w", err)
	}
	return nil
}

// runDelivery starts delivering in g until ctx ends. River starts once the store is ready
// (its tables come with the migrations), tries again while the database does not answer,
// and drains its running jobs, each bounded by the webhook timeout, before the store closes.
func (a *App) runDelivery(ctx context.Context, g *errgroup.Group) {
	if a.dispatcher != nil {
		g.Go(func() error { a.dispatcher.Run(ctx); return nil })
		return
	}
	g.Go(func() error {
		for !a.ready.Load() {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
		delivery.RunRiver(ctx, a.river, a.cfg.ShutdownTimeout, a.log)
		return nil
	})
}

// webhooks is what the reminder service needs to manage endpoints.
func (a *App) webhooks() reminders.Webhooks {
	return reminders.Webhooks{
		CheckURL:      func(ctx context.Context, u string) error { return webhook.CheckURL(ctx, u, a.cfg.WebhookAllowPrivate) },
		NewSecret:     webhook.NewSecret,
		NewSigningKey: webhook.NewSigningKey,
		Poll:          time.Second,
	}
}

// raiseReminders raises every reminder that has come due, when the day's send time passes
// and after downtime, checking every ReminderInterval; every replica may run it (young
// people are claimed with locks the others skip).
func (a *App) raiseReminders(ctx context.Context) {
	t := time.NewTicker(a.cfg.ReminderInterval)
	defer t.Stop()
	for {
		n, err := a.planner.RefreshReminders(ctx, a.store, planner.ReminderBatch, 2)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Warn("raising reminders failed; will retry", "error", err)
		case n > 0:
			a.log.Info("raised due reminders", "young_people", n)
			if a.dispatcher != nil {
				a.dispatcher.Poke()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
