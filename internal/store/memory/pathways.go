package memory

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) LoadPathways(ctx context.Context, ids []string) ([]store.PathwayState, error) {
	return t.loadPathways(ctx, ids, true)
}

func (t *tx) LoadTimelines(ctx context.Context, ids []string) ([]store.PathwayState, error) {
	return t.loadPathways(ctx, ids, false)
}

func (t *tx) loadPathways(ctx context.Context, ids []string, facts bool) ([]store.PathwayState, error) {
	var out []store.PathwayState
	for _, id := range ids {
		yp, err := t.getYoungPerson(id)
		if err == store.ErrYoungPersonNotFound {
			continue
		} else if err != nil {
			return nil, err
		}
		st := store.PathwayState{YoungPerson: yp.YoungPerson}
		if st.Episodes, err = t.ListCareEpisodes(ctx, id); err != nil {
			return nil, err
		}
		objs, err := t.all(tableMilestones, "young_person", id)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			st.Milestones = append(st.Milestones, clone(o.(*domain.Milestone)))
		}
		slices.SortFunc(st.Milestones, store.ByDueDate) // as PostgreSQL orders them
		if facts {
			if st.Facts, err = t.ListFacts(ctx, id); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func (t *tx) LoadOpenMilestones(ctx context.Context, ids []string, from, to civil.Date, named []string) ([]store.PathwayState, error) {
	states, err := t.LoadTimelines(ctx, ids)
	if err != nil {
		return nil, err
	}
	isNamed := make(map[string]bool, len(named))
	for _, id := range named {
		isNamed[id] = true
	}
	for i, st := range states {
		var open []domain.Milestone
		for _, m := range st.Milestones {
			inWindow := m.DueDate.Valid() && !m.DueDate.Before(from) && !m.DueDate.After(to)
			if m.Applicable && m.State.Open() && (inWindow || isNamed[m.ID]) {
				open = append(open, store.OpenMilestoneFields(m))
			}
		}
		states[i] = store.PathwayState{YoungPerson: st.YoungPerson, Milestones: open}
	}
	return states, nil
}

type plannedKey struct {
	key        string
	occurrence int
}

func (t *tx) SavePathways(_ context.Context, now time.Time, plans []store.PathwayPlan) ([][]domain.Milestone, error) {
	stored := make([][]domain.Milestone, len(plans))
	for i, plan := range plans {
		var err error
		if stored[i], err = t.savePathway(storedTime(now), plan); err != nil {
			return nil, err
		}
	}
	return stored, nil
}

// savePathway saves a plan and returns, for a fresh one, the milestones it stored.
func (t *tx) savePathway(now time.Time, plan store.PathwayPlan) ([]domain.Milestone, error) {
	yp, err := t.getYoungPerson(plan.YoungPersonID)
	if err == store.ErrYoungPersonNotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if plan.Fresh { // nothing stored to match the plan against
		ids := make([]string, len(plan.Planned))
		for i := range ids {
			ids[i] = uuid.NewString()
		}
		stored := store.FreshMilestones(plan, ids, now)
		for _, m := range stored {
			if err := t.insert(tableMilestones, new(clone(&m))); err != nil {
				return nil, err
			}
		}
		slices.SortFunc(stored, store.ByDueDate)
		return stored, t.setPathwayVersion(yp, plan.Version)
	}
	objs, err := t.all(tableMilestones, "young_person", plan.YoungPersonID)
	if err != nil {
		return nil, err
	}
	existing := map[plannedKey]*domain.Milestone{}
	for _, o := range objs {
		if m := o.(*domain.Milestone); m.Key != "" {
			existing[plannedKey{m.Key, m.Occurrence}] = m
		}
	}
	for _, p := range plan.Planned {
		k := plannedKey{p.Key, p.Occurrence}
		old, ok := existing[k]
		delete(existing, k)
		var m domain.Milestone
		if ok {
			m = clone(old)
		} else {
			m = domain.Milestone{ID: uuid.NewString(), YoungPersonID: plan.YoungPersonID, Key: p.Key,
				Occurrence: p.Occurrence, State: domain.Planned, Revision: 0, CreateTime: now}
		}
		m.CouncilID, m.Title, m.Area, m.OwnerAgency, m.Statutory, m.DueDate, m.LapseDate, m.Applicable =
			plan.CouncilID, p.Title, p.Area, p.OwnerAgency, p.Statutory, p.Due, p.Lapse, true
		if ok && sameDetails(*old, m) {
			continue
		}
		m.Revision, m.UpdateTime = m.Revision+1, now
		if err := t.insert(tableMilestones, &m); err != nil {
			return nil, err
		}
	}
	for _, old := range existing { // no longer planned
		if !old.Recorded {
			if err := t.deleteAll(tableChanges, "milestone", old.ID); err != nil {
				return nil, err
			}
			if err := t.delete(tableMilestones, old); err != nil {
				return nil, err
			}
			continue
		}
		if old.Applicable {
			m := clone(old)
			m.Applicable, m.Revision, m.UpdateTime = false, m.Revision+1, now
			if err := t.insert(tableMilestones, &m); err != nil {
				return nil, err
			}
		}
	}
	return nil, t.setPathwayVersion(yp, plan.Version)
}

func (t *tx) setPathwayVersion(yp *youngPerson, version string) error {
	next := *yp
	next.PathwayVersion = version
	return t.insert(tableYoungPeople, &next)
}

// sameDetails reports whether planning would change nothing of m.
func sameDetails(a, b domain.Milestone) bool {
	return a.CouncilID == b.CouncilID && a.Title == b.Title && a.Area == b.Area && a.OwnerAgency == b.OwnerAgency &&
		a.Statutory == b.Statutory && a.DueDate == b.DueDate && a.LapseDate == b.LapseDate && a.Applicable == b.Applicable
}

func (t *tx) StalePathways(ctx context.Context, catalogueVersion string, limit int) ([]string, error) {
	it, err := t.txn.Get(tableYoungPeople, "id")
	if err != nil {
		return nil, err
	}
	revisions := map[string]int64{}
	var ids []string
	for obj := it.Next(); obj != nil && len(ids) < limit; obj = it.Next() {
		yp := obj.(*youngPerson)
		rev, ok := revisions[yp.CouncilID]
		if !ok {
			s, err := t.GetPathwaySettings(ctx, yp.CouncilID)
			if err != nil {
				return nil, err
			}
			rev, revisions[yp.CouncilID] = s.Revision, s.Revision
		}
		if yp.PathwayVersion != store.PathwayVersion(catalogueVersion, rev) {
			ids = append(ids, yp.ID)
		}
	}
	return ids, nil
}
