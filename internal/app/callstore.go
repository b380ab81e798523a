package app

import (
	"context"
	"time"

	"github.com/carepath/carepath/internal/store"
)

// callStore is the store as API calls see it: each transaction ends within the database
// timeout (a caller's shorter deadline wins), so that a database that does not answer fails
// calls with UNAVAILABLE (see postgres.Store.InTx) instead of hanging them. Background work
// uses the store directly, bounded by the store's own, longer, limit.
type callStore struct {
	store.Store
	timeout time.Duration
}

func (s callStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.Store.InTx(ctx, fn)
}
