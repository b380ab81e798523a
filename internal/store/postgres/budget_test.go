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
		// The deadline is relative to the real clock, as context deadlines are.
		ctx, cancel := context.WithTimeout(context.Background(), tc.left)
		got := txBudget(ctx, tc.maxTx)
		cancel()
		if got > tc.want || got < tc.want-100*time.Millisecond {
			t.Errorf("%v left, limit %v: budget %v, want about %v", tc.left, tc.maxTx, got, tc.want)
		}
	}
}
