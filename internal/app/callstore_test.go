package app

import (
	"context"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
)

// contexts is a store that notes whether each transaction was begun for one call.
type contexts struct {
	store.Store
	oneCall []bool
}

func (c *contexts) InTx(ctx context.Context, fn func(store.Tx) error) error {
	c.oneCall = append(c.oneCall, store.OneCall(ctx))
	return c.Store.InTx(ctx, fn)
}

func TestACallsTransactionsAreMarkedAsOneCall(t *testing.T) {
	seen := &contexts{Store: memory.New()}
	calls := callStore{Store: seen, timeout: time.Second}
	noop := func(store.Tx) error { return nil }
	if err := calls.InTx(context.Background(), noop); err != nil {
		t.Fatal(err)
	}
	if err := seen.InTx(context.Background(), noop); err != nil { // background work
		t.Fatal(err)
	}
	if len(seen.oneCall) != 2 || !seen.oneCall[0] || seen.oneCall[1] {
		t.Errorf("one call: %v; want [true false] (an API call's, then background work's)", seen.oneCall)
	}
}
