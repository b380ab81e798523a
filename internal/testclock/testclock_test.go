package testclock_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/testclock"
)

// The instant is read from the environment once and then runs on with real time.
func TestNowFollowsTheEnvironment(t *testing.T) {
	if os.Getenv("TESTCLOCK_CHILD") == "1" {
		first := testclock.Now()
		want := time.Date(2028, 2, 29, 0, 30, 0, 0, time.UTC)
		if d := first.Sub(want); d < 0 || d > time.Minute || !testclock.Set() {
			t.Fatalf("Now() = %v; want %v or just after", first, want)
		}
		if !testclock.Now().After(first) && !testclock.Now().Equal(first) {
			t.Fatal("the clock ran backwards")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNowFollowsTheEnvironment$")
	cmd.Env = append(os.Environ(), "TESTCLOCK_CHILD=1", testclock.Env+"=2028-02-29T00:30:00Z")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
