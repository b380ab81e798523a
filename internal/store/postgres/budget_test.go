package postgres

import (
	"context"
	"testing"
	"time"
)

// A transaction ends a little before its caller's deadline, leaving time to answer, and
// never later than the store's limit.
func TestTxBudget(t *testing.T) {
	if got := txBudget(context.Background(), time.Minute); got != time.Minute {
		t.Errorf("no deadline: %v, want the limit", got)
	}
	for _, tc := range []struct {
		left, maxTx, want time.Duration
	}{
		{2 * time.Second, time.Minute, 1800 * time.Millisecond}, // a tenth kept back
		{15 * time.Second, time.Minute, 14 * time.Second},       // at most a second kept back
		{5 * time.Minute, time.Minute, time.Minute},             // the limit
	} {
		if got := budget(tc.left, tc.maxTx); got != tc.want {
			t.Errorf("%v left, limit %v: budget %v, want %v", tc.left, tc.maxTx, got, tc.want)
		}
	}
	// With a deadline, what is left of it: read on the real clock, so only bounded.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if got := txBudget(ctx, time.Minute); got > 14*time.Second || got < 10*time.Second {
		t.Errorf("15s left: budget %v, want 10s to 14s", got)
	}
}
