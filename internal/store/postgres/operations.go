package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/jobs"
	"github.com/carepath/carepath/internal/store"
)

const operationColumns = `id, organisation_id, kind, stage, children_done, children_total, audit, result, error,
	create_time, update_time`

func scanOperation(row pgx.Row) (domain.Operation, error) {
	var (
		op                   domain.Operation
		auditJSON            []byte
		resultJSON, errorJSN []byte
	)
	err := row.Scan(&op.ID, &op.CouncilID, &op.Kind, &op.Stage, &op.ChildrenDone, &op.ChildrenTotal, &auditJSON,
		&resultJSON, &errorJSN, &op.CreateTime, &op.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return op, store.ErrOperationNotFound
	}
	if err != nil {
		return op, err
	}
	op.CreateTime, op.UpdateTime = op.CreateTime.UTC(), op.UpdateTime.UTC()
	if err := json.Unmarshal(auditJSON, &op.Audit); err != nil {
		return op, fmt.Errorf("postgres: operation %s: audit: %w", op.ID, err)
	}
	op.Audit.Time = op.Audit.Time.UTC()
	if resultJSON != nil {
		op.Result = new(domain.ImportResult)
		if err := json.Unmarshal(resultJSON, op.Result); err != nil {
			return op, fmt.Errorf("postgres: operation %s: result: %w", op.ID, err)
		}
	}
	if errorJSN != nil {
		op.Error = new(domain.OperationError)
		if err := json.Unmarshal(errorJSN, op.Error); err != nil {
			return op, fmt.Errorf("postgres: operation %s: error: %w", op.ID, err)
		}
	}
	return op, nil
}

// jsonOrNil encodes v, or gives SQL NULL for a nil pointer.
func jsonOrNil[T any](v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

func (t *tx) CreateOperation(ctx context.Context, op domain.Operation, files []domain.File) (domain.Operation, error) {
	auditJSON, err := json.Marshal(op.Audit)
	if err != nil {
		return op, err
	}
	out, err := scanOperation(t.q.QueryRow(ctx, `INSERT INTO operations (id, organisation_id, kind, stage, audit,
		create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+operationColumns,
		op.ID, op.CouncilID, op.Kind, op.Stage, auditJSON, op.CreateTime, op.UpdateTime))
	if isViolation(err, "23503") {
		return op, store.ErrOrganisationNotFound
	}
	if err != nil {
		return op, err
	}
	b := &pgx.Batch{}
	for i, f := range files {
		b.Queue(`INSERT INTO operation_files (operation_id, position, name, content) VALUES ($1, $2, $3, $4)`,
			op.ID, i, f.Name, f.Content)
	}
	if err := t.q.SendBatch(ctx, b).Close(); err != nil {
		return op, err
	}
	// The job is available at once, on River's own clock (never the service's, which tests
	// and demonstrations may shift).
	if _, err := t.river.InsertTx(ctx, t.tx, jobs.ImportReturn{OperationID: op.ID},
		&river.InsertOpts{Queue: jobs.ImportQueue, MaxAttempts: jobs.ImportMaxAttempts}); err != nil {
		return op, fmt.Errorf("postgres: queue import: %w", err)
	}
	return out, nil
}

func (t *tx) GetOperation(ctx context.Context, councilID, id string) (domain.Operation, error) {
	return scanOperation(t.q.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations
		WHERE organisation_id = $1 AND id = $2`, councilID, validUUIDOrZero(id)))
}

func (t *tx) LockOperation(ctx context.Context, id string) (domain.Operation, error) {
	return scanOperation(t.q.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations WHERE id = $1 FOR UPDATE`,
		validUUIDOrZero(id)))
}

func (t *tx) ListOperations(ctx context.Context, councilID, beforeID string, limit int) ([]domain.Operation, error) {
	before := "ffffffff-ffff-ffff-ffff-ffffffffffff"
	if beforeID != "" {
		before = validUUIDOrZero(beforeID)
	}
	rows, err := t.q.Query(ctx, `SELECT `+operationColumns+` FROM operations WHERE organisation_id = $1 AND id < $2
		ORDER BY id DESC LIMIT $3`, councilID, before, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Operation, error) { return scanOperation(r) })
}

func (t *tx) UpdateOperation(ctx context.Context, op domain.Operation) error {
	result, err := jsonOrNil(op.Result)
	if err != nil {
		return err
	}
	failure, err := jsonOrNil(op.Error)
	if err != nil {
		return err
	}
	tag, err := t.q.Exec(ctx, `UPDATE operations SET stage = $2, children_done = $3, children_total = $4, result = $5,
		error = $6, update_time = $7 WHERE id = $1`,
		op.ID, op.Stage, op.ChildrenDone, op.ChildrenTotal, result, failure, op.UpdateTime)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrOperationNotFound
	}
	if op.Done() {
		_, err = t.q.Exec(ctx, `DELETE FROM operation_files WHERE operation_id = $1`, op.ID)
	}
	return err
}

func (t *tx) OperationFiles(ctx context.Context, id string) ([]domain.File, error) {
	rows, err := t.q.Query(ctx, `SELECT name, content FROM operation_files WHERE operation_id = $1 ORDER BY position`,
		validUUIDOrZero(id))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.File, error) {
		var f domain.File
		return f, r.Scan(&f.Name, &f.Content)
	})
}

// validUUIDOrZero passes a UUID on, and anything else as the nil UUID, which no operation
// has: an id that is no UUID is simply not found.
func validUUIDOrZero(id string) string {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return uuid.Nil.String()
	}
	return id
}
