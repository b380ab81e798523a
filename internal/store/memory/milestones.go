package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/store"
)

// dueIndex orders milestones by due date, then id, for listings across young people.
type dueIndex struct{}

func (dueIndex) FromObject(obj any) (bool, []byte, error) {
	m := obj.(*domain.Milestone)
	return true, []byte(m.DueDate.String() + "|" + m.ID + "\x00"), nil
}

func (dueIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("due index takes one argument")
	}
	return []byte(args[0].(string)), nil
}

// PrefixFromArgs lets LowerBound start from a cursor.
func (dueIndex) PrefixFromArgs(args ...any) ([]byte, error) { return dueIndex{}.FromArgs(args...) }

func (t *tx) getMilestone(youngPersonID, id string) (*domain.Milestone, error) {
	obj, err := t.first(tableMilestones, "id", id)
	if err != nil {
		return nil, err
	}
	if obj == nil || obj.(*domain.Milestone).YoungPersonID != youngPersonID {
		return nil, store.ErrMilestoneNotFound
	}
	return obj.(*domain.Milestone), nil
}

func (t *tx) GetMilestone(_ context.Context, youngPersonID, id string) (domain.Milestone, error) {
	m, err := t.getMilestone(youngPersonID, id)
	if err != nil {
		return domain.Milestone{}, err
	}
	return clone(m), nil
}

func clone(m *domain.Milestone) domain.Milestone {
	c := *m
	c.Evidence = slices.Clone(m.Evidence)
	return c
}

func (t *tx) ListMilestones(_ context.Context, q store.MilestoneQuery) ([]domain.Milestone, error) {
	after := ""
	if q.After.ID != "" {
		after = q.After.DueDate.String() + "|" + q.After.ID
	}
	next, err := t.milestonesFrom(q.YoungPersonID, after)
	if err != nil {
		return nil, err
	}
	var page []domain.Milestone
	for m := next(); m != nil && len(page) < q.Limit; m = next() {
		if after != "" && sortKey(m) <= after {
			continue
		}
		ok, err := t.matches(m, q.Filter, q.Scope)
		if err != nil {
			return nil, err
		}
		if ok {
			page = append(page, clone(m))
		}
	}
	return page, nil
}

// milestonesFrom iterates milestones in (due date, id) order from the cursor: one young
// person's, or everyone's through the due index.
func (t *tx) milestonesFrom(youngPersonID, after string) (func() *domain.Milestone, error) {
	if youngPersonID == "" {
		it, err := t.txn.LowerBound(tableMilestones, "due", after)
		if err != nil {
			return nil, fmt.Errorf("memory: list milestones: %w", err)
		}
		return func() *domain.Milestone {
			if obj := it.Next(); obj != nil {
				return obj.(*domain.Milestone)
			}
			return nil
		}, nil
	}
	objs, err := t.all(tableMilestones, "young_person", youngPersonID)
	if err != nil {
		return nil, err
	}
	ms := make([]*domain.Milestone, len(objs))
	for i, o := range objs {
		ms[i] = o.(*domain.Milestone)
	}
	slices.SortFunc(ms, func(a, b *domain.Milestone) int { return strings.Compare(sortKey(a), sortKey(b)) })
	return func() *domain.Milestone {
		if len(ms) == 0 {
			return nil
		}
		m := ms[0]
		ms = ms[1:]
		return m
	}, nil
}

func sortKey(m *domain.Milestone) string { return m.DueDate.String() + "|" + m.ID }

