package storetest

import (
	"context"
	"errors"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

// testVoice checks views, goals, skill answers, adviser support requests and local offer
// entries: revisions, upserts, paging, filtering by age, and the young person's cascade.
func testVoice(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	createOrganisations(t, s, organisation("council-a", domain.Council))
	gone, kept := youngPerson("voice-gone"), youngPerson("voice-kept")
	create(t, s, gone, kept)
	run := func(fn func(tx store.Tx) error) error { return s.InTx(ctx, fn) }

	// Views: created with allow-missing semantics, replaced, guarded by revision.
	v := domain.View{YoungPersonID: kept.ID, Area: catalogue.Accommodation, Wants: "a flat near college", Feeling: domain.FeelingWorried,
		Author: "pa-1", UpdateTime: at}
	var got domain.View
	if err := run(func(tx store.Tx) (err error) { got, err = tx.PutView(ctx, v, 7); return err }); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("PutView of a missing view with a revision: %v", err)
	}
	if err := run(func(tx store.Tx) (err error) { got, err = tx.PutView(ctx, v, 0); return err }); err != nil || got.Revision != 1 {
		t.Fatalf("PutView: %v %v", got, err)
	}
	v.Feeling = domain.FeelingOK
	if err := run(func(tx store.Tx) (err error) { _, err = tx.PutView(ctx, v, 5); return err }); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("PutView, stale: %v", err)
	}
	if err := run(func(tx store.Tx) (err error) { got, err = tx.PutView(ctx, v, 1); return err }); err != nil || got.Revision != 2 {
		t.Fatalf("PutView, second: %v %v", got, err)
	}
	other := domain.View{YoungPersonID: kept.ID, Area: catalogue.ContactAndSupport, Feeling: domain.FeelingGood, Author: "pa-1", UpdateTime: at}
	missing := other
	missing.YoungPersonID = idOf("nobody")
	if err := run(func(tx store.Tx) error { _, err := tx.PutView(ctx, missing, 0); return err }); !errors.Is(err, store.ErrYoungPersonNotFound) {
		t.Errorf("PutView for no one: %v", err)
	}
	var views []domain.View
	inTx(t, s, func(tx store.Tx) (err error) {
		if _, err = tx.PutView(ctx, other, 0); err != nil {
			return err
		}
		if _, err = tx.PutView(ctx, domain.View{YoungPersonID: gone.ID, Area: catalogue.Health, Author: "pa-1", UpdateTime: at}, 0); err != nil {
			return err
		}
		views, err = tx.ListViews(ctx, kept.ID)
		return err
	})
	want := v
	want.Revision, want.UpdateTime = 2, storedTime(at)
	wantOther := other
	wantOther.Revision, wantOther.UpdateTime = 1, storedTime(at)
	if diff := gocmp.Diff([]domain.View{want, wantOther}, views); diff != "" {
		t.Errorf("ListViews (-want +got):\n%s", diff)
	}

	// Goals: created, paged in id order, updated under a revision, deleted.
	goal := func(key string) domain.Goal {
		return domain.Goal{ID: idOf(key), YoungPersonID: kept.ID, Title: "Goal " + key, Area: catalogue.Employment,
			TargetDate: civil.New(2027, 6, 1), Author: "pa-1", CreateTime: at, UpdateTime: at}
	}
	goals := createEach(t, s, store.Tx.CreateGoal, goal("g1"), goal("g2"), goal("g3"))
	if goals[0].Revision != 1 || goals[0].TargetDate != civil.New(2027, 6, 1) {
		t.Errorf("CreateGoal: %+v", goals[0])
	}
	if err := run(func(tx store.Tx) error { _, err := tx.CreateGoal(ctx, goal("g1")); return err }); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateGoal twice: %v", err)
	}
	var page []domain.Goal
	inTx(t, s, func(tx store.Tx) (err error) { page, err = tx.ListGoals(ctx, kept.ID, goals[0].ID, 1); return err })
	if len(page) != 1 || page[0].ID != goals[1].ID {
		t.Errorf("ListGoals after the first: %v", page)
	}
	changed := goals[1]
	changed.Done, changed.TargetDate, changed.Area = true, civil.Date{}, ""
	if err := run(func(tx store.Tx) error { _, err := tx.UpdateGoal(ctx, changed, 9); return err }); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("UpdateGoal, stale: %v", err)
	}
	var updated domain.Goal
	inTx(t, s, func(tx store.Tx) (err error) { updated, err = tx.UpdateGoal(ctx, changed, 1); return err })
	if !updated.Done || !updated.TargetDate.IsZero() || updated.Area != "" || updated.Revision != 2 {
		t.Errorf("UpdateGoal: %+v", updated)
	}
	if err := run(func(tx store.Tx) error { return tx.DeleteGoal(ctx, kept.ID, goals[2].ID, 0) }); err != nil {
		t.Fatal(err)
	}
	if err := run(func(tx store.Tx) error { _, err := tx.GetGoal(ctx, kept.ID, goals[2].ID); return err }); !errors.Is(err, store.ErrGoalNotFound) {
		t.Errorf("GetGoal after delete: %v", err)
	}
	if err := run(func(tx store.Tx) error { _, err := tx.GetGoal(ctx, gone.ID, goals[0].ID); return err }); !errors.Is(err, store.ErrGoalNotFound) {
		t.Errorf("GetGoal of someone else's goal: %v", err)
	}

	// Skill answers: upserted by young person and key.
	answers := []domain.SkillAnswer{{YoungPersonID: kept.ID, Key: "finances.weekly_budget", CanDo: true, Author: "pa-1", UpdateTime: at},
		{YoungPersonID: kept.ID, Key: "finances.bank_account", CanDo: true, Author: "pa-1", UpdateTime: at}}
	inTx(t, s, func(tx store.Tx) error { return tx.PutSkillAnswers(ctx, answers) })
	answers[0].CanDo = false
	var stored []domain.SkillAnswer
	inTx(t, s, func(tx store.Tx) (err error) {
		if err := tx.PutSkillAnswers(ctx, answers[:1]); err != nil {
			return err
		}
		stored, err = tx.ListSkillAnswers(ctx, kept.ID)
		return err
	})
	if len(stored) != 2 || stored[0].Key != "finances.bank_account" || !stored[0].CanDo || stored[1].CanDo {
		t.Errorf("ListSkillAnswers: %+v", stored)
	}

	// Adviser support requests keep their recipients.
	req := domain.AdviserSupportRequest{ID: idOf("req-1"), YoungPersonID: kept.ID, CouncilID: "council-a", Message: "help with a flat",
		Requester: "pa-1", Recipients: []domain.Recipient{domain.PersonRecipient("pa-1")}, CreateTime: at}
	var reqs []domain.AdviserSupportRequest
	inTx(t, s, func(tx store.Tx) (err error) {
		if _, err := tx.AddAdviserSupportRequest(ctx, req); err != nil {
			return err
		}
		reqs, err = tx.ListAdviserSupportRequests(ctx, kept.ID)
		return err
	})
	wantReq := req
	wantReq.CreateTime = storedTime(at)
	if diff := gocmp.Diff([]domain.AdviserSupportRequest{wantReq}, reqs); diff != "" {
		t.Errorf("ListAdviserSupportRequests (-want +got):\n%s", diff)
	}

	// Local offer: by age, guarded by revision, deleted.
	entry := func(key string, from, to int) domain.LocalOfferEntry {
		return domain.LocalOfferEntry{ID: idOf(key), CouncilID: "council-a", Title: "Entry " + key, Body: "Ask your personal adviser.",
			Area: catalogue.Finance, FromAge: from, ToAge: to, Link: "https://example.org/" + key, CreateTime: at, UpdateTime: at}
	}
	entries := createEach(t, s, store.Tx.CreateLocalOfferEntry, entry("o1", 16, 18), entry("o2", 18, 25), entry("o3", 21, 25))
	noCouncil := entry("o4", 16, 18)
	noCouncil.CouncilID = "nowhere"
	if err := run(func(tx store.Tx) error { _, err := tx.CreateLocalOfferEntry(ctx, noCouncil); return err }); !errors.Is(err, store.ErrOrganisationNotFound) {
		t.Errorf("CreateLocalOfferEntry for no council: %v", err)
	}
	var at18 []domain.LocalOfferEntry
	inTx(t, s, func(tx store.Tx) (err error) {
		at18, err = tx.ListLocalOfferEntries(ctx, store.LocalOfferQuery{CouncilID: "council-a", Age: 18, Limit: 10})
		return err
	})
	if len(at18) != 2 || at18[0].ID != entries[0].ID || at18[1].ID != entries[1].ID || at18[0].Revision != 1 {
		t.Errorf("ListLocalOfferEntries at 18: %+v", at18)
	}
	e := entries[2]
	e.Title = "Renamed"
	if err := run(func(tx store.Tx) error { _, err := tx.UpdateLocalOfferEntry(ctx, e, 4); return err }); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("UpdateLocalOfferEntry, stale: %v", err)
	}
	var renamed domain.LocalOfferEntry
	inTx(t, s, func(tx store.Tx) (err error) { renamed, err = tx.UpdateLocalOfferEntry(ctx, e, 1); return err })
	if renamed.Title != "Renamed" || renamed.Revision != 2 || renamed.CreateTime != storedTime(at) {
		t.Errorf("UpdateLocalOfferEntry: %+v", renamed)
	}
	inTx(t, s, func(tx store.Tx) error { return tx.DeleteLocalOfferEntry(ctx, "council-a", e.ID, 2) })
	if err := run(func(tx store.Tx) error { _, err := tx.GetLocalOfferEntry(ctx, "council-a", e.ID); return err }); !errors.Is(err, store.ErrLocalOfferEntryNotFound) {
		t.Errorf("GetLocalOfferEntry after delete: %v", err)
	}
	if err := run(func(tx store.Tx) error { _, err := tx.GetLocalOfferEntry(ctx, "council-a", "not-a-uuid"); return err }); !errors.Is(err, store.ErrLocalOfferEntryNotFound) {
		t.Errorf("GetLocalOfferEntry of a bad id: %v", err)
	}

	// Deleting a young person deletes their voice, and no one else's.
	inTx(t, s, func(tx store.Tx) error {
		if _, err := tx.CreateGoal(ctx, domain.Goal{ID: idOf("gone-goal"), YoungPersonID: gone.ID, Title: "x", Author: "pa-1", CreateTime: at, UpdateTime: at}); err != nil {
			return err
		}
		return tx.DeleteYoungPerson(ctx, gone.ID, 0)
	})
	inTx(t, s, func(tx store.Tx) error {
		vs, err := tx.ListViews(ctx, gone.ID)
		if err != nil {
			return err
		}
		gs, err := tx.ListGoals(ctx, gone.ID, "", 10)
		if err != nil {
			return err
		}
		ks, err := tx.ListViews(ctx, kept.ID)
		if len(vs) != 0 || len(gs) != 0 || len(ks) != 2 {
			t.Errorf("after deleting a young person: views %v, goals %v, kept views %v", vs, gs, ks)
		}
		return err
	})
}
