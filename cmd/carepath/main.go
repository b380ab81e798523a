// Command carepath is the carepath server and its administrative tools.
//
//	carepath serve          run the API (in-memory demo store unless --database-url is given)
//	carepath migrate        apply the database migrations
//	carepath setup          register a council and its first administrator, or load the demo
//	carepath audit verify   check the audit trail's hash chains
//	carepath audit checkpoint  verify, then print the chains' heads to keep outside the database
//	carepath import ssda903 load a council's SSDA903 return
//	carepath export ssda903 write a council's SSDA903 return for a collection year
//	carepath generate ssda903 write a synthetic SSDA903 return
//	carepath dev-token ROLE print a development token for a demo person
//	carepath version        print the version
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/carepath/carepath/internal/app"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful shutdown; a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

const usage = `carepath plans the move to adulthood of children in care and care leavers.

Usage:
  carepath serve [flags]          run the gRPC API and its REST gateway
  carepath migrate [flags]        apply the database migrations and exit; with --app-role, grant
                                  the service's own database role what it needs
  carepath setup [flags]          register a council and its first administrator, or load
                                  the demo (--demo), into a database
  carepath audit verify [flags]   check that no audit record was changed, removed or reordered
  carepath audit checkpoint       verify, then print each chain's head: keep it outside the database
  carepath import ssda903 --council ID FILE...
                                  load a council's SSDA903 return (CSV tables); exit 1 if
                                  any row was rejected
  carepath export ssda903 --council ID --year YYYY --out DIR
                                  write the council's Header and Episodes tables for a year
  carepath generate ssda903 --children N --year YYYY --out DIR
                                  write a synthetic return, for trying and benchmarks
  carepath dev-token ROLE [--ttl] print a development-issuer token for a demo person
                                  ("carepath dev-token -h" lists the roles)
  carepath version                print the version

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
	case "setup":
		err = setup(ctx, args, stderr, lookupEnv)
	case "audit":
		switch {
		case len(args) > 0 && args[0] == "verify":
			err = verifyAudit(ctx, args[1:], stdout, stderr, lookupEnv)
		case len(args) > 0 && args[0] == "checkpoint":
			err = checkpointAudit(ctx, args[1:], stdout, stderr, lookupEnv)
		default:
			fmt.Fprintf(stderr, "carepath audit: the subcommands are verify and checkpoint\n")
			return 2
		}
	case "import", "export", "generate":
		err = ssda903Command(ctx, cmd, args, stdout, stderr, lookupEnv)
	case "dev-token":
		err = devToken(args, stdout, stderr)
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
		// One line, whatever the error: joined errors are listed with "; ".
		fmt.Fprintf(stderr, "carepath %s: %s\n", cmd, strings.ReplaceAll(err.Error(), "\n", "; "))
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
	// OpenTelemetry's own variables, as every instrumented service reads them.
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if v, ok := lookupEnv(name); ok && v != "" && cfg.OTLPEndpoint == "" {
			cfg.OTLPEndpoint = v
		}
	}
	collectLess(lookupEnv)
	log := newLogger(stderr, cfg.LogLevel)
	log.Info("starting carepath", "version", version, "config", cfg)
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// gcPercent is the collector's target for serve when GOGC is not set. The live heap is small,
// so at Go's default (100) a server under load collects many times a second: about a sixth
// of its CPU per call went to collecting. 400 spends that on calls instead, for about 40 MiB
// more resident memory at 32 callers (idle memory hardly changes). GOMEMLIMIT (on
// Kubernetes, the container's limit) still makes the runtime collect harder near the limit.
const gcPercent = 400

// collectLess sets the collector's target to gcPercent, unless GOGC says otherwise.
func collectLess(lookupEnv func(string) (string, bool)) {
	if _, set := lookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// databaseCommand is the flag set of a command that works on the database: --database-url
// (or CAREPATH_DATABASE_URL), required, and whatever else the command adds before parsing.
func databaseCommand(name, what string, stderr io.Writer) (*flag.FlagSet, *string) {
	cfg := app.Defaults()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterDatabaseFlag(fs)
	fs.Lookup("database-url").Usage = "the PostgreSQL URL (required; or CAREPATH_DATABASE_URL), " +
		"e.g. postgres://carepath:secret@localhost:5432/carepath?sslmode=disable"
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s --database-url URL [flags]\n\n%s\n\nFlags:\n", name, what)
		fs.PrintDefaults()
	}
	return fs, &cfg.DatabaseURL
}

var errNoDatabase = errors.New("--database-url (or CAREPATH_DATABASE_URL) is required")

func migrate(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs, databaseURL := databaseCommand("carepath migrate", "Applies the database migrations and exits; safe to run from several replicas at once.", stderr)
	appRole := fs.String("app-role", "", "the database role `carepath serve` connects as: granted what the service needs and "+
		"no more (run migrate as the role that owns the tables; the app role must own nothing)")
	if err := parse(fs, args, lookupEnv); err != nil {
		return err
	}
	if *databaseURL == "" {
		return errNoDatabase
	}
	log := newLogger(stderr, slog.LevelInfo)
	if err := app.Migrate(ctx, *databaseURL, log); err != nil {
		return err
	}
	log.Info("database is up to date")
	if *appRole != "" {
		if err := app.GrantApp(ctx, *databaseURL, *appRole); err != nil {
			return err
		}
		log.Info("granted the service's role what it needs", "app_role", *appRole)
	}
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

func setup(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs, databaseURL := databaseCommand("carepath setup", "Registers a council and its first administrator (their identity provider "+
		"subject), or with --demo loads the demo councils, partners, people, sharing agreements and young people. Either may "+
		"run again: what is there already is left as it is.", stderr)
	council := fs.String("council", "", "the council's organisation id, e.g. nottinghamshire")
	councilName := fs.String("council-name", "", "the council's name")
	admin := fs.String("admin", "", "the first administrator's person id: the subject (sub) of their identity provider's tokens")
	adminName := fs.String("admin-name", "", "the administrator's name")
	loadDemo := fs.Bool("demo", false, "load the demo data, to try carepath on your own machine (with serve --dev-issuer-force)")
	demoYoungPeople := fs.Bool("demo-young-people", true, "with --demo, load the demo young people too")
	clock := app.Defaults()
	clock.RegisterClockFlag(fs)
	if err := parse(fs, args, lookupEnv); err != nil {
		return err
	}
	registering := *council != "" || *councilName != "" || *admin != "" || *adminName != ""
	switch {
	case *databaseURL == "":
		return errNoDatabase
	case !registering && !*loadDemo:
		return errors.New("give --council, --council-name, --admin and --admin-name to register a council, or --demo to load the demo")
	case registering && (*council == "" || *councilName == "" || *admin == "" || *adminName == ""):
		return errors.New("--council, --council-name, --admin and --admin-name go together")
	}
	now := clock.Now()
	if *loadDemo {
		added, err := app.SetupDemo(ctx, *databaseURL, *demoYoungPeople, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "the demo is loaded (%d young people added now); carepath dev-token prints tokens for:\n", added)
		subjects := app.DemoSubjects()
		for _, role := range slices.Sorted(maps.Keys(subjects)) {
			fmt.Fprintf(stderr, "  %-24s %s\n", role, subjects[role])
		}
	}
	if registering {
		r, err := app.Setup(ctx, *databaseURL, *council, *councilName, *admin, *adminName, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "council %s %s, administrator %s %s\n", *council, addedOr(r.CouncilAdded), *admin, addedOr(r.AdminAdded))
	}
	return nil
}

func addedOr(added bool) string {
	if added {
		return "registered"
	}
	return "was registered already"
}

// errTampered makes `carepath audit verify` exit 1 when a chain is broken.
var errTampered = errors.New("the audit trail has been tampered with")

func verifyAudit(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs, databaseURL := databaseCommand("carepath audit verify",
		"Recomputes every audit chain; exits 1 and names the first record changed, removed or reordered if one was.", stderr)
	checkpoint := checkpointFlag(fs)
	if err := parse(fs, args, lookupEnv); err != nil {
		return err
	}
	if *databaseURL == "" {
		return errNoDatabase
	}
	heads, err := readCheckpoint(*checkpoint)
	if err != nil {
		return err
	}
	intact, err := app.VerifyAudit(ctx, *databaseURL, stdout, heads...)
	if err != nil {
		return err
	}
	if !intact {
		return errTampered
	}
	return nil
}

// checkpointAudit verifies the trail and, if it is intact, prints every chain's head as a
// checkpoint (to stdout, or --out); the report goes to stderr.
func checkpointAudit(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs, databaseURL := databaseCommand("carepath audit checkpoint",
		"Verifies every audit chain and, if intact, prints each chain's head: keep it outside the database.", stderr)
	checkpoint := checkpointFlag(fs)
	outFile := fs.String("out", "", "write the checkpoint to this file instead of stdout")
	if err := parse(fs, args, lookupEnv); err != nil {
		return err
	}
	if *databaseURL == "" {
		return errNoDatabase
	}
	heads, err := readCheckpoint(*checkpoint)
	if err != nil {
		return err
	}
	var cp bytes.Buffer
	intact, err := app.WriteCheckpoint(ctx, *databaseURL, stderr, &cp, heads...)
	if err != nil {
		return err
	}
	if !intact {
		return errTampered
	}
	if cp.Len() == 0 {
		fmt.Fprintln(stderr, "the audit trail has no sealed chain yet: nothing to checkpoint")
	}
	if *outFile != "" {
		return os.WriteFile(*outFile, cp.Bytes(), 0o600)
	}
	_, err = stdout.Write(cp.Bytes())
	return err
}

func checkpointFlag(fs *flag.FlagSet) *string {
	return fs.String("checkpoint", "", "a checkpoint kept outside the database (from `carepath audit checkpoint`, or the "+
		"service's log): the chains must still hold the heads it names, so a tail cut off with its seals is found")
}

func readCheckpoint(path string) (app.Checkpoint, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	heads, err := app.ReadCheckpoint(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return heads, nil
}

func devToken(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("carepath dev-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	subjects := app.DemoSubjects()
	roles := slices.Sorted(maps.Keys(subjects))
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: carepath dev-token ROLE [--ttl 12h]\n\n"+
			"Prints a token of the development issuer (serve runs it with the in-memory store, or with\n"+
			"--dev-issuer-force) for the demo person of ROLE:\n\n")
		for _, r := range roles {
			fmt.Fprintf(stderr, "  %-24s %s\n", r, subjects[r])
		}
		fmt.Fprintf(stderr, "\nFlags:\n")
		fs.PrintDefaults()
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		fs.Usage()
		return errUsage
	}
	token, err := app.DevToken(positional[0], *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

// parseInterspersed parses flags wherever they are among the arguments (the flag package
// stops at the first argument that is not a flag) and returns the others.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
}
