package storetest

import (
	"context"

	"github.com/carepath/carepath/internal/store"
)

// Mark is how a transaction or read was marked by whoever began it.
type Mark struct{ OneCall, Search bool }

// Marked is a store that notes the Mark of each transaction and read begun on it, in order
// (one goroutine at a time).
type Marked struct {
	store.Store
	Marks []Mark
}

func (m *Marked) InTx(ctx context.Context, fn func(store.Tx) error) error {
	m.Marks = append(m.Marks, Mark{store.OneCall(ctx), store.Search(ctx)})
	return m.Store.InTx(ctx, fn)
}

func (m *Marked) InRead(ctx context.Context, fn func(store.Tx) error) error {
	m.Marks = append(m.Marks, Mark{store.OneCall(ctx), store.Search(ctx)})
	return m.Store.InRead(ctx, fn)
}
