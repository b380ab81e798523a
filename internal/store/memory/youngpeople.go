package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) getYoungPerson(id string) (*youngPerson, error) {
	obj, err := t.first(tableYoungPeople, "id", id)
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, store.ErrYoungPersonNotFound
	}
	return obj.(*youngPerson), nil
}

func (t *tx) GetYoungPerson(_ context.Context, id string) (domain.YoungPerson, error) {
	yp, err := t.getYoungPerson(id)
	if err != nil {
		return domain.YoungPerson{}, err
	}
	return yp.YoungPerson, nil
}

// LockYoungPerson needs no lock: memory transactions are serialised.
func (t *tx) LockYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error) {
	return t.GetYoungPerson(ctx, id)
}

// LockYoungPeople needs no lock either.
func (t *tx) LockYoungPeople(_ context.Context, ids []string) ([]domain.YoungPerson, error) {
	var out []domain.YoungPerson
	for _, id := range ids {
		yp, err := t.getYoungPerson(id)
		if errors.Is(err, store.ErrYoungPersonNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(o domain.YoungPerson) bool { return o.ID == id }) {
			out = append(out, yp.YoungPerson)
		}
	}
	slices.SortFunc(out, func(a, b domain.YoungPerson) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (t *tx) AllocateYoungPeople(ctx context.Context, ids []string, adviserID string, at time.Time) ([]domain.YoungPerson, error) {
	yps, err := t.LockYoungPeople(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, yp := range yps {
		old, err := t.getYoungPerson(yp.ID)
		if err != nil {
			return nil, err
		}
		yp.PersonalAdviserID, yp.Revision, yp.UpdateTime = adviserID, yp.Revision+1, storedTime(at)
		if err := t.insert(tableYoungPeople, &youngPerson{YoungPerson: yp, PathwayVersion: old.PathwayVersion}); err != nil {
			return nil, err
		}
		yps[i] = yp
	}
	return yps, nil
}

func (t *tx) ListYoungPeople(_ context.Context, q store.YoungPeopleQuery) ([]domain.YoungPerson, error) {
	it, err := t.txn.LowerBound(tableYoungPeople, "id", q.AfterID)
	if err != nil {
		return nil, fmt.Errorf("memory: list young people: %w", err)
	}
	var page []domain.YoungPerson
	for obj := it.Next(); obj != nil && len(page) < q.Limit; obj = it.Next() {
		yp := &obj.(*youngPerson).YoungPerson
		if yp.ID == q.AfterID || !q.Scope.Contains(*yp) || !query.Eval(q.Filter, youngPersonField(yp)) ||
			len(q.IDs) > 0 && !slices.Contains(q.IDs, yp.ID) {
			continue
		}
		page = append(page, *yp)
	}
	return page, nil
}

func youngPersonField(yp *domain.YoungPerson) func(string) any {
	return func(field string) any {
		switch field {
		case "date_of_birth":
			return yp.DateOfBirth
		case "council":
			return yp.CouncilID
		case "personal_adviser":
			return yp.PersonalAdviserID
		case "unaccompanied_asylum_seeking_child":
			return yp.UnaccompaniedAsylumSeekingChild
		case "ehc_plan":
			return yp.EHCPlan
		case "disability":
			return yp.Disability
		}
		panic(fmt.Sprintf("memory: young people cannot be filtered on %q", field))
	}
}

// checkCaseReference fails when another young person of the council uses the reference.
func (t *tx) checkCaseReference(yp domain.YoungPerson) error {
	obj, err := t.first(tableYoungPeople, "case_reference", yp.CouncilID, yp.CaseReference)
	if err != nil {
		return err
	}
	if obj != nil && obj.(*youngPerson).ID != yp.ID {
		return store.ErrCaseReferenceInUse
	}
	return nil
}

func (t *tx) CreateYoungPerson(_ context.Context, yp domain.YoungPerson) (domain.YoungPerson, error) {
	if obj, err := t.first(tableYoungPeople, "id", yp.ID); err != nil {
		return domain.YoungPerson{}, err
	} else if obj != nil {
		return domain.YoungPerson{}, fmt.Errorf("memory: young person id %s already used", yp.ID)
	}
	if err := t.checkCaseReference(yp); err != nil {
		return domain.YoungPerson{}, err
	}
	yp.Revision = 1
	yp.CreateTime, yp.UpdateTime = storedTime(yp.CreateTime), storedTime(yp.UpdateTime)
	yp.SSDA903 = storedMap(yp.SSDA903)
	return yp, t.insert(tableYoungPeople, &youngPerson{YoungPerson: yp})
}

// CreateYoungPeople creates them one by one: the transaction keeps it all or nothing.
func (t *tx) CreateYoungPeople(ctx context.Context, yps []domain.YoungPerson, episodes []domain.CareEpisode) error {
	for _, yp := range yps {
		if _, err := t.CreateYoungPerson(ctx, yp); err != nil {
			return err
		}
	}
	for _, e := range episodes {
		if _, err := t.CreateCareEpisode(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) UpdateYoungPerson(_ context.Context, yp domain.YoungPerson, ifRevision int64) (domain.YoungPerson, error) {
	old, err := t.getYoungPerson(yp.ID)
	if err != nil {
		return domain.YoungPerson{}, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return domain.YoungPerson{}, err
	}
	if err := t.checkCaseReference(yp); err != nil {
		return domain.YoungPerson{}, err
	}
	yp.Revision = old.Revision + 1
	yp.CreateTime, yp.UpdateTime = old.CreateTime, storedTime(yp.UpdateTime)
	yp.SSDA903 = storedMap(yp.SSDA903)
	return yp, t.insert(tableYoungPeople, &youngPerson{YoungPerson: yp, PathwayVersion: old.PathwayVersion})
}

func (t *tx) DeleteYoungPerson(_ context.Context, id string, ifRevision int64) error {
	old, err := t.getYoungPerson(id)
	if err != nil {
		return err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return err
	}
	// Like the foreign keys of the PostgreSQL schema, deletion cascades.
	for _, table := range []string{tableEpisodes, tableMilestones, tableShares, tableFacts, tableReadiness,
		tableReminders, tableSchedules, tablePeople, tableViews, tableGoals, tableAnswers, tableSupport} {
		children, err := t.all(table, "young_person", id)
		if err != nil {
			return err
		}
		for _, c := range children {
			if m, ok := c.(*domain.Milestone); ok {
				if err := t.deleteAll(tableChanges, "milestone", m.ID); err != nil {
					return err
				}
			}
			if r, ok := c.(*domain.Reminder); ok {
				if err := t.deleteAll(tableDeliveries, "reminder", r.ID); err != nil {
					return err
				}
			}
			if err := t.delete(table, c); err != nil {
				return err
			}
		}
	}
	return t.delete(tableYoungPeople, old)
}

func (t *tx) insert(table string, obj any) error {
	if err := t.txn.Insert(table, obj); err != nil {
		return fmt.Errorf("memory: insert into %s: %w", table, err)
	}
	return nil
}

// storedMap is a copy of m as the PostgreSQL store gives it back: nil when empty, and never
// shared with the caller, who may change theirs.
func storedMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func (t *tx) YoungPeopleByCaseReference(_ context.Context, councilID string, refs []string) ([]domain.YoungPerson, error) {
	var out []domain.YoungPerson
	for _, ref := range refs {
		obj, err := t.first(tableYoungPeople, "case_reference", councilID, ref)
		if err != nil {
			return nil, err
		}
		if obj != nil {
			out = append(out, obj.(*youngPerson).YoungPerson)
		}
	}
	slices.SortFunc(out, func(a, b domain.YoungPerson) int { return strings.Compare(a.ID, b.ID) })
	return slices.CompactFunc(out, func(a, b domain.YoungPerson) bool { return a.ID == b.ID }), nil
}
