// Package ssda903return loads a council's SSDA903 return into carepath and writes the return
// back from what carepath holds. Reading and checking the CSV tables is pure
// (domain/ssda903); this package matches the return's children with the council's young
// people, writes what changed in batches, each child whole or not at all, and plans their
// pathways.
package ssda903return

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
)

// PlaceholderGivenName is the given name of a young person an import creates: the return
// holds no names, so a new young person is "Child <CHILD>" until the council corrects it.
// An import never changes a name.
const PlaceholderGivenName = "Child"

// DefaultBatch is how many children an import writes in one transaction.
const DefaultBatch = 250

// Importer imports returns into a store.
type Importer struct {
	Store   store.Store
	Planner *planner.Planner
	Now     func() time.Time
	// Batch is the number of children written per transaction (DefaultBatch if zero).
	Batch int
	// Workers is how many batches are written at once (one if zero): batches are of
	// different children, each in its own transaction.
	Workers int
	// Progress, if set, is told after each batch how many children are done of how many.
	Progress func(done, total int)
	// Audit says who imports, for the audit trail: who (Actor, required), as what
	// (Organisation, Roles), why (Purpose), by which command or call (Action, RequestID,
	// ClientAddress). Each child an import creates or changes gets a record of its own, of
	// the council's chain unless Chain says otherwise, written in the batch's transaction
	// with one statement for the batch: if it cannot be written the batch is not either.
	Audit audit.Record
}

// ErrNoActor is returned by an import that does not say who runs it.
var ErrNoActor = errors.New("an import must name who runs it (Importer.Audit.Actor) for the audit trail")

// Summary is what an import did.
type Summary struct {
	Created, Updated, Unchanged, Rejected int
	// Problems are the rows that could not be imported, in file and line order.
	Problems []ssda903.Problem
}

// ErrNotACouncil is returned when the council to import into is not a registered council.
var ErrNotACouncil = errors.New("the council is not registered (carepath setup registers it)")

