// Package pgtest gives tests their own freshly migrated PostgreSQL database.
//
// The server comes from TEST_DATABASE_URL (`make test` starts a throwaway cluster and sets
// it). When it is unset the tests are skipped, unless REQUIRE_TEST_DATABASE=1, which CI
// sets, turns the skip into a failure: PostgreSQL tests never silently skip in CI.
//
// Each package migrates a template database once (shared between packages through an
// advisory lock and a name derived from the migrations) and every test gets a copy made
// with CREATE DATABASE ... TEMPLATE, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/carepath/carepath/internal/store/postgres"
)

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
	createMu     sync.Mutex // CREATE DATABASE ... TEMPLATE cannot run twice at once on one template
)

// ServerURL returns TEST_DATABASE_URL, or skips (fails under REQUIRE_TEST_DATABASE=1).
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("REQUIRE_TEST_DATABASE") == "1" {
			t.Fatal("TEST_DATABASE_URL is not set but REQUIRE_TEST_DATABASE=1: PostgreSQL tests must run; use `make test`")
		}
		t.Skip("TEST_DATABASE_URL is not set; `make test` starts PostgreSQL and runs these tests")
	}
	return u
}

// NewDatabase creates a migrated database for the test and returns its URL. The database
// is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	return create(t, template(t, server))
}

// template returns the name of the migrated template database on server, built once per
// package.
func template(t testing.TB, server string) string {
	t.Helper()
	templateOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		templateName, templateErr = ensureTemplate(ctx, server)
	})
	if templateErr != nil {
		t.Fatalf("pgtest: template database: %v", templateErr)
	}
	return templateName
}

// create makes a database copied from template and drops it when the test ends.
func create(t testing.TB, template string) string {
	t.Helper()
	server := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "carepath_test_" + randomHex(6)
	createMu.Lock()
	err := exec(ctx, server, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template))
	createMu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, server, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(server, name)
}

// NewEmptyDatabase creates a database with no schema for the test and returns its URL,
// for tests of migration itself. It is dropped when the test ends.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	return create(t, "template0")
}

// SharedDatabase creates (again, if it exists) a migrated database with a fixed name on the
// server and returns its URL, for benchmarks whose fixture outlives one benchmark. It is
// left in place when the run ends, and the next run recreates it.
func SharedDatabase(t testing.TB, server, name string) string {
	t.Helper()
	tmpl := template(t, server)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	createMu.Lock()
	err := exec(ctx, server, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	if err == nil {
		err = exec(ctx, server, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl))
	}
	createMu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return withDatabase(server, name)
}

// ensureTemplate returns the name of a migrated template database, building it if needed.
func ensureTemplate(ctx context.Context, server string) (string, error) {
	fp, err := fingerprint(postgres.Migrations())
	if err != nil {
		return "", err
	}
	name := "carepath_tmpl_" + fp
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// Packages run in parallel; one builds the template while the others wait.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('carepath-pgtest-template'))`); err != nil {
		return "", err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+building); err != nil {
		return "", err
	}
	quiet := slog.New(slog.DiscardHandler)
	if err := postgres.Migrate(ctx, withDatabase(server, building), quiet); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `ALTER DATABASE `+building+` RENAME TO `+name); err != nil {
		return "", err
	}
	return name, nil
}

func exec(ctx context.Context, server, sql string) error {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for {
		_, err = conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		// 55006: the template is briefly in use by another package's CREATE DATABASE.
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fingerprint hashes carepath's migrations and River's (which postgres.Migrate applies
// after them), so that a template is rebuilt when either changes.
func fingerprint(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	river, err := postgres.RiverMigrations()
	if err != nil {
		return "", err
	}
	for _, m := range river {
		fmt.Fprintf(h, "river/%d\x00%d\x00", m.Version, len(m.SQLUp))
		h.Write([]byte(m.SQLUp))
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(server, db string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(fmt.Sprintf("pgtest: TEST_DATABASE_URL is not a URL: %v", err))
	}
	u.Path = "/" + db
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
