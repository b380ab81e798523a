package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// process is a server under measurement, in a process of its own so that its CPU time and
// memory can be read from /proc, apart from the load generator's.
type process struct {
	name     string
	cmd      *exec.Cmd
	logPath  string
	grpcAddr string
	httpAddr string
	exited   chan struct{}
	proc     procfs.Proc
}

// startTimeout bounds how long a server may take to listen and report ready.
const startTimeout = 2 * time.Minute

// startProcess starts a server that logs JSON lines to stdout or stderr, one of them with
// its "grpc_addr" and "http_addr" once it listens (as `carepath serve` does), and waits
// until its /readyz answers 200. Its output goes to logPath, so that a busy server never
// waits on the load generator to read its logs.
func startProcess(ctx context.Context, name, logPath string, bin string, args, env []string) (*process, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	logs, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	err = cmd.Start()
	logs.Close() // the child has its own descriptor
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	if err := p.awaitServing(ctx); err != nil {
		p.stop()
		return nil, err
	}
	if p.proc, err = procfs.NewProc(cmd.Process.Pid); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: /proc: %w", name, err)
	}
	return p, nil
}

func (p *process) awaitServing(ctx context.Context) error {
	deadline := time.Now().Add(startTimeout)
	for p.grpcAddr == "" {
		p.grpcAddr, p.httpAddr = listeningAddrs(p.logPath)
		if p.grpcAddr != "" {
			break
		}
		if err := p.wait(ctx, deadline); err != nil {
			return err
		}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get("http://" + p.httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := p.wait(ctx, deadline); err != nil {
			return err
		}
	}
}

// wait pauses between two looks at a starting server, and says why to stop looking.
func (p *process) wait(ctx context.Context, deadline time.Time) error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited while starting: %v; its last log lines:\n%s", p.name, p.cmd.ProcessState, p.logTail())
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(50 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("%s did not become ready within %s; its last log lines:\n%s", p.name, startTimeout, p.logTail())
	}
	return nil
}

// listeningAddrs finds the log line that gives the listeners' addresses.
func listeningAddrs(logPath string) (grpcAddr, httpAddr string) {
	f, err := os.Open(logPath)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			GRPCAddr string `json:"grpc_addr"`
			HTTPAddr string `json:"http_addr"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.GRPCAddr != "" && line.HTTPAddr != "" {
			return line.GRPCAddr, line.HTTPAddr
		}
	}
	return "", ""
}

// logTail is the end of the server's log, for an error message.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(string(bytes.TrimSpace(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// usage is the process's CPU time so far (user and system) and its resident memory now.
type usage struct {
	cpu time.Duration
	rss int64
}

func (p *process) usage() (usage, error) {
	return procUsage(p.proc)
}

func procUsage(proc procfs.Proc) (usage, error) {
	st, err := proc.Stat()
	if err != nil {
		return usage{}, err
	}
	return usage{cpu: time.Duration(st.CPUTime() * float64(time.Second)), rss: int64(st.ResidentMemory())}, nil
}

// selfUsage is the load generator's own usage: it shares the machine's cores with the
// servers and the database.
func selfUsage() (usage, error) {
	proc, err := procfs.Self()
	if err != nil {
		return usage{}, err
	}
	return procUsage(proc)
}

// databaseCPU is the CPU time so far of every PostgreSQL process on this machine (its
// backends, writers and autovacuum) and whether there were any: a call's cost in the
// database, which the server's own CPU time leaves out. A backend that has exited is
// counted in its parent's (the postmaster's) children's time, so nothing is lost or
// counted twice, provided none exits while the processes are read: one that exits and is
// reaped after its parent was read and before it was would be missed (on a shared machine
// the backends of a server killed meanwhile took seconds with them, and a window's time
// came out negative), and one reaped after it was read and before its parent was would
// count twice. So the reading is taken again until every process read is still there once
// it is done.
func databaseCPU() (time.Duration, bool) {
	for range 100 {
		if d, seen, steady := readDatabaseCPU(); steady {
			return d, seen
		}
	}
	return 0, false // processes came and went throughout: not measured
}

// readDatabaseCPU reads databaseCPU once, and whether no PostgreSQL process read exited
// meanwhile.
func readDatabaseCPU() (time.Duration, bool, bool) {
	procs, err := procfs.AllProcs()
	if err != nil {
		return 0, false, false
	}
	var ticks uint64
	var read []int
	for _, p := range procs {
		if comm, err := p.Comm(); err != nil || comm != "postgres" {
			continue
		}
		st, err := p.Stat()
		if err != nil {
			return 0, false, false // exited between the listing and now
		}
		ticks += uint64(st.UTime+st.STime) + uint64(max(st.CUTime+st.CSTime, 0))
		read = append(read, p.PID)
	}
	after, err := procfs.AllProcs()
	if err != nil {
		return 0, false, false
	}
	still := make(map[int]bool, len(after))
	for _, p := range after {
		still[p.PID] = true
	}
	for _, pid := range read {
		if !still[pid] {
			return 0, false, false
		}
	}
	return time.Duration(ticks) * time.Second / userHZ, len(read) > 0, true
}

// userHZ is the unit of /proc's CPU times, as procfs assumes.
const userHZ = 100

// stop asks the server to shut down gracefully and kills it if it has not within 30 s.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return errors.New(p.name + " did not stop within 30 s of SIGTERM and was killed")
	}
}
