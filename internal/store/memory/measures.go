package memory

import (
	"cmp"
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
		summary, err := t.first(tableReadiness, "id", yp.ID)
		if err != nil {
			return nil, err
		}
		var review domain.Rating
		if summary != nil {
			review = summary.(*domain.ReadinessSummary).RatingAtReview
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
				if counted(m, yp, ms, facts, review, d, q.Rule) {
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

func counted(m measure.Measure, yp domain.YoungPerson, ms, facts []any, review domain.Rating, d civil.Date, rule civil.LeaplingRule) bool {
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
		return slices.ContainsFunc(ms, func(o any) bool { return overdueOn(o.(*domain.Milestone), d) })
	case measure.GreenAtReview:
		return review == domain.Green
	}
	return false
}

func (t *tx) CountAgencies(_ context.Context, councilID string, asOf civil.Date) ([]store.AgencyCount, error) {
	it, err := t.txn.Get(tableYoungPeople, "id")
	if err != nil {
		return nil, err
	}
	byOrg := map[string]*store.AgencyCount{}
	get := func(org string) *store.AgencyCount {
		if byOrg[org] == nil {
			byOrg[org] = &store.AgencyCount{OrganisationID: org}
		}
		return byOrg[org]
	}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		yp := obj.(*youngPerson).YoungPerson
		if yp.CouncilID != councilID {
			continue
		}
		ms, err := t.all(tableMilestones, "young_person", yp.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range ms {
			m := o.(*domain.Milestone)
			if !m.Applicable || m.DueDate.After(asOf) {
				continue
			}
			c := get(cmp.Or(m.OwnerOrganisation, councilID))
			c.Due++
			if m.State == domain.Achieved && !m.AchievedDate.After(asOf) {
				c.Done++
			}
			if overdueOn(m, asOf) {
				days := m.DueDate.DaysUntil(asOf)
				c.Overdue, c.DaysOverdue, c.MaxDaysOverdue = c.Overdue+1, c.DaysOverdue+days, max(c.MaxDaysOverdue, days)
			}
		}
		facts, err := t.all(tableFacts, "young_person", yp.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range facts {
			if f := o.(*domain.Fact); !f.EffectiveDate.After(asOf) {
				get(f.OrganisationID).Facts++
			}
		}
	}
	out := make([]store.AgencyCount, 0, len(byOrg))
	for _, c := range byOrg {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b store.AgencyCount) int { return cmp.Compare(a.OrganisationID, b.OrganisationID) })
	return out, nil
}

// overdueOn is whether a milestone was overdue on a day, as far as what is kept tells: due
// before it, not lapsed, and open then (open now, or achieved later).
func overdueOn(x *domain.Milestone, d civil.Date) bool {
	openThen := x.State.Open() || x.State == domain.Achieved && x.AchievedDate.After(d)
	return x.Applicable && openThen && x.DueDate.Before(d) && d.Before(x.LapseDate)
}
