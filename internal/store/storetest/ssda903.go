package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/store"
)

// testSSDA903 checks what an import of a council's SSDA903 return needs of a store: the
// return's own columns kept on young people and episodes, and young people found by their
// case references.
func testSSDA903(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("ReturnColumnsKept", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("r")
		yp.SSDA903 = map[string]string{"SEX": "1", "ETHNIC": "WBRI", "UPN": ""}
		create(t, s, yp)
		e := episode("r", "re", civil.New(2024, time.May, 2))
		e.SSDA903 = map[string]string{"RNE": "S", "CIN": "N1", "URN": "SC123456"}
		createEpisodes(t, s, e)
		got, err := get(t, s, yp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(yp.SSDA903, got.SSDA903); diff != "" {
			t.Fatalf("young person's SSDA903 columns (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(e.SSDA903, listEpisodes(t, s, yp.ID)[0].SSDA903); diff != "" {
			t.Fatalf("episode's SSDA903 columns (-want +got):\n%s", diff)
		}
		got.SSDA903 = map[string]string{"SEX": "2"}
		got.UpdateTime = at.Add(time.Hour)
		inTx(t, s, func(tx store.Tx) error { _, err := tx.UpdateYoungPerson(ctx, got, 0); return err })
		if got, _ := get(t, s, yp.ID); !cmp.Equal(got.SSDA903, map[string]string{"SEX": "2"}) {
			t.Fatalf("updated SSDA903 columns = %v", got.SSDA903)
		}
		plain := youngPerson("plain")
		create(t, s, plain)
		if got, _ := get(t, s, plain.ID); got.SSDA903 != nil {
			t.Fatalf("a young person not imported has SSDA903 columns %v, want nil", got.SSDA903)
		}
	})

	t.Run("CareLeaverContactKept", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("oc3"))
		m := oneOff("oc3", "oc3-m", civil.New(2027, time.January, 15))
		createMilestones(t, s, m)
		m, _ = getMilestone(t, s, m.YoungPersonID, m.ID)
		m.State, m.AchievedDate = domain.Achieved, civil.New(2027, time.January, 15)
		m.CareLeaverContact = &ssda903.CareLeaverContact{InTouch: "YES", Activity: "F2", Accommodation: "D1"}
		updateMilestone(t, s, m, m.Revision)
		got, err := getMilestone(t, s, m.YoungPersonID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m.CareLeaverContact, got.CareLeaverContact); diff != "" {
			t.Fatalf("care leaver contact (-want +got):\n%s", diff)
		}
		got.CareLeaverContact = nil
		updateMilestone(t, s, got, got.Revision)
		if again, _ := getMilestone(t, s, m.YoungPersonID, m.ID); again.CareLeaverContact != nil {
			t.Fatalf("care leaver contact removed, then read as %+v", again.CareLeaverContact)
		}
	})

	t.Run("ByCaseReference", func(t *testing.T) {
		s := newStore(t)
		a, b, other := youngPerson("ca"), youngPerson("cb"), youngPerson("cc")
		other.CouncilID = "council-b"
		create(t, s, a, b, other)
		var got []domain.YoungPerson
		inTx(t, s, func(tx store.Tx) (err error) {
			got, err = tx.YoungPeopleByCaseReference(ctx, "council-a", []string{b.CaseReference, a.CaseReference,
				other.CaseReference, "REF-missing", a.CaseReference})
			return err
		})
		want := []domain.YoungPerson{stored(a, 1), stored(b, 1)}
		if want[0].ID > want[1].ID {
			want[0], want[1] = want[1], want[0]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("YoungPeopleByCaseReference (-want +got):\n%s", diff)
		}
	})
}
