package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/carepath/carepath/internal/jobs"
	"github.com/carepath/carepath/internal/planner"
)

// Operators' metrics besides the gRPC server's, the deliveries' (delivery.NewSender) and the
// audit sealer's (newSealer): reminders raised, and with PostgreSQL the connection pool and
// the delivery queue.

// countReminders counts the reminders this replica's planner raises.
func countReminders(p *planner.Planner, reg prometheus.Registerer) {
	raised := prometheus.NewCounter(prometheus.CounterOpts{Name: "carepath_reminders_raised_total",
		Help: "Reminders this replica raised (age thresholds and due dates), one per recipient."})
	reg.MustRegister(raised)
	p.OnRaised(func(n int) { raised.Add(float64(n)) })
}

// poolCollector reports the database connection pool's statistics at each scrape.
type poolCollector struct {
	pool                                         *pgxpool.Pool
	conns, max, acquires, waited, wait, canceled *prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("carepath_db_pool_"+name, help, labels, nil)
	}
	return &poolCollector{pool: pool,
		conns:    d("connections", "Connections in the pool by state: acquired (in use), idle or constructing.", "state"),
		max:      d("max_connections", "Most connections the pool opens."),
		acquires: d("acquires_total", "Connections acquired from the pool."),
		waited:   d("waited_acquires_total", "Acquires that waited for a connection (none was idle)."),
		wait:     d("acquire_wait_seconds_total", "Time spent waiting to acquire connections."),
		canceled: d("canceled_acquires_total", "Acquires given up (the call's deadline passed) before a connection was free."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.max, c.acquires, c.waited, c.wait, c.canceled} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(c.max, gauge, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.acquires, counter, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.waited, counter, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.wait, counter, s.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(c.canceled, counter, float64(s.CanceledAcquireCount()))
}

// queueCollector reports the webhook delivery queue's depth: River's jobs not yet finished,
// by state, read from the database at each scrape (every replica reports the same queue).
type queueCollector struct {
	pool  *pgxpool.Pool
	log   *slog.Logger
	depth *prometheus.Desc
}

// queueStates are River's states of a job not yet finished.
var queueStates = []string{"available", "scheduled", "retryable", "running", "pending"}

func newQueueCollector(pool *pgxpool.Pool, log *slog.Logger) *queueCollector {
	return &queueCollector{pool: pool, log: log, depth: prometheus.NewDesc("carepath_delivery_queue_jobs",
		"Webhook delivery jobs in River's queue not yet finished, by state (the same on every replica).",
		[]string{"state"}, nil)}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth }

// Collect reports nothing when the database does not answer in time: a scrape must not hang
// on it, and the gap in the series shows.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT state::text, count(*) FROM river_job
		WHERE queue = $1 AND state = ANY($2::river_job_state[]) GROUP BY state`, jobs.Queue, queueStates)
	if err != nil {
		c.log.Debug("reading the delivery queue's depth failed", "error", err)
		return
	}
	counts := map[string]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			rows.Close()
			return
		}
		counts[state] = n
	}
	if rows.Err() != nil {
		c.log.Debug("reading the delivery queue's depth failed", "error", rows.Err())
		return
	}
	for _, state := range queueStates {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(counts[state]), state)
	}
}
