package pgtest

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/store/postgres"
)

// Roles is a database set up as production runs it: migrated by a role that owns its
// tables and is no superuser, and served by an app role that owns nothing.
type Roles struct {
	OwnerURL string // connects as the owner
	AppURL   string // connects as the app role
	App      string // the app role's name
}

// NewRoles creates two login roles of the test's own (roles are cluster-wide, so their
// names are unique), an empty database owned by the first, migrates it as that role and
// grants the second what the service needs (postgres.GrantApp). Everything is dropped when
// the test ends. The test server must let the roles in without a password (trust), as the
// clusters `make test` starts do.
func NewRoles(t testing.TB) Roles {
	t.Helper()
	server := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	suffix := randomHex(6)
	owner, app, db := "carepath_owner_"+suffix, "carepath_app_"+suffix, "carepath_roles_"+suffix
	for _, stmt := range []string{
		`CREATE ROLE ` + owner + ` LOGIN NOSUPERUSER`,
		`CREATE ROLE ` + app + ` LOGIN NOSUPERUSER`,
		`CREATE DATABASE ` + db + ` OWNER ` + owner,
	} {
		if err := exec(ctx, server, stmt); err != nil {
			t.Fatalf("pgtest: %s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, stmt := range []string{`DROP DATABASE IF EXISTS ` + db + ` WITH (FORCE)`,
			`DROP ROLE IF EXISTS ` + app, `DROP ROLE IF EXISTS ` + owner} {
			if err := exec(ctx, server, stmt); err != nil {
				t.Errorf("pgtest: %s: %v", stmt, err)
			}
		}
	})
	r := Roles{OwnerURL: withUser(withDatabase(server, db), owner), AppURL: withUser(withDatabase(server, db), app), App: app}
	if err := postgres.Migrate(ctx, r.OwnerURL, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("pgtest: migrate as the owner: %v", err)
	}
	if err := postgres.GrantApp(ctx, r.OwnerURL, app); err != nil {
		t.Fatalf("pgtest: grant the app role: %v", err)
	}
	return r
}

// withUser returns the URL with another user and no password.
func withUser(server, user string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic("pgtest: TEST_DATABASE_URL is not a URL: " + err.Error())
	}
	u.User = url.User(user)
	return u.String()
}

// CopyDatabase creates a copy of the database at from (which nothing may be connected to)
// for the test, and returns its URL; the copy is dropped when the test ends. Tests that each
// damage the same fixture build it once and copy it.
func CopyDatabase(t testing.TB, from string) string {
	t.Helper()
	u, err := url.Parse(from)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return create(t, strings.TrimPrefix(u.Path, "/"))
}
