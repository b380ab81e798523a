package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// soakResult is a long run of every call at once with carepath's memory sampled.
type soakResult struct {
	Seconds        float64   `json:"seconds"`
	Callers        int       `json:"callers"`
	Calls          int       `json:"calls"`
	Errors         int       `json:"errors"`
	CallsPerSecond float64   `json:"calls_per_second"`
	FirstError     string    `json:"first_error,omitempty"`
	EverySeconds   float64   `json:"sample_every_seconds"`
	SamplesMiB     []float64 `json:"rss_samples_mib"`
	// GrowthMiB is how much more memory the last quarter of the samples held than the
	// second, on average (growth): the first quarter lets caches and the Go heap reach their
	// working size. Means, not single samples: resident memory swings by several MiB with
	// each collection, so one sample against another measures the swing, not a leak.
	GrowthMiB float64 `json:"growth_mib"`
	// BaseMiB is the second quarter's mean, from which growth is counted.
	BaseMiB float64 `json:"base_mib"`
}

// growth is the mean of the last quarter of samples less the mean of the second quarter,
// and that second quarter's mean; both 0 with fewer than four samples.
func growth(samples []float64) (grew, base float64) {
	n := len(samples)
	if n < 4 {
		return 0, 0
	}
	mean := func(xs []float64) float64 {
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		return sum / float64(len(xs))
	}
	base = mean(samples[n/4 : n/2])
	return mean(samples[n-n/4:]) - base, base
}

// grows says whether the soak grew carepath's memory by more than noise: 5% or 2 MiB,
// whichever is more.
func (s *soakResult) grows() bool {
	return s.GrowthMiB > max(2, 0.05*s.BaseMiB)
}

// soakRun runs the calls of --calls over the protocols of --protocols together, each caller
// taking them in turn, with the largest --concurrency of callers, for --soak, sampling
// carepath's resident memory every --soak-every.
func soakRun(ctx context.Context, cfg config, bin string, env []string, dir string, plan cellPlan, tok tokens,
	res *results, progress func(string, ...any)) error {
	srv, err := startIdle(ctx, bin, env, dir, res)
	if err != nil {
		return err
	}
	defer srv.stop()
	callers := slices.Max(cfg.concurrency)
	var pairs []func(context.Context, int, *worker) error // each call over each protocol
	for _, name := range cfg.calls {
		for _, protocol := range cfg.protocols {
			p := plan
			p.server, p.spec, p.token, p.protocol, p.callers = srv, calls[name], tok[calls[name].role], protocol, callers
			invoke, closeClients, err := clients(p)
			if err != nil {
				return err
			}
			defer closeClients()
			pairs = append(pairs, invoke)
		}
	}
	var (
		measuring, stop atomic.Bool
		wg              sync.WaitGroup
		mu              sync.Mutex
		ok, bad         int
		firstErr        error
	)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := plan.worker(rand.New(rand.NewPCG(rand.Uint64(), uint64(i))), i)
			var good, failed int
			var first error
			for j := i; ctx.Err() == nil && !stop.Load(); j++ {
				callCtx, cancel := context.WithTimeout(ctx, callTimeout)
				err := pairs[j%len(pairs)](callCtx, i, w)
				cancel()
				switch {
				case !measuring.Load():
				case err == nil:
					good++
				case first == nil:
					failed, first = failed+1, err
				default:
					failed++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			ok, bad = ok+good, bad+failed
			if firstErr == nil {
				firstErr = first
			}
		}()
	}
	soak := &soakResult{Callers: callers, EverySeconds: cfg.soakEvery.Seconds()}
	res.Soak = soak
	var begin time.Time
	defer func() {
		stop.Store(true)
		wg.Wait()
		if begin.IsZero() {
			return
		}
		soak.Seconds = time.Since(begin).Seconds()
		soak.Calls, soak.Errors = ok, bad
		soak.CallsPerSecond = float64(ok) / soak.Seconds
		if firstErr != nil {
			soak.FirstError = firstErr.Error()
		}
		soak.GrowthMiB, soak.BaseMiB = growth(soak.SamplesMiB)
		if n := len(soak.SamplesMiB); n > 0 {
			res.RSSAfterMiB = soak.SamplesMiB[n-1]
		}
	}()
	if err := sleep(ctx, plan.warmup); err != nil {
		return err
	}
	begin = time.Now()
	measuring.Store(true)
	tick := time.NewTicker(cfg.soakEvery)
	defer tick.Stop()
	end := time.After(cfg.soak)
	for {
		u, err := srv.usage()
		if err != nil {
			return err
		}
		soak.SamplesMiB = append(soak.SamplesMiB, mib(u.rss))
		progress("soak: %s, carepath RSS %.1f MiB", time.Since(begin).Round(time.Second), mib(u.rss))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end:
			if u, err = srv.usage(); err == nil {
				soak.SamplesMiB = append(soak.SamplesMiB, mib(u.rss))
			}
			return err
		case <-tick.C:
		}
	}
}
