package app

import (
	"context"
	"errors"
	"time"

	"github.com/carepath/carepath/internal/errs"

	"github.com/carepath/carepath/internal/store"
)

// callStore is the store as API calls see it: each transaction ends within the database
// timeout (a caller's shorter deadline wins), so that a database that does not answer fails
// calls with UNAVAILABLE (see postgres.Store.InTx) instead of hanging them. Background work
// uses the store directly, bounded by the store's own, longer, limit. A call's transactions
// and reads are marked as such (store.ForOneCall) so that the database may reuse their plans.
type callStore struct {
	store.Store
	timeout time.Duration
}

func (s callStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return s.bounded(store.ForOneCall(ctx), fn, s.Store.InTx)
}

func (s callStore) InRead(ctx context.Context, fn func(store.Tx) error) error {
	return s.bounded(store.ForOneCall(ctx), fn, s.Store.InRead)
}

func (s callStore) bounded(ctx context.Context, fn func(store.Tx) error, run func(context.Context, func(store.Tx) error) error) error {
	limited, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := run(limited, fn)
	// The store keeps back a little of the time to answer; under load that may not be enough
	// and the database timeout passes too. Still the database's fault, not the caller's.
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return errs.Wrap(err, errs.Unavailable, errs.ReasonStoreUnavailable, "the database did not answer in time; retry with backoff")
	}
	return err
}
