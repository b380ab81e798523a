package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/ssda903return"
	"github.com/carepath/carepath/internal/store"
)

// SSDA903Summary is what an import of a return did.
type SSDA903Summary = ssda903return.Summary

// ImportAction is the audit trail's action for an import from the command line.
const ImportAction = "carepath import ssda903"

// ImportSSDA903 imports a council's SSDA903 return from CSV files into the database
// (`carepath import ssda903`), telling progress (if set) after each batch. Every young
// person it creates or changes is recorded in the council's audit chain as written by actor
// (the operator, such as "cli:ada"), each record of the run sharing one request id.
func ImportSSDA903(ctx context.Context, databaseURL, councilID, actor string, files []string, now time.Time,
	progress func(done, total int)) (SSDA903Summary, error) {
	ret, err := ssda903return.ReadFiles(files)
	if err != nil {
		return SSDA903Summary{}, err
	}
	var sum SSDA903Summary
	err = withDatabase(ctx, databaseURL, func(s store.Store) error {
		clock := func() time.Time { return now }
		im := ssda903return.Importer{Store: s, Planner: planner.New(catalogue.Default(), clock), Now: clock, Progress: progress, Workers: 2,
			Audit: audit.Record{Actor: actor, Purpose: access.DirectCare, Action: ImportAction, RequestID: uuid.Must(uuid.NewV7()).String()}}
		sum, err = im.Import(ctx, councilID, ret)
		return err
	})
	return sum, err
}

// ExportSSDA903 writes a council's return for the collection year ending 31 March of
// yearEnding into dir (`carepath export ssda903`) and returns the files written.
func ExportSSDA903(ctx context.Context, databaseURL, councilID string, yearEnding int, dir string) ([]string, error) {
	var files []string
	err := withDatabase(ctx, databaseURL, func(s store.Store) error {
		tables, err := ssda903return.Export(ctx, s, councilID, ssda903return.CollectionYear{Ending: yearEnding})
		if err != nil {
			return err
		}
		files, err = tables.WriteDir(dir)
		return err
	})
	return files, err
}

// GenerateSSDA903 writes a synthetic return of n children, bad of them with a bad row, for
// the collection year ending 31 March of yearEnding, into dir (`carepath generate ssda903`).
func GenerateSSDA903(n int, seed uint64, bad, yearEnding int, dir string) ([]string, error) {
	g := ssda903return.Generate(n, seed, bad, ssda903return.CollectionYear{Ending: yearEnding})
	return g.Tables.WriteDir(dir)
}
