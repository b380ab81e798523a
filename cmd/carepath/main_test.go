package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/testclock"
)

// build compiles the carepath binary once per test run.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "carepath")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBinary starts `carepath serve` with the environment and waits until it is serving; it
// returns the HTTP address and the process. The server's clock is the tests' clock.
func startBinary(t *testing.T, bin string, env ...string) (string, *exec.Cmd, *logLines) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	if testclock.Set() {
		cmd.Env = append(cmd.Env, "CAREPATH_CLOCK_START="+testclock.Now().Format(time.RFC3339Nano))
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := &logLines{lines: make(chan string, 1000)}
	addr := make(chan string, 1)
	go logs.read(stderr, addr)
	select {
	case a := <-addr:
		return a, cmd, logs
	case <-time.After(30 * time.Second):
		t.Fatalf("carepath did not start serving; logs:\n%s", logs)
	}
	return "", nil, nil
}

// logLines collects JSON log lines and reports the HTTP address once it is serving; the
// gRPC address is then in grpcAddr.
type logLines struct {
	lines    chan string
	grpcAddr string
}

func (l *logLines) read(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		select {
		case l.lines <- line:
		default:
		}
		var entry struct {
			Msg      string `json:"msg"`
			HTTPAddr string `json:"http_addr"`
			GRPCAddr string `json:"grpc_addr"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "carepath is serving" {
			l.grpcAddr = entry.GRPCAddr // written before the send, so read safely after it
			addr <- entry.HTTPAddr
		}
	}
	close(l.lines)
}

func (l *logLines) String() string {
	var b strings.Builder
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				return b.String()
			}
			b.WriteString(line + "\n")
		default:
			return b.String()
		}
	}
}

func get(t *testing.T, url string, token ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) > 0 {
		req.Header.Set("Authorization", "Bearer "+token[0])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The README's run command: no flags, in-memory store, demo data; configured here only
// through the environment so that the test can use free ports.
func TestServeWithDemoDataAndStopOnSIGTERM(t *testing.T) {
	bin := build(t)
	addr, cmd, logs := startBinary(t, bin, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0")
	if code, _ := get(t, "http://"+addr+"/v1/youngPeople"); code != 401 {
		t.Fatalf("GET /v1/youngPeople without a token: HTTP %d, want 401", code)
	}
	// The README's way in: a development token for a demo personal adviser.
	out, err := exec.Command(bin, "dev-token", "personal-adviser").Output()
	if err != nil {
		t.Fatalf("carepath dev-token: %v", err)
	}
	code, body := get(t, "http://"+addr+"/v1/youngPeople", strings.TrimSpace(string(out)))
	var list struct{ YoungPeople []json.RawMessage }
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.YoungPeople) == 0 {
		t.Fatalf("GET /v1/youngPeople: HTTP %d %s", code, body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("carepath exited with %v after SIGTERM; logs:\n%s", err, logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("carepath did not stop after SIGTERM")
	}
}

func TestMigrateThenServeOnPostgres(t *testing.T) {
	db := pgtest.NewEmptyDatabase(t)
	bin := build(t)
	out, err := exec.Command(bin, "migrate", "--database-url", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "database is up to date") {
		t.Fatalf("carepath migrate: %v\n%s", err, out)
	}
	// With a database and no identity provider, serve says both ways out: configure one,
	// or force the development issuer; asked for the development issuer, the same.
	for _, args := range [][]string{{}, {"--dev-issuer", "true"}} {
		out, err = exec.Command(bin, append([]string{"serve", "--database-url", db}, args...)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "--dev-issuer-force") || !strings.Contains(string(out), "--auth-jwks-url") {
			t.Fatalf("serve with a database %v: %v\n%s", args, err, out)
		}
	}
	// Registering the council and its administrator may run again.
	for range 2 {
		out, err = exec.Command(bin, "setup", "--database-url", db, "--council", "nottinghamshire",
			"--council-name", "Nottinghamshire County Council", "--admin", "ada-admin", "--admin-name", "Ada Admin").CombinedOutput()
		if err != nil {
			t.Fatalf("carepath setup: %v\n%s", err, out)
		}
	}
	if !strings.Contains(string(out), "was registered already") {
		t.Errorf("setup run again says: %s", out)
	}
	// An administrator id that is someone else's is refused.
	out, err = exec.Command(bin, "setup", "--database-url", db, "--council", "derbyshire",
		"--council-name", "Derbyshire County Council", "--admin", "ada-admin", "--admin-name", "Ada Admin").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not an administrator of derbyshire") {
		t.Errorf("setup with an administrator of another council: %v\n%s", err, out)
	}
	// One flag runs the development issuer on the database, with a warning.
	addr, _, logs := startBinary(t, bin, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
		"CAREPATH_DATABASE_URL="+db, "CAREPATH_DEV_ISSUER_FORCE=true")
	eventually(t, 15*time.Second, "ready on a migrated database", func() (bool, string) {
		code, _ := get(t, "http://"+addr+"/readyz")
		return code == 200, fmt.Sprintf("readyz answered %d", code)
	})
	token, err := exec.Command(bin, "dev-token", "admin").Output()
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+addr+"/v1/people", strings.TrimSpace(string(token))); code != 200 || !strings.Contains(string(body), "people/ada-admin") {
		t.Fatalf("the administrator set up should list themselves: HTTP %d %s", code, body)
	}
	if l := logs.String(); !strings.Contains(l, `"level":"WARN","msg":"the development issuer runs with a database`) {
		t.Errorf("no warning that the development issuer runs with a database:\n%s", l)
	}
	out, err = exec.Command(bin, "audit", "verify", "--database-url", db).CombinedOutput()
	if err != nil {
		t.Fatalf("carepath audit verify on a fresh database: %v\n%s", err, out)
	}
}

