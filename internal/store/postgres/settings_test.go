package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
)

// Each store caches councils' decoded settings by revision. A replica that cached them sees
// another replica's change on its next read, and a caller that changes what it was given
// changes nothing in the cache.
func TestSettingsCacheFollowsTheRevision(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := open2(t, url), open2(t, url)
	ctx := context.Background()
	put := func(rule civil.LeaplingRule, ambition string) {
		t.Helper()
		err := a.InTx(ctx, func(tx store.Tx) error {
			s := domain.PathwaySettings{CouncilID: "council-a", UpdateTime: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			s.LeaplingRule = rule
			s.Ambitions = []catalogue.Ambition{{Key: ambition, Title: "An ambition", Milestones: []string{"age16.pathway_plan"}}}
			s.Measures = []catalogue.MeasureSpec{{Key: "local.plan", Title: "Plan", Ofsted: "DECISION_MAKING", Definition: "d",
				Numerator: "n", Denominator: "d", Source: "s", Ages: "16 to 21", Achieved: []string{"age16.pathway_plan"}}}
			_, err := tx.PutPathwaySettings(ctx, s, 0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	get := func() (s domain.PathwaySettings) {
		t.Helper()
		if err := b.InRead(ctx, func(tx store.Tx) (err error) { s, err = tx.GetPathwaySettings(ctx, "council-a"); return err }); err != nil {
			t.Fatal(err)
		}
		return s
	}
	put(civil.FebruaryTwentyEighth, "A1")
	for range 2 { // the first read fills the cache, the second is served from it
		mine := get()
		mine.Ambitions[0].Key, mine.Ambitions[0].Milestones[0] = "changed", "changed" // the caller's own copy
		mine.Measures[0].Achieved[0] = "changed"
	}
	if again := get(); again.Revision != 1 || again.LeaplingRule != civil.FebruaryTwentyEighth ||
		again.Ambitions[0].Key != "A1" || again.Ambitions[0].Milestones[0] != "age16.pathway_plan" ||
		again.Measures[0].Achieved[0] != "age16.pathway_plan" {
		t.Fatalf("cached settings: %+v", again)
	}
	// Reading a young person reads their council's revision too, and then their settings
	// need no statement: still a copy, and still the latest after another replica's change.
	ypOf := map[string]string{"council-a": "00000000-0000-4000-8000-00000000000a", "council-b": "00000000-0000-4000-8000-00000000000b"}
	for _, c := range []string{"council-a", "council-b"} {
		if err := a.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.CreateYoungPerson(ctx, domain.YoungPerson{ID: ypOf[c], CouncilID: c, CaseReference: "R-" + c,
				GivenName: "G", FamilyName: "F", DateOfBirth: civil.New(2010, 3, 1), CreateTime: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), UpdateTime: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Showing an age reads the rule alone, from the same cache: each read here reads it
	// first, then the settings, and the two must agree.
	withYoungPerson := func(council string) (s domain.PathwaySettings) {
		t.Helper()
		var rule civil.LeaplingRule
		if err := b.InRead(ctx, func(tx store.Tx) error {
			yp, err := tx.GetYoungPerson(ctx, ypOf[council])
			if err == nil {
				rule, err = tx.LeaplingRule(ctx, yp.CouncilID)
			}
			if err == nil {
				s, err = tx.GetPathwaySettings(ctx, yp.CouncilID)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if rule != s.LeaplingRule {
			t.Fatalf("LeaplingRule read with a young person = %v; their settings have %v", rule, s.LeaplingRule)
		}
		return s
	}
	mine := withYoungPerson("council-a")
	mine.Ambitions[0].Key = "changed"
	if again := withYoungPerson("council-a"); again.Revision != 1 || again.Ambitions[0].Key != "A1" {
		t.Fatalf("settings read with a young person: %+v", again)
	}
	if none := withYoungPerson("council-b"); none.Revision != 0 || none.CouncilID != "council-b" || len(none.Ambitions) != 0 {
		t.Fatalf("settings of a council with none, read with a young person: %+v", none)
	}
	put(civil.MarchFirst, "A2")
	if s := get(); s.Revision != 2 || s.LeaplingRule != civil.MarchFirst || s.Ambitions[0].Key != "A2" {
		t.Fatalf("after the other replica's change: %+v", s)
	}
	if s := withYoungPerson("council-a"); s.Revision != 2 || s.LeaplingRule != civil.MarchFirst || s.Ambitions[0].Key != "A2" {
		t.Fatalf("after the other replica's change, read with a young person: %+v", s)
	}
	// A change within the transaction that read the revision is seen by its next read.
	if err := b.InTx(ctx, func(tx store.Tx) error {
		yp, err := tx.GetYoungPerson(ctx, ypOf["council-a"])
		if err != nil {
			return err
		}
		s, err := tx.GetPathwaySettings(ctx, yp.CouncilID)
		if err != nil {
			return err
		}
		s.Ambitions[0].Key = "A3"
		if _, err := tx.PutPathwaySettings(ctx, s, s.Revision); err != nil {
			return err
		}
		if s, err = tx.GetPathwaySettings(ctx, yp.CouncilID); err == nil && (s.Revision != 3 || s.Ambitions[0].Key != "A3") {
			t.Errorf("after a change in the same transaction: %+v", s)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// A read (InRead) runs each statement on its own, so a store method that writes is refused
// before it is sent, every time (the check is remembered per statement), and writes nothing.
func TestWritesAreRefusedInARead(t *testing.T) {
	s := open2(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	for range 2 {
		err := s.InRead(ctx, func(tx store.Tx) error {
			_, err := tx.PutPathwaySettings(ctx, domain.PathwaySettings{CouncilID: "council-a",
				UpdateTime: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}, 0)
			return err
		})
		if !errors.Is(err, postgres.ErrWriteInRead) {
			t.Fatalf("a write in a read: %v, want ErrWriteInRead", err)
		}
	}
	var got domain.PathwaySettings
	if err := s.InRead(ctx, func(tx store.Tx) (err error) { got, err = tx.GetPathwaySettings(ctx, "council-a"); return err }); err != nil {
		t.Fatal(err)
	}
	if got.Revision != 0 {
		t.Fatalf("the refused write was stored: revision %d", got.Revision)
	}
}