func (t *tx) matches(m *domain.Milestone, filter query.Expr, scope *store.Scope) (bool, error) {
	var adviser string
	var err error
	if scope != nil {
		yp, err := t.getYoungPerson(m.YoungPersonID)
		if err != nil || !scope.Contains(yp.YoungPerson) {
			return false, err
		}
	}
	value := func(field string) any {
		switch field {
		case "due_date":
			return m.DueDate
		case "lapse_date":
			return m.LapseDate
		case "state":
			return string(m.State)
		case "area":
			return m.Area
		case "owner_agency_type":
			return m.OwnerAgency
		case "owner_organisation":
			return m.OwnerOrganisation
		case "council":
			return m.CouncilID
		case "definition":
			return m.Key
		case "applicable":
			return m.Applicable
		case "personal_adviser":
			if adviser == "" && err == nil {
				var yp *youngPerson
				if yp, err = t.getYoungPerson(m.YoungPersonID); err == nil {
					adviser = yp.PersonalAdviserID
				}
			}
			return adviser
		}
		panic(fmt.Sprintf("memory: milestones cannot be filtered on %q", field))
	}
	ok := query.Eval(filter, value)
	return ok, err
}

func (t *tx) CreateMilestone(_ context.Context, m domain.Milestone) (domain.Milestone, error) {
	yp, err := t.getYoungPerson(m.YoungPersonID)
	if err != nil {
		return domain.Milestone{}, err
	}
	// Only the content comes from the caller; as in PostgreSQL the rest is a new one-off's.
	m = domain.Milestone{ID: m.ID, YoungPersonID: m.YoungPersonID, CouncilID: yp.CouncilID, Title: m.Title,
		Description: m.Description, Area: m.Area, OwnerAgency: m.OwnerAgency, DueDate: m.DueDate,
		LapseDate: m.LapseDate, Applicable: true, State: m.State, Evidence: m.Evidence,
		Recorded: true, Revision: 1, CreateTime: storedTime(m.CreateTime), UpdateTime: storedTime(m.CreateTime)}
	c := clone(&m)
	return m, t.insert(tableMilestones, &c)
}

func (t *tx) UpdateMilestone(_ context.Context, m domain.Milestone, ifRevision int64) (domain.Milestone, error) {
	old, err := t.getMilestone(m.YoungPersonID, m.ID)
	if err != nil {
		return domain.Milestone{}, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return domain.Milestone{}, err
	}
	next := clone(old)
	next.State, next.ScheduledDate, next.OwnerOrganisation, next.OwnerPerson = m.State, m.ScheduledDate, m.OwnerOrganisation, m.OwnerPerson
	next.AchievedDate, next.Evidence, next.StateReason = m.AchievedDate, slices.Clone(m.Evidence), m.StateReason
	next.CareLeaverContact = nil
	if c := m.CareLeaverContact; c != nil {
		cc := *c
		next.CareLeaverContact = &cc
	}
	for i := range next.Evidence {
		next.Evidence[i].RecordTime = storedTime(next.Evidence[i].RecordTime)
	}
	next.Recorded, next.Revision, next.UpdateTime = true, old.Revision+1, storedTime(m.UpdateTime)
	return clone(&next), t.insert(tableMilestones, &next)
}

func (t *tx) AddMilestoneChange(_ context.Context, c domain.MilestoneChange) (domain.MilestoneChange, error) {
	*t.changeSeq++
	c.ID = fmt.Sprintf("%d", *t.changeSeq)
	c.Time = storedTime(c.Time)
	return c, t.insert(tableChanges, &c)
}

func (t *tx) ListMilestoneChanges(_ context.Context, milestoneID, after string, limit int) ([]domain.MilestoneChange, error) {
	objs, err := t.all(tableChanges, "milestone", milestoneID)
	if err != nil {
		return nil, err
	}
	var out []domain.MilestoneChange
	for _, o := range objs {
		out = append(out, *o.(*domain.MilestoneChange))
	}
	slices.SortFunc(out, func(a, b domain.MilestoneChange) int { return compareNumeric(a.ID, b.ID) })
	start := 0
	for start < len(out) && after != "" && compareNumeric(out[start].ID, after) <= 0 {
		start++
	}
	out = out[start:]
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// compareNumeric orders decimal ids by value.
func compareNumeric(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
