package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

func planAction(key, plan, lead string) domain.PlanAction {
	return domain.PlanAction{ID: idOf(key), CouncilID: "council-a", PlanID: plan, Title: "Action " + key,
		Ambitions: []string{"A6"}, LeadOrganisationID: lead, LeadPersonID: "lead-" + key,
		Start: civil.New(2026, 4, 1), Due: civil.New(2027, 3, 31), Status: domain.ActionInProgress, Rating: domain.Amber,
		RatingReason: "behind on recruitment", Measure: "apprenticeship.offered", Baseline: 0.1, Target: 0.4,
		CreateTime: at, UpdateTime: at}
}

func testDeliveryPlans(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	createOrganisations(t, s, organisation("council-a", domain.Council), organisation("housing", domain.Housing))
	plan := domain.DeliveryPlan{CouncilID: "council-a", ID: "2026-27", Title: "Delivery plan 2026-27", Year: 2026, CreateTime: at, UpdateTime: at}
	want := plan
	want.Revision, want.CreateTime, want.UpdateTime = 1, storedTime(at), storedTime(at)

	run := func(fn func(tx store.Tx) error) error { return s.InTx(ctx, fn) }
	var got domain.DeliveryPlan
	if err := run(func(tx store.Tx) (err error) { got, err = tx.CreateDeliveryPlan(ctx, plan); return err }); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("CreateDeliveryPlan (-want +got):\n%s", diff)
	}
	if err := run(func(tx store.Tx) error { _, err := tx.CreateDeliveryPlan(ctx, plan); return err }); !errors.Is(err, store.ErrExists) {
		t.Errorf("a second plan with the id: %v", err)
	}
	other := plan
	other.CouncilID = "no-such-council"
	if err := run(func(tx store.Tx) error { _, err := tx.CreateDeliveryPlan(ctx, other); return err }); !errors.Is(err, store.ErrOrganisationNotFound) {
		t.Errorf("a plan of no council: %v", err)
	}
	later := plan
	later.ID, later.Year = "2027-28", 2027
	renamed := plan
	renamed.Title, renamed.UpdateTime = "Renamed", at.Add(time.Hour)
	if err := run(func(tx store.Tx) error {
		if _, err := tx.CreateDeliveryPlan(ctx, later); err != nil {
			return err
		}
		if _, err := tx.UpdateDeliveryPlan(ctx, renamed, 7); !errors.Is(err, store.ErrRevisionMismatch) {
			t.Errorf("a stale plan update: %v", err)
		}
		got, err := tx.UpdateDeliveryPlan(ctx, renamed, 1)
		if err != nil || got.Title != "Renamed" || got.Revision != 2 || !got.UpdateTime.Equal(storedTime(at.Add(time.Hour))) || !got.CreateTime.Equal(storedTime(at)) {
			t.Errorf("UpdateDeliveryPlan: %+v %v", got, err)
		}
		plans, err := tx.ListDeliveryPlans(ctx, "council-a", "", 10)
		if err != nil || len(plans) != 2 || plans[0].ID != "2026-27" || plans[1].ID != "2027-28" {
			t.Errorf("ListDeliveryPlans: %+v %v", plans, err)
		}
		if plans, _ := tx.ListDeliveryPlans(ctx, "council-a", "2026-27", 10); len(plans) != 1 {
			t.Errorf("ListDeliveryPlans after the first: %+v", plans)
		}
		_, err = tx.GetDeliveryPlan(ctx, "council-a", "nope")
		if !errors.Is(err, store.ErrDeliveryPlanNotFound) {
			t.Errorf("GetDeliveryPlan of none: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Actions: every field round-trips, progress included; updates are guarded.
	a := planAction("act-1", "2026-27", "housing")
	a.Progress = []domain.ProgressUpdate{{Date: civil.New(2026, 6, 30), Note: "first quarter", Rating: domain.Amber, Author: "lead-act-1", RecordTime: at}}
	b := planAction("act-2", "2026-27", "council-a")
	c := planAction("act-3", "2027-28", "council-a")
	c.Ambitions, c.Start, c.Measure = nil, civil.Date{}, ""
	if err := run(func(tx store.Tx) error {
		for _, x := range []domain.PlanAction{a, b, c} {
			got, err := tx.CreatePlanAction(ctx, x)
			if err != nil {
				return err
			}
			wantA := x
			wantA.Revision, wantA.CreateTime, wantA.UpdateTime = 1, storedTime(at), storedTime(at)
			for i := range wantA.Progress {
				wantA.Progress[i].RecordTime = storedTime(at)
			}
			if diff := gocmp.Diff(wantA, got, equateEmpty); diff != "" {
				t.Errorf("CreatePlanAction (-want +got):\n%s", diff)
			}
			read, err := tx.GetPlanAction(ctx, "council-a", x.PlanID, x.ID)
			if diff := gocmp.Diff(wantA, read, equateEmpty); diff != "" || err != nil {
				t.Errorf("GetPlanAction %v (-want +got):\n%s", err, diff)
			}
		}
		if _, err := tx.GetPlanAction(ctx, "council-a", "2027-28", a.ID); !errors.Is(err, store.ErrPlanActionNotFound) {
			t.Errorf("an action under another plan: %v", err)
		}
		orphan := planAction("act-4", "no-plan", "housing")
		if _, err := tx.CreatePlanAction(ctx, orphan); !errors.Is(err, store.ErrDeliveryPlanNotFound) {
			t.Errorf("an action of no plan: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := run(func(tx store.Tx) error {
		all, err := tx.ListPlanActions(ctx, store.PlanActionQuery{CouncilID: "council-a", Limit: 10})
		if err != nil || len(all) != 3 {
			t.Errorf("ListPlanActions: %d %v", len(all), err)
		}
		one, _ := tx.ListPlanActions(ctx, store.PlanActionQuery{CouncilID: "council-a", PlanID: "2026-27", Limit: 10})
		if len(one) != 2 {
			t.Errorf("ListPlanActions of one plan: %d", len(one))
		}
		page, _ := tx.ListPlanActions(ctx, store.PlanActionQuery{CouncilID: "council-a", AfterID: all[0].ID, Limit: 1})
		if len(page) != 1 || page[0].ID != all[1].ID {
			t.Errorf("a page after the first: %v", page)
		}
		changed := a
		changed.Rating, changed.RatingReason, changed.UpdateTime = domain.Green, "on track", at.Add(time.Hour)
		if _, err := tx.UpdatePlanAction(ctx, changed, 5); !errors.Is(err, store.ErrRevisionMismatch) {
			t.Errorf("a stale action update: %v", err)
		}
		got, err := tx.UpdatePlanAction(ctx, changed, 1)
		if err != nil || got.Rating != domain.Green || got.Revision != 2 || !got.CreateTime.Equal(storedTime(at)) || len(got.Progress) != 1 {
			t.Errorf("UpdatePlanAction: %+v %v", got, err)
		}
		for i, reason := range []string{"created", "rated green"} {
			if _, err := tx.AddActionChange(ctx, domain.ActionChange{ID: idOf("change-" + reason), CouncilID: "council-a", PlanID: "2026-27",
				ActionID: a.ID, Actor: "lead-act-1", OrganisationID: "housing", Time: at.Add(time.Duration(i) * time.Minute), Kind: "UPDATE",
				Fields: []string{"rating"}, Reason: reason, After: got}); err != nil {
				return err
			}
		}
		changes, err := tx.ListActionChanges(ctx, a.ID, "", 10)
		if err != nil || len(changes) != 2 {
			t.Fatalf("ListActionChanges: %v %v", changes, err)
		}
		byReason := map[string]domain.ActionChange{changes[0].Reason: changes[0], changes[1].Reason: changes[1]}
		ch := byReason["rated green"]
		if ch.Actor != "lead-act-1" || ch.OrganisationID != "housing" || !ch.Time.Equal(storedTime(at.Add(time.Minute))) ||
			ch.After.Rating != domain.Green || ch.After.Revision != 2 || len(ch.After.Progress) != 1 {
			t.Errorf("a change read back: %+v", ch)
		}
		if rest, _ := tx.ListActionChanges(ctx, a.ID, changes[0].ID, 10); len(rest) != 1 || rest[0].ID != changes[1].ID {
			t.Errorf("changes after the first: %v", rest)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
