package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/testclock"
)

// TestMain lets the test binary be the bare reference server too: the tool starts it by
// re-executing itself.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == roleBare {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := bareMain(ctx, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// loadArgs runs the tool briefly on a database, on the tests' clock. The durations only
// keep the test short: nothing here asserts how fast anything is.
func loadArgs(db string, more ...string) []string {
	args := []string{"--database-url", db, "--young-people", "12", "--seed-callers", "4",
		"--duration", "300ms", "--warmup", "50ms"}
	if testclock.Set() {
		args = append(args, "--clock-start", testclock.Now().Format(time.RFC3339Nano))
	}
	return append(args, more...)
}

func runTool(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func readResults(t *testing.T, path string) results {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r results
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Every call over both protocols against a real carepath and the bare server: seeded,
// measured without errors, each with its ratio to the bare server; then the same database
// reused for a short soak.
func TestLoadToolMeasuresEveryCallAndSoaks(t *testing.T) {
	db := pgtest.NewEmptyDatabase(t)
	out := filepath.Join(t.TempDir(), "load.json")
	code, stdout, stderr := runTool(t, loadArgs(db, "--protocols", "grpc,rest", "--concurrency", "2", "--json", out))
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := readResults(t, out)
	if r.Seeded.YoungPeople != 12 || r.Seeded.Shared == 0 || r.Seeded.Milestones == 0 {
		t.Errorf("seeded %+v, want 12 young people with pathways, some shared", r.Seeded)
	}
	if r.IdleRSSMiB <= 0 || r.RSSAfterMiB <= 0 {
		t.Errorf("RSS idle %.1f, after %.1f MiB: want both read", r.IdleRSSMiB, r.RSSAfterMiB)
	}
	if len(r.Bare) != 2 || len(r.BareAgain) != 2 || len(r.Cells) != len(callNames)*2 {
		t.Fatalf("%d bare, %d bare again and %d carepath cells, want 2, 2 and %d", len(r.Bare), len(r.BareAgain),
			len(r.Cells), len(callNames)*2)
	}
	for _, c := range r.Cells {
		// Each ratio is to the mean of the ceiling's two measures over the same protocol.
		var before, again float64
		for i := range r.Bare {
			if r.Bare[i].Protocol == c.Protocol && r.Bare[i].Callers == c.Callers {
				before = r.Bare[i].CallsPerSecond
			}
			if r.BareAgain[i].Protocol == c.Protocol && r.BareAgain[i].Callers == c.Callers {
				again = r.BareAgain[i].CallsPerSecond
			}
		}
		got := math.NaN() // none
		if c.Ratio != nil {
			got = *c.Ratio
		}
		if want := c.CallsPerSecond / ((before + again) / 2); !(math.Abs(got-want) <= 1e-9*want) {
			t.Errorf("%s: ratio %.4f, want %.4f (%.0f calls/s against the ceiling's %.0f and %.0f)", c.label(), got, want,
				c.CallsPerSecond, before, again)
		}
	}
	if !strings.Contains(stdout, "The ceiling, measured before carepath's cells and again after them, moved by") {
		t.Errorf("the report does not say how far the ceiling moved:\n%s", stdout)
	}
	for _, c := range r.allCells() {
		if c.Calls == 0 || c.Errors != 0 || c.ServerCPUMicros <= 0 || c.P99Millis < c.P50Millis {
			t.Errorf("%s: %d calls, %d errors (%s), %.0f µs server CPU a call, p50 %.2f p99 %.2f ms",
				c.label(), c.Calls, c.Errors, c.FirstError, c.ServerCPUMicros, c.P50Millis, c.P99Millis)
		}
		if c.DatabaseCPUMicros == nil { // the test database runs on this machine
			t.Errorf("%s: database CPU a call not read", c.label())
		} else if *c.DatabaseCPUMicros <= 0 {
			t.Errorf("%s: database CPU a call %.1f µs, want it read", c.label(), *c.DatabaseCPUMicros)
		}
		if (c.Server == "carepath") != (c.Ratio != nil) {
			t.Errorf("%s: ratio %v: want one for each carepath cell only", c.label(), c.Ratio)
		}
	}
	if len(r.Targets) != 8 {
		t.Errorf("%d targets, want the issue's 8", len(r.Targets))
	}
	// A create plans nothing (not in care); an admit plans a whole pathway.
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var planned, unplanned int
	if err := conn.QueryRow(context.Background(), `SELECT
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM milestones m WHERE m.young_person_id = y.id)),
			count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM milestones m WHERE m.young_person_id = y.id))
		FROM young_people y WHERE y.case_reference LIKE 'LOADC-%'`).Scan(&planned, &unplanned); err != nil {
		t.Fatal(err)
	}
	if admits, creates := callsOf(r, "admit"), callsOf(r, "create"); planned < admits || unplanned < creates {
		t.Errorf("%d young people created with a pathway and %d without, want at least the %d admits and %d creates",
			planned, unplanned, admits, creates)
	}
	for _, want := range []string{"x bare get", "database CPU/call µs", "GetYoungPerson over gRPC, 32 callers", "NOT MEASURED"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}

	// Again on the seeded database: nothing seeded twice, and a soak.
	code, stdout, stderr = runTool(t, loadArgs(db, "--calls", "get,housing", "--concurrency", "2",
		"--soak", "1s", "--soak-every", "250ms", "--json", out))
	if code != 0 {
		t.Fatalf("soak: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "reusing the 12 young people already seeded") {
		t.Errorf("the second run should reuse the seeded council:\n%s", stderr)
	}
	r = readResults(t, out)
	if r.Soak == nil || len(r.Soak.SamplesMiB) < 2 || r.Soak.Calls == 0 || r.Soak.Errors != 0 || len(r.Cells) != 0 {
		t.Errorf("soak: %+v, %d cells; want samples and calls without errors, and no cells", r.Soak, len(r.Cells))
	}
}

// callsOf is how many calls of name the cells measured.
func callsOf(r results, name string) int {
	n := 0
	for _, c := range r.Cells {
		if c.Call == name {
			n += c.Calls
		}
	}
	return n
}

// The create target is judged on admits, which plan a pathway, never on bare
// creates, which have nothing to plan.
func TestTheCreateTargetIsJudgedOnAdmits(t *testing.T) {
	create := cell{Server: "carepath", Call: "create", Protocol: grpcProtocol, Callers: 16, CallsPerSecond: 1200}
	admit := create
	admit.Call, admit.CallsPerSecond = "admit", 300
	for _, c := range []struct {
		cells []cell
		want  string
	}{
		{[]cell{create}, notMeasured},
		{[]cell{create, admit}, verdict(false)},
	} {
		judged := 0
		for _, got := range checkTargets(&results{Cells: c.cells}) {
			if strings.Contains(got.Target, "Creating young people") {
				judged++
				if got.Result != c.want {
					t.Errorf("cells %v: %s %s, want %s", c.cells, got.Result, got.Value, c.want)
				}
			}
		}
		if judged != 1 {
			t.Errorf("%d targets of creating young people, want 1", judged)
		}
	}
}

// REST is judged against gRPC for every call measured over both, so one slow call fails
// the target whatever GetYoungPerson reaches; a call over one protocol only is not judged.
func TestRESTIsJudgedAgainstGRPCOnEveryCall(t *testing.T) {
	at := func(call, protocol string, perSecond float64) cell {
		return cell{Server: "carepath", Call: call, Protocol: protocol, Callers: 32, CallsPerSecond: perSecond}
	}
	get := []cell{at("get", grpcProtocol, 1000), at("get", restProtocol, 900)}
	for _, c := range []struct {
		cells      []cell
		want, says string
	}{
		{get[:1], notMeasured, ""},
		{get, pass, "get 0.900x"},
		{append(get, at("pathway", grpcProtocol, 400)), pass, "get 0.900x"},
		{append(get, at("pathway", grpcProtocol, 400), at("pathway", restProtocol, 200)), fail, "get 0.900x, pathway 0.500x"},
	} {
		judged := 0
		for _, got := range checkTargets(&results{Cells: c.cells}) {
			if strings.HasPrefix(got.Target, "REST at least 0.8x gRPC") {
				judged++
				if got.Result != c.want || got.Value != c.says {
					t.Errorf("%d cells: %s %q, want %s %q", len(c.cells), got.Result, got.Value, c.want, c.says)
				}
			}
		}
		if judged != 1 {
			t.Errorf("%d targets of REST against gRPC, want 1", judged)
		}
	}
}

// GetYoungPerson is judged against the mean of the ceiling's measures before and after
// carepath's cells, and a ratio just short of its target reads as short of it.
func TestGetIsJudgedAgainstTheMeanOfTheCeilingsMeasures(t *testing.T) {
	bare := func(server string, perSecond float64) cell {
		return cell{Server: server, Call: "get", Protocol: grpcProtocol, Callers: 32, CallsPerSecond: perSecond}
	}
	get := bare("carepath", 4990)
	for _, c := range []struct {
		before, again []cell
		want, says    string
	}{
		{[]cell{bare("bare", 10000)}, nil, fail, "0.499x (4990 against 10000 calls/s)"},
		{[]cell{bare("bare", 10000)}, []cell{bare(bareAgain, 9900)}, pass, "0.501x (4990 against 9950 calls/s)"},
		{[]cell{bare("bare", 9000)}, []cell{bare(bareAgain, 11000)}, fail, "0.499x (4990 against 10000 calls/s)"},
		{[]cell{bare("bare", 9985)}, nil, fail, "0.499x (4990 against 9985 calls/s)"}, // 0.49975x, not "0.500x"
	} {
		r := &results{Bare: c.before, BareAgain: c.again, Cells: []cell{get}}
		r.setRatios()
		judged := 0
		for _, got := range checkTargets(r) {
			if !strings.HasPrefix(got.Target, "GetYoungPerson over gRPC, 32 callers: at least 0.5x") {
				continue
			}
			judged++
			if got.Result != c.want || got.Value != c.says {
				t.Errorf("ceiling %v then %v: %s %q, want %s %q", c.before, c.again, got.Result, got.Value, c.want, c.says)
			}
		}
		if judged != 1 {
			t.Errorf("%d targets of GetYoungPerson against the ceiling, want 1", judged)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--calls", "get,frobnicate"},
		{"--protocols", "grpc,soap"},
		{"--concurrency", "0"},
		{"--duration", "0s"},
		{"surplus"},
	} {
		if code, _, stderr := runTool(t, args); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
	cfg, err := parseFlags([]string{"--calls", "create,get", "--concurrency", "32,1,32"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.calls, ",") != "get,create" || len(cfg.concurrency) != 2 || cfg.concurrency[0] != 1 {
		t.Errorf("calls %v, concurrency %v: want creates last and callers sorted once each", cfg.calls, cfg.concurrency)
	}
}

func TestSoakGrowthIsALeakNotTheCollectorsSwing(t *testing.T) {
	// Memory that swings by 20 MiB with each collection but does not grow.
	var swinging, leaking []float64
	for i := range 60 {
		swinging = append(swinging, 130+float64(i%3)*10)
		leaking = append(leaking, 130+float64(i%3)*10+float64(i)*0.5)
	}
	// The sample halfway is a trough and the last a peak: one against the other would say
	// +20 MiB.
	swinging[30], swinging[59] = 130, 150
	for _, c := range []struct {
		name    string
		samples []float64
		grows   bool
	}{{"swinging", swinging, false}, {"leaking half a MiB a sample", leaking, true}} {
		s := soakResult{SamplesMiB: c.samples}
		s.GrowthMiB, s.BaseMiB = growth(c.samples)
		if s.grows() != c.grows {
			t.Errorf("%s: growth %+.1f MiB from %.1f MiB, grows() = %v, want %v", c.name, s.GrowthMiB, s.BaseMiB, s.grows(), c.grows)
		}
	}
	if g, b := growth([]float64{1, 2, 3}); g != 0 || b != 0 {
		t.Errorf("three samples: growth %v from %v, want none", g, b)
	}
}
