// Package testclock is the one clock of carepath's tests. A test that needs today's date or
// the time of day takes it from Now, never from time.Now, so that the whole suite can be run
// as if it were any moment:
//
//	CAREPATH_TEST_NOW=2027-03-28T00:30:00Z make test
//
// With the variable set, Now starts at that instant when first called and then runs on with
// real elapsed time, as a machine whose clock was set to the instant would (timeouts, retry
// back-offs and token lifetimes keep working). Without it, Now is time.Now. Tests that time
// something (deadlines, polling) or mint tokens for real servers keep the real clock.
//
// Only tests import this package (the archtest keeps it out of the binary).
package testclock

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// Env is the environment variable holding the instant the suite runs as of (RFC 3339).
const Env = "CAREPATH_TEST_NOW"

var (
	once   sync.Once
	start  time.Time // the instant; zero for the real clock
	origin time.Time // when the clock was started, on the real (monotonic) clock
)

func load() {
	v := os.Getenv(Env)
	if v == "" {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		panic(fmt.Sprintf("%s=%q is not an RFC 3339 instant such as 2026-03-29T00:30:00Z: %v", Env, v, err))
	}
	start, origin = t.In(time.Local), time.Now()
}

// Now is the tests' current time: CAREPATH_TEST_NOW plus the time elapsed since the first
// call, or the real time when it is unset.
func Now() time.Time {
	once.Do(load)
	if start.IsZero() {
		return time.Now()
	}
	return start.Add(time.Since(origin))
}

// Set reports whether the suite runs as of a chosen instant.
func Set() bool {
	once.Do(load)
	return !start.IsZero()
}
