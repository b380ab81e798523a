// Command carepath-load measures carepath under load, honestly enough to compare two
// builds: it seeds a council of young people on PostgreSQL through carepath's own API, runs
// carepath and a bare reference server as separate processes, drives named calls over gRPC
// and REST at chosen numbers of callers, and prints calls/s, p50, p99 and each server's CPU
// per call (from /proc), every figure also as a ratio to the bare server's GetYoungPerson
// measured in the same run: on a shared machine the ratios are what can be compared.
//
//	go run ./cmd/carepath-load --calls get,pathway --protocols grpc,rest --concurrency 1,32
//
// The bare server is this binary again, in a hidden mode: carepath's generated
// YoungPeopleService with GetYoungPerson alone, one primary-key select with pgx per call
// and no authentication, policy or audit, behind an in-process REST gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if os.Getenv(roleEnv) == roleBare {
		code = bareMain(ctx, os.Stderr)
	} else {
		code = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}

// config is what a run is told.
type config struct {
	databaseURL  string // a database to use; empty: create one on postgresURL
	postgresURL  string
	keepDatabase bool
	carepathBin  string
	youngPeople  int
	seedCallers  int
	calls        []string
	protocols    []string
	concurrency  []int
	duration     time.Duration
	warmup       time.Duration
	bare         bool
	soak         time.Duration
	soakEvery    time.Duration
	jsonPath     string
	clockStart   time.Time // zero: the real clock
}

const usageText = `carepath-load measures carepath's calls under load, each as a ratio to a bare server.

Usage:
  carepath-load [flags]

It builds carepath (or takes --carepath-bin), creates and migrates a database (or takes
--database-url), seeds a council of young people through carepath's API as the demo's
people, measures the bare reference server's GetYoungPerson, then each call of --calls
over each of --protocols with each of --concurrency callers, then the bare server again
(each ratio is to the mean of its two measures), and prints the table, how far the
ceiling moved, and the issue's targets with PASS or FAIL. It exits 1 when more than 1% of any cell's calls fail,
never because a target was missed. carepath inherits the environment: CAREPATH_* variables
configure it (the database, token issuer and addresses are the tool's).

Calls (every one by default):
  get        GetYoungPerson of a random seeded young person, as the team manager
  list       ListYoungPeople, a page of 50, as the team manager
  pathway    GetPathway of a random seeded young person, as the team manager
  cliffedge  ListCliffEdgeAssessments, the council's view, as the team manager
  housing    GetHousingReadiness of a young person shared with the housing partner, as its officer
  create     CreateYoungPerson of a 13- or 14-year-old not in care (nothing to plan), as a
             personal adviser (creates run last: they grow the council)
  admit      CreateYoungPerson, then CreateCareEpisode (in care since 12: their pathway is
             planned), as a personal adviser; the issue's create target is judged on it

Flags:
`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet("carepath-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText); fs.PrintDefaults() }
	fs.StringVar(&cfg.databaseURL, "database-url", "",
		"PostgreSQL database to migrate, seed (unless already seeded) and use; empty: a new database on --postgres-url")
	fs.StringVar(&cfg.postgresURL, "postgres-url", envOr("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server on which to create a throwaway database when --database-url is empty")
	fs.BoolVar(&cfg.keepDatabase, "keep-database", false,
		"keep the database created on --postgres-url and print its URL, so a later run can reuse it with --database-url")
	fs.StringVar(&cfg.carepathBin, "carepath-bin", "", "carepath binary to run; empty: go build ./cmd/carepath into a temporary directory")
	fs.IntVar(&cfg.youngPeople, "young-people", 3000, "how many young people to seed")
	fs.IntVar(&cfg.seedCallers, "seed-callers", 8, "callers that seed young people (seeding is not measured)")
	calls := fs.String("calls", strings.Join(callNames, ","), "calls to measure, comma-separated")
	protocols := fs.String("protocols", "grpc,rest", "protocols, comma-separated: grpc, rest")
	concurrency := fs.String("concurrency", "1,16,32", "numbers of concurrent callers, comma-separated")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long each cell is measured")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "how long each cell runs before it is measured")
	fs.BoolVar(&cfg.bare, "bare", true, "measure the bare reference server before carepath and again after it, for the ratios")
	fs.DurationVar(&cfg.soak, "soak", 0,
		"instead of the cells: run the calls together at the largest concurrency for this long, sampling carepath's RSS")
	fs.DurationVar(&cfg.soakEvery, "soak-every", 10*time.Second, "how often --soak samples RSS")
	fs.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file")
	fs.Func("clock-start", "run carepath's clock (and the seeded ages) as if it were this RFC 3339 instant at start",
		func(v string) error {
			t, err := time.Parse(time.RFC3339Nano, v)
			cfg.clockStart = t
			return err
		})
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var errs []error
	cfg.calls = splitList(*calls)
	for _, c := range cfg.calls {
		if !slices.Contains(callNames, c) {
			errs = append(errs, fmt.Errorf("--calls: unknown call %q (known: %s)", c, strings.Join(callNames, ", ")))
		}
	}
	// Creates grow the council, so they run after the reads whatever the order given.
	slices.SortStableFunc(cfg.calls, func(a, b string) int {
		return slices.Index(callNames, a) - slices.Index(callNames, b)
	})
	cfg.protocols = splitList(*protocols)
	for _, p := range cfg.protocols {
		if p != grpcProtocol && p != restProtocol {
			errs = append(errs, fmt.Errorf("--protocols: unknown protocol %q (grpc, rest)", p))
		}
	}
	for _, s := range splitList(*concurrency) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1024 {
			errs = append(errs, fmt.Errorf("--concurrency: %q is not a number of callers from 1 to 1024", s))
			continue
		}
		cfg.concurrency = append(cfg.concurrency, n)
	}
	slices.Sort(cfg.concurrency)
	cfg.concurrency = slices.Compact(cfg.concurrency)
	if len(cfg.calls) == 0 || len(cfg.protocols) == 0 || len(cfg.concurrency) == 0 {
		errs = append(errs, errors.New("--calls, --protocols and --concurrency each need at least one value"))
	}
	if cfg.youngPeople < 1 || cfg.seedCallers < 1 {
		errs = append(errs, errors.New("--young-people and --seed-callers must be at least 1"))
	}
	if cfg.duration <= 0 || cfg.warmup < 0 || cfg.soak < 0 || cfg.soakEvery <= 0 {
		errs = append(errs, errors.New("--duration and --soak-every must be positive, --warmup and --soak not negative"))
	}
	return cfg, errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// run is the command: 0 when every cell's calls failed at most 1%, 1 otherwise or on a
// failure, 2 on bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		fmt.Fprintf(stderr, "carepath-load: %v\n", err)
		return 2
	}
	res, err := measureRun(ctx, cfg, stdout, stderr)
	if res != nil {
		report(stdout, res)
		if cfg.jsonPath != "" {
			if werr := writeJSON(cfg.jsonPath, res); werr != nil {
				err = errors.Join(err, werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "carepath-load: %v\n", err)
		return 1
	}
	if bad := res.failingCells(); len(bad) > 0 {
		fmt.Fprintf(stderr, "carepath-load: more than 1%% of the calls failed in %s\n", strings.Join(bad, "; "))
		return 1
	}
	return 0
}
