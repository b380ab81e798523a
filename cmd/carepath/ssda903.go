package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"

	"github.com/carepath/carepath/internal/app"
)

// errRejected makes `carepath import ssda903` exit 1 when any row was rejected.
var errRejected = errors.New("some children were not imported: their rows are listed above")

// ssda903Command runs `carepath import|export|generate ssda903`.
func ssda903Command(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer,
	lookupEnv func(string) (string, bool)) error {
	if len(args) == 0 || args[0] != "ssda903" {
		fmt.Fprintf(stderr, "carepath %s: the only format is ssda903 (carepath %s ssda903 -h)\n", cmd, cmd)
		return errUsage
	}
	args = args[1:]
	switch cmd {
	case "import":
		return importSSDA903(ctx, args, stdout, stderr, lookupEnv)
	case "export":
		return exportSSDA903(ctx, args, stdout, stderr, lookupEnv)
	default:
		return generateSSDA903(args, stdout, stderr)
	}
}

func importSSDA903(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs, databaseURL := databaseCommand("carepath import ssda903", "Imports a council's SSDA903 return: the CSV tables "+
		"FILE... (Header, Episodes, UASC; each recognised by its header row). Young people are matched on CHILD as "+
		"their case reference; each child is imported whole or not at all; every row that cannot be imported is "+
		"listed with file, line, column, value and reason, and the exit status is 1 if there was any.", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: carepath import ssda903 --council ID --database-url URL [--actor NAME] FILE...\n\nFlags:\n")
		fs.PrintDefaults()
	}
	council := fs.String("council", "", "the council's organisation id (required)")
	actor := fs.String("actor", operator(lookupEnv), "who runs the import, as the audit trail records it for every young "+
		"person created or changed")
	clock := app.Defaults()
	clock.RegisterClockFlag(fs)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := app.ApplyEnv(fs, lookupEnv); err != nil {
		return err
	}
	switch {
	case *databaseURL == "":
		return errNoDatabase
	case *council == "" || len(files) == 0 || *actor == "":
		fs.Usage()
		return errUsage
	}
	var progress func(done, total int)
	if isTerminal(stderr) {
		progress = func(done, total int) { fmt.Fprintf(stderr, "\rimported %d of %d children", done, total) }
	}
	sum, err := app.ImportSSDA903(ctx, *databaseURL, *council, *actor, files, clock.Now(), progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	for _, p := range sum.Problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintf(stdout, "children: %d created, %d updated, %d unchanged, %d rejected\n",
		sum.Created, sum.Updated, sum.Unchanged, sum.Rejected)
	if sum.Rejected > 0 {
		return errRejected
	}
	return nil
}

// operator is who runs a command, for the audit trail: cli: and the operating system's
// user name (USER when the system cannot tell).
func operator(lookupEnv func(string) (string, bool)) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if name, ok := lookupEnv("USER"); ok && name != "" {
		return "cli:" + name
	}
	return "cli:unknown"
}

// isTerminal reports whether w is a terminal, where progress is worth showing.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func exportSSDA903(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs, databaseURL := databaseCommand("carepath export ssda903", "Writes a council's SSDA903 Header and Episodes "+
		"tables for a collection year (1 April to 31 March) as CSV files in --out.", stderr)
	council := fs.String("council", "", "the council's organisation id (required)")
	year := fs.Int("year", 0, "the collection year, by the year it ends: 2026 is 1 April 2025 to 31 March 2026 (required)")
	out := fs.String("out", "", "the directory to write header.csv and episodes.csv into (required)")
	if err := parse(fs, args, lookupEnv); err != nil {
		return err
	}
	switch {
	case *databaseURL == "":
		return errNoDatabase
	case *council == "" || *year == 0 || *out == "":
		fs.Usage()
		return errUsage
	}
	files, err := app.ExportSSDA903(ctx, *databaseURL, *council, *year, *out)
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return err
}

func generateSSDA903(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("carepath generate ssda903", flag.ContinueOnError)
	fs.SetOutput(stderr)
	children := fs.Int("children", 2000, "how many children")
	seed := fs.Uint64("seed", 1, "the seed: the same seed gives the same return")
	bad := fs.Int("bad-rows", 0, "how many children get one bad row each")
	year := fs.Int("year", 0, "the collection year, by the year it ends (required)")
	out := fs.String("out", "", "the directory to write header.csv, episodes.csv and uasc.csv into (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *year == 0 || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	files, err := app.GenerateSSDA903(*children, *seed, *bad, *year, *out)
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return err
}
