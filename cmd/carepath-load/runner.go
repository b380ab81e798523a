package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// results is everything a run measured, as printed and as --json writes it.
type results struct {
	Time            time.Time `json:"time"`
	CarepathVersion string    `json:"carepath_version"`
	Source          string    `json:"source"` // the commit carepath was built from
	CPUs            int       `json:"cpus"`
	Settings        settings  `json:"settings"`
	Seeded          seedInfo  `json:"seeded"`
	// IdleRSSMiB is carepath's resident memory once ready, before any call; RSSAfterMiB
	// after the last cell (or the soak).
	IdleRSSMiB  float64 `json:"idle_rss_mib"`
	RSSAfterMiB float64 `json:"rss_after_mib"`
	Bare        []cell  `json:"bare"`
	Cells       []cell  `json:"cells"`
	// BareAgain is the ceiling measured again after carepath's cells: a shared machine's
	// speed moves over a run, and each ratio is to the mean of the two measures.
	BareAgain []cell        `json:"bare_again,omitempty"`
	Soak      *soakResult   `json:"soak,omitempty"`
	Targets   []targetCheck `json:"targets"`
}

type settings struct {
	Calls       []string `json:"calls"`
	Protocols   []string `json:"protocols"`
	Concurrency []int    `json:"concurrency"`
	Duration    string   `json:"duration"`
	Warmup      string   `json:"warmup"`
	Soak        string   `json:"soak,omitempty"`
}

type seedInfo struct {
	YoungPeople int     `json:"young_people"`
	Shared      int     `json:"shared_with_housing_partner"`
	Milestones  float64 `json:"milestones_per_young_person"`
}

// failingCells names the cells where more than 1% of the calls failed.
func (r *results) failingCells() []string {
	var out []string
	for _, c := range r.allCells() {
		if c.errorRate() > 0.01 {
			out = append(out, fmt.Sprintf("%s (%d of %d failed; first: %s)", c.label(), c.Errors, c.Calls+c.Errors, c.FirstError))
		}
	}
	if r.Soak != nil && r.Soak.Errors*100 > r.Soak.Calls+r.Soak.Errors {
		out = append(out, fmt.Sprintf("the soak (%d of %d failed; first: %s)", r.Soak.Errors, r.Soak.Calls+r.Soak.Errors, r.Soak.FirstError))
	}
	return out
}

// measureRun prepares the database and the servers and measures; progress goes to
// stderr. It returns what it measured even when it stops early.
func measureRun(ctx context.Context, cfg config, stdout, stderr io.Writer) (_ *results, err error) {
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "carepath-load: "+format+"\n", args...) }
	dir, err := os.MkdirTemp("", "carepath-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, source := cfg.carepathBin, "the binary "+cfg.carepathBin
	if bin == "" {
		progress("building carepath")
		if bin, err = buildCarepath(ctx, dir); err != nil {
			return nil, err
		}
		source = sourceCommit(ctx)
	}
	dbURL := cfg.databaseURL
	if dbURL == "" {
		var drop func(context.Context) error
		if dbURL, drop, err = createDatabase(ctx, cfg.postgresURL); err != nil {
			return nil, err
		}
		if cfg.keepDatabase {
			defer progress("the seeded database is kept; reuse it with --database-url '%s'", dbURL)
		} else {
			defer func() { err = errors.Join(err, drop(context.WithoutCancel(ctx))) }()
		}
	}
	env := []string{"CAREPATH_DATABASE_URL=" + dbURL, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
		"CAREPATH_DEV_ISSUER=true", "CAREPATH_DEV_ISSUER_FORCE=true",
		// The tool measures capacity, with a few named people calling as fast as they can:
		// the per-caller rate limits would measure themselves instead.
		"CAREPATH_RATE_LIMIT_PRINCIPAL=0", "CAREPATH_RATE_LIMIT_ORGANISATION=0"}
	today := time.Now()
	if !cfg.clockStart.IsZero() {
		env = append(env, "CAREPATH_CLOCK_START="+cfg.clockStart.Format(time.RFC3339Nano))
		today = cfg.clockStart
	}
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if _, err := carepathCommand(ctx, bin, env, "migrate"); err != nil {
		return nil, err
	}
	version, err := carepathCommand(ctx, bin, nil, "version")
	if err != nil {
		return nil, err
	}
	data, err := seedCouncil(ctx, cfg, bin, env, dbURL, dir, today, progress)
	if err != nil {
		return nil, err
	}
	res := &results{Time: time.Now().UTC().Round(time.Second), CarepathVersion: version, Source: source, CPUs: runtime.NumCPU(),
		Settings: settings{Calls: cfg.calls, Protocols: cfg.protocols, Concurrency: cfg.concurrency,
			Duration: cfg.duration.String(), Warmup: cfg.warmup.String()},
		Seeded: seedInfo{YoungPeople: len(data.ids), Shared: len(data.shared), Milestones: data.milestones}}
	defer func() {
		res.setRatios()
		res.Targets = checkTargets(res)
	}()
	tok, err := mintTokens(ctx, bin)
	if err != nil {
		return res, err
	}
	if len(data.shared) == 0 && slices.Contains(cfg.calls, "housing") {
		return res, errNoShared
	}
	runID := make([]byte, 4)
	_, _ = rand.Read(runID)
	plan := cellPlan{warmup: cfg.warmup, duration: cfg.duration, data: data, run: hex.EncodeToString(runID),
		created: new(atomic.Int64), today: today}

	if cfg.soak > 0 {
		res.Settings.Soak = cfg.soak.String()
		return res, soakRun(ctx, cfg, bin, env, dir, plan, tok, res, progress)
	}
	if !cfg.bare {
		return res, measureCarepath(ctx, cfg, bin, env, dir, plan, tok, res, progress)
	}
	if res.Bare, err = measureBare(ctx, cfg, "bare", dbURL, dir, plan, tok, progress); err != nil {
		return res, err
	}
	if err := measureCarepath(ctx, cfg, bin, env, dir, plan, tok, res, progress); err != nil {
		return res, err
	}
	res.BareAgain, err = measureBare(ctx, cfg, bareAgain, dbURL, dir, plan, tok, progress)
	return res, err
}

