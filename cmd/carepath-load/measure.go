package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
)

// cell is one measurement: a call over a protocol with a number of callers.
type cell struct {
	Server   string `json:"server"` // carepath or bare
	Call     string `json:"call"`
	Method   string `json:"method"`
	Protocol string `json:"protocol"`
	Callers  int    `json:"callers"`
	// Calls succeeded and Errors failed within the measured window of Seconds.
	Calls          int     `json:"calls"`
	Errors         int     `json:"errors"`
	Seconds        float64 `json:"seconds"`
	CallsPerSecond float64 `json:"calls_per_second"`
	P50Millis      float64 `json:"p50_ms"`
	P99Millis      float64 `json:"p99_ms"`
	// ServerCPUMicros is the server process's user and system CPU time over the window per
	// call; ClientCPUMicros the load generator's (which shares the cores).
	ServerCPUMicros float64 `json:"server_cpu_us_per_call"`
	ClientCPUMicros float64 `json:"client_cpu_us_per_call"`
	// DatabaseCPUMicros is PostgreSQL's CPU time over the window per call, summed over its
	// processes on this machine; nil when none can be seen (a database elsewhere).
	DatabaseCPUMicros *float64 `json:"database_cpu_us_per_call,omitempty"`
	ServerRSSMiB      float64  `json:"server_rss_mib_after"`
	// Ratio is CallsPerSecond over the bare server's get with as many callers over the
	// same protocol in the same run: the mean of its measures before carepath's cells and
	// after them.
	Ratio      *float64 `json:"ratio_to_bare_get,omitempty"`
	FirstError string   `json:"first_error,omitempty"`
}

func (c cell) label() string {
	return fmt.Sprintf("%s %s over %s with %d callers", c.Server, c.Call, c.Protocol, c.Callers)
}

// errorRate is the share of the window's calls that failed.
func (c cell) errorRate() float64 {
	if c.Calls+c.Errors == 0 {
		return 0
	}
	return float64(c.Errors) / float64(c.Calls+c.Errors)
}

// cellPlan is what measuring a cell needs.
type cellPlan struct {
	server   *process
	spec     *callSpec
	protocol string
	callers  int
	warmup   time.Duration
	duration time.Duration
	token    string
	data     *seeded
	run      string
	created  *atomic.Int64
	today    time.Time
}

func (p cellPlan) worker(rng *rand.Rand, id int) *worker {
	return &worker{rng: rng, id: id, run: p.run, created: p.created, data: p.data, today: p.today}
}

// callTimeout bounds one call, so that a stuck server fails calls instead of the run.
const callTimeout = 30 * time.Second

// callersPerConn is how many callers share a gRPC connection, as a client with a
// connection pool would.
const callersPerConn = 8

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// tally is one caller's record of the measured window.
type tally struct {
	latencies []time.Duration
	errors    int
	firstErr  error
}

// measureCell runs the callers through the warm-up and the measured window and reports
// what the window saw: calls that completed in it, their latencies, and the server's and
// the load generator's CPU time over it.
func measureCell(ctx context.Context, p cellPlan) (cell, error) {
	invoke, closeClients, err := clients(p)
	if err != nil {
		return cell{}, err
	}
	defer closeClients()
	var phase atomic.Int32
	tallies := make([]tally, p.callers)
	var wg sync.WaitGroup
	seed := rand.Uint64()
	for i := range p.callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := p.worker(rand.New(rand.NewPCG(seed, uint64(i))), i)
			t := &tallies[i]
			for ctx.Err() == nil && phase.Load() != phaseStop {
				callCtx, cancel := context.WithTimeout(ctx, callTimeout)
				start := time.Now()
				err := invoke(callCtx, i, w)
				took := time.Since(start)
				cancel()
				switch {
				case phase.Load() != phaseMeasure:
				case err != nil:
					t.errors++
					if t.firstErr == nil {
						t.firstErr = err
					}
				default:
					t.latencies = append(t.latencies, took)
				}
			}
		}()
	}
	defer wg.Wait()
	defer phase.Store(phaseStop)
	if err := sleep(ctx, p.warmup); err != nil {
		return cell{}, err
	}
	server0, client0, err := usages(p.server)
	if err != nil {
		return cell{}, err
	}
	db0, dbSeen := databaseCPU()
	begin := time.Now()
	phase.Store(phaseMeasure)
	if err := sleep(ctx, p.duration); err != nil {
		return cell{}, err
	}
	phase.Store(phaseStop)
	elapsed := time.Since(begin)
	server1, client1, err := usages(p.server)
	if err != nil {
		return cell{}, err
	}
	db1, _ := databaseCPU()
	wg.Wait()
	c := summarise(p, tallies, elapsed, server1.cpu-server0.cpu, client1.cpu-client0.cpu, server1.rss)
	if n := c.Calls + c.Errors; dbSeen && n > 0 {
		per := micros(db1-db0) / float64(n)
		c.DatabaseCPUMicros = &per
	}
	return c, nil
}