// `carepath setup --demo` loads the demo into a database, and may run again.
func TestSetupDemo(t *testing.T) {
	db := pgtest.NewDatabase(t)
	bin := build(t)
	for i := range 2 {
		out, err := exec.Command(bin, "setup", "--database-url", db, "--demo").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "team-manager-south") {
			t.Fatalf("carepath setup --demo, run %d: %v\n%s", i+1, err, out)
		}
		if want := []string{"(7 young people added now)", "(0 young people added now)"}[i]; !strings.Contains(string(out), want) {
			t.Errorf("run %d says %s; want %q", i+1, out, want)
		}
	}
	addr, _, _ := startBinary(t, bin, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
		"CAREPATH_DATABASE_URL="+db, "CAREPATH_DEV_ISSUER_FORCE=true")
	token, err := exec.Command(bin, "dev-token", "personal-adviser").Output()
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, "http://"+addr+"/v1/youngPeople", strings.TrimSpace(string(token)))
	var list struct{ YoungPeople []json.RawMessage }
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.YoungPeople) != 4 {
		t.Fatalf("Sam Okoro's caseload after setup --demo: HTTP %d %s", code, body)
	}
	// Chloe's own account sees her record, and nobody else's.
	token, err = exec.Command(bin, "dev-token", "young-person-adult").Output()
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+addr+"/v1/youngPeople/"+demo.ID("05"), strings.TrimSpace(string(token))); code != 200 {
		t.Fatalf("Chloe's own record after setup --demo: HTTP %d %s", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/v1/youngPeople/"+demo.ID("04"), strings.TrimSpace(string(token))); code != 403 {
		t.Fatalf("Amani's record as Chloe: HTTP %d, want 403", code)
	}
}

