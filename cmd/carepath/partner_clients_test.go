package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A partner's first hour, as the README tells it: examples/partner-clients generates a typed
// REST client from the OpenAPI 3.1 document and gRPC types from the protos, type-checks and
// compiles them, then runs each client against a real server (in memory, demo data, a
// development token): list young people, read a pathway, complete a milestone with its etag,
// and meet a stale etag (409 over REST, ABORTED over gRPC), read again and retry.
//
// It needs Node.js and the example's packages, which `make tools` installs; it fails rather
// than skips without them, so CI cannot pass without running the clients.
func TestPartnerClients(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("the partner clients need Node.js 20 or later on PATH (Debian: apt-get install nodejs npm)")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "partner-clients"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err != nil {
		t.Fatal("examples/partner-clients has no node_modules: run `make tools`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // tsc and two builds on a busy machine
	defer cancel()
	npm := func(script string, env ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "npm", "run", "--silent", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("npm run %s: %v\n%s", script, err, out)
		}
		return string(out)
	}
	// Generation and the type check come first: a document the generator cannot type, or a
	// change to the API the scripts no longer fit, fails here.
	npm("build")

	bin := build(t)
	httpAddr, _, logs := startBinary(t, bin, "CAREPATH_GRPC_ADDR=127.0.0.1:0", "CAREPATH_HTTP_ADDR=127.0.0.1:0")
	token, err := exec.Command(bin, "dev-token", "personal-adviser").Output()
	if err != nil {
		t.Fatalf("carepath dev-token: %v", err)
	}
	env := []string{
		"CAREPATH_TOKEN=" + strings.TrimSpace(string(token)),
		"CAREPATH_URL=http://" + httpAddr,
		"CAREPATH_GRPC=" + logs.grpcAddr,
	}
	for script, want := range map[string][]string{
		"rest": {"listed 4 young people", "HTTP 409 ETAG_MISMATCH; reading it again", "REST client: ok"},
		"grpc": {"listed 4 young people", ": ABORTED (", "gRPC client: ok"},
	} {
		out := npm(script, env...)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("npm run %s: no %q in its output:\n%s", script, w, out)
			}
		}
	}
}
