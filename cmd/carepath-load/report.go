package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
)

// targetCheck is one target of issue 11 against this run's figures.
type targetCheck struct {
	Target string `json:"target"`
	Value  string `json:"value"`
	Result string `json:"result"` // PASS, FAIL or NOT MEASURED
}

const (
	pass        = "PASS"
	fail        = "FAIL"
	notMeasured = "NOT MEASURED"
)

// idleLimitMiB is the 60 MB (10^6 bytes) of idle memory, in MiB.
const idleLimitMiB = 60e6 / (1 << 20)

func verdict(ok bool) string {
	if ok {
		return pass
	}
	return fail
}

func (r *results) cell(call, protocol string, callers int) *cell {
	for i, c := range r.Cells {
		if c.Call == call && c.Protocol == protocol && c.Callers == callers {
			return &r.Cells[i]
		}
	}
	return nil
}

// checkTargets judges the targets on the cells that measure them; a target whose
// cell was not run is NOT MEASURED. Missing a target is reported, never an exit status.
// Ratios are written rounded down to three decimal places (shown), so that none that fails
// reads as its target (0.4996x is not 0.500x).
func checkTargets(r *results) []targetCheck {
	var out []targetCheck
	add := func(target string, measured bool, value func() (string, bool)) {
		t := targetCheck{Target: target, Result: notMeasured}
		if measured {
			var ok bool
			t.Value, ok = value()
			t.Result = verdict(ok)
		}
		out = append(out, t)
	}
	get32, get1 := r.cell("get", grpcProtocol, 32), r.cell("get", grpcProtocol, 1)
	ratioTarget := func(target string, c *cell, least float64) {
		add(target, c != nil && c.Ratio != nil, func() (string, bool) {
			return fmt.Sprintf("%.3fx (%.0f against %.0f calls/s)", shown(*c.Ratio), c.CallsPerSecond, r.ceiling(c.Protocol, c.Callers)),
				*c.Ratio >= least
		})
	}
	ratioTarget("GetYoungPerson over gRPC, 32 callers: at least 0.5x the bare ceiling", get32, 0.5)
	add("GetYoungPerson over gRPC: 32 callers at least 3x the throughput of 1", get32 != nil && get1 != nil && get1.CallsPerSecond > 0,
		func() (string, bool) {
			x := get32.CallsPerSecond / get1.CallsPerSecond
			return fmt.Sprintf("%.3fx (%.0f against %.0f calls/s)", shown(x), get32.CallsPerSecond, get1.CallsPerSecond), x >= 3
		})
	add("Server CPU per GetYoungPerson (gRPC, 32 callers): at most 150 µs", get32 != nil, func() (string, bool) {
		return fmt.Sprintf("%.0f µs", get32.ServerCPUMicros), get32.ServerCPUMicros <= 150
	})
	// "For the same call": every call measured over both protocols, not GetYoungPerson alone.
	var restToGRPC []string
	lowest := math.Inf(1)
	for _, name := range callNames {
		g, rest := r.cell(name, grpcProtocol, 32), r.cell(name, restProtocol, 32)
		if g != nil && rest != nil && g.CallsPerSecond > 0 {
			x := rest.CallsPerSecond / g.CallsPerSecond
			restToGRPC = append(restToGRPC, fmt.Sprintf("%s %.3fx", name, shown(x)))
			lowest = min(lowest, x)
		}
	}
	add("REST at least 0.8x gRPC for the same call (each call measured over both, 32 callers)", len(restToGRPC) > 0,
		func() (string, bool) { return strings.Join(restToGRPC, ", "), lowest >= 0.8 })
	ratioTarget(fmt.Sprintf("GetPathway (%.0f milestones on average) over gRPC, 32 callers: at least 0.25x the bare ceiling",
		r.Seeded.Milestones), r.cell("pathway", grpcProtocol, 32), 0.25)
	// The creates plan a pathway: a young person is planned for once in care, so
	// the target is judged on admit (the create and their care episode). A create alone,
	// with nothing to plan, is shown beside it.
	admit16, create16 := r.cell("admit", grpcProtocol, 16), r.cell("create", grpcProtocol, 16)
	add("Creating young people with their pathway planned (admit) over gRPC, 16 callers: at least 1,000/s",
		admit16 != nil, func() (string, bool) {
			v := fmt.Sprintf("%.0f/s", admit16.CallsPerSecond)
			if create16 != nil {
				v += fmt.Sprintf(" (a create alone, not in care so with nothing to plan: %.0f/s)", create16.CallsPerSecond)
			}
			return v, admit16.CallsPerSecond >= 1000
		})
	add("Idle memory under 60 MB", r.IdleRSSMiB > 0, func() (string, bool) {
		return fmt.Sprintf("%.1f MiB (60 MB is %.1f MiB)", r.IdleRSSMiB, idleLimitMiB), r.IdleRSSMiB < idleLimitMiB
	})
	soak := targetCheck{Target: "10 minutes of load shows no growth in memory", Result: notMeasured,
		Value: "run with --soak 10m"}
	if s := r.Soak; s != nil && len(s.SamplesMiB) >= 4 {
		soak.Value = fmt.Sprintf("%+.1f MiB, the last quarter's mean against the second's (%.1f MiB) over %.0f s "+
			"(%.1f MiB first, %.1f MiB last; growth means more than 5%% of it, and more than 2 MiB)",
			s.GrowthMiB, s.BaseMiB, s.Seconds, s.SamplesMiB[0], s.SamplesMiB[len(s.SamplesMiB)-1])
		if s.Seconds >= 600 {
			soak.Result = verdict(!s.grows())
		} else {
			soak.Value += "; shorter than 10 minutes"
		}
	}
	return append(out, soak)
}