func TestCommands(t *testing.T) {
	ctx := context.Background()
	noEnv := func(string) (string, bool) { return "", false }
	var stdout, stderr strings.Builder
	if code := run(ctx, []string{"version"}, &stdout, &stderr, noEnv); code != 0 || !strings.HasPrefix(stdout.String(), "carepath ") {
		t.Errorf("version: exit %d, %q", code, stdout.String())
	}
	if code := run(ctx, []string{"frobnicate"}, &stdout, &stderr, noEnv); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code := run(ctx, nil, &stdout, &stderr, noEnv); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	stderr.Reset()
	if code := run(ctx, []string{"migrate"}, &stdout, &stderr, noEnv); code != 1 || !strings.Contains(stderr.String(), "--database-url") {
		t.Errorf("migrate without a database: exit %d, %q", code, stderr.String())
	}
	if code := run(ctx, []string{"serve", "--grpc-addr", "nonsense"}, &stdout, &stderr, noEnv); code != 1 {
		t.Errorf("serve with a bad address: exit %d, want 1", code)
	}
	if code := run(ctx, []string{"audit", "rewrite"}, &stdout, &stderr, noEnv); code != 2 || !strings.Contains(stderr.String(), "verify and checkpoint") {
		t.Errorf("audit with an unknown subcommand: exit %d, %q", code, stderr.String())
	}
	if code := run(ctx, []string{"audit", "verify", "--database-url", "postgres://x/y", "--checkpoint", "/no/such/file"}, &stdout, &stderr, noEnv); code != 1 {
		t.Errorf("audit verify with a missing checkpoint: exit %d, want 1", code)
	}
	if code := run(ctx, []string{"serve", "--no-such-flag"}, &stdout, &stderr, noEnv); code != 2 {
		t.Errorf("serve with an unknown flag: exit %d, want 2", code)
	}
	// The database commands say the database URL is required.
	for _, cmd := range [][]string{{"migrate", "-h"}, {"setup", "-h"}, {"audit", "verify", "-h"}} {
		stderr.Reset()
		if code := run(ctx, cmd, &stdout, &stderr, noEnv); code != 0 || !strings.Contains(stderr.String(), "--database-url URL") ||
			!strings.Contains(stderr.String(), "(required") || strings.Contains(stderr.String(), "in-memory") {
			t.Errorf("%v: exit %d\n%s", cmd, code, stderr.String())
		}
	}
	// dev-token takes its flag before or after the role, and lists the roles with their people.
	for _, args := range [][]string{{"dev-token", "team-manager-south", "--ttl", "1h"}, {"dev-token", "--ttl", "1h", "team-manager-south"}} {
		stdout.Reset()
		if code := run(ctx, args, &stdout, &stderr, noEnv); code != 0 || strings.Count(stdout.String(), ".") != 2 {
			t.Errorf("%v: exit %d, %q", args, code, stdout.String())
		}
	}
	stderr.Reset()
	if code := run(ctx, []string{"dev-token", "-h"}, &stdout, &stderr, noEnv); code != 0 || !strings.Contains(stderr.String(), "rob-manager") {
		t.Errorf("dev-token -h: exit %d\n%s", code, stderr.String())
	}
	if code := run(ctx, []string{"dev-token", "admin", "auditor"}, &stdout, &stderr, noEnv); code != 2 {
		t.Errorf("dev-token with two roles: exit %d, want 2", code)
	}
	stderr.Reset()
	if code := run(ctx, []string{"setup", "--database-url", "postgres://db/x", "--council", "x"}, &stdout, &stderr, noEnv); code != 1 ||
		!strings.Contains(stderr.String(), "go together") {
		t.Errorf("setup with half the council: exit %d, %q", code, stderr.String())
	}
}

