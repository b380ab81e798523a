package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// startRetry bounds the wait between attempts to start River.
const startRetry = 30 * time.Second

// RunRiver works client's jobs until ctx ends, then lets running jobs finish for up to
// drain before cancelling them. River cannot start while the database does not answer (its
// first connection times out); that is an outage to ride out, not a reason for the server
// to stop, so it tries again, waiting 1 s and then twice as long each time up to 30 s.
// Deliveries wait in the database meanwhile.
func RunRiver(ctx context.Context, client *river.Client[pgx.Tx], drain time.Duration, log *slog.Logger) {
	for wait := time.Second; ; wait = min(2*wait, startRetry) {
		err := startRiver(ctx, client, drain, log)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("webhook delivery workers could not start; will try again", "in", wait, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	<-ctx.Done()
	stopRiver(client, drain, log)
}

// startRiver starts client, giving up (and stopping what has started) when ctx ends first.
// Start runs without ctx: River's work ends with Stop, not with the context Start was given.
func startRiver(ctx context.Context, client *river.Client[pgx.Tx], drain time.Duration, log *slog.Logger) error {
	started := make(chan error, 1)
	go func() { started <- client.Start(context.WithoutCancel(ctx)) }()
	select {
	case err := <-started:
		return err
	case <-ctx.Done():
		stopRiver(client, drain, log) // interrupts a Start under way
		<-started
		stopRiver(client, drain, log) // in case Start got past the first Stop
		return ctx.Err()
	}
}

// stopRiver lets running jobs finish for up to drain, then cancels them. A cancelled job
// snoozes and runs again at once elsewhere, with the same webhook-id.
func stopRiver(client *river.Client[pgx.Tx], drain time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := client.Stop(ctx); err != nil {
		log.Warn("delivery workers did not stop in time; cancelling them", "error", err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.StopAndCancel(ctx)
	}
}
