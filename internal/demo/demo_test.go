package demo

import (
	"context"
	"testing"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/testclock"
)

// The demo council's settings fit the shipped catalogue, and its ambitions have titles and
// name real checks.
func TestCouncilSettingsFit(t *testing.T) {
	s := CouncilSettings()
	c, err := catalogue.Default().Effective(s)
	if err != nil {
		t.Fatalf("the demo council's settings do not fit the catalogue: %v", err)
	}
	if len(c.Ambitions) != 6 {
		t.Fatalf("the demo council has %d ambitions, want the strategy's six", len(c.Ambitions))
	}
	for _, a := range c.Ambitions {
		if a.Title == "" || len(a.Milestones) == 0 {
			t.Errorf("ambition %s has no title or no milestone", a.Key)
		}
		for _, check := range a.Checks {
			if _, ok := readiness.LookupCheck(check); !ok {
				t.Errorf("ambition %s names check %q, which does not exist", a.Key, check)
			}
		}
	}
	for _, key := range []string{"local.work_experience.offer", "local.apprenticeship.offer"} {
		if d, ok := c.Lookup(key); !ok || !d.Local || len(d.Ambitions) == 0 {
			t.Errorf("the council's own milestone %s: %+v", key, d)
		}
	}
}

// Loading the demo twice, as `carepath setup --demo` run again does, adds nothing the
// second time.
func TestLoadTwice(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	p := planner.New(catalogue.Default(), testclock.Now)
	today := civil.Today(testclock.Now())
	if n, err := Load(ctx, s, p, today); err != nil || n != len(people) {
		t.Fatalf("first load: %d, %v", n, err)
	}
	if n, err := Load(ctx, s, p, today); err != nil || n != 0 {
		t.Fatalf("second load: %d, %v; want 0 added", n, err)
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		yps, err := tx.ListYoungPeople(ctx, store.YoungPeopleQuery{Limit: 100})
		if len(yps) != len(people) {
			t.Errorf("%d young people after two loads, want %d", len(yps), len(people))
		}
		for account, yp := range map[string]string{YoungPersonMinor: ID("04"), YoungPersonAdult: ID("05")} {
			if p, err := tx.GetPerson(ctx, account); err != nil || p.YoungPersonID != yp {
				t.Errorf("young person's account %s: %+v, %v; want one linked to %s", account, p, err, yp)
			}
		}
		settings, _ := tx.GetPathwaySettings(ctx, CouncilID)
		if settings.Revision != 1 {
			t.Errorf("the council's settings are at revision %d after two loads, want 1", settings.Revision)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocalOfferIsWellFormed(t *testing.T) {
	if len(localOffer) < 5 || len(localOffer) > 8 {
		t.Fatalf("%d entries, want 5 to 8", len(localOffer))
	}
	for _, e := range localOffer {
		if e.Title == "" || len(e.Title) > 200 || e.Body == "" || len(e.Body) > 4000 || e.Area == "" ||
			e.FromAge < 13 || e.ToAge > 25 || e.FromAge > e.ToAge {
			t.Errorf("bad entry %+v", e)
		}
	}
}
