package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/store/storetest"
)

func TestACallsTransactionsAndReadsAreMarkedAsOneCall(t *testing.T) {
	seen := &storetest.Marked{Store: memory.New()}
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
	oneCall := storetest.Mark{OneCall: true}
	if want := []storetest.Mark{oneCall, oneCall, {}, {}}; !slices.Equal(seen.Marks, want) {
		t.Errorf("marks: %v; want %v (an API call's transaction and read, then background work's)", seen.Marks, want)
	}
}
