package memory

import (
	"context"
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/store"
)

type measureGroup struct {
	key  string
	asOf civil.Date
	team string
}

// CountMeasures walks the council's young people once, answering every measure on every
// date for each; it states the rules PostgreSQL's statement applies.
func (t *tx) CountMeasures(_ context.Context, q store.MeasureQuery) ([]store.MeasureCount, error) {
	it, err := t.txn.Get(tableYoungPeople, "id")
	if err != nil {
		return nil, err
	}
	counts := map[measureGroup]*store.MeasureCount{}
	var order []measureGroup
	for obj := it.Next(); obj != nil; obj = it.Next() {
		yp := obj.(*youngPerson).YoungPerson
		if yp.CouncilID != q.CouncilID {
			continue
		}
		team, err := t.adviserTeam(yp.PersonalAdviserID)
		if err != nil {
			return nil, err
		}
		ms, err := t.all(tableMilestones, "young_person", yp.ID)
		if err != nil {
			return nil, err
		}
		facts, err := t.all(tableFacts, "young_person", yp.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range q.Measures {
			for _, d := range q.Dates {
				if !inCohort(m, yp, ms, d, q.Rule) {
					continue
				}
				g := measureGroup{m.Key, d, team}
				c := counts[g]
				if c == nil {
					c = &store.MeasureCount{Measure: m.Key, AsOf: d, Team: team}
					counts[g], order = c, append(order, g)
				}
				c.Cohort++
				if counted(m, yp, ms, facts, d, q.Rule) {
					c.Count++
				}
			}
		}
	}
	out := make([]store.MeasureCount, len(order))
	for i, g := range order {
		out[i] = *counts[g]
	}
	return out, nil
}

func (t *tx) adviserTeam(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	p, err := t.first(tablePeople, "id", id)
	if err != nil || p == nil {
		return "", err
	}
	return p.(*domain.Person).Team, nil
}

func inCohort(m measure.Measure, yp domain.YoungPerson, ms []any, d civil.Date, rule civil.LeaplingRule) bool {
	if d.Before(civil.Attains(yp.DateOfBirth, m.Cohort.MinAge, rule)) || !d.Before(civil.Attains(yp.DateOfBirth, m.Cohort.MaxAge, rule)) {
		return false
	}
	if m.Cohort.Milestone == "" {
		return true
	}
	return slices.ContainsFunc(ms, func(o any) bool {
		x := o.(*domain.Milestone)
		return x.Key == m.Cohort.Milestone && x.Applicable && !x.DueDate.After(d)
	})
}

func counted(m measure.Measure, yp domain.YoungPerson, ms, facts []any, d civil.Date, rule civil.LeaplingRule) bool {
	switch m.Count.Kind {
	case measure.Achieved:
		return slices.ContainsFunc(ms, func(o any) bool {
			x := o.(*domain.Milestone)
			switch {
			case !slices.Contains(m.Count.Milestones, x.Key), x.State != domain.Achieved, x.AchievedDate.IsZero(), x.AchievedDate.After(d):
				return false
			case !m.Count.ByAge.IsZero() && !x.AchievedDate.Before(civil.Attains(yp.DateOfBirth, m.Count.ByAge, rule)):
				return false
			}
			return m.Count.Within.IsZero() || x.AchievedDate.After(d.Sub(m.Count.Within, rule))
		})
	case measure.FactTrue:
		var latest *domain.Fact
		for _, o := range facts {
			f := o.(*domain.Fact)
			if f.Key != m.Count.Fact || f.EffectiveDate.After(d) {
				continue
			}
			if latest == nil || f.RecordTime.After(latest.RecordTime) || f.RecordTime.Equal(latest.RecordTime) && f.ID > latest.ID {
				latest = f
			}
		}
		return latest != nil && latest.Value
	case measure.Overdue:
		return slices.ContainsFunc(ms, func(o any) bool {
			x := o.(*domain.Milestone)
			openThen := x.State.Open() || x.State == domain.Achieved && x.AchievedDate.After(d)
			return x.Applicable && openThen && x.DueDate.Before(d) && d.Before(x.LapseDate)
		})
	}
	return false
}
