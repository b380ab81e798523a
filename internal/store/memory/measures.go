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

// CountMeasures works out each of the council's young people's standings from what is
// stored now and counts them on every date: the same standings PostgreSQL keeps (see
// measure.Standing), worked out on demand, as memory is small.
func (t *tx) CountMeasures(_ context.Context, q store.MeasureQuery) ([]store.MeasureCount, error) {
	it, err := t.txn.Get(tableYoungPeople, "id")
	if err != nil {
		return nil, err
	}
	var tally measure.Tally
	for obj := it.Next(); obj != nil; obj = it.Next() {
		yp := obj.(*youngPerson).YoungPerson
		if yp.CouncilID != q.CouncilID {
			continue
		}
		team, err := t.adviserTeam(yp.PersonalAdviserID)
		if err != nil {
			return nil, err
		}
		r, err := t.measureRecord(yp, q.Rule)
		if err != nil {
			return nil, err
		}
		tally.Add(team, measure.Standings(q.Measures, r), q.Dates)
	}
	return store.MeasureCounts(tally), nil
}

// measureRecord gathers what a young person's standings are worked out from.
func (t *tx) measureRecord(yp domain.YoungPerson, rule civil.LeaplingRule) (measure.Record, error) {
	r := measure.Record{DateOfBirth: yp.DateOfBirth, Rule: rule}
	ms, err := t.all(tableMilestones, "young_person", yp.ID)
	if err != nil {
		return r, err
	}
	for _, o := range ms {
		r.Milestones = append(r.Milestones, *o.(*domain.Milestone))
	}
	facts, err := t.all(tableFacts, "young_person", yp.ID)
	if err != nil {
		return r, err
	}
	for _, o := range facts {
		r.Facts = append(r.Facts, *o.(*domain.Fact))
	}
	summary, err := t.first(tableReadiness, "id", yp.ID)
	if summary != nil {
		r.RatingAtReview = summary.(*domain.ReadinessSummary).RatingAtReview
	}
	return r, err
}

// SaveMeasureStandings keeps nothing: CountMeasures works standings out when it counts.
func (t *tx) SaveMeasureStandings(context.Context, []store.MeasureStandings) error { return nil }

// StaleMeasureStandings finds none: nothing kept goes stale.
func (t *tx) StaleMeasureStandings(context.Context, string, string, int) ([]string, error) {
	return nil, nil
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
