package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/store/pgtest"
)

// readmeWrittenFor is the instant the README's examples are written for: their request
// bodies hold dates (a share's expiry, a snooze) that must lie ahead of "today". The servers
// the test starts, and setup --demo, run their clocks as if it were then.
const readmeWrittenFor = "2026-12-03T10:00:00Z"

// readmeShell returns the shell blocks of README.md from the heading from up to the heading
// to (exclusive), in order.
func readmeShell(t *testing.T, from, to string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i, j := strings.Index(text, "\n"+from+"\n"), strings.Index(text, "\n"+to+"\n")
	if i < 0 || j < i {
		t.Fatalf("README.md has no section %q followed by %q", from, to)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text[i:j], -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		t.Fatalf("README.md has no shell examples from %q to %q", from, to)
	}
	return blocks
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// readmePreamble makes the README's commands run as written, on the binary built for the
// test and on free ports: `go run ./cmd/carepath ...` runs the binary (serve in the
// background, as in its own terminal, until it is ready); curl fails on any answer that is
// not 2xx; grpcurl runs if it is installed. The server stops when the script ends.
const readmePreamble = `set -euo pipefail
PS4='+ README: '
go() {
  if [ "${1:-}" = run ] && [ "${2:-}" = ./cmd/carepath ]; then
    shift 2
    if [ "${1:-}" = serve ]; then serve "$@"; else "$CAREPATH_BIN" "$@"; fi
  else
    command go "$@"
  fi
}
serve() {
  CAREPATH_HTTP_ADDR=127.0.0.1:$HTTP_PORT CAREPATH_GRPC_ADDR=127.0.0.1:$GRPC_PORT "$CAREPATH_BIN" "$@" 2>>"$SERVER_LOG" &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 300); do
    if command curl -sf "127.0.0.1:$HTTP_PORT/readyz" >/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "carepath did not become ready" >&2
  return 1
}
curl() { command curl --fail-with-body -sS "$@"; echo; }
grpcurl() {
  if type -P grpcurl >/dev/null; then command grpcurl "$@"; else echo "SKIPPED: grpcurl is not installed" >&2; fi
}
set -x
`

// runREADME runs script (README commands) with bash and fails the test, showing the
// output, if any command fails.
func runREADME(t *testing.T, bin, script string, env ...string) string {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("the README's examples use jq: install it (Debian: apt-get install jq)")
	}
	httpPort, grpcPort := freePort(t), freePort(t)
	script = strings.NewReplacer("localhost:8080", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"localhost:9090", fmt.Sprintf("127.0.0.1:%d", grpcPort)).Replace(script)
	serverLog := filepath.Join(t.TempDir(), "server.log")
	cmd := exec.Command("bash", "-c", readmePreamble+script)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), append(env, "CAREPATH_BIN="+bin, "SERVER_LOG="+serverLog,
		fmt.Sprintf("HTTP_PORT=%d", httpPort), fmt.Sprintf("GRPC_PORT=%d", grpcPort),
		"CAREPATH_CLOCK_START="+readmeWrittenFor, "CAREPATH_LOG_LEVEL=WARN")...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		logs, _ := os.ReadFile(serverLog)
		t.Fatalf("a README example failed (%v); its output:\n%s\nserver log:\n%s", err, tail(out.String(), 6000), tail(string(logs), 3000))
	}
	if n := strings.Count(out.String(), "\nSKIPPED: grpcurl"); n > 0 {
		t.Logf("%d grpcurl examples not run: grpcurl is not installed", n)
	}
	return out.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// The README's examples, from "Try it" to "Running on PostgreSQL", run as written against
// the server `make run` starts: every call answers 2xx.
func TestREADMEExamplesInMemory(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	const makeRun = "bin/carepath serve --webhook-allow-private"
	if !strings.Contains(string(makefile), "\t"+makeRun+"\n") {
		t.Fatalf("the Makefile's run target no longer runs %q; start the server here as it does", makeRun)
	}
	// A first build is silent for a minute or two: make run says what is happening.
	if !regexp.MustCompile(`(?m)^run:\n(\t.*\n)*\t@echo "building carepath`).Match(makefile) {
		t.Error("make run does not say that it is building carepath before a first, silent build")
	}
	bin := build(t)
	script := "go run ./cmd/carepath " + strings.TrimPrefix(makeRun, "bin/carepath ") + "\n" +
		strings.Join(readmeShell(t, "## Try it", "## Running on PostgreSQL"), "\n")
	out := runREADME(t, bin, script)
	if n := strings.Count(out, "+ README: curl "); n < 30 {
		t.Fatalf("only %d curl examples ran", n)
	}
}

// "Running on PostgreSQL" on one machine: migrate, setup --demo and serve as the README says
// (on a database of the test's, in place of the role and database made once with psql),
// then every example from "Try it" on against it.
func TestREADMEExamplesOnPostgres(t *testing.T) {
	db := pgtest.NewEmptyDatabase(t)
	bin := build(t)
	local := readmeShell(t, "### On your own machine", "### In production")
	if len(local) != 2 || !strings.HasPrefix(local[0], "sudo -u postgres psql") {
		t.Fatalf("the local PostgreSQL section should have the psql block, then the carepath one: %q", local)
	}
	steps := regexp.MustCompile(`(?m)^export CAREPATH_DATABASE_URL=.*$`).ReplaceAllLiteralString(local[1],
		"export CAREPATH_DATABASE_URL='"+db+"'")
	if steps == local[1] {
		t.Fatal("the local PostgreSQL block does not set CAREPATH_DATABASE_URL")
	}
	script := steps + "\n" + strings.Join(readmeShell(t, "## Try it", "## Running on PostgreSQL"), "\n")
	out := runREADME(t, bin, script)
	if !strings.Contains(out, "(7 young people added now)") {
		t.Fatalf("setup --demo did not load the demo young people:\n%s", tail(out, 3000))
	}
}
