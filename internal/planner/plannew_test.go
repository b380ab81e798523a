package planner_test

import (
	"cmp"
	"context"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
)

// The first planning of a pathway skips reading back what it cannot have yet: PlanNew, of a
// young person just created, loads nothing; and the fresh milestones SavePathways stored go
// on to readiness and reminders unread. Each must leave what a full Replan would: replanning
// straight after, at the same moment, changes no milestone, readiness summary or reminder.
func TestFirstPlanningLeavesWhatReplanWould(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC) // after the 09:00 send time
	for _, tc := range []struct {
		name string
		// inCare adds a care episode and plans with Replan; else PlanNew plans the creation.
		inCare bool
	}{{"created", false}, {"first plan", true}} {
		for name, open := range stores(t) {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				ctx := context.Background()
				s := open(t)
				p := planner.New(catalogue.Default(), func() time.Time { return now })
				// Nearly 18 with an adviser: milestones overdue and due soon, so reminders to raise.
				yp := domain.YoungPerson{ID: ypID, GivenName: "New", FamilyName: "Person", DateOfBirth: civil.New(2008, 7, 1),
					CouncilID: demo.CouncilID, CaseReference: "N-1", PersonalAdviserID: demo.AdviserNorth,
					CreateTime: now, UpdateTime: now}
				err := s.InTx(ctx, func(tx store.Tx) error {
					if err := demo.LoadAccess(ctx, tx, civil.Today(now), now); err != nil {
						return err
					}
					created, err := tx.CreateYoungPerson(ctx, yp)
					if err != nil || !tc.inCare {
						return cmp.Or(err, p.PlanNew(ctx, tx, created))
					}
					if _, err := tx.CreateCareEpisode(ctx, domain.CareEpisode{ID: "0b5e0000-0000-4000-8000-0000000e0001",
						YoungPersonID: ypID, Start: civil.New(2021, 3, 1), LegalStatus: "C2", PlacementType: "U3",
						CreateTime: now, UpdateTime: now}); err != nil {
						return err
					}
					return p.Replan(ctx, tx, ypID)
				})
				if err != nil {
					t.Fatal(err)
				}
				err = s.InTx(ctx, func(tx store.Tx) error {
					stale, err := tx.StalePathways(ctx, catalogue.Default().Version, 10)
					if err == nil && len(stale) > 0 {
						t.Errorf("after first planning, the pathways of %v are still to plan", stale)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				before := planned(t, s, now)
				if len(before.readiness) != 1 || len(before.scheduled) != 1 || tc.inCare && (len(before.milestones) == 0 || len(before.reminders) == 0) {
					t.Fatalf("planning left %d milestones, %d reminders, %d readiness summaries and %d reminder schedules",
						len(before.milestones), len(before.reminders), len(before.readiness), len(before.scheduled))
				}
				if err := s.InTx(ctx, func(tx store.Tx) error { return p.Replan(ctx, tx, ypID) }); err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(before, planned(t, s, now), gocmp.AllowUnexported(outcome{})); diff != "" {
					t.Fatalf("replanning changed (-after first planning +after Replan):\n%s", diff)
				}
			})
		}
	}
}

// outcome is what planning leaves of the young person ypID.
type outcome struct {
	milestones []domain.Milestone
	reminders  []domain.Reminder
	readiness  []store.ReadinessEntry
	// scheduled is who has a reminder schedule: without one, no reminder is ever worked out.
	scheduled []string
}

func planned(t *testing.T, s store.Store, now time.Time) (out outcome) {
	t.Helper()
	ctx := context.Background()
	err := s.InTx(ctx, func(tx store.Tx) error {
		states, err := tx.LoadPathways(ctx, []string{ypID})
		if err != nil || len(states) != 1 {
			t.Fatalf("LoadPathways = %d states, %v", len(states), err)
		}
		out.milestones = states[0].Milestones
		if out.reminders, err = tx.ListReminders(ctx, store.ReminderQuery{YoungPersonID: ypID, Oldest: true, Limit: 200}); err != nil {
			return err
		}
		out.readiness, err = tx.ListReadiness(ctx, store.ReadinessQuery{Scope: &store.Scope{CouncilID: demo.CouncilID,
			WholeCouncil: true}, Order: store.ByEighteenthBirthday, Limit: 10})
		if err != nil {
			return err
		}
		out.scheduled, err = tx.DueReminderSchedules(ctx, now.AddDate(30, 0, 0), 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
