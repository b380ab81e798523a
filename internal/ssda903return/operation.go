package ssda903return

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// ReadUploaded reads the tables of a return from uploaded files, as ReadFiles reads them
// from disk: a file that is no table carepath reads, or no Header table, is an error.
func ReadUploaded(files []domain.File) (*ssda903.Return, error) {
	ret := ssda903.NewReturn()
	for _, f := range files {
		if _, err := ret.Read(f.Name, bytes.NewReader(f.Content)); err != nil {
			return nil, err
		}
	}
	if ret.Tables[ssda903.Header] == 0 {
		return nil, ErrNoHeader
	}
	return ret, nil
}

// ErrNoHeader is returned for a return without a Header table.
var ErrNoHeader = errors.New("no Header table among the files: every child of a return has a Header row")

// RunOperation does the work of an import operation (domain.ImportReturn) uploaded over
// the API: it reads the operation's files and imports them as Import does, as the person
// who asked (the operation's Audit), telling the operation its progress after each batch,
// and finishes it with the summary or, if the import as a whole failed, the error. An
// operation that is done already is left alone, so a job run twice does the work once. It
// returns an error only when it could not record the outcome, or ctx ended (the work is
// then left for another run: children already written are found unchanged).
func (im Importer) RunOperation(ctx context.Context, id string) error {
	var op domain.Operation
	var files []domain.File
	err := im.Store.InTx(ctx, func(tx store.Tx) (err error) {
		if op, err = tx.LockOperation(ctx, id); err != nil || op.Done() {
			return err
		}
		if files, err = tx.OperationFiles(ctx, id); err != nil {
			return err
		}
		op.Stage, op.UpdateTime = domain.StageReading, im.Now()
		return tx.UpdateOperation(ctx, op)
	})
	if err != nil || op.Done() {
		return err
	}
	ret, err := ReadUploaded(files)
	files = nil // the tables read hold what is needed
	if err != nil {
		return im.finish(ctx, op, nil, errs.Wrap(err, errs.InvalidArgument, errs.ReasonRequestInvalid, "%s", err.Error()))
	}
	run := im
	run.Audit = op.Audit
	run.Progress = func(done, total int) {
		op.Stage, op.ChildrenDone, op.ChildrenTotal, op.UpdateTime = domain.StageImporting, done, total, im.Now()
		// Progress is a courtesy: a failure to record it fails nothing.
		_ = im.Store.InTx(ctx, func(tx store.Tx) error { return tx.UpdateOperation(ctx, op) })
	}
	sum, err := run.Import(ctx, op.CouncilID, ret)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return im.finish(ctx, op, &sum, err)
}

// finish records the outcome of an operation: the summary, or why it failed.
func (im Importer) finish(ctx context.Context, op domain.Operation, sum *Summary, failure error) error {
	op.Stage, op.UpdateTime = domain.StageFinished, im.Now()
	if failure != nil {
		op.Error = operationError(failure)
	} else {
		op.Result = &domain.ImportResult{Created: sum.Created, Updated: sum.Updated, Unchanged: sum.Unchanged,
			Rejected: sum.Rejected, ProblemCount: len(sum.Problems),
			Problems: sum.Problems[:min(len(sum.Problems), domain.MaxProblems)]}
		op.ChildrenDone = op.ChildrenTotal
	}
	if err := im.Store.InTx(ctx, func(tx store.Tx) error { return tx.UpdateOperation(ctx, op) }); err != nil {
		return fmt.Errorf("recording the outcome of operation %s: %w", op.ID, err)
	}
	return nil
}

// operationError says why an import failed as a caller may see it: a carepath error as it
// is, anything else as an internal failure that names no cause.
func operationError(err error) *domain.OperationError {
	var e *errs.Error
	switch {
	case errors.As(err, &e):
		return &domain.OperationError{Kind: e.Kind, Reason: e.Reason, Message: e.Message}
	case errors.Is(err, ErrNotACouncil):
		return &domain.OperationError{Kind: errs.FailedPrecondition, Reason: errs.ReasonRequestInvalid, Message: err.Error()}
	}
	return &domain.OperationError{Kind: errs.Internal, Reason: errs.ReasonInternal,
		Message: "the import failed; the children of batches already written stay written, and importing the same files again carries on"}
}
