// Command carepath is the carepath server and its administrative tools.
//
//	carepath serve     run the API (in-memory demo store unless --database-url is given)
//	carepath migrate   apply the database migrations
//	carepath version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/carepath/carepath/internal/app"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

const usage = `carepath plans the move to adulthood of children in care and care leavers.

Usage:
  carepath serve [flags]     run the gRPC API and its REST gateway
  carepath migrate [flags]   apply the database migrations and exit
  carepath version           print the version

Run "carepath <command> -h" for a command's flags. Every flag can also be set with an
environment variable: --grpc-addr is CAREPATH_GRPC_ADDR.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stderr, lookupEnv)
	case "migrate":
		err = migrate(ctx, args, stderr, lookupEnv)
	case "version":
		fmt.Fprintln(stdout, versionString())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "carepath: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "carepath %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// parse parses a command's flags and fills the unset ones from the environment.
func parse(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool)) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	return app.ApplyEnv(fs, lookupEnv)
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

func serve(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	cfg := app.Defaults()
	fs := flag.NewFlagSet("carepath serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	if err := parse(fs, args, lookupEnv); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	log.Info("starting carepath", "version", version, "config", cfg)
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

func migrate(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	cfg := app.Defaults()
	fs := flag.NewFlagSet("carepath migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterDatabaseFlag(fs)
	if err := parse(fs, args, lookupEnv); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("--database-url (or CAREPATH_DATABASE_URL) is required")
	}
	log := newLogger(stderr, slog.LevelInfo)
	if err := app.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	log.Info("database is up to date")
	return nil
}

func versionString() string {
	s := "carepath " + version + " (" + runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				s += ", " + kv.Value
			}
		}
	}
	return s + ")"
}