// bareAgain names the bare server's second measure.
const bareAgain = "bare again"

// measureBare measures the ceiling: the bare server's get over each protocol with each
// number of callers. The server is named name in the cells.
func measureBare(ctx context.Context, cfg config, name, dbURL, dir string, plan cellPlan, tok tokens,
	progress func(string, ...any)) ([]cell, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logPath := dir + "/" + strings.ReplaceAll(name, " ", "-") + ".log"
	srv, err := startProcess(ctx, name, logPath, self, nil, []string{roleEnv + "=" + roleBare, bareDBEnv + "=" + dbURL})
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	plan.server, plan.spec, plan.token = srv, calls["get"], tok[calls["get"].role]
	var out []cell
	for _, protocol := range cfg.protocols {
		for _, n := range cfg.concurrency {
			plan.protocol, plan.callers = protocol, n
			c, err := measureCell(ctx, plan)
			if err != nil {
				return out, err
			}
			progress("%s: %.0f calls/s", c.label(), c.CallsPerSecond)
			out = append(out, c)
		}
	}
	return out, srv.stop()
}

// idleSettle is how long carepath is left alone once ready before its idle memory is read.
const idleSettle = 2 * time.Second

// measureCarepath starts a fresh carepath and measures every cell, reads before creates.
func measureCarepath(ctx context.Context, cfg config, bin string, env []string, dir string, plan cellPlan, tok tokens,
	res *results, progress func(string, ...any)) error {
	srv, err := startIdle(ctx, bin, env, dir, res)
	if err != nil {
		return err
	}
	defer srv.stop()
	plan.server = srv
	for _, name := range cfg.calls {
		plan.spec = calls[name]
		plan.token = tok[plan.spec.role]
		for _, protocol := range cfg.protocols {
			for _, n := range cfg.concurrency {
				plan.protocol, plan.callers = protocol, n
				c, err := measureCell(ctx, plan)
				if err != nil {
					return err
				}
				if ceiling := res.ceiling(protocol, n); ceiling > 0 {
					progress("%s: %.0f calls/s (%.3fx the ceiling measured before it)", c.label(), c.CallsPerSecond,
						c.CallsPerSecond/ceiling)
				} else {
					progress("%s: %.0f calls/s", c.label(), c.CallsPerSecond)
				}
				res.Cells = append(res.Cells, c)
			}
		}
	}
	after, err := srv.usage()
	if err != nil {
		return err
	}
	res.RSSAfterMiB = mib(after.rss)
	return srv.stop()
}

// startIdle starts the carepath under measurement and records its idle memory.
func startIdle(ctx context.Context, bin string, env []string, dir string, res *results) (*process, error) {
	srv, err := startProcess(ctx, "carepath", dir+"/carepath.log", bin, []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	if err := sleep(ctx, idleSettle); err != nil {
		srv.stop()
		return nil, err
	}
	idle, err := srv.usage()
	if err != nil {
		srv.stop()
		return nil, err
	}
	res.IdleRSSMiB = mib(idle.rss)
	return srv, nil
}

// ceiling is the bare server's get calls a second over protocol with as many callers: the
// mean of its measures in this run (before carepath's cells and, once measured, after them);
// 0 if it was not measured.
func (r *results) ceiling(protocol string, callers int) float64 {
	var sum float64
	var n int
	for _, c := range slices.Concat(r.Bare, r.BareAgain) {
		if c.Protocol == protocol && c.Callers == callers && c.CallsPerSecond > 0 {
			sum += c.CallsPerSecond
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// setRatios gives each carepath cell its ratio to the ceiling, once every measure of the
// ceiling is in.
func (r *results) setRatios() {
	for i := range r.Cells {
		c := &r.Cells[i]
		c.Ratio = nil
		if ceiling := r.ceiling(c.Protocol, c.Callers); ceiling > 0 {
			ratio := c.CallsPerSecond / ceiling
			c.Ratio = &ratio
		}
	}
}

// allCells are the cells in the order they were measured.
func (r *results) allCells() []cell {
	return slices.Concat(r.Bare, r.Cells, r.BareAgain)
}
