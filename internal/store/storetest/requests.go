package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

func testRequests(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	req := store.Request{Scope: "create", ID: "5f0c2d52-3a43-4c35-9d36-1f1f3fd2b0a1", Hash: []byte{1, 2, 3}, ResourceID: idOf("made"), CreateTime: at}

	t.Run("ClaimOnce", func(t *testing.T) {
		s := newStore(t)
		inTx(t, s, func(tx store.Tx) error {
			_, claimed, err := tx.ClaimRequest(ctx, req)
			if err == nil && !claimed {
				t.Fatal("first claim was not claimed")
			}
			return err
		})
		again := req
		again.Hash, again.ResourceID = []byte{9}, idOf("other")
		inTx(t, s, func(tx store.Tx) error {
			existing, claimed, err := tx.ClaimRequest(ctx, again)
			if err != nil {
				return err
			}
			if claimed || !bytes.Equal(existing.Hash, req.Hash) || existing.ResourceID != req.ResourceID {
				t.Fatalf("second claim: claimed=%v existing=%+v; want the first request back", claimed, existing)
			}
			return nil
		})
		other := req
		other.Scope = "another-method"
		inTx(t, s, func(tx store.Tx) error {
			_, claimed, err := tx.ClaimRequest(ctx, other)
			if err == nil && !claimed {
				t.Fatal("a claim in another scope was refused")
			}
			return err
		})
	})

	t.Run("RolledBackClaimIsForgotten", func(t *testing.T) {
		s := newStore(t)
		rollback := errors.New("rollback")
		_ = s.InTx(ctx, func(tx store.Tx) error {
			if _, _, err := tx.ClaimRequest(ctx, req); err != nil {
				return err
			}
			return rollback
		})
		inTx(t, s, func(tx store.Tx) error {
			_, claimed, err := tx.ClaimRequest(ctx, req)
			if err == nil && !claimed {
				t.Fatal("a rolled-back claim still blocks the id")
			}
			return err
		})
	})

	t.Run("ConcurrentClaimsCreateOnce", func(t *testing.T) {
		s := newStore(t)
		const n = 12
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				err := s.InTx(ctx, func(tx store.Tx) error {
					existing, claimed, err := tx.ClaimRequest(ctx, req)
					if err != nil || !claimed {
						if existing.ResourceID != req.ResourceID && err == nil {
							return errors.New("claim returned the wrong resource")
						}
						return err
					}
					yp := youngPerson("made")
					_, err = tx.CreateYoungPerson(ctx, yp)
					return err
				})
				if err != nil {
					t.Errorf("concurrent create: %v", err)
				}
			})
		}
		wg.Wait()
		var all []domain.YoungPerson
		inTx(t, s, func(tx store.Tx) (err error) {
			all, err = tx.ListYoungPeople(ctx, store.YoungPeopleQuery{Limit: 100})
			return err
		})
		if len(all) != 1 {
			t.Fatalf("%d concurrent creates with one request id stored %d young people, want 1", n, len(all))
		}
	})
}
