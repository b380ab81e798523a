package app_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
)

// metrics scrapes /metrics and returns each series (name with its labels, as written) and
// its value.
func (s *server) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	r := s.as("").do(t, "GET", "/metrics", "")
	if r.code != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d", r.code)
	}
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(r.body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// The operators' metrics on PostgreSQL: reminders raised, the delivery queue's depth, the
// connection pool and the audit trail's sealing lag, with values that follow what happened.
func TestOperatorMetrics(t *testing.T) {
	t.Parallel()
	cfg := postgresBackend().configure(t)
	cfg.WebhookAllowPrivate = true
	s := start(t, cfg)
	admin := s.as(tokenFor(t, "ada-admin"))
	// A receiver that is down for an hour: the delivery waits in the queue for its retry.
	hook := newReceiver(t, http.StatusServiceUnavailable)
	mustREST(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints",
		fmt.Sprintf(`{"url": %q, "description": "case system"}`, hook.URL)))

	before := s.metrics(t)
	mustREST(t, s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 16, Months: 3}, 5, "MET-1", s.person)))
	eventually(t, "an attempt at the receiver", func() bool { return len(hook.got()) > 0 })

	var m map[string]float64
	eventually(t, "the delivery waiting in the queue", func() bool {
		m = s.metrics(t)
		return m[`carepath_delivery_queue_jobs{state="retryable"}`]+m[`carepath_delivery_queue_jobs{state="scheduled"}`] >= 1
	})
	if raised := m["carepath_reminders_raised_total"] - before["carepath_reminders_raised_total"]; raised < 1 {
		t.Errorf("carepath_reminders_raised_total rose by %v for a young person due a reminder", raised)
	}
	for _, state := range []string{"available", "scheduled", "retryable", "running", "pending"} {
		if _, ok := m[`carepath_delivery_queue_jobs{state="`+state+`"}`]; !ok {
			t.Errorf("no carepath_delivery_queue_jobs for state %s", state)
		}
	}
	if m["carepath_db_pool_max_connections"] < 1 || m["carepath_db_pool_acquires_total"] <= before["carepath_db_pool_acquires_total"] {
		t.Errorf("pool: max %v, acquires %v then %v", m["carepath_db_pool_max_connections"],
			before["carepath_db_pool_acquires_total"], m["carepath_db_pool_acquires_total"])
	}
	open := m[`carepath_db_pool_connections{state="acquired"}`] + m[`carepath_db_pool_connections{state="idle"}`]
	if open < 1 || open > m["carepath_db_pool_max_connections"] {
		t.Errorf("pool: %v connections open of at most %v", open, m["carepath_db_pool_max_connections"])
	}
	// The calls above wrote audit records; the sealer (every second) catches up with them.
	eventually(t, "the audit trail sealed", func() bool {
		m = s.metrics(t)
		return m["carepath_audit_records_sealed_total"] >= 1 && m["carepath_audit_unsealed_records"] == 0
	})
	if lag, ok := m["carepath_audit_sealing_lag_seconds"]; !ok || lag != 0 {
		t.Errorf("sealing lag %v (reported: %v) with nothing left unsealed", lag, ok)
	}
}
