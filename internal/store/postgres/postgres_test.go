package postgres_test

import (
	"context"
	"testing"

	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/store/storetest"
)

// open returns a store on a fresh database of its own.
func open(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}
