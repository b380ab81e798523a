package postgres

import (
	"context"
	"time"

	"github.com/carepath/carepath/internal/store"
)

func (t *tx) ClaimRequest(ctx context.Context, r store.Request) (store.Request, bool, error) {
	// ON CONFLICT waits for a concurrent claim of the same id to commit or roll back.
	tag, err := t.q.Exec(ctx, `
		INSERT INTO client_requests (scope, request_id, request_hash, resource_id, create_time)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		r.Scope, r.ID, r.Hash, r.ResourceID, r.CreateTime)
	if err != nil {
		return store.Request{}, false, err
	}
	if tag.RowsAffected() == 1 {
		r.CreateTime = r.CreateTime.UTC().Truncate(time.Microsecond)
		return r, true, nil
	}
	var existing store.Request
	err = t.q.QueryRow(ctx, `
		SELECT scope, request_id, request_hash, resource_id, create_time
		FROM client_requests WHERE scope = $1 AND request_id = $2`, r.Scope, r.ID).
		Scan(&existing.Scope, &existing.ID, &existing.Hash, &existing.ResourceID, &existing.CreateTime)
	existing.CreateTime = existing.CreateTime.UTC()
	return existing, false, err
}