func usages(server *process) (usage, usage, error) {
	s, err := server.usage()
	if err != nil {
		return usage{}, usage{}, fmt.Errorf("%s's CPU time: %w", server.name, err)
	}
	c, err := selfUsage()
	return s, c, err
}

func summarise(p cellPlan, tallies []tally, elapsed, serverCPU, clientCPU time.Duration, rss int64) cell {
	c := cell{Server: p.server.name, Call: p.spec.name, Method: p.spec.method, Protocol: p.protocol, Callers: p.callers,
		Seconds: elapsed.Seconds(), ServerRSSMiB: mib(rss)}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.latencies...)
		c.Errors += t.errors
		if c.FirstError == "" && t.firstErr != nil {
			c.FirstError = t.firstErr.Error()
		}
	}
	slices.Sort(all)
	c.Calls = len(all)
	c.CallsPerSecond = float64(c.Calls) / elapsed.Seconds()
	c.P50Millis, c.P99Millis = millis(percentile(all, 0.50)), millis(percentile(all, 0.99))
	if n := c.Calls + c.Errors; n > 0 {
		c.ServerCPUMicros = micros(serverCPU) / float64(n)
		c.ClientCPUMicros = micros(clientCPU) / float64(n)
	}
	return c
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func mib(b int64) float64            { return float64(b) / (1 << 20) }

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// clients makes the callers' clients: generated gRPC stubs with one connection per eight
// callers (their answers unread), or one keep-alive HTTP client with a connection per caller.
func clients(p cellPlan) (func(ctx context.Context, caller int, w *worker) error, func(), error) {
	if p.protocol == grpcProtocol {
		conns := make([]*grpc.ClientConn, (p.callers+callersPerConn-1)/callersPerConn)
		closeAll := func() {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
		}
		for i := range conns {
			var err error
			if conns[i], err = dial(p.server.grpcAddr, p.token, unread); err != nil {
				closeAll()
				return nil, nil, err
			}
		}
		return func(ctx context.Context, caller int, w *worker) error {
			return p.spec.grpc(ctx, conns[caller/callersPerConn], w)
		}, closeAll, nil
	}
	transport := &http.Transport{MaxIdleConns: p.callers, MaxIdleConnsPerHost: p.callers,
		IdleConnTimeout: time.Minute, DisableCompression: true}
	client := &http.Client{Transport: transport}
	base := "http://" + p.server.httpAddr
	return func(ctx context.Context, _ int, w *worker) error {
		return restCall(ctx, client, base, p.token, p.spec, w)
	}, transport.CloseIdleConnections, nil
}

func restCall(ctx context.Context, client *http.Client, base, token string, spec *callSpec, w *worker) error {
	var previous []byte
	for i, step := range spec.rest {
		method, path, body, err := step(w, previous)
		if err != nil {
			return err
		}
		if previous, err = restRequest(ctx, client, base+path, method, token, body, i < len(spec.rest)-1); err != nil {
			return err
		}
	}
	return nil
}

// restRequest makes one request and returns its response body if keep, else reads it to
// the end unkept, so that the connection is kept.
func restRequest(ctx context.Context, client *http.Client, url, method, token string, body []byte, keep bool) ([]byte, error) {
	var reader io.Reader = http.NoBody
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if keep {
		return io.ReadAll(resp.Body)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return nil, err
}
