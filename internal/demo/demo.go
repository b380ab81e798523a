// Package demo is the small, made-up data set that `carepath serve` loads into the
// in-memory store, so that someone trying carepath sees something at once: young people
// aged 13 to 24 with their care episodes, planned pathways and some recorded milestones.
// Dates are relative to the day the server starts, so the demo stays the same age whenever
// it runs. No name or case reference here belongs to a real person.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
)

// CouncilID is the council the demo young people belong to.
const CouncilID = "nottinghamshire"

// The demo personal advisers (people ids).
const (
	AdviserNorth = "sam-okoro"
	AdviserSouth = "lee-hart"
)

// episode is a care episode from one age to another (a zero end age: still open).
type episode struct {
	from, to          civil.Period
	legal, place, rec string
}

// person is a demo young person aged years and days on the day the demo loads.
type person struct {
	key                    string
	given, family, prefers string
	years, days            int
	uasc, ehcp, disability bool
	camhs                  bool
	adviser                string
	episodes               []episode
}

func yrs(y int) civil.Period   { return civil.Period{Years: y} }
func ym(y, m int) civil.Period { return civil.Period{Years: y, Months: m} }

var people = []person{
	{key: "01", given: "Maya", family: "Thornton", years: 13, days: 40, adviser: AdviserNorth,
		episodes: []episode{{from: ym(11, 2), legal: "C2", place: "U3"}}},
	{key: "02", given: "Jordan", family: "Ellis", prefers: "Jordy", years: 15, days: 120, adviser: AdviserNorth, camhs: true,
		episodes: []episode{{from: ym(12, 5), legal: "C2", place: "U4"}}},
	{key: "03", given: "Kacper", family: "Nowicki", years: 16, days: 30, ehcp: true, adviser: AdviserNorth,
		episodes: []episode{{from: ym(14, 1), legal: "V2", place: "K2"}}},
	{key: "04", given: "Amani", family: "Tesfaye", years: 17, days: 300, uasc: true, adviser: AdviserNorth,
		episodes: []episode{{from: ym(15, 3), legal: "V2", place: "U6"}}},
	{key: "05", given: "Chloe", family: "Barraclough", years: 19, days: 75, disability: true, adviser: AdviserSouth,
		episodes: []episode{{from: yrs(10), to: yrs(18), legal: "C2", place: "U1", rec: "E17"}}},
	{key: "06", given: "Tyrese", family: "Okonjo", prefers: "Ty", years: 21, days: 200, adviser: AdviserSouth,
		episodes: []episode{{from: ym(14, 6), to: ym(16, 2), legal: "C2", place: "U4", rec: "X1"},
			{from: ym(16, 2), to: yrs(18), legal: "C2", place: "H5", rec: "E6"}}},
	{key: "07", given: "Fatima", family: "Rahimi", years: 24, days: 10, adviser: AdviserSouth,
		episodes: []episode{{from: yrs(15), to: yrs(18), legal: "V2", place: "U5", rec: "E5"}}},
}

// ID returns the id of demo person key ("01" to "07"); ids are fixed so the README's
// examples work.
func ID(key string) string { return "d3e10000-0000-4000-8000-0000000000" + key }

// Load adds the demo young people, plans their pathways and records some progress: Jordan
// (aged 15) has achieved, scheduled, overdue and future milestones. It returns how many
// young people it added.
func Load(ctx context.Context, s store.Store, p *planner.Planner, today civil.Date) (int, error) {
	now := today.StartIn(civil.London).Add(9 * time.Hour)
	err := s.InTx(ctx, func(tx store.Tx) error {
		var ids []string
		for _, pp := range people {
			if err := add(ctx, tx, pp, today, now); err != nil {
				return fmt.Errorf("demo person %s: %w", pp.key, err)
			}
			ids = append(ids, ID(pp.key))
		}
		if err := p.Replan(ctx, tx, ids...); err != nil {
			return err
		}
		return recordProgress(ctx, tx, p, today, now)
	})
	return len(people), err
}

