package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/pathway"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

func stalePathways(t *testing.T, s store.Store, catalogueVersion string, limit int) (ids []string) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ids, err = tx.StalePathways(context.Background(), catalogueVersion, limit)
		return err
	})
	slices.Sort(ids)
	return ids
}

func loadPathways(t *testing.T, s store.Store, ids ...string) (states []store.PathwayState) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		states, err = tx.LoadPathways(context.Background(), ids)
		return err
	})
	return states
}

func putSettings(t *testing.T, s store.Store, ps domain.PathwaySettings, ifRevision int64) (out domain.PathwaySettings) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		out, err = tx.PutPathwaySettings(context.Background(), ps, ifRevision)
		return err
	})
	return out
}

func sortedIDs(keys ...string) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = idOf(k)
	}
	slices.Sort(ids)
	return ids
}

func testPathways(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := civil.New
	p1 := planned("k.one", 1, day(2026, 3, 1), day(2027, 3, 1))
	p2 := planned("k.one", 2, day(2027, 3, 1), day(2028, 3, 1))
	p3 := planned("k.two", 1, day(2026, 6, 1), day(2026, 12, 1))
	p3.Title, p3.Area, p3.OwnerAgency, p3.Statutory = "Health assessment", "HEALTH", "NHS", true

	t.Run("SaveInsertsPlanned", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("pi")
		create(t, s, yp)
		savePathways(t, s, planFor(yp, "v1", p1, p2, p3))
		got := milestonesByKey(t, s, yp.ID)
		if len(got) != 3 {
			t.Fatalf("saving a plan of 3 stored %d milestones", len(got))
		}
		for _, p := range []pathway.Planned{p1, p2, p3} {
			m := got[occurrenceKey(p.Key, p.Occurrence)]
			if diff := cmp.Diff(plannedMilestone(yp, p), m, ignoreStoreMade, equateEmpty); diff != "" {
				t.Fatalf("planned %s#%d stored as (-want +got):\n%s", p.Key, p.Occurrence, diff)
			}
			if m.ID == "" {
				t.Fatalf("planned %s#%d has no id", p.Key, p.Occurrence)
			}
			if g, err := getMilestone(t, s, yp.ID, m.ID); err != nil || cmp.Diff(m, g, equateEmpty) != "" {
				t.Fatalf("GetMilestone of planned %s#%d = %+v, %v; want %+v", p.Key, p.Occurrence, g, err, m)
			}
		}
	})

	t.Run("SaveFreshAsPlanned", func(t *testing.T) {
		// A fresh plan (a young person with no milestones yet) is stored as any other,
		// beside a replan of someone else in the same call, which keeps its own rows.
		s := newStore(t)
		fresh, other := youngPerson("pf"), youngPerson("pe")
		create(t, s, fresh, other)
		savePathways(t, s, planFor(other, "v1", p1, p2))
		before := milestonesByKey(t, s, other.ID)
		// Enough milestones that a store may copy them in rather than insert them.
		all := []pathway.Planned{p1, p2, p3}
		for i := range 600 {
			all = append(all, planned("k.many", i+1, day(2026, 3, 1).AddDays(i), day(2030, 3, 1)))
		}
		plan := planFor(fresh, "v1", all...)
		plan.Fresh = true
		saved := savePathwaysAt(t, s, at.Add(time.Hour), plan, planFor(other, "v1", p1, p2))
		got := milestonesByKey(t, s, fresh.ID)
		if len(got) != len(all) {
			t.Fatalf("saving a fresh plan of %d stored %d milestones", len(all), len(got))
		}
		for _, p := range all {
			m := got[occurrenceKey(p.Key, p.Occurrence)]
			if diff := cmp.Diff(plannedMilestone(fresh, p), m, ignoreStoreMade, equateEmpty); diff != "" {
				t.Fatalf("fresh %s#%d stored as (-want +got):\n%s", p.Key, p.Occurrence, diff)
			}
		}
		if diff := cmp.Diff(before, milestonesByKey(t, s, other.ID), equateEmpty); diff != "" {
			t.Fatalf("a fresh plan beside changed the other young person's milestones (-before +after):\n%s", diff)
		}
		var states []store.PathwayState
		inTx(t, s, func(tx store.Tx) (err error) { states, err = tx.LoadPathways(ctx, []string{fresh.ID}); return err })
		if len(states) != 1 || len(states[0].Milestones) != len(all) ||
			!slices.IsSortedFunc(states[0].Milestones, store.ByDueDate) {
			t.Fatalf("LoadPathways does not give the %d milestones by due date, then id", len(all))
		}
		// What SavePathways says it stored is what a load reads back, for a fresh plan
		// copied in or inserted (a small one), and nothing for a replan.
		if len(saved) != 2 || saved[1] != nil {
			t.Fatalf("SavePathways gave back %d plans' milestones, the replan's %v; want 2, nil", len(saved), saved[1:])
		}
		if diff := cmp.Diff(states[0].Milestones, saved[0], equateEmpty); diff != "" {
			t.Fatalf("SavePathways gave back other than it stored of a fresh plan (-loaded +given):\n%s", diff)
		}
		small := youngPerson("ps")
		create(t, s, small)
		plan = planFor(small, "v1", p1, p3)
		plan.Fresh = true
		saved = savePathwaysAt(t, s, at, plan)
		inTx(t, s, func(tx store.Tx) (err error) { states, err = tx.LoadPathways(ctx, []string{small.ID}); return err })
		if diff := cmp.Diff(states[0].Milestones, saved[0], equateEmpty); len(saved[0]) != 2 || diff != "" {
			t.Fatalf("SavePathways gave back other than it stored of a small fresh plan (-loaded +given):\n%s", diff)
		}
	})

	t.Run("SaveSamePlanChangesNothing", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("ps")
		create(t, s, yp)
		savePathways(t, s, planFor(yp, "v1", p1, p2, p3))
		before := milestonesByKey(t, s, yp.ID)
		again := planFor(yp, "v1", p3, p1, p2) // in another order, and later
		savePathwaysAt(t, s, at.Add(24*time.Hour), again)
		if diff := cmp.Diff(before, milestonesByKey(t, s, yp.ID), equateEmpty); diff != "" {
			t.Fatalf("saving the same plan again changed milestones (-before +after):\n%s", diff)
		}
	})

	t.Run("SaveUpdatesInPlace", func(t *testing.T) {
		s := newStore(t)
		for _, tc := range []struct {
			field  string
			change func(*pathway.Planned)
		}{
			{"due date", func(p *pathway.Planned) { p.Due = p.Due.AddDays(-1) }},
			{"lapse date", func(p *pathway.Planned) { p.Lapse = p.Lapse.AddDays(10) }},
			{"title", func(p *pathway.Planned) { p.Title = "Retitled" }},
			{"area", func(p *pathway.Planned) { p.Area = "FINANCE" }},
			{"owner agency", func(p *pathway.Planned) { p.OwnerAgency = "DWP" }},
			{"statutory", func(p *pathway.Planned) { p.Statutory = !p.Statutory }},
		} {
			t.Run(strings.ReplaceAll(tc.field, " ", "_"), func(t *testing.T) {
				yp := youngPerson("pu-" + tc.field) // one young person for each field
				create(t, s, yp)
				savePathways(t, s, planFor(yp, "v1", p1, p2, p3))
				before := milestonesByKey(t, s, yp.ID)
				changed := p2
				tc.change(&changed)
				next := planFor(yp, "v2", p1, changed, p3)
				savePathwaysAt(t, s, at.Add(time.Hour), next)
				after := milestonesByKey(t, s, yp.ID)
				k := occurrenceKey(p2.Key, p2.Occurrence)
				want := plannedMilestone(yp, changed)
				want.ID, want.Revision = before[k].ID, 2
				if diff := cmp.Diff(want, after[k], cmpopts.IgnoreFields(domain.Milestone{}, "CreateTime", "UpdateTime"), equateEmpty); diff != "" {
					t.Fatalf("a changed %s was not updated in place (-want +got):\n%s", tc.field, diff)
				}
				if !after[k].CreateTime.Equal(before[k].CreateTime) {
					t.Fatalf("updating in place changed the create time from %v to %v", before[k].CreateTime, after[k].CreateTime)
				}
				delete(before, k)
				delete(after, k)
				if diff := cmp.Diff(before, after, equateEmpty); diff != "" {
					t.Fatalf("changing one milestone's %s changed others (-before +after):\n%s", tc.field, diff)
				}
			})
		}
	})

	t.Run("SaveDeletesUnrecorded", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("pd")
		create(t, s, yp)
		savePathways(t, s, planFor(yp, "v1", p1, p2, p3))
		before := milestonesByKey(t, s, yp.ID)
		gone := before[occurrenceKey(p2.Key, 2)]
		savePathways(t, s, planFor(yp, "v2", p1, p3))
		_, err := getMilestone(t, s, yp.ID, gone.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		after := milestonesByKey(t, s, yp.ID)
		delete(before, occurrenceKey(p2.Key, 2))
		if diff := cmp.Diff(before, after, equateEmpty); diff != "" {
			t.Fatalf("dropping one milestone from the plan changed the rest (-before +after):\n%s", diff)
		}
		// An empty plan removes every unrecorded planned milestone.
		savePathways(t, s, planFor(yp, "v3"))
		if left := milestonesByKey(t, s, yp.ID); len(left) != 0 {
			t.Fatalf("an empty plan left %d unrecorded milestones", len(left))
		}
	})

	t.Run("SaveKeepsRecordedAsNotApplicable", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("pk")
		create(t, s, yp)
		savePathways(t, s, planFor(yp, "v1", p1, p2, p3))
		k := occurrenceKey(p2.Key, 2)
		m := milestonesByKey(t, s, yp.ID)[k]
		m.State, m.ScheduledDate, m.OwnerPerson, m.UpdateTime = domain.Scheduled, day(2027, 2, 1), "person-1", at.Add(time.Minute)
		recorded := updateMilestone(t, s, m, 0)

		savePathways(t, s, planFor(yp, "v2", p1, p3))
		kept, err := getMilestone(t, s, yp.ID, recorded.ID)
		if err != nil {
			t.Fatalf("a recorded milestone no longer planned was removed (get err = %v)", err)
		}
		want := recorded
		want.Applicable, want.Revision = false, recorded.Revision+1
		if diff := cmp.Diff(want, kept, cmpopts.IgnoreFields(domain.Milestone{}, "UpdateTime"), equateEmpty); diff != "" {
			t.Fatalf("a recorded milestone no longer planned (-want +got):\n%s", diff)
		}

		// Still not planned: nothing more changes.
		savePathways(t, s, planFor(yp, "v3", p1, p3))
		if again, _ := getMilestone(t, s, yp.ID, recorded.ID); cmp.Diff(kept, again, equateEmpty) != "" {
			t.Fatalf("saving a plan that still leaves it out changed it (-before +after):\n%s", cmp.Diff(kept, again, equateEmpty))
		}

		// Planned again: applicable again, with what was recorded.
		savePathways(t, s, planFor(yp, "v4", p1, p2, p3))
		back, err := getMilestone(t, s, yp.ID, recorded.ID)
		want = recorded
		want.Revision = kept.Revision + 1
		if diff := cmp.Diff(want, back, cmpopts.IgnoreFields(domain.Milestone{}, "UpdateTime"), equateEmpty); err != nil || diff != "" {
			t.Fatalf("planned again, the milestone (err %v) (-want +got):\n%s", err, diff)
		}
	})

	t.Run("SaveUpdatesRecordedInPlace", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("pr")
		create(t, s, yp)
		savePathways(t, s, planFor(yp, "v1", p1))
		m := milestonesByKey(t, s, yp.ID)[occurrenceKey(p1.Key, 1)]
		m.State, m.AchievedDate, m.UpdateTime = domain.Achieved, day(2026, 2, 1), at.Add(time.Minute)
		m.Evidence = []domain.Evidence{{Description: "Done", RecordedBy: "person-1", RecordTime: at}}
		recorded := updateMilestone(t, s, m, 0)
		moved := p1
		moved.Due = day(2026, 4, 1)
		savePathways(t, s, planFor(yp, "v2", moved))
		got, err := getMilestone(t, s, yp.ID, recorded.ID)
		want := recorded
		want.DueDate, want.Revision = moved.Due, recorded.Revision+1
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(domain.Milestone{}, "UpdateTime"), equateEmpty); err != nil || diff != "" {
			t.Fatalf("a recorded milestone retimed by planning (err %v) (-want +got):\n%s", err, diff)
		}
	})

	t.Run("SaveLeavesOneOffsAlone", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("po")
		create(t, s, yp)
		// One untouched, one that a person has since changed.
		plain, worked := oneOff("po", "po-plain", day(2026, 3, 1)), oneOff("po", "po-worked", day(2027, 3, 1))
		createMilestones(t, s, plain, worked)
		w, _ := getMilestone(t, s, yp.ID, worked.ID)
		w.State, w.OwnerOrganisation, w.UpdateTime = domain.InProgress, "org-1", at.Add(time.Minute)
		updateMilestone(t, s, w, 0)
		before := milestonesByKey(t, s, yp.ID)
		for i, plan := range []store.PathwayPlan{
			planFor(yp, "v1", p1, p2),
			planFor(yp, "v2", p3),
			planFor(yp, "v3"),
		} {
			savePathwaysAt(t, s, at.Add(time.Duration(i+1)*time.Hour), plan)
		}
		after := milestonesByKey(t, s, yp.ID)
		for _, id := range []string{plain.ID, worked.ID} {
			if diff := cmp.Diff(before[id], after[id], equateEmpty); diff != "" {
				t.Fatalf("SavePathways touched a one-off milestone (-before +after):\n%s", diff)
			}
		}
		if len(after) != 2 {
			t.Fatalf("after an empty plan, %d milestones are left, want the 2 one-offs", len(after))
		}
	})

	t.Run("SaveManyYoungPeople", func(t *testing.T) {
		s := newStore(t)
		a, b, c := youngPerson("pa"), youngPerson("pb"), youngPerson("pc")
		c.CouncilID = "council-b"
		create(t, s, a, b, c)
		savePathways(t, s, planFor(a, "v1", p1, p2), planFor(b, "v1", p1), planFor(c, "v1", p3))
		for _, tc := range []struct {
			yp   domain.YoungPerson
			want []pathway.Planned
		}{{a, []pathway.Planned{p1, p2}}, {b, []pathway.Planned{p1}}, {c, []pathway.Planned{p3}}} {
			got := milestonesByKey(t, s, tc.yp.ID)
			if len(got) != len(tc.want) {
				t.Fatalf("%s has %d milestones, want %d", tc.yp.CaseReference, len(got), len(tc.want))
			}
			for _, p := range tc.want {
				if diff := cmp.Diff(plannedMilestone(tc.yp, p), got[occurrenceKey(p.Key, p.Occurrence)], ignoreStoreMade, equateEmpty); diff != "" {
					t.Fatalf("%s: %s#%d (-want +got):\n%s", tc.yp.CaseReference, p.Key, p.Occurrence, diff)
				}
			}
		}
		// A plan of one young person leaves the others' milestones alone.
		bBefore := milestonesByKey(t, s, b.ID)
		savePathways(t, s, planFor(a, "v2"))
		if diff := cmp.Diff(bBefore, milestonesByKey(t, s, b.ID), equateEmpty); diff != "" {
			t.Fatalf("saving a's plan changed b's milestones (-before +after):\n%s", diff)
		}
	})

	t.Run("StaleUntilSaved", func(t *testing.T) {
		s := newStore(t)
		a, b := youngPerson("sa"), youngPerson("sb")
		b.CouncilID = "council-b"
		create(t, s, a, b)
		both := sortedIDs("sa", "sb")
		if got := stalePathways(t, s, "cat-1", 10); !slices.Equal(got, both) {
			t.Fatalf("never planned: stale = %v, want both %v", got, both)
		}
		savePathways(t, s, planFor(a, store.PathwayVersion("cat-1", 0), p1), planFor(b, store.PathwayVersion("cat-1", 0), p1))
		if got := stalePathways(t, s, "cat-1", 10); len(got) != 0 {
			t.Fatalf("planned with cat-1 and no settings: stale = %v, want none", got)
		}
		if got := stalePathways(t, s, "cat-2", 10); !slices.Equal(got, both) {
			t.Fatalf("a new catalogue: stale = %v, want both %v", got, both)
		}

		// council-a saves settings: its young people are stale, council-b's are not.
		putSettings(t, s, domain.PathwaySettings{CouncilID: "council-a", UpdateTime: at}, 0)
		if got := stalePathways(t, s, "cat-1", 10); !slices.Equal(got, []string{a.ID}) {
			t.Fatalf("after council-a's settings change: stale = %v, want only %s", got, a.ID)
		}
		savePathways(t, s, planFor(a, store.PathwayVersion("cat-1", 1), p1))
		if got := stalePathways(t, s, "cat-1", 10); len(got) != 0 {
			t.Fatalf("replanned with settings revision 1: stale = %v, want none", got)
		}

	})

	t.Run("StaleLimit", func(t *testing.T) {
		s := newStore(t)
		var stale, fresh []domain.YoungPerson
		for i := range 5 {
			stale = append(stale, youngPerson(fmt.Sprintf("stale-%d", i)))
			fresh = append(fresh, youngPerson(fmt.Sprintf("fresh-%d", i)))
		}
		create(t, s, append(slices.Clone(stale), fresh...)...)
		var plans []store.PathwayPlan
		for _, yp := range fresh {
			plans = append(plans, planFor(yp, store.PathwayVersion("cat-1", 0)))
		}
		savePathways(t, s, plans...)
		var staleIDs []string
		for _, yp := range stale {
			staleIDs = append(staleIDs, yp.ID)
		}
		slices.Sort(staleIDs)
		for _, limit := range []int{1, 2, 5, 10} {
			got := stalePathways(t, s, "cat-1", limit)
			if len(got) != min(limit, 5) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Fatalf("limit %d: stale = %v, want %d distinct", limit, got, min(limit, 5))
			}
			for _, id := range got {
				if !slices.Contains(staleIDs, id) {
					t.Fatalf("limit %d: %s is not stale", limit, id)
				}
			}
		}
		if got := stalePathways(t, s, "cat-1", 10); !slices.Equal(got, staleIDs) {
			t.Fatalf("stale = %v, want %v", got, staleIDs)
		}
	})

	t.Run("StaleSkipsLocked", func(t *testing.T) {
		testStaleSkipsLocked(t, newStore(t), "StalePathways", func(tx store.Tx, limit int) ([]string, error) {
			return tx.StalePathways(ctx, "cat-1", limit)
		})
	})

	t.Run("ConcurrentPlannersPlanEachOnce", func(t *testing.T) {
		s := newStore(t)
		const n = 12
		for i := range n {
			create(t, s, youngPerson(fmt.Sprintf("cp-%02d", i)))
		}
		claimEachOnce(t, s, n, "planned", func(tx store.Tx) ([]string, error) {
			ids, err := tx.StalePathways(ctx, "cat-1", 1)
			if err != nil || len(ids) == 0 {
				return ids, err
			}
			states, err := tx.LoadPathways(ctx, ids)
			if err != nil {
				return nil, err
			}
			var plans []store.PathwayPlan
			for _, st := range states {
				plans = append(plans, planFor(st.YoungPerson, store.PathwayVersion("cat-1", 0), p1))
			}
			_, err = tx.SavePathways(ctx, at, plans)
			return ids, err
		})
	})

	t.Run("Load", func(t *testing.T) {
		s := newStore(t)
		a, b := youngPerson("la"), youngPerson("lb")
		a.PersonalAdviserID, a.Disability = "pa-1", true
		create(t, s, a, b)
		e1, e2 := episode("la", "la-e1", day(2015, 1, 1)), episode("la", "la-e2", day(2020, 1, 1))
		e1.End, e1.ReasonEnded = day(2016, 1, 1), "E3"
		createEpisodes(t, s, e2, e1)
		savePathways(t, s, planFor(a, "v1", p1, p2))
		createMilestones(t, s, oneOff("la", "la-one-off", day(2026, 5, 5)))
		addFacts(t, s, fact("la-f2", "la", "identity.ni_number_held", true, time.Hour),
			fact("la-f1", "la", "identity.ni_number_held", false, 0), fact("lb-f1", "lb", "identity.ni_number_held", true, 0))

		states := loadPathways(t, s, idOf("nobody"), b.ID, a.ID)
		if len(states) != 2 {
			t.Fatalf("LoadPathways of two young people and a missing one returned %d states, want 2", len(states))
		}
		byID := map[string]store.PathwayState{}
		for _, st := range states {
			byID[st.YoungPerson.ID] = st
		}
		for _, yp := range []domain.YoungPerson{a, b} {
			st, ok := byID[yp.ID]
			if !ok {
				t.Fatalf("LoadPathways left out %s", yp.CaseReference)
			}
			if diff := cmp.Diff(stored(yp, 1), st.YoungPerson); diff != "" {
				t.Fatalf("LoadPathways young person (-want +got):\n%s", diff)
			}
			sortEpisodes := cmpopts.SortSlices(func(x, y domain.CareEpisode) bool { return x.ID < y.ID })
			if diff := cmp.Diff(listEpisodes(t, s, yp.ID), st.Episodes, sortEpisodes, equateEmpty); diff != "" {
				t.Fatalf("LoadPathways episodes of %s (-listed +loaded):\n%s", yp.CaseReference, diff)
			}
			sortMilestones := cmpopts.SortSlices(func(x, y domain.Milestone) bool { return x.ID < y.ID })
			listed := listMilestones(t, s, store.MilestoneQuery{YoungPersonID: yp.ID, Limit: 100})
			if diff := cmp.Diff(listed, st.Milestones, sortMilestones, equateEmpty); diff != "" {
				t.Fatalf("LoadPathways milestones of %s (-listed +loaded):\n%s", yp.CaseReference, diff)
			}
			if diff := cmp.Diff(listFacts(t, s, yp.ID), st.Facts, equateEmpty); diff != "" {
				t.Fatalf("LoadPathways facts of %s (-listed +loaded):\n%s", yp.CaseReference, diff)
			}
		}
		if n := len(byID[a.ID].Facts); n != 2 {
			t.Fatalf("LoadPathways gave %d facts of la, want 2", n)
		}
		// A timeline is the pathway without the facts.
		var timelines []store.PathwayState
		inTx(t, s, func(tx store.Tx) (err error) {
			timelines, err = tx.LoadTimelines(ctx, []string{idOf("nobody"), b.ID, a.ID})
			return err
		})
		for i := range states {
			states[i].Facts = nil
		}
		if diff := cmp.Diff(states, timelines, equateEmpty); diff != "" {
			t.Fatalf("LoadTimelines (-LoadPathways without facts +got):\n%s", diff)
		}
		if n := len(byID[a.ID].Milestones); n != 3 {
			t.Fatalf("LoadPathways gave %d milestones of la, want 2 planned and 1 one-off", n)
		}
		if n := len(byID[a.ID].Episodes); n != 2 {
			t.Fatalf("LoadPathways gave %d episodes of la, want 2", n)
		}
		if states := loadPathways(t, s); len(states) != 0 {
			t.Fatalf("LoadPathways of no ids returned %d states", len(states))
		}
	})

	t.Run("LoadOpenMilestones", func(t *testing.T) {
		s := newStore(t)
		a, b := youngPerson("oa"), youngPerson("ob")
		a.PersonalAdviserID = "pa-1"
		create(t, s, a, b)
		createEpisodes(t, s, episode("oa", "oa-e1", day(2015, 1, 1)))
		savePathways(t, s, planFor(a, "v1", p1, p2, p3))
		createMilestones(t, s, oneOff("oa", "oa-one-off", day(2026, 5, 5)))
		ms := milestonesByKey(t, s, a.ID)
		// One achieved; one scheduled, then no longer planned (kept, not applicable); one
		// given to a partner. Only the open, applicable ones are loaded, the last with its
		// owners.
		done := ms[occurrenceKey(p1.Key, 1)]
		done.State, done.AchievedDate, done.UpdateTime = domain.Achieved, day(2026, 2, 1), at.Add(time.Minute)
		done.Evidence = []domain.Evidence{{Description: "Done", RecordedBy: "person-1", RecordTime: at}}
		updateMilestone(t, s, done, 0)
		dropped := ms[occurrenceKey(p2.Key, 2)]
		dropped.State, dropped.ScheduledDate, dropped.UpdateTime = domain.Scheduled, day(2027, 2, 1), at.Add(time.Minute)
		updateMilestone(t, s, dropped, 0)
		given := ms[occurrenceKey(p3.Key, 1)]
		given.State, given.OwnerOrganisation, given.OwnerPerson, given.UpdateTime = domain.InProgress, "org-1", "person-2", at.Add(time.Minute)
		updateMilestone(t, s, given, 0)
		savePathways(t, s, planFor(a, "v2", p1, p3))

		var named []string
		load := func(from, to civil.Date, ids ...string) (states []store.PathwayState) {
			inTx(t, s, func(tx store.Tx) (err error) {
				states, err = tx.LoadOpenMilestones(context.Background(), ids, from, to, named)
				return err
			})
			return states
		}
		states := load(civil.New(1990, 1, 1), civil.New(2100, 1, 1), idOf("nobody"), b.ID, a.ID)
		full := map[string]store.PathwayState{}
		for _, st := range loadPathways(t, s, a.ID, b.ID) {
			full[st.YoungPerson.ID] = st
		}
		if len(states) != 2 {
			t.Fatalf("LoadOpenMilestones of two young people and a missing one returned %d states, want 2", len(states))
		}
		for _, st := range states {
			want := store.PathwayState{YoungPerson: full[st.YoungPerson.ID].YoungPerson}
			for _, m := range full[st.YoungPerson.ID].Milestones {
				if m.Applicable && m.State.Open() {
					want.Milestones = append(want.Milestones, store.OpenMilestoneFields(m))
				}
			}
			if diff := cmp.Diff(want, st, equateEmpty); diff != "" {
				t.Fatalf("LoadOpenMilestones of %s (-want +got):\n%s", st.YoungPerson.CaseReference, diff)
			}
		}
		var open []string
		for _, st := range states {
			if st.YoungPerson.ID == a.ID {
				for _, m := range st.Milestones {
					open = append(open, m.ID+" "+m.OwnerOrganisation+" "+m.OwnerPerson)
				}
			}
		}
		if want := []string{idOf("oa-one-off") + "  ", given.ID + " org-1 person-2"}; !slices.Equal(open, want) {
			t.Fatalf("LoadOpenMilestones of oa gave %q, want the one-off and the given one, by due date (%q)", open, want)
		}

		// A window of due dates keeps those due in it, both ends included, and the open,
		// applicable ones named, once each: not those of others, nor a done one.
		ids := func(states []store.PathwayState) (out []string) {
			for _, st := range states {
				for _, m := range st.Milestones {
					out = append(out, m.ID)
				}
			}
			return out
		}
		oneOff := idOf("oa-one-off")
		if got := ids(load(given.DueDate, given.DueDate, a.ID)); !slices.Equal(got, []string{given.ID}) {
			t.Fatalf("LoadOpenMilestones of oa due on %s gave %q, want the given one alone", given.DueDate, got)
		}
		if got := ids(load(given.DueDate.AddDays(1), given.DueDate.AddDays(1000), a.ID)); len(got) != 0 {
			t.Fatalf("LoadOpenMilestones of oa due after %s gave %q, want none", given.DueDate, got)
		}
		named = []string{done.ID, oneOff, dropped.ID}
		if got := ids(load(given.DueDate.AddDays(1), given.DueDate.AddDays(1000), b.ID)); len(got) != 0 {
			t.Fatalf("LoadOpenMilestones of ob due after %s, oa's named, gave %q, want none", given.DueDate, got)
		}
		if got := ids(load(given.DueDate.AddDays(1), given.DueDate.AddDays(1000), a.ID, b.ID)); !slices.Equal(got, []string{oneOff}) {
			t.Fatalf("LoadOpenMilestones of oa due after %s, naming the one-off, a done and a dropped one, gave %q, want the one-off", given.DueDate, got)
		}
		if got := ids(load(civil.New(2026, 5, 6), given.DueDate, a.ID)); !slices.Equal(got, []string{oneOff, given.ID}) {
			t.Fatalf("LoadOpenMilestones of oa due from 2026-05-06 to %s, naming the one-off of 2026-05-05, gave %q, want the one-off, then the given one", given.DueDate, got)
		}
		if got := ids(load(civil.New(1990, 1, 1), given.DueDate, a.ID)); !slices.Equal(got, []string{oneOff, given.ID}) {
			t.Fatalf("LoadOpenMilestones of oa due by %s, one of them named, gave %q, want each once", given.DueDate, got)
		}
	})
}

