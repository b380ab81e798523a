package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// testDeleteCascades checks that deleting a young person deletes their episodes,
// milestones and milestone changes, and nothing of anyone else's.
func testDeleteCascades(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	gone, kept := youngPerson("gone"), youngPerson("kept")
	create(t, s, gone, kept)
	createEpisodes(t, s,
		episode("gone", "gone-e1", civil.New(2020, time.January, 1)),
		episode("kept", "kept-e1", civil.New(2020, time.January, 1)))
	closed := episode("gone", "gone-e0", civil.New(2015, time.January, 1))
	closed.End, closed.ReasonEnded = civil.New(2016, time.January, 1), "E3"
	createEpisodes(t, s, closed)
	p := planned("k.one", 1, civil.New(2026, 3, 1), civil.New(2027, 3, 1))
	savePathways(t, s, planFor(gone, "v1", p), planFor(kept, "v1", p))
	createMilestones(t, s, oneOff("gone", "gone-one-off", civil.New(2026, 5, 1)), oneOff("kept", "kept-one-off", civil.New(2026, 5, 1)))

	// A recorded planned milestone with changes, and changes of a one-off, for each.
	var goneMilestones []string
	for _, yp := range []domain.YoungPerson{gone, kept} {
		ms := milestonesByKey(t, s, yp.ID)
		m := ms[occurrenceKey(p.Key, 1)]
		m.State, m.ScheduledDate, m.OwnerPerson = domain.Scheduled, civil.New(2026, 2, 1), "person-1"
		updateMilestone(t, s, m, 0)
		key := strings.TrimPrefix(yp.CaseReference, "REF-")
		c1 := change(key, key+"-one-off", "one-off change")
		c2 := change(key, "", "planned change")
		c2.MilestoneID = m.ID
		addChanges(t, s, c1, c2, c2)
		if yp.ID == gone.ID {
			for _, m := range ms {
				goneMilestones = append(goneMilestones, m.ID)
			}
		}
	}
	keptMilestones := milestonesByKey(t, s, kept.ID)
	keptEpisodes := listEpisodes(t, s, kept.ID)
	keptChanges := map[string][]domain.MilestoneChange{}
	for _, m := range keptMilestones {
		keptChanges[m.ID] = listChanges(t, s, m.ID, "", 100)
	}

	inTx(t, s, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, gone.ID, 1) })

	if es := listEpisodes(t, s, gone.ID); len(es) != 0 {
		t.Fatalf("the deleted young person still has %d episodes", len(es))
	}
	for _, key := range []string{"gone-e0", "gone-e1"} {
		_, err := getEpisode(t, s, gone.ID, idOf(key))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	}
	if ms := listMilestones(t, s, store.MilestoneQuery{YoungPersonID: gone.ID, Limit: 100}); len(ms) != 0 {
		t.Fatalf("the deleted young person still has %d milestones", len(ms))
	}
	for _, m := range listMilestones(t, s, store.MilestoneQuery{Limit: 100}) {
		if m.YoungPersonID == gone.ID {
			t.Fatalf("milestone %s of the deleted young person is still listed", m.ID)
		}
	}
	for _, id := range goneMilestones {
		_, err := getMilestone(t, s, gone.ID, id)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		if cs := listChanges(t, s, id, "", 100); len(cs) != 0 {
			t.Fatalf("milestone %s of the deleted young person still has %d changes", id, len(cs))
		}
	}
	if states := loadPathways(t, s, gone.ID); len(states) != 0 {
		t.Fatalf("LoadPathways still finds the deleted young person")
	}
	if ids := stalePathways(t, s, "another-catalogue", 10); !cmp.Equal(ids, []string{kept.ID}) {
		t.Fatalf("StalePathways = %v, want only the young person left, %s", ids, kept.ID)
	}

	// The other young person's records are untouched.
	if diff := cmp.Diff(keptEpisodes, listEpisodes(t, s, kept.ID)); diff != "" {
		t.Fatalf("deleting another young person changed episodes (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(keptMilestones, milestonesByKey(t, s, kept.ID), equateEmpty); diff != "" {
		t.Fatalf("deleting another young person changed milestones (-before +after):\n%s", diff)
	}
	for id, want := range keptChanges {
		if diff := cmp.Diff(want, listChanges(t, s, id, "", 100), equateEmpty); diff != "" {
			t.Fatalf("deleting another young person changed milestone changes (-before +after):\n%s", diff)
		}
	}
	if n := len(keptChanges[idOf("kept-one-off")]); n != 1 {
		t.Fatalf("fixture: the kept one-off has %d changes, want 1", n)
	}

	// The young person can be created again, with nothing of the old records.
	create(t, s, gone)
	if es, ms := listEpisodes(t, s, gone.ID), listMilestones(t, s, store.MilestoneQuery{YoungPersonID: gone.ID, Limit: 100}); len(es)+len(ms) != 0 {
		t.Fatalf("re-created, the young person has %d episodes and %d milestones, want none", len(es), len(ms))
	}
}
