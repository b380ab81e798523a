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
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the database at url to the latest schema: carepath's own migrations, then
// River's (its job tables). Several replicas may call it at once: advisory locks let one
// migrate while the others wait.
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
	return migrateRiver(ctx, url, log)
}

// riverMigrateLock is the advisory lock that serialises River's migrations between
// replicas (rivermigrate takes none of its own).
const riverMigrateLock = "carepath-river-migrate"

// newRiverMigrator returns a migrator of River's tables that runs in transactions it is
// given (its driver has no pool). It logs nothing: Migrate logs what it applied.
func newRiverMigrator() (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(nil), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("postgres: river migrations: %w", err)
	}
	return m, nil
}

// migrateRiver applies River's migrations one at a time, each in its own transaction (a
// later one can use what an earlier one added to an enum, which PostgreSQL allows only once
// that has committed) and under an advisory lock, so that replicas never apply one twice.
func migrateRiver(ctx context.Context, url string, log *slog.Logger) error {
	m, err := newRiverMigrator()
	if err != nil {
		return err
	}
	conn, err := connectForMigration(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		var applied []rivermigrate.MigrateVersion
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, riverMigrateLock); err != nil {
				return err
			}
			//lint:ignore SA1019 deliberate: one step per transaction of ours, under the advisory lock (see above); Migrate needs a pool and takes no lock
			res, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
			if err != nil {
				return err
			}
			applied = res.Versions
			return nil
		})
		if err != nil {
			return fmt.Errorf("postgres: river migrations: %w", err)
		}
		if len(applied) == 0 {
			return nil
		}
		for _, v := range applied {
			log.Info("applied river migration", "version", v.Version, "name", v.Name, "duration", v.Duration)
		}
	}
}

// riverPending reports whether the database at url lacks River migrations this binary has.
func riverPending(ctx context.Context, url string) (bool, error) {
	m, err := newRiverMigrator()
	if err != nil {
		return false, err
	}
	conn, err := connectForMigration(ctx, url)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var ok bool
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		res, err := m.ValidateTx(ctx, tx, nil)
		if err != nil {
			return err
		}
		ok = res.OK
		return nil
	})
	return !ok, err
}

// connectForMigration opens a connection with no statement timeout.
func connectForMigration(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: database URL: %w", err)
	}
	cfg.RuntimeParams["statement_timeout"] = "0"
	return pgx.ConnectConfig(ctx, cfg)
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

// pending reports whether the database at url lacks migrations this binary has, its own
// or River's.
func pending(ctx context.Context, url string) (bool, error) {
	p, closeDB, err := newMigrator(url)
	if err != nil {
		return false, err
	}
	defer closeDB()
	if missing, err := p.HasPending(ctx); err != nil || missing {
		return missing, err
	}
	return riverPending(ctx, url)
}

// Migrations returns the embedded migration files, for tools that fingerprint the schema.
func Migrations() fs.FS {
	fsys, _ := fs.Sub(migrations, "migrations")
	return fsys
}

// RiverMigrations returns River's migrations, in order, as Migrate applies them after
// carepath's own, for tools that fingerprint the schema.
func RiverMigrations() ([]rivermigrate.Migration, error) {
	m, err := newRiverMigrator()
	if err != nil {
		return nil, err
	}
	return m.AllVersions(), nil
}