// shown is a ratio as a target's value writes it: rounded down to three places, so that it
// falls short of a target exactly when the ratio does.
func shown(x float64) float64 { return math.Floor(x*1000) / 1000 }

// report prints the run: what was seeded, the table of cells and the targets.
func report(w io.Writer, r *results) {
	fmt.Fprintf(w, "\n%s built from %s; %d CPUs; %s\n", r.CarepathVersion, r.Source, r.CPUs, r.Time.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "Seeded: %d young people of one council (%d shared with the housing partner), %.1f milestones a pathway\n",
		r.Seeded.YoungPeople, r.Seeded.Shared, r.Seeded.Milestones)
	what := fmt.Sprintf("Each cell: %s of warm-up, then %s measured", r.Settings.Warmup, r.Settings.Duration)
	if r.Soak != nil {
		what = fmt.Sprintf("Soak: %s of warm-up, then %s measured", r.Settings.Warmup, r.Settings.Soak)
	}
	fmt.Fprintf(w, "%s. carepath RSS: %.1f MiB idle, %.1f MiB after\n\n", what, r.IdleRSSMiB, r.RSSAfterMiB)
	if cells := r.allCells(); len(cells) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "server\tcall\tprotocol\tcallers\tcalls/s\tp50 ms\tp99 ms\tserver CPU/call µs\tclient CPU/call µs\tdatabase CPU/call µs\terrors\tx bare get\t")
		for _, c := range cells {
			ratio := "-"
			if c.Ratio != nil {
				ratio = fmt.Sprintf("%.3f", *c.Ratio)
			}
			db := "-"
			if c.DatabaseCPUMicros != nil {
				db = fmt.Sprintf("%.0f", *c.DatabaseCPUMicros)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%s\t%d\t%s\t\n", c.Server, c.Call, c.Protocol, c.Callers,
				c.CallsPerSecond, c.P50Millis, c.P99Millis, c.ServerCPUMicros, c.ClientCPUMicros, db, c.Errors, ratio)
		}
		tw.Flush()
		r.reportDrift(w)
	}
	if s := r.Soak; s != nil {
		fmt.Fprintf(w, "Soak: %d callers for %.0f s, %.0f calls/s, %d errors; RSS every %.0f s (MiB): %.1f\n",
			s.Callers, s.Seconds, s.CallsPerSecond, s.Errors, s.EverySeconds, s.SamplesMiB)
	}
	fmt.Fprintln(w, "\nTargets (issue 11), measured in this run:")
	for _, t := range r.Targets {
		value := ""
		if t.Value != "" {
			value = ": " + t.Value
		}
		fmt.Fprintf(w, "  %-12s %s%s\n", t.Result, t.Target, value)
	}
}

func writeJSON(path string, r *results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// reportDrift says how far the ceiling moved between its two measures, the largest move of
// any of its cells: the run's own measure of how much the machine's speed moved under it.
func (r *results) reportDrift(w io.Writer) {
	var worst string
	var most float64
	for _, after := range r.BareAgain {
		for _, before := range r.Bare {
			if before.Protocol != after.Protocol || before.Callers != after.Callers || before.CallsPerSecond <= 0 {
				continue
			}
			if move := after.CallsPerSecond/before.CallsPerSecond - 1; math.Abs(move) >= math.Abs(most) {
				most = move
				worst = fmt.Sprintf("get over %s with %d callers, %.0f then %.0f calls/s", after.Protocol, after.Callers,
					before.CallsPerSecond, after.CallsPerSecond)
			}
		}
	}
	if worst != "" {
		fmt.Fprintf(w, "The ceiling, measured before carepath's cells and again after them, moved by as much as %.0f%% (%s); "+
			"each \"x bare get\" is to the mean of its two measures.\n", 100*math.Abs(most), worst)
	}
}
