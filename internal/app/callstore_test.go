package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
)

// contexts is a store that notes whether each transaction or read was begun for one call.
type contexts struct {
	store.Store
	oneCall []bool
}

func (c *contexts) InTx(ctx context.Context, fn func(store.Tx) error) error {
	c.oneCall = append(c.oneCall, store.OneCall(ctx))
	return c.Store.InTx(ctx, fn)
}

func (c *contexts) InRead(ctx context.Context, fn func(store.Tx) error) error {
	c.oneCall = append(c.oneCall, store.OneCall(ctx))
	return c.Store.InRead(ctx, fn)
}

func TestACallsTransactionsAndReadsAreMarkedAsOneCall(t *testing.T) {
	seen := &contexts{Store: memory.New()}
	calls := callStore{Store: seen, timeout: time.Second}
	noop := func(store.Tx) error { return nil }
	if err := calls.InTx(context.Background(), noop); err != nil {
		t.Fatal(err)
	}
	if err := calls.InRead(context.Background(), noop); err != nil {
		t.Fatal(err)
	}
	if err := seen.InTx(context.Background(), noop); err != nil { // background work
		t.Fatal(err)
	}
	if err := seen.InRead(context.Background(), noop); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, false, false}; !slices.Equal(seen.oneCall, want) {
		t.Errorf("one call: %v; want %v (an API call's transaction and read, then background work's)", seen.oneCall, want)
	}
}
