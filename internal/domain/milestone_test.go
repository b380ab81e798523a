package domain

import (
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
)

func TestMilestoneLifecycle(t *testing.T) {
	today := civil.New(2026, 11, 22)
	m := Milestone{State: Planned, Applicable: true, DueDate: civil.New(2026, 11, 1), LapseDate: civil.New(2027, 5, 1)}
	if !m.Overdue(today) || m.Lapsed(today) {
		t.Fatal("a planned milestone due before today and lapsing after it is overdue")
	}
	if (Milestone{State: Planned, Applicable: true, DueDate: m.DueDate, LapseDate: today}).Overdue(today) {
		t.Fatal("a milestone lapsing today is no longer overdue")
	}
	if (Milestone{State: Planned, Applicable: false, DueDate: m.DueDate, LapseDate: m.LapseDate}).Overdue(today) {
		t.Fatal("a milestone that no longer applies is never overdue")
	}
	ev := []Evidence{{Description: "seen"}}

	s, err := m.Schedule(civil.New(2026, 12, 1), "nottinghamshire", "")
	if err != nil || s.State != Scheduled || s.OwnerOrganisation != "nottinghamshire" {
		t.Fatalf("Schedule = %+v, %v", s, err)
	}
	started, err := s.Start()
	if err != nil || started.State != InProgress {
		t.Fatalf("Start = %+v, %v", started, err)
	}
	if re, err := started.Schedule(civil.New(2026, 12, 5), "", "sam"); err != nil || re.State != InProgress {
		t.Fatalf("rescheduling in progress must keep the state: %+v, %v", re, err)
	}
	done, err := started.Complete(today, today, ev)
	if err != nil || done.State != Achieved || done.AchievedDate != today || len(done.Evidence) != 1 || done.Overdue(today) {
		t.Fatalf("Complete = %+v, %v", done, err)
	}
	reopened, err := done.Reopen("evidence was for another young person")
	if err != nil || reopened.State != Scheduled || !reopened.AchievedDate.IsZero() || len(reopened.Evidence) != 1 {
		t.Fatalf("Reopen of a scheduled milestone = %+v, %v; want SCHEDULED with evidence kept", reopened, err)
	}
	waived, err := m.Close(Waived, "declined")
	if err != nil || waived.State != Waived || waived.StateReason != "declined" {
		t.Fatalf("Close = %+v, %v", waived, err)
	}
	if r, _ := waived.Reopen("changed mind"); r.State != Planned {
		t.Fatalf("reopening an unscheduled milestone gives %s, want PLANNED", r.State)
	}

	// Refused transitions say what state the milestone is in and change nothing.
	for name, try := range map[string]func() (Milestone, error){
		"complete achieved": func() (Milestone, error) { return done.Complete(today, today, ev) },
		"start achieved":    func() (Milestone, error) { return done.Start() },
		"schedule waived":   func() (Milestone, error) { return waived.Schedule(today, "x", "") },
		"waive achieved":    func() (Milestone, error) { return done.Close(Waived, "x") },
		"reopen planned":    func() (Milestone, error) { return m.Reopen("x") },
		"start in progress": func() (Milestone, error) { return started.Start() },
	} {
		if _, err := try(); errs.ReasonOf(err) != errs.ReasonInvalidTransition || errs.KindOf(err) != errs.FailedPrecondition {
			t.Errorf("%s: error = %v, want INVALID_TRANSITION", name, err)
		}
	}
	// Bad input is a field violation.
	for name, try := range map[string]func() (Milestone, error){
		"complete in the future":    func() (Milestone, error) { return m.Complete(today.AddDays(1), today, ev) },
		"complete without evidence": func() (Milestone, error) { return m.Complete(today, today, nil) },
		"schedule without owner":    func() (Milestone, error) { return m.Schedule(today, "", "") },
		"schedule on 30 February":   func() (Milestone, error) { return m.Schedule(civil.New(2027, 2, 30), "x", "") },
	} {
		if _, err := try(); errs.ReasonOf(err) != errs.ReasonRequestInvalid {
			t.Errorf("%s: error = %v, want REQUEST_INVALID", name, err)
		}
	}
}

