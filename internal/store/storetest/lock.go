package storetest

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// warmUp runs n transactions at once, so that a store with a connection pool has its
// connections open before a test races transactions: otherwise the first can be over
// before the others have connected.
func warmUp(s store.Store, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_ = s.InTx(context.Background(), func(store.Tx) error { time.Sleep(20 * time.Millisecond); return nil })
		})
	}
	wg.Wait()
}

func testLockYoungPerson(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("ReturnsTheYoungPerson", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("lk")
		yp.PersonalAdviserID, yp.OpenToCAMHS, yp.InEducationOrTraining = "pa-1", true, true
		create(t, s, yp)
		var got domain.YoungPerson
		inTx(t, s, func(tx store.Tx) (err error) { got, err = tx.LockYoungPerson(ctx, yp.ID); return err })
		if diff := cmp.Diff(stored(yp, 1), got); diff != "" {
			t.Fatalf("LockYoungPerson (-want +got):\n%s", diff)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := newStore(t)
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.LockYoungPerson(ctx, idOf("nobody")); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("SerialisesReadModifyWrite", func(t *testing.T) {
		// Each writer locks the young person, reads a counter kept in the given name and
		// writes it back one higher, guarded by the revision it read. Held until the end of
		// the transaction, the lock makes every writer see the one before: none loses.
		s := newStore(t)
		yp := youngPerson("counter")
		yp.GivenName = "0"
		create(t, s, yp)
		const n = 8
		warmUp(s, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				err := s.InTx(ctx, func(tx store.Tx) error {
					cur, err := tx.LockYoungPerson(ctx, yp.ID)
					if err != nil {
						return err
					}
					k, err := strconv.Atoi(cur.GivenName)
					if err != nil {
						return err
					}
					time.Sleep(10 * time.Millisecond) // widen the window for a lost update
					cur.GivenName = strconv.Itoa(k + 1)
					_, err = tx.UpdateYoungPerson(ctx, cur, cur.Revision)
					return err
				})
				if err != nil {
					t.Errorf("locked read-modify-write: %v", err)
				}
			})
		}
		wg.Wait()
		got, _ := get(t, s, yp.ID)
		if got.GivenName != strconv.Itoa(n) || got.Revision != n+1 {
			t.Fatalf("after %d locked increments the counter is %s at revision %d, want %d at revision %d",
				n, got.GivenName, got.Revision, n, n+1)
		}
	})

	t.Run("SerialisesEpisodeChanges", func(t *testing.T) {
		// Writers that lock the young person before checking their episodes (as the
		// service does to refuse overlapping ones) never both add one.
		s := newStore(t)
		yp := youngPerson("ov")
		create(t, s, yp)
		const n = 6
		warmUp(s, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				e := episode("ov", "ov-"+strconv.Itoa(i), civil.New(2020, time.January, 1+i))
				err := s.InTx(ctx, func(tx store.Tx) error {
					if _, err := tx.LockYoungPerson(ctx, yp.ID); err != nil {
						return err
					}
					es, err := tx.ListCareEpisodes(ctx, yp.ID)
					if err != nil || len(es) > 0 { // an open episode already: this one would overlap
						return err
					}
					time.Sleep(10 * time.Millisecond)
					_, err = tx.CreateCareEpisode(ctx, e)
					return err
				})
				if err != nil {
					t.Errorf("locked episode create: %v", err)
				}
			})
		}
		wg.Wait()
		if es := listEpisodes(t, s, yp.ID); len(es) != 1 {
			t.Fatalf("%d writers holding the lock stored %d open episodes, want 1", n, len(es))
		}
	})
}