// testStaleSkipsLocked is testClaimSkipsLocked for stale (StalePathways or
// StaleReadiness, named name), over three young people it creates, all stale.
func testStaleSkipsLocked(t *testing.T, s store.Store, name string, stale func(tx store.Tx, limit int) ([]string, error)) {
	for _, k := range []string{"lock-1", "lock-2", "lock-3"} {
		create(t, s, youngPerson(k))
	}
	testClaimSkipsLocked(t, s, name, sortedIDs("lock-1", "lock-2", "lock-3"), stale)
}

// claimEachOnce runs four workers that each, transaction by transaction, claim and handle
// stale young people with work until it claims none, and checks that each of the n young
// people was handled exactly once (what is done: "planned", "refreshed").
func claimEachOnce(t *testing.T, s store.Store, n int, done string, work func(store.Tx) ([]string, error)) {
	t.Helper()
	var (
		mu    sync.Mutex
		times = map[string]int{}
		wg    sync.WaitGroup
	)
	warmUp(s, 4)
	for range 4 {
		wg.Go(func() {
			for round := 0; ; round++ {
				if round > n {
					t.Errorf("a worker still finds stale young people after %s %d", done, n)
					return
				}
				var ids []string
				err := s.InTx(context.Background(), func(tx store.Tx) (err error) {
					ids, err = work(tx)
					return err
				})
				if err != nil {
					t.Errorf("worker: %v", err)
					return
				}
				if len(ids) == 0 {
					return
				}
				mu.Lock()
				for _, id := range ids {
					times[id]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(times) != n {
		t.Fatalf("%d young people were %s, want %d", len(times), done, n)
	}
	for id, k := range times {
		if k != 1 {
			t.Fatalf("young person %s was %s %d times by concurrent workers, want once", id, done, k)
		}
	}
}