func add(ctx context.Context, tx store.Tx, pp person, today civil.Date, now time.Time) error {
	yp := domain.YoungPerson{
		ID: ID(pp.key), GivenName: pp.given, FamilyName: pp.family, PreferredName: pp.prefers,
		DateOfBirth:                     yearsAgo(today, pp.years).AddDays(-pp.days),
		CouncilID:                       CouncilID,
		CaseReference:                   "NCC-2" + pp.key + "77",
		UnaccompaniedAsylumSeekingChild: pp.uasc, EHCPlan: pp.ehcp, Disability: pp.disability,
		OpenToCAMHS: pp.camhs, PersonalAdviserID: pp.adviser, CreateTime: now, UpdateTime: now,
	}
	if err := yp.Validate(today); err != nil {
		return err
	}
	if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
		return err
	}
	for i, e := range pp.episodes {
		ep := domain.CareEpisode{
			ID: fmt.Sprintf("d3e1e000-0000-4000-8000-0000000%03d%02d", i, atoi(pp.key)), YoungPersonID: yp.ID,
			Start:       civil.Attains(yp.DateOfBirth, e.from, civil.MarchFirst),
			LegalStatus: e.legal, PlacementType: e.place, ReasonEnded: e.rec, CreateTime: now, UpdateTime: now,
		}
		if !e.to.IsZero() {
			ep.End = civil.Attains(yp.DateOfBirth, e.to, civil.MarchFirst)
		}
		if err := ep.Validate(yp.DateOfBirth, today); err != nil {
			return err
		}
		if _, err := tx.CreateCareEpisode(ctx, ep); err != nil {
			return err
		}
	}
	return nil
}

// recordProgress records what personal advisers have done so far, through the same
// transitions the API uses.
func recordProgress(ctx context.Context, tx store.Tx, p *planner.Planner, today civil.Date, now time.Time) error {
	type step struct {
		person, key string
		occurrence  int
		do          func(m domain.Milestone) (domain.Milestone, error)
	}
	achieve := func(what string) func(m domain.Milestone) (domain.Milestone, error) {
		return func(m domain.Milestone) (domain.Milestone, error) {
			on := m.DueDate
			if on.After(today) {
				on = today
			}
			return m.Complete(on, today, []domain.Evidence{{Description: what, RecordedBy: AdviserNorth, RecordTime: now}})
		}
	}
	schedule := func(m domain.Milestone) (domain.Milestone, error) {
		return m.Schedule(today.AddDays(21), CouncilID, AdviserNorth)
	}
	steps := []step{
		{"02", "age13.work_experience.offer", 1, achieve("Work taster week at a garden centre arranged by the virtual school")},
		{"02", "health.review_assessment", 1, achieve("Review health assessment letter on file")},
		{"02", "y9.careers.guidance", 1, achieve("Careers adviser notes from school")},
		{"02", "health.review_assessment", 2, achieve("Review health assessment letter on file")},
		{"02", "age14.voice.participation", 1, achieve("Joined the Children in Care Council")},
		{"02", "age15_9.nino.apply", 1, schedule},
		{"02", "age13.work_experience.offer", 3, schedule},
		{"04", "age16.needs_assessment", 1, achieve("Needs assessment on the case record")},
		{"04", "age16.pathway_plan", 1, achieve("Pathway plan signed by the young person")},
		{"04", "age16.pa.introduce", 1, achieve("First meeting with personal adviser")},
		{"04", "uasc.legal_representation", 1, achieve("Solicitor engaged for the leave extension")},
		{"04", "age17_9.accommodation.confirmed", 1, schedule},
	}
	for _, st := range steps {
		ms, err := tx.ListMilestones(ctx, store.MilestoneQuery{YoungPersonID: ID(st.person), Limit: 1000})
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Key != st.key || m.Occurrence != st.occurrence {
				continue
			}
			next, err := st.do(m)
			if err != nil {
				return fmt.Errorf("demo step %s %s: %w", st.person, st.key, err)
			}
			next.UpdateTime = now
			saved, err := tx.UpdateMilestone(ctx, next, m.Revision)
			if err != nil {
				return err
			}
			if _, err := tx.AddMilestoneChange(ctx, domain.MilestoneChange{MilestoneID: saved.ID, YoungPersonID: saved.YoungPersonID,
				Action: "demo data", FromState: m.State, ToState: saved.State, Actor: AdviserNorth, Time: now,
				ScheduledDate: saved.ScheduledDate, AchievedDate: saved.AchievedDate,
				OwnerOrganisation: saved.OwnerOrganisation, OwnerPerson: saved.OwnerPerson}); err != nil {
				return err
			}
		}
	}
	// Milestones timed from those just achieved.
	return p.Replan(ctx, tx, ID("02"), ID("04"))
}

// yearsAgo is the same day n years before d (28 February for a 29 February).
func yearsAgo(d civil.Date, n int) civil.Date {
	y := civil.New(d.Year-n, d.Month, d.Day)
	if !y.Valid() {
		y.Day = civil.DaysIn(y.Year, y.Month)
	}
	return y
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