// runBinary runs the binary to its end and returns its exit code and its standard error.
func runBinary(t *testing.T, bin string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%v did not exit; stderr:\n%s", args, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// Every start-up failure ends with one line that says what is wrong, and a non-zero exit,
// never a panic.
func TestServeStartupFailuresSayWhy(t *testing.T) {
	bin := build(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + closed.Addr().String() + "/jwks.json"
	closed.Close()

	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"HTTP port in use", []string{"CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=" + busy.Addr().String()},
			"carepath serve: HTTP listener: listen tcp " + busy.Addr().String() + ": bind: address already in use"},
		{"gRPC port in use", []string{"CAREPATH_GRPC_ADDR=" + busy.Addr().String(), "CAREPATH_HTTP_ADDR=127.0.0.1:0"},
			"carepath serve: gRPC listener: listen tcp " + busy.Addr().String() + ": bind: address already in use"},
		{"key set unreachable", []string{"CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
			"CAREPATH_DEV_ISSUER=false", "CAREPATH_AUTH_ISSUER=https://login.example/realms/notts",
			"CAREPATH_AUTH_AUDIENCE=carepath", "CAREPATH_AUTH_JWKS_URL=" + unreachable},
			"carepath serve: authn: fetching the key set from " + unreachable + ": "},
		{"invalid configuration", []string{"CAREPATH_GRPC_ADDR=nonsense", "CAREPATH_HTTP_ADDR=alsononsense"},
			"carepath serve: --"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := runBinary(t, bin, tc.env, "serve")
			if code == 0 {
				t.Fatalf("exit 0; stderr:\n%s", stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("start-up panicked:\n%s", stderr)
			}
			last := lastLine(stderr)
			if !strings.HasPrefix(last, tc.want) {
				t.Errorf("last line = %q, want it to start with %q", last, tc.want)
			}
			if strings.Contains(last, "{") {
				t.Errorf("last line %q is a log record, not a message", last)
			}
		})
	}
}

// After SIGTERM, /readyz answers 503 NOT_SERVING for the drain delay before the listener
// closes, so a load balancer polling it stops sending first; the API keeps answering
// meanwhile.
func TestSIGTERMReportsNotServingBeforeTheListenerCloses(t *testing.T) {
	bin := build(t)
	addr, cmd, logs := startBinary(t, bin, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
		"CAREPATH_SHUTDOWN_DRAIN_DELAY=8s") // long enough to be seen by a probe on a busy machine
	client := &http.Client{Timeout: 5 * time.Second}
	probe := func() string { // "200", "503", or "refused"
		resp, err := client.Get("http://" + addr + "/readyz")
		if err != nil {
			return "refused"
		}
		resp.Body.Close()
		return fmt.Sprint(resp.StatusCode)
	}
	eventually(t, 30*time.Second, "ready", func() (bool, string) {
		p := probe()
		return p == "200", fmt.Sprintf("readyz %s; logs:\n%s", p, logs)
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopBy := time.NewTimer(60 * time.Second) // elapsed time of a real process
	defer stopBy.Stop()
	var seen []string // each change of answer, in order
	for exited := false; !exited; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("carepath exited with %v after SIGTERM; logs:\n%s", err, logs)
			}
			exited = true
		case <-stopBy.C:
			t.Fatalf("did not stop; answers %v", seen)
		case <-time.After(20 * time.Millisecond):
			if p := probe(); len(seen) == 0 || seen[len(seen)-1] != p {
				seen = append(seen, p)
			}
		}
	}
	// The process may exit between two probes, so "refused" need not be seen; what must be
	// seen is a 503 before any refusal.
	if first503, firstRefused := slices.Index(seen, "503"), slices.Index(seen, "refused"); first503 < 0 ||
		firstRefused >= 0 && firstRefused < first503 {
		t.Fatalf("/readyz answered %s; want 503 before the listener closed", strings.Join(seen, " then "))
	}
}

func TestServeCollectsLessUnlessGOGCSaysOtherwise(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	collectLess(func(string) (string, bool) { return "", false })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC the collector's target is %d, want %d", got, gcPercent)
	}
	collectLess(func(name string) (string, bool) { return "150", name == "GOGC" })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the collector's target was changed to %d", got)
	}
}

// eventually polls cond until it holds, failing the test after within (elapsed time on the
// real clock: these tests wait on real processes). cond also says what it saw, for the
// failure's message.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	timeout := time.NewTimer(within)
	defer timeout.Stop()
	for {
		done, saw := cond()
		if done {
			return
		}
		select {
		case <-timeout.C:
			t.Fatalf("waited %s for %s: %s", within, what, saw)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
