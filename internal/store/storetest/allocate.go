package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

// testAllocate holds LockYoungPeople and AllocateYoungPeople to their contracts: the young
// people that exist, in id order, each once; allocation changes the adviser, revision and
// update time and nothing else, and only of the young people named.
func testAllocate(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	a, b, c := youngPerson("al-a"), youngPerson("al-b"), youngPerson("al-c")
	a.PersonalAdviserID, b.OpenToCAMHS = "pa-old", true
	create(t, s, a, b, c)
	missing := idOf("al-nobody")

	var locked []domain.YoungPerson
	inTx(t, s, func(tx store.Tx) (err error) {
		locked, err = tx.LockYoungPeople(ctx, []string{c.ID, missing, a.ID, c.ID})
		return err
	})
	want := []domain.YoungPerson{stored(a, 1), stored(c, 1)}
	if want[0].ID > want[1].ID {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, locked); diff != "" {
		t.Fatalf("LockYoungPeople (-want +got):\n%s", diff)
	}

	later := at.Add(time.Hour)
	var allocated []domain.YoungPerson
	inTx(t, s, func(tx store.Tx) (err error) {
		allocated, err = tx.AllocateYoungPeople(ctx, []string{b.ID, missing, a.ID}, "pa-new", later)
		return err
	})
	wantA, wantB := stored(a, 2), stored(b, 2)
	wantA.PersonalAdviserID, wantB.PersonalAdviserID = "pa-new", "pa-new"
	wantA.UpdateTime, wantB.UpdateTime = later.UTC().Truncate(time.Microsecond), later.UTC().Truncate(time.Microsecond)
	want = []domain.YoungPerson{wantA, wantB}
	if want[0].ID > want[1].ID {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, allocated); diff != "" {
		t.Fatalf("AllocateYoungPeople (-want +got):\n%s", diff)
	}
	for _, w := range []domain.YoungPerson{wantA, wantB, stored(c, 1)} {
		got, err := get(t, s, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("stored after allocation (-want +got):\n%s", diff)
		}
	}

	// "" unallocates.
	inTx(t, s, func(tx store.Tx) (err error) {
		allocated, err = tx.AllocateYoungPeople(ctx, []string{a.ID}, "", later)
		return err
	})
	if len(allocated) != 1 || allocated[0].PersonalAdviserID != "" || allocated[0].Revision != 3 {
		t.Errorf("unallocated: %+v", allocated)
	}
	if got, err := get(t, s, a.ID); err != nil || got.PersonalAdviserID != "" {
		t.Errorf("stored after unallocation: %+v, %v", got, err)
	}
}
