package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the database at url to the latest schema. Several replicas may call it at
// once: a session advisory lock lets one migrate while the others wait.
func Migrate(ctx context.Context, url string, log *slog.Logger) error {
	p, closeDB, err := newMigrator(url)
	if err != nil {
		return err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// newMigrator returns a goose provider on its own connection, with no statement timeout so
// that long migrations can finish.
func newMigrator(url string) (*goose.Provider, func(), error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: database URL: %w", err)
	}
	cfg.RuntimeParams["statement_timeout"] = "0"
	db := stdlib.OpenDB(*cfg)
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, func() { db.Close() }, nil
}

// pending reports whether the database at url lacks migrations this binary has.
func pending(ctx context.Context, url string) (bool, error) {
	p, closeDB, err := newMigrator(url)
	if err != nil {
		return false, err
	}
	defer closeDB()
	return p.HasPending(ctx)
}

// Migrations returns the embedded migration files, for tools that fingerprint the schema.
func Migrations() fs.FS {
	fsys, _ := fs.Sub(migrations, "migrations")
	return fsys
}
