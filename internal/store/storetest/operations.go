package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

func testOperations(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	createOrganisations(t, s, organisation("council-a", domain.Council), organisation("council-b", domain.Council))
	run := func(fn func(tx store.Tx) error) error { return s.InTx(ctx, fn) }
	op := func(n int, council string) domain.Operation {
		return domain.Operation{ID: idOf("op" + string(rune('a'+n))), CouncilID: council, Kind: domain.ImportReturn,
			Stage: domain.StageQueued, Audit: audit.Record{Actor: "ada", Organisation: council, Roles: []string{"ADMINISTRATOR"},
				Purpose: "DIRECT_CARE", Action: "carepath.v1.Ssda903Service/ImportSsda903Return", RequestID: "r1"},
			CreateTime: at.Add(time.Duration(n) * time.Minute), UpdateTime: at.Add(time.Duration(n) * time.Minute)}
	}
	files := []domain.File{{Name: "header.csv", Content: []byte("CHILD,SEX\n")}, {Name: "episodes.csv", Content: []byte{0, 1, 2}}}
	first := op(0, "council-a")
	var got domain.Operation
	if err := run(func(tx store.Tx) (err error) { got, err = tx.CreateOperation(ctx, first, files); return err }); err != nil {
		t.Fatal(err)
	}
	want := first
	want.CreateTime, want.UpdateTime = storedTime(first.CreateTime), storedTime(first.UpdateTime)
	if diff := gocmp.Diff(want, got, equateEmpty); diff != "" {
		t.Fatalf("CreateOperation (-want +got):\n%s", diff)
	}
	if err := run(func(tx store.Tx) error { _, err := tx.CreateOperation(ctx, op(9, "no-such-council"), nil); return err }); !errors.Is(err, store.ErrOrganisationNotFound) {
		t.Errorf("an operation of no council: %v", err)
	}
	for _, o := range []domain.Operation{op(1, "council-a"), op(2, "council-b"), op(3, "council-a")} {
		if err := run(func(tx store.Tx) error { _, err := tx.CreateOperation(ctx, o, nil); return err }); err != nil {
			t.Fatal(err)
		}
	}
	var list []domain.Operation
	_ = run(func(tx store.Tx) (err error) { list, err = tx.ListOperations(ctx, "council-a", "", 2); return err })
	if len(list) != 2 || list[0].ID != op(3, "").ID || list[1].ID != op(1, "").ID {
		t.Fatalf("the newest two of council-a: %+v", list)
	}
	_ = run(func(tx store.Tx) (err error) {
		list, err = tx.ListOperations(ctx, "council-a", list[1].ID, 2)
		return err
	})
	if len(list) != 1 || list[0].ID != first.ID {
		t.Fatalf("council-a's after the first page: %+v", list)
	}
	if err := run(func(tx store.Tx) error { _, err := tx.GetOperation(ctx, "council-b", first.ID); return err }); !errors.Is(err, store.ErrOperationNotFound) {
		t.Errorf("another council's operation: %v", err)
	}
	if err := run(func(tx store.Tx) error { _, err := tx.GetOperation(ctx, "council-a", "not-a-uuid"); return err }); !errors.Is(err, store.ErrOperationNotFound) {
		t.Errorf("an id that is no UUID: %v", err)
	}
	var gotFiles []domain.File
	_ = run(func(tx store.Tx) (err error) { gotFiles, err = tx.OperationFiles(ctx, first.ID); return err })
	if diff := gocmp.Diff(files, gotFiles); diff != "" {
		t.Fatalf("OperationFiles (-want +got):\n%s", diff)
	}

	// Progress, then the outcome: the files go when it is done.
	moving := got
	moving.Stage, moving.ChildrenDone, moving.ChildrenTotal, moving.UpdateTime = domain.StageImporting, 250, 1000, at.Add(time.Hour)
	if err := run(func(tx store.Tx) error { return tx.UpdateOperation(ctx, moving) }); err != nil {
		t.Fatal(err)
	}
	done := moving
	done.Stage, done.ChildrenDone = domain.StageFinished, 1000
	done.Result = &domain.ImportResult{Created: 990, Rejected: 10, ProblemCount: 1,
		Problems: []ssda903.Problem{{File: "episodes.csv", Line: 12, Column: "DECOM", Value: "31/12/2025", Rule: "501", Reason: "overlaps", Child: "C1"}}}
	if err := run(func(tx store.Tx) error { return tx.UpdateOperation(ctx, done) }); err != nil {
		t.Fatal(err)
	}
	_ = run(func(tx store.Tx) (err error) { got, err = tx.LockOperation(ctx, first.ID); return err })
	done.UpdateTime = storedTime(done.UpdateTime)
	if diff := gocmp.Diff(done, got, equateEmpty); diff != "" {
		t.Fatalf("a done operation (-want +got):\n%s", diff)
	}
	_ = run(func(tx store.Tx) (err error) { gotFiles, err = tx.OperationFiles(ctx, first.ID); return err })
	if len(gotFiles) != 0 {
		t.Fatalf("a done operation kept its files: %d", len(gotFiles))
	}
	failed := op(1, "council-a")
	failed.Stage, failed.Error = domain.StageFinished, &domain.OperationError{Kind: errs.Unavailable, Reason: errs.ReasonStoreUnavailable, Message: "gone"}
	if err := run(func(tx store.Tx) error { return tx.UpdateOperation(ctx, failed) }); err != nil {
		t.Fatal(err)
	}
	_ = run(func(tx store.Tx) (err error) { got, err = tx.GetOperation(ctx, "council-a", failed.ID); return err })
	if got.Error == nil || *got.Error != *failed.Error || got.Result != nil {
		t.Fatalf("a failed operation: %+v", got)
	}
	if err := run(func(tx store.Tx) error { return tx.UpdateOperation(ctx, op(8, "council-a")) }); !errors.Is(err, store.ErrOperationNotFound) {
		t.Errorf("updating no operation: %v", err)
	}
}
