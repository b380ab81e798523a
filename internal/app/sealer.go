package app

import (
	"context"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/postgres"
)

// sealer seals the audit trail in the background: calls write their records unsealed, and
// every replica runs a sealer that, each interval, seals what has committed since (the store
// lets one seal at a time; the others skip) and catches up in batches after downtime. Every
// new head is logged at INFO, chain, seq and hash only: shipped to a log store, those lines
// are checkpoints outside the database that `carepath audit verify --checkpoint` accepts.
type sealer struct {
	store    store.Store
	now      func() time.Time
	ready    func() bool
	log      *slog.Logger
	sealed   prometheus.Counter
	unsealed prometheus.Gauge
	lag      prometheus.Gauge
	failing  bool // the last round failed (logged once, until it works again)
}

// sealBatch is how many records one sealing transaction takes.
const sealBatch = 1000

func newSealer(s store.Store, now func() time.Time, ready func() bool, log *slog.Logger, reg prometheus.Registerer) *sealer {
	x := &sealer{store: s, now: now, ready: ready, log: log,
		sealed: prometheus.NewCounter(prometheus.CounterOpts{Name: "carepath_audit_records_sealed_total",
			Help: "Audit records this replica sealed into their hash chains."}),
		unsealed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "carepath_audit_unsealed_records",
			Help: "Audit records written but not yet sealed into their hash chains."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "carepath_audit_sealing_lag_seconds",
			Help: "Age of the oldest audit record not yet sealed (0 when all are sealed)."}),
	}
	reg.MustRegister(x.sealed, x.unsealed, x.lag)
	return x
}

// run seals every interval until ctx ends, once the store is ready; the first time one
// interval after the start.
func (x *sealer) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if x.ready() {
			if !warned {
				x.warnIfOwner(ctx)
				warned = true
			}
			err := x.sealAll(ctx)
			if err == nil {
				err = x.measure(ctx)
			}
			switch {
			case ctx.Err() != nil:
				return
			case err != nil && !x.failing:
				x.log.Warn("sealing the audit trail failed; will retry", "error", err)
			case err == nil && x.failing:
				x.log.Info("sealing the audit trail works again")
			}
			x.failing = err != nil
		}
	}
}

// sealAll seals batch after batch until none is left or another replica is sealing.
func (x *sealer) sealAll(ctx context.Context) error {
	for {
		var done store.AuditSealing
		err := x.store.InTx(ctx, func(tx store.Tx) (err error) {
			done, err = tx.SealAudit(ctx, x.now(), sealBatch)
			return err
		})
		if err != nil {
			return err
		}
		for _, h := range done.Heads {
			x.log.Info("sealed audit chain", "chain", h.Chain, "seq", h.Seq, "hash", hex.EncodeToString(h.Hash))
		}
		x.sealed.Add(float64(done.Sealed))
		if done.Busy || done.Sealed < sealBatch {
			return nil
		}
	}
}

// measure sets the backlog metrics.
func (x *sealer) measure(ctx context.Context) error {
	var b store.AuditBacklog
	err := x.store.InTx(ctx, func(tx store.Tx) (err error) {
		b, err = tx.AuditBacklog(ctx, "")
		return err
	})
	if err != nil {
		return err
	}
	x.unsealed.Set(float64(b.Unsealed))
	x.lag.Set(b.Lag(x.now()).Seconds())
	return nil
}

// warnIfOwner warns when the service's database role could switch the audit trail's
// protections off: it owns the audit tables or is a superuser.
func (x *sealer) warnIfOwner(ctx context.Context) {
	pg, ok := x.store.(*postgres.Store)
	if !ok {
		return
	}
	if mighty, err := pg.CanDisableAuditTriggers(ctx); err == nil && mighty {
		x.log.Warn("the service's database role owns the audit tables or is a superuser, so it could disable their " +
			"triggers: run the service as a role that owns nothing (see carepath migrate --app-role)")
	}
}
