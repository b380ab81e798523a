package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// logLines collects JSON log lines and reports the HTTP address once it is serving.
type logLines struct{ lines chan string }

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
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "carepath is serving" {
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
	// The development issuer refuses to run with a database unless forced.
	out, err = exec.Command(bin, "serve", "--database-url", db, "--dev-issuer", "true").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "dev-issuer-force") {
		t.Fatalf("serve with a database and the development issuer: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "setup", "--database-url", db, "--council", "nottinghamshire",
		"--council-name", "Nottinghamshire County Council", "--admin", "ada-admin", "--admin-name", "Ada Admin").CombinedOutput()
	if err != nil {
		t.Fatalf("carepath setup: %v\n%s", err, out)
	}
	addr, _, _ := startBinary(t, bin, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0",
		"CAREPATH_DATABASE_URL="+db, "CAREPATH_DEV_ISSUER=true", "CAREPATH_DEV_ISSUER_FORCE=true")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, _ := get(t, "http://"+addr+"/readyz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready on a migrated database")
		}
		time.Sleep(50 * time.Millisecond)
	}
	token, err := exec.Command(bin, "dev-token", "admin").Output()
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+addr+"/v1/people", strings.TrimSpace(string(token))); code != 200 || !strings.Contains(string(body), "people/ada-admin") {
		t.Fatalf("the administrator set up should list themselves: HTTP %d %s", code, body)
	}
	out, err = exec.Command(bin, "audit", "verify", "--database-url", db).CombinedOutput()
	if err != nil {
		t.Fatalf("carepath audit verify on a fresh database: %v\n%s", err, out)
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
}
