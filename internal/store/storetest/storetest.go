// Package storetest is the conformance suite every store backend must pass. Backends call
// Run from their tests with a constructor for an empty store.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// NewStore returns an empty store for one test; the backend cleans it up.
type NewStore func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, newStore NewStore) {
	t.Run("Transactions", func(t *testing.T) { testTransactions(t, newStore) })
	t.Run("YoungPeople", func(t *testing.T) { testYoungPeople(t, newStore) })
	t.Run("Allocate", func(t *testing.T) { testAllocate(t, newStore) })
	t.Run("Requests", func(t *testing.T) { testRequests(t, newStore) })
	t.Run("CareEpisodes", func(t *testing.T) { testCareEpisodes(t, newStore) })
	t.Run("Milestones", func(t *testing.T) { testMilestones(t, newStore) })
	t.Run("MilestoneList", func(t *testing.T) { testMilestoneList(t, newStore) })
	t.Run("MilestoneChanges", func(t *testing.T) { testMilestoneChanges(t, newStore) })
	t.Run("Pathways", func(t *testing.T) { testPathways(t, newStore) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, newStore) })
	t.Run("Scope", func(t *testing.T) { testScope(t, newStore) })
	t.Run("Access", func(t *testing.T) { testAccess(t, newStore) })
	t.Run("Sharing", func(t *testing.T) { testSharing(t, newStore) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newStore) })
	t.Run("Facts", func(t *testing.T) { testFacts(t, newStore) })
	t.Run("Readiness", func(t *testing.T) { testReadiness(t, newStore) })
	t.Run("Reminders", func(t *testing.T) { testReminders(t, newStore) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, newStore) })
	t.Run("Measures", func(t *testing.T) { testMeasures(t, newStore) })
	t.Run("DeliveryPlans", func(t *testing.T) { testDeliveryPlans(t, newStore) })
	t.Run("SSDA903", func(t *testing.T) { testSSDA903(t, newStore) })
	t.Run("Voice", func(t *testing.T) { testVoice(t, newStore) })
	t.Run("Operations", func(t *testing.T) { testOperations(t, newStore) })
}

// inTx runs fn in a transaction and fails the test on error.
func inTx(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.InTx(context.Background(), fn); err != nil {
		t.Fatalf("transaction: %v", err)
	}
}

// createEach creates xs in one transaction with create, such as store.Tx.CreateShare,
// and returns what create returned for each.
func createEach[T, R any](t *testing.T, s store.Store, create func(store.Tx, context.Context, T) (R, error), xs ...T) []R {
	t.Helper()
	var out []R
	inTx(t, s, func(tx store.Tx) error {
		out = make([]R, 0, len(xs))
		for _, x := range xs {
			r, err := create(tx, context.Background(), x)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out
}

// read returns what get returns in a transaction, its error included; only a failed
// transaction fails the test.
func read[T any](t *testing.T, s store.Store, get func(store.Tx) (T, error)) (v T, err error) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) error {
		v, err = get(tx)
		return nil
	})
	return v, err
}

// wantErr fails unless err is an *errs.Error of the kind and reason.
func wantErr(t *testing.T, err error, kind errs.Kind, reason string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an errs.Error with reason %s", err, reason)
	}
	if e.Kind != kind || e.Reason != reason {
		t.Fatalf("error kind/reason = %d/%s, want %d/%s (%v)", e.Kind, e.Reason, kind, reason, err)
	}
}

// allPages lists page after page of up to limit items: list returns the page after a
// cursor, starting from first, and next is the cursor after an item. It fails the test if a
// page is longer than limit or if paging does not end.
func allPages[T, C any](t *testing.T, limit int, first C, list func(after C) []T, next func(T) C) []T {
	t.Helper()
	var out []T
	after := first
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatalf("paging by %d did not end after 50 pages", limit)
		}
		page := list(after)
		if len(page) > limit {
			t.Fatalf("a page of limit %d has %d items", limit, len(page))
		}
		out = append(out, page...)
		if len(page) < limit {
			return out
		}
		after = next(page[len(page)-1])
	}
}

// at is a fixed instant with sub-microsecond digits, which stores must drop.
var at = time.Date(2026, 11, 22, 9, 30, 15, 123456789, time.UTC)

func testTransactions(t *testing.T, newStore NewStore) {
	t.Run("RollbackOnError", func(t *testing.T) {
		s := newStore(t)
		boom := errors.New("boom")
		err := s.InTx(context.Background(), func(tx store.Tx) error {
			if _, err := tx.CreateYoungPerson(context.Background(), youngPerson("r1")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want the function's error", err)
		}
		inTx(t, s, func(tx store.Tx) error {
			_, err := tx.GetYoungPerson(context.Background(), idOf("r1"))
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
			return nil
		})
	})
	t.Run("ReadsOwnWrites", func(t *testing.T) {
		s := newStore(t)
		inTx(t, s, func(tx store.Tx) error {
			if _, err := tx.CreateYoungPerson(context.Background(), youngPerson("w1")); err != nil {
				return err
			}
			_, err := tx.GetYoungPerson(context.Background(), idOf("w1"))
			return err
		})
	})
	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := s.InTx(ctx, func(store.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("InTx on a cancelled context: err = %v, ran = %v; want context.Canceled and not run", err, ran)
		}
	})
	t.Run("Ready", func(t *testing.T) {
		if err := newStore(t).Ready(context.Background()); err != nil {
			t.Fatalf("Ready() = %v", err)
		}
	})
}
