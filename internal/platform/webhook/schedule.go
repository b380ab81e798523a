package webhook

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Schedule is the wait before each retry: attempt 1 is immediate and attempt k+1 comes
// Schedule[k-1] after attempt k fails.
type Schedule []time.Duration

// DefaultSchedule is the example schedule of the Standard Webhooks specification:
// nine retries over about three days, long enough to ride out a receiver's outage.
var DefaultSchedule = Schedule{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour,
	14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// Next returns how long to wait after attempt (1-based) fails, or false when the
// schedule is exhausted and the delivery has failed. The wait varies by up to ±10% so
// deliveries that failed together do not all retry together.
func (s Schedule) Next(attempt int) (time.Duration, bool) {
	if attempt < 1 || attempt > len(s) {
		return 0, false
	}
	d := s[attempt-1]
	if j := int64(d / 10); j > 0 {
		d += time.Duration(rand.Int64N(2*j+1) - j)
	}
	return d, true
}

const maxScheduleLen = 40

// ParseSchedule parses a comma-separated list of durations such as "5s,5m,30m".
func ParseSchedule(v string) (Schedule, error) {
	if strings.TrimSpace(v) == "" {
		return nil, errors.New("webhook schedule is empty")
	}
	parts := strings.Split(v, ",")
	if len(parts) > maxScheduleLen {
		return nil, fmt.Errorf("webhook schedule has %d entries; at most %d are allowed", len(parts), maxScheduleLen)
	}
	s := make(Schedule, len(parts))
	for i, p := range parts {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("webhook schedule entry %d: %w", i+1, err)
		}
		if d <= 0 {
			return nil, fmt.Errorf("webhook schedule entry %d: %s is not positive", i+1, d)
		}
		s[i] = d
	}
	return s, nil
}

// Window is how long after its first attempt a delivery may still be retried: the whole
// schedule with its greatest jitter. A receiver's Retry-After never stretches it.
func (s Schedule) Window() time.Duration {
	var total time.Duration
	for _, d := range s {
		total += d + d/10
	}
	return total
}
