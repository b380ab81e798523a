package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
)

// createDatabase creates an empty database on the server and returns its URL and a
// function that drops it.
func createDatabase(ctx context.Context, serverURL string) (string, func(context.Context) error, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("--postgres-url must be a postgres:// URL")
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "carepath_load_" + hex.EncodeToString(suffix)
	if err := onServer(ctx, serverURL, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create the database: %w", err)
	}
	u.Path = "/" + name
	drop := func(ctx context.Context) error {
		return onServer(ctx, serverURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

func onServer(ctx context.Context, serverURL, statement string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, statement)
	return err
}

// carepathCommand runs one of carepath's administrative commands to completion.
func carepathCommand(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cmd.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("carepath %s: %w\n%s%s", args[0], err, out, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

// buildCarepath builds the carepath binary of the module the tool is run in.
func buildCarepath(ctx context.Context, dir string) (string, error) {
	bin := dir + "/carepath"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/carepath/carepath/cmd/carepath")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/carepath (run from the carepath module, or give --carepath-bin): %w\n%s", err, out)
	}
	return bin, nil
}

// sourceCommit describes the checkout carepath is built from: its commit, and whether it
// has uncommitted changes (GOFLAGS may keep Go from stamping the binary with them).
func sourceCommit(ctx context.Context) string {
	head, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	out := "commit " + strings.TrimSpace(string(head))
	if dirty, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(dirty) > 0 {
		out += " with uncommitted changes"
	}
	return out
}
