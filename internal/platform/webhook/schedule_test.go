package webhook

import (
	"testing"
	"time"
)

func TestDefaultSchedule(t *testing.T) {
	if len(DefaultSchedule) != 9 || DefaultSchedule[0] != 5*time.Second || DefaultSchedule[8] != 24*time.Hour {
		t.Fatalf("DefaultSchedule = %v", DefaultSchedule)
	}
	var total time.Duration
	for _, d := range DefaultSchedule {
		total += d
	}
	if total < 3*24*time.Hour || total > 4*24*time.Hour {
		t.Errorf("DefaultSchedule spans %v, want about three days", total)
	}
}

func TestScheduleNext(t *testing.T) {
	s := Schedule{10 * time.Second, time.Hour, 1} // 1ns: too short to jitter
	for attempt, base := range s {
		lo, hi := base-base/10, base+base/10
		seen := map[time.Duration]bool{}
		for range 200 {
			d, ok := s.Next(attempt + 1)
			if !ok || d < lo || d > hi {
				t.Fatalf("Next(%d) = %v, %v; want within [%v, %v]", attempt+1, d, ok, lo, hi)
			}
			seen[d] = true
		}
		if base >= 10*time.Second && len(seen) < 2 {
			t.Errorf("Next(%d) never varies", attempt+1)
		}
	}
	for _, attempt := range []int{-1, 0, 4, 100} {
		if d, ok := s.Next(attempt); ok || d != 0 {
			t.Errorf("Next(%d) = %v, %v; want exhausted", attempt, d, ok)
		}
	}
	if _, ok := DefaultSchedule.Next(9); !ok {
		t.Error("DefaultSchedule.Next(9) exhausted; there are nine retries")
	}
	if _, ok := DefaultSchedule.Next(10); ok {
		t.Error("DefaultSchedule.Next(10) not exhausted")
	}
	if _, ok := Schedule(nil).Next(1); ok {
		t.Error("empty schedule not exhausted")
	}
}

func TestParseSchedule(t *testing.T) {
	s, err := ParseSchedule("5s, 5m,30m,1h30m")
	if err != nil {
		t.Fatal(err)
	}
	want := Schedule{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 90 * time.Minute}
	if len(s) != len(want) {
		t.Fatalf("ParseSchedule = %v", s)
	}
	for i := range want {
		if s[i] != want[i] {
			t.Fatalf("ParseSchedule = %v, want %v", s, want)
		}
	}

	forty := "1s" + stringsRepeat(",1s", 39)
	if s, err := ParseSchedule(forty); err != nil || len(s) != 40 {
		t.Errorf("40 entries: %v, %v", len(s), err)
	}
	for _, v := range []string{"", " ", "5s,", ",5s", "5s,,5m", "0s", "5s,-1m", "5", "five", forty + ",1s"} {
		if s, err := ParseSchedule(v); err == nil {
			t.Errorf("ParseSchedule(%q) = %v, want an error", v, s)
		}
	}
}

func stringsRepeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestWindowCoversTheScheduleWithJitter(t *testing.T) {
	s := Schedule{10 * time.Second, time.Minute}
	if got := s.Window(); got != 77*time.Second {
		t.Errorf("Window = %s, want 77s", got)
	}
	var worst time.Duration
	for attempt := 1; ; attempt++ {
		d, ok := s.Next(attempt)
		if !ok {
			break
		}
		worst += d
	}
	if worst > s.Window() {
		t.Errorf("the waits add up to %s, beyond the window %s", worst, s.Window())
	}
}
