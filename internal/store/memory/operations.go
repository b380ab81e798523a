package memory

import (
	"context"
	"maps"
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

const (
	tableOperations     = "operations"
	tableOperationFiles = "operation_files"
)

// operationFiles are the files of one operation, until it is done.
type operationFiles struct {
	ID    string
	Files []domain.File
}

var operationTables = map[string]*memdb.TableSchema{
	tableOperations: {Name: tableOperations, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
	}},
	tableOperationFiles: {Name: tableOperationFiles, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
	}},
}

func init() { maps.Copy(schema.Tables, operationTables) }

// copyOperation is op as stored: times as PostgreSQL keeps them, sharing nothing.
func copyOperation(op domain.Operation) domain.Operation {
	op.CreateTime, op.UpdateTime = storedTime(op.CreateTime), storedTime(op.UpdateTime)
	op.Audit.Time = storedTime(op.Audit.Time)
	op.Audit.Roles, op.Audit.YoungPeople = slices.Clone(op.Audit.Roles), slices.Clone(op.Audit.YoungPeople)
	if op.Result != nil {
		r := *op.Result
		r.Problems = slices.Clone(r.Problems)
		op.Result = &r
	}
	if op.Error != nil {
		e := *op.Error
		op.Error = &e
	}
	return op
}

func (t *tx) CreateOperation(_ context.Context, op domain.Operation, files []domain.File) (domain.Operation, error) {
	if org, err := t.first(tableOrgs, "id", op.CouncilID); err != nil || org == nil {
		if err == nil {
			err = store.ErrOrganisationNotFound
		}
		return op, err
	}
	stored := copyOperation(op)
	if err := t.insert(tableOperations, &stored); err != nil {
		return op, err
	}
	kept := make([]domain.File, len(files))
	for i, f := range files {
		kept[i] = domain.File{Name: f.Name, Content: slices.Clone(f.Content)}
	}
	return copyOperation(stored), t.insert(tableOperationFiles, &operationFiles{ID: op.ID, Files: kept})
}

func (t *tx) LockOperation(_ context.Context, id string) (domain.Operation, error) {
	obj, err := t.first(tableOperations, "id", id)
	if err != nil {
		return domain.Operation{}, err
	}
	if obj == nil {
		return domain.Operation{}, store.ErrOperationNotFound
	}
	return copyOperation(*obj.(*domain.Operation)), nil
}

func (t *tx) GetOperation(ctx context.Context, councilID, id string) (domain.Operation, error) {
	op, err := t.LockOperation(ctx, id)
	if err == nil && op.CouncilID != councilID {
		return domain.Operation{}, store.ErrOperationNotFound
	}
	return op, err
}

func (t *tx) ListOperations(_ context.Context, councilID, beforeID string, limit int) ([]domain.Operation, error) {
	it, err := t.txn.Get(tableOperations, "id")
	if err != nil {
		return nil, err
	}
	var out []domain.Operation
	for o := it.Next(); o != nil; o = it.Next() {
		if op := o.(*domain.Operation); op.CouncilID == councilID && (beforeID == "" || op.ID < beforeID) {
			out = append(out, copyOperation(*op))
		}
	}
	slices.Reverse(out) // the index is in id order
	return out[:min(len(out), max(limit, 0))], nil
}

func (t *tx) UpdateOperation(ctx context.Context, op domain.Operation) error {
	old, err := t.LockOperation(ctx, op.ID)
	if err != nil {
		return err
	}
	old.Stage, old.ChildrenDone, old.ChildrenTotal, old.Result, old.Error, old.UpdateTime =
		op.Stage, op.ChildrenDone, op.ChildrenTotal, op.Result, op.Error, op.UpdateTime
	stored := copyOperation(old)
	if err := t.insert(tableOperations, &stored); err != nil {
		return err
	}
	if stored.Done() {
		return t.deleteAll(tableOperationFiles, "id", op.ID)
	}
	return nil
}

func (t *tx) OperationFiles(_ context.Context, id string) ([]domain.File, error) {
	obj, err := t.first(tableOperationFiles, "id", id)
	if err != nil || obj == nil {
		return nil, err
	}
	files := obj.(*operationFiles).Files
	out := make([]domain.File, len(files))
	for i, f := range files {
		out[i] = domain.File{Name: f.Name, Content: slices.Clone(f.Content)}
	}
	return out, nil
}
