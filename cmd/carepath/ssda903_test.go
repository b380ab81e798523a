package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

// TestImportExportSSDA903 runs the commands as a council would: generate a return with bad
// rows, import it (exit 1, each bad row listed with file, line and reason, everyone else
// imported), import it again (everyone unchanged), and export the year.
func TestImportExportSSDA903(t *testing.T) {
	db := pgtest.NewDatabase(t)
	ctx := context.Background()
	noEnv := func(string) (string, bool) { return "", false }
	now := testclock.Now()
	year := now.Year()
	if now.Month() <= time.March {
		year--
	}
	clock := "--clock-start=" + now.UTC().Format(time.RFC3339)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "return"), filepath.Join(dir, "export")
	runOK := func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, args, &stdout, &stderr, noEnv); code != want {
			t.Fatalf("carepath %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	runOK(0, "generate", "ssda903", "--children", "300", "--seed", "3", "--bad-rows", "5", "--year", strconv.Itoa(year), "--out", in)
	runOK(0, "setup", "--database-url", db, "--council", "testshire", "--council-name", "Testshire",
		"--admin", "ada", "--admin-name", "Ada")
	files := []string{filepath.Join(in, "header.csv"), filepath.Join(in, "episodes.csv"), filepath.Join(in, "uasc.csv")}
	args := append([]string{"import", "ssda903", "--council", "testshire", "--database-url", db, "--actor", "cli:ada", clock}, files...)
	first := runOK(1, args...)
	if !strings.Contains(first, "children: 295 created, 0 updated, 0 unchanged, 5 rejected") {
		t.Fatalf("first import says:\n%s", first)
	}
	if rows := regexp.MustCompile(`(?m)^episodes\.csv:\d+: [A-Z_]+ ".*": .+$`).FindAllString(first, -1); len(rows) < 5 {
		t.Fatalf("first import lists %d bad rows with line, column, value and reason:\n%s", len(rows), first)
	}
	if again := runOK(1, args...); !strings.Contains(again, "children: 0 created, 0 updated, 295 unchanged, 5 rejected") {
		t.Fatalf("second import says:\n%s", again)
	}
	// The trail names who imported each young person created, and is intact once sealed.
	records := importRecords(t, db)
	if len(records) != 295 {
		t.Fatalf("%d audit records of the import, want one for each of the 295 young people created", len(records))
	}
	for _, r := range records {
		if r.Actor != "cli:ada" || r.Chain != "testshire" || len(r.YoungPeople) != 1 || r.RequestID == "" {
			t.Fatalf("audit record of the import: %+v", r)
		}
	}
	if out := runOK(0, "audit", "verify", "--database-url", db); !strings.Contains(out, "testshire") {
		t.Fatalf("audit verify says:\n%s", out)
	}
	runOK(0, "export", "ssda903", "--council", "testshire", "--database-url", db, "--year", strconv.Itoa(year), "--out", out)
	header, err := os.ReadFile(filepath.Join(out, "header.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(header), "\n"); n != 296 {
		t.Fatalf("the exported Header table has %d lines, want 296 (a header row and 295 children)", n)
	}
	if st, _ := os.Stat(filepath.Join(out, "episodes.csv")); st == nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("episodes.csv is missing or readable by others: %v", st)
	}
	runOK(2, "import", "ssda903", "--council", "testshire", "--database-url", db)
	runOK(2, "export", "csv")
}

// importRecords seals the audit trail, as a running service would, and returns the
// records of imports.
func importRecords(t *testing.T, db string) []audit.Record {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, db, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []audit.Record
	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.SealAudit(ctx, testclock.Now(), 10000); err != nil {
			return err
		}
		es, err := tx.ListAuditRecords(ctx, store.AuditQuery{Council: "testshire", Limit: 10000})
		for _, e := range es {
			if e.Action == app.ImportAction {
				out = append(out, e.Record)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