func TestCareEpisodes(t *testing.T) {
	dob, today := civil.New(2010, 3, 1), civil.New(2026, 11, 22)
	ok := CareEpisode{Start: civil.New(2022, 1, 10), End: civil.New(2024, 6, 1), LegalStatus: "C2", PlacementType: "U1", ReasonEnded: "E4A"}
	if err := ok.Validate(dob, today); err != nil {
		t.Fatalf("valid episode refused: %v", err)
	}
	open := CareEpisode{Start: civil.New(2025, 1, 1), LegalStatus: "V2", PlacementType: "K2"}
	if err := open.Validate(dob, today); err != nil {
		t.Fatalf("valid open episode refused: %v", err)
	}
	for name, tc := range map[string]struct {
		mutate func(e *CareEpisode)
		field  string
	}{
		"before birth":         {func(e *CareEpisode) { e.Start = civil.New(2009, 1, 1) }, "start_date"},
		"ends before start":    {func(e *CareEpisode) { e.End = e.Start }, "end_date"},
		"ends in future":       {func(e *CareEpisode) { e.End = today.AddDays(1) }, "end_date"},
		"ended without reason": {func(e *CareEpisode) { e.ReasonEnded = "" }, "reason_ended"},
		"unknown legal status": {func(e *CareEpisode) { e.LegalStatus = "Q9" }, "legal_status"},
		"unknown placement":    {func(e *CareEpisode) { e.PlacementType = "U9" }, "placement_type"},
		"unknown reason":       {func(e *CareEpisode) { e.ReasonEnded = "E99" }, "reason_ended"},
	} {
		e := ok
		tc.mutate(&e)
		var x *errs.Error
		err := e.Validate(dob, today)
		if x, _ = err.(*errs.Error); x == nil || x.Violations[0].Field != tc.field {
			t.Errorf("%s: Validate = %v, want a violation on %s", name, err, tc.field)
		}
	}
	// Overlap: the end date is the day care ceased, so an episode may start on it.
	next := CareEpisode{Start: ok.End}
	if ok.Overlaps(next) || next.Overlaps(ok) {
		t.Error("an episode starting the day the previous one ended does not overlap it")
	}
	if !ok.Overlaps(CareEpisode{Start: ok.End.AddDays(-1)}) || !open.Overlaps(CareEpisode{Start: civil.New(2026, 1, 1), End: civil.New(2026, 2, 1)}) {
		t.Error("overlapping episodes not detected")
	}
}

func TestWithCareLeaverContact(t *testing.T) {
	oc3 := Milestone{Key: ssda903.OC3Milestone}
	home := &ssda903.CareLeaverContact{InTouch: "RHOM", Activity: "0", Accommodation: "0"}
	if _, err := oc3.WithCareLeaverContact(home, 19, false); err == nil {
		t.Error("RHOM accepted for a care leaver whose episodes show no six months at home")
	}
	got, err := oc3.WithCareLeaverContact(home, 19, true)
	if err != nil || got.CareLeaverContact == nil || *got.CareLeaverContact != *home {
		t.Errorf("RHOM after six months at home: %v, %v", got.CareLeaverContact, err)
	}
	if _, err := oc3.WithCareLeaverContact(nil, 19, false); err == nil {
		t.Error("the birthday milestone was completed without its OC3 record")
	}
	other := Milestone{Key: "age18.bank_account"}
	if _, err := other.WithCareLeaverContact(home, 19, true); err == nil {
		t.Error("another milestone took an OC3 record")
	}
	if got, err := other.WithCareLeaverContact(nil, 19, false); err != nil || got.CareLeaverContact != nil {
		t.Errorf("another milestone without a record: %v, %v", got.CareLeaverContact, err)
	}
	// From 22 to 25 the contact about the offer to 25 may carry the OC3 record, checked by
	// the same rules; without one it is completed as before.
	offer := Milestone{Key: ssda903.OfferTo25Milestone}
	inTouch := &ssda903.CareLeaverContact{InTouch: "YES", Activity: "F5", Accommodation: "U1"}
	if got, err := offer.WithCareLeaverContact(inTouch, 23, false); err != nil || *got.CareLeaverContact != *inTouch {
		t.Errorf("the contact about the offer to 25 at 23: %v, %v", got.CareLeaverContact, err)
	}
	if _, err := offer.WithCareLeaverContact(&ssda903.CareLeaverContact{InTouch: "YES", Activity: "0", Accommodation: "U1"}, 23, false); err == nil {
		t.Error("the contact about the offer to 25 took YES with activity 0 (DfE rule 345)")
	}
	if _, err := offer.WithCareLeaverContact(home, 23, false); err == nil {
		t.Error("RHOM accepted at 23 with no six months at home")
	}
	if got, err := offer.WithCareLeaverContact(nil, 22, false); err != nil || got.CareLeaverContact != nil {
		t.Errorf("the contact about the offer to 25 without a record: %v, %v", got.CareLeaverContact, err)
	}
}
