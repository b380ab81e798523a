package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

// change is a change to milestone mKey of young person ypKey, told apart by its reason.
func change(ypKey, mKey, reason string) domain.MilestoneChange {
	return domain.MilestoneChange{MilestoneID: idOf(mKey), YoungPersonID: idOf(ypKey), Action: "schedule",
		FromState: domain.Planned, ToState: domain.Scheduled, Actor: "person-1", Reason: reason, Time: at}
}

// storedChange is how a change comes back from a store that gave it id.
func storedChange(c domain.MilestoneChange, id string) domain.MilestoneChange {
	c.ID = id
	c.Time = c.Time.UTC().Truncate(time.Microsecond)
	return c
}

func addChanges(t *testing.T, s store.Store, cs ...domain.MilestoneChange) []domain.MilestoneChange {
	t.Helper()
	return createEach(t, s, store.Tx.AddMilestoneChange, cs...)
}

func listChanges(t *testing.T, s store.Store, milestoneID, after string, limit int) (cs []domain.MilestoneChange) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		cs, err = tx.ListMilestoneChanges(context.Background(), milestoneID, after, limit)
		return err
	})
	return cs
}

func reasons(cs []domain.MilestoneChange) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Reason
	}
	return out
}

func testMilestoneChanges(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	setup := func(t *testing.T) store.Store {
		s := newStore(t)
		create(t, s, youngPerson("ch"))
		createMilestones(t, s, oneOff("ch", "m1", civil.New(2027, time.January, 1)), oneOff("ch", "m2", civil.New(2027, time.February, 1)))
		return s
	}

	t.Run("FieldsRoundTrip", func(t *testing.T) {
		s := setup(t)
		full := domain.MilestoneChange{MilestoneID: idOf("m1"), YoungPersonID: idOf("ch"), Action: "complete",
			FromState: domain.Scheduled, ToState: domain.Achieved, Actor: "person-7", Reason: "all done",
			Time: at.In(time.FixedZone("BST", 3600)), ScheduledDate: civil.New(2026, time.October, 1),
			AchievedDate: civil.New(2026, time.November, 20), OwnerOrganisation: "org-1", OwnerPerson: "person-8"}
		bare := domain.MilestoneChange{MilestoneID: idOf("m1"), YoungPersonID: idOf("ch"), Action: "waive",
			FromState: domain.Achieved, ToState: domain.Waived, Actor: "person-7", Time: at.Add(time.Minute)}
		added := addChanges(t, s, full, bare)
		if added[0].ID == "" || added[1].ID == "" || added[0].ID == added[1].ID {
			t.Fatalf("AddMilestoneChange gave ids %q and %q, want two distinct ids", added[0].ID, added[1].ID)
		}
		want := []domain.MilestoneChange{storedChange(full, added[0].ID), storedChange(bare, added[1].ID)}
		if diff := cmp.Diff(want, added); diff != "" {
			t.Fatalf("AddMilestoneChange returned (-want +got):\n%s", diff)
		}
		got := listChanges(t, s, idOf("m1"), "", 10)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("ListMilestoneChanges (-want +got):\n%s", diff)
		}
		for _, c := range got {
			if c.Time.Location() != time.UTC {
				t.Fatalf("change time %v is in %v, want UTC", c.Time, c.Time.Location())
			}
		}
	})

	t.Run("OldestFirstPerMilestone", func(t *testing.T) {
		s := setup(t)
		// Twelve changes of m1 (enough for ids to reach two digits) and some of m2,
		// interleaved, over several transactions.
		var want1, want2 []string
		for batch := range 4 {
			var cs []domain.MilestoneChange
			for i := range 3 {
				r := fmt.Sprintf("m1-%02d", batch*3+i)
				cs = append(cs, change("ch", "m1", r))
				want1 = append(want1, r)
				if i == 1 {
					r = fmt.Sprintf("m2-%02d", batch)
					cs = append(cs, change("ch", "m2", r))
					want2 = append(want2, r)
				}
			}
			addChanges(t, s, cs...)
		}
		got1, got2 := listChanges(t, s, idOf("m1"), "", 100), listChanges(t, s, idOf("m2"), "", 100)
		if !slices.Equal(reasons(got1), want1) || !slices.Equal(reasons(got2), want2) {
			t.Fatalf("listed m1 %v and m2 %v; want m1 %v and m2 %v, oldest first", reasons(got1), reasons(got2), want1, want2)
		}
		ids := map[string]bool{}
		for _, c := range append(got1, got2...) {
			if ids[c.ID] {
				t.Fatalf("change id %q given twice", c.ID)
			}
			ids[c.ID] = true
		}
		if cs := listChanges(t, s, idOf("no-milestone"), "", 100); len(cs) != 0 {
			t.Fatalf("a milestone without changes lists %d", len(cs))
		}
	})

	t.Run("Pages", func(t *testing.T) {
		s := setup(t)
		var want []string
		for i := range 12 {
			r := fmt.Sprintf("c%02d", i)
			addChanges(t, s, change("ch", "m1", r), change("ch", "m2", "other "+r))
			want = append(want, r)
		}
		all := listChanges(t, s, idOf("m1"), "", 100)
		for _, limit := range []int{1, 5, 12} {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > 12 {
					t.Fatalf("paging with limit %d did not end", limit)
				}
				page := listChanges(t, s, idOf("m1"), after, limit)
				if len(page) > limit {
					t.Fatalf("a page of limit %d has %d changes", limit, len(page))
				}
				got = append(got, reasons(page)...)
				if len(page) < limit {
					break
				}
				after = page[len(page)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages of %d listed %v, want %v once each", limit, got, want)
			}
		}
		for i, c := range all {
			got := listChanges(t, s, idOf("m1"), c.ID, 100)
			if !slices.Equal(reasons(got), want[i+1:]) {
				t.Fatalf("after change %s (%s): listed %v, want %v", c.ID, c.Reason, reasons(got), want[i+1:])
			}
		}
	})

	t.Run("RolledBackChangeIsForgotten", func(t *testing.T) {
		s := setup(t)
		addChanges(t, s, change("ch", "m1", "first"))
		rollback := errors.New("rollback")
		err := s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.AddMilestoneChange(ctx, change("ch", "m1", "rolled back")); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx = %v, want the rollback", err)
		}
		addChanges(t, s, change("ch", "m1", "second"))
		if got := reasons(listChanges(t, s, idOf("m1"), "", 100)); !slices.Equal(got, []string{"first", "second"}) {
			t.Fatalf("listed %v, want [first second]", got)
		}
	})
}