// Import creates or updates the council's young people from the return's children (matched
// on CHILD as the case reference) and their episodes, then plans their pathways. A child
// with any problem is left out whole; everyone else is imported. What carepath recorded
// (milestones, facts, shares, the personal adviser, names) is kept.
func (im Importer) Import(ctx context.Context, councilID string, ret *ssda903.Return) (Summary, error) {
	now := im.Now()
	today := civil.Today(now)
	if im.Audit.Actor == "" || im.Audit.Purpose == "" || im.Audit.Action == "" {
		return Summary{}, ErrNoActor
	}
	if err := im.checkCouncil(ctx, councilID); err != nil {
		return Summary{}, err
	}
	ret.Check(today)
	rejected := ret.Rejected()
	var sum Summary
	var ids []string
	for id := range ret.Children {
		if !rejected[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	batch := im.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	// Batches are of different children, so workers write them side by side: one works
	// out plans in Go while another's statements run in the database.
	var (
		mu   sync.Mutex
		done int
	)
	chunks := make(chan []string)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(chunks)
		for start := 0; start < len(ids); start += batch {
			select {
			case chunks <- ids[start:min(start+batch, len(ids))]:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range max(im.Workers, 1) {
		g.Go(func() error {
			for chunk := range chunks {
				var got batchResult
				err := im.Store.InTx(gctx, func(tx store.Tx) (err error) {
					got, err = im.writeBatch(gctx, tx, councilID, ret, chunk, today, now)
					return err
				})
				if err != nil {
					return err
				}
				mu.Lock()
				sum.Created += got.created
				sum.Updated += got.updated
				sum.Unchanged += got.unchanged
				for _, p := range got.problems {
					rejected[p.Child] = true
				}
				ret.Problems = append(ret.Problems, got.problems...)
				done += len(chunk)
				if im.Progress != nil {
					im.Progress(done, len(ids))
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return sum, err
	}
	sum.Rejected = len(rejected)
	sum.Problems = ret.Problems
	slices.SortStableFunc(sum.Problems, func(a, b ssda903.Problem) int {
		if a.File != b.File {
			if a.File < b.File {
				return -1
			}
			return 1
		}
		return a.Line - b.Line
	})
	return sum, nil
}

func (im Importer) checkCouncil(ctx context.Context, councilID string) error {
	return im.Store.InTx(ctx, func(tx store.Tx) error {
		o, err := tx.GetOrganisation(ctx, councilID)
		if errs.KindOf(err) == errs.NotFound || err == nil && o.Type != domain.Council {
			return fmt.Errorf("%s: %w", councilID, ErrNotACouncil)
		}
		return err
	})
}

type batchResult struct {
	created, updated, unchanged int
	problems                    []ssda903.Problem
}

// writeBatch imports some children in tx: it works out each child's changes first, so that
// a child found wrong against what carepath holds is left out before anything is written.
func (im Importer) writeBatch(ctx context.Context, tx store.Tx, councilID string, ret *ssda903.Return,
	ids []string, today civil.Date, now time.Time) (batchResult, error) {
	var res batchResult
	existing, err := tx.YoungPeopleByCaseReference(ctx, councilID, ids)
	if err != nil {
		return res, err
	}
	byRef := map[string]domain.YoungPerson{}
	var existingIDs []string
	for _, yp := range existing {
		byRef[yp.CaseReference] = yp
		existingIDs = append(existingIDs, yp.ID)
	}
	if _, err := tx.LockYoungPeople(ctx, existingIDs); err != nil {
		return res, err
	}
	states, err := tx.LoadTimelines(ctx, existingIDs)
	if err != nil {
		return res, err
	}
	stored := map[string][]domain.CareEpisode{}
	for _, st := range states {
		stored[st.YoungPerson.ID] = st.Episodes
	}
	var (
		changed []string
		// New young people and their episodes are copied in at once, after the loop.
		created  []domain.YoungPerson
		episodes []domain.CareEpisode
	)
	for _, id := range ids {
		cur, found := byRef[id]
		var curp *domain.YoungPerson
		if found {
			curp = &cur
		}
		ch, problems := plan(ret.Children[id], councilID, curp, stored[cur.ID], today, now)
		if len(problems) > 0 {
			res.problems = append(res.problems, problems...)
			continue
		}
		switch {
		case !found:
			res.created++
			created, episodes = append(created, ch.yp), append(episodes, ch.create...)
		case ch.empty():
			res.unchanged++
			continue
		default:
			res.updated++
			if err := ch.write(ctx, tx); err != nil {
				return res, fmt.Errorf("child %s: %w", id, err)
			}
		}
		changed = append(changed, ch.yp.ID)
	}
	if err := tx.CreateYoungPeople(ctx, created, episodes); err != nil {
		return res, err
	}
	if err := tx.AppendAudits(ctx, im.auditRecords(councilID, changed, now)); err != nil {
		return res, err
	}
	return res, im.Planner.Replan(ctx, tx, changed...)
}

// auditRecords are the audit records of the young people an import wrote: one each.
func (im Importer) auditRecords(councilID string, ids []string, now time.Time) []audit.Record {
	out := make([]audit.Record, len(ids))
	for i, id := range ids {
		r := im.Audit
		if r.Chain == "" {
			r.Chain = councilID
		}
		r.Roles = slices.Clone(r.Roles)
		r.Time, r.Council, r.YoungPeople, r.Outcome = now, councilID, []string{id}, audit.OutcomeOK
		out[i] = r
	}
	return out
}

// changes are the writes that bring one young person in line with the return.
type changes struct {
	yp                      domain.YoungPerson
	ypChanged               bool
	create, update, deletes []domain.CareEpisode
}

func (c changes) empty() bool {
	return !c.ypChanged && len(c.create)+len(c.update)+len(c.deletes) == 0
}

// write stores the changes to a young person carepath holds.
func (c changes) write(ctx context.Context, tx store.Tx) error {
	if c.ypChanged {
		if _, err := tx.UpdateYoungPerson(ctx, c.yp, c.yp.Revision); err != nil {
			return err
		}
	}
	for _, e := range c.deletes {
		if err := tx.DeleteCareEpisode(ctx, e.YoungPersonID, e.ID, e.Revision); err != nil {
			return err
		}
	}
	for _, e := range c.update {
		if _, err := tx.UpdateCareEpisode(ctx, e, e.Revision); err != nil {
			return err
		}
	}
	for _, e := range c.create {
		if _, err := tx.CreateCareEpisode(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// plan works out the changes that bring a young person (nil if new) and their episodes in
// line with a child of the return. The return's episodes replace the stored ones that start
// on or after its first episode, matched on their start date (DECOM); earlier ones, from
// returns before, are kept.
func plan(c *ssda903.Child, councilID string, cur *domain.YoungPerson, stored []domain.CareEpisode,
	today civil.Date, now time.Time) (changes, []ssda903.Problem) {
	var ch changes
	if cur == nil {
		ch.yp = domain.YoungPerson{ID: uuid.Must(uuid.NewV7()).String(), GivenName: PlaceholderGivenName,
			FamilyName: c.ID, CouncilID: councilID, CaseReference: c.ID, CreateTime: now}
	} else {
		ch.yp = *cur
	}
	next := ch.yp
	next.DateOfBirth = c.DateOfBirth
	next.UnaccompaniedAsylumSeekingChild = ch.yp.UnaccompaniedAsylumSeekingChild || c.UASC
	next.SSDA903 = c.HeaderFields
	ch.ypChanged = cur == nil || next.DateOfBirth != cur.DateOfBirth ||
		next.UnaccompaniedAsylumSeekingChild != cur.UnaccompaniedAsylumSeekingChild || !maps.Equal(next.SSDA903, cur.SSDA903)
	if ch.ypChanged {
		next.UpdateTime = now
	}
	ch.yp = next
	var problems []ssda903.Problem
	if err := ch.yp.Validate(today); err != nil {
		problems = append(problems, problemOf(*c.HeaderRow, "DOB", err))
	}
	if len(c.Episodes) == 0 {
		return ch, problems
	}
	first := c.Episodes[0].Start
	byStart := map[civil.Date]domain.CareEpisode{}
	var kept []domain.CareEpisode
	for _, e := range stored {
		if e.Start.Before(first) {
			kept = append(kept, e)
		} else {
			byStart[e.Start] = e
		}
	}
	for _, in := range c.Episodes {
		e := domain.CareEpisode{YoungPersonID: ch.yp.ID, Start: in.Start, End: in.End, LegalStatus: in.LegalStatus,
			PlacementType: in.PlacementType, ReasonEnded: in.ReasonEnded, SSDA903: in.Fields, UpdateTime: now}
		if err := e.Validate(c.DateOfBirth, today); err != nil {
			problems = append(problems, problemOf(in.Row, "DECOM", err))
			continue
		}
		if last := len(kept) - 1; last >= 0 && kept[last].Overlaps(e) {
			problems = append(problems, ssda903.Problem{File: in.Row.File, Line: in.Row.Line, Column: "DECOM",
				Value: in.Row.Values["DECOM"], Rule: "501", Child: c.ID,
				Reason: "overlaps an episode carepath holds from an earlier return, starting " + ssda903.FormatDate(kept[last].Start)})
			continue
		}
		old, ok := byStart[in.Start]
		delete(byStart, in.Start)
		switch {
		case !ok:
			e.ID, e.CreateTime = uuid.Must(uuid.NewV7()).String(), now
			ch.create = append(ch.create, e)
		case old.End != e.End || old.LegalStatus != e.LegalStatus || old.PlacementType != e.PlacementType ||
			old.ReasonEnded != e.ReasonEnded || !maps.Equal(old.SSDA903, e.SSDA903):
			e.ID, e.CreateTime, e.Revision = old.ID, old.CreateTime, old.Revision
			ch.update = append(ch.update, e)
		}
	}
	for _, e := range byStart {
		ch.deletes = append(ch.deletes, e)
	}
	return ch, problems
}

// problemOf turns a domain validation error into a problem of a row, for what the row checks
// cannot see (they check the same rules, so this is a safety net).
func problemOf(row ssda903.Row, column string, err error) ssda903.Problem {
	return ssda903.Problem{File: row.File, Line: row.Line, Column: column, Value: row.Values[column],
		Child: row.Values["CHILD"], Reason: "cannot be stored: " + err.Error()}
}

// ReadFiles reads the tables of a return from CSV files, each recognised by its header row.
// A file that is no table carepath reads is an error: nothing is imported.
func ReadFiles(paths []string) (*ssda903.Return, error) {
	ret := ssda903.NewReturn()
	for _, p := range paths {
		if err := readFile(ret, p); err != nil {
			return nil, err
		}
	}
	if ret.Tables[ssda903.Header] == 0 {
		return nil, errors.New("no Header table among the files: every child of a return has a Header row")
	}
	return ret, nil
}

func readFile(ret *ssda903.Return, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = ret.Read(filepath.Base(path), f)
	return err
}
