package app

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/testclock"
)

// A replica looks for stale pathways (reading every young person) when it starts, when a
// council's settings change and otherwise hourly, not at every refresh.
func TestStalePathwaysAreLookedForWhenSettingsChange(t *testing.T) {
	ctx := context.Background()
	now := testclock.Now().UTC()
	clock := func() time.Time { return now }
	s := memory.New()
	a := &App{store: s, now: clock, log: slog.New(slog.DiscardHandler), planner: planner.New(catalogue.Default(), clock)}
	inTx := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := s.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	inTx(func(tx store.Tx) error { return demo.LoadAccess(ctx, tx, civil.Today(now), now) })
	// unplanned stores a young person as an import might, without planning them.
	unplanned := func(id string) {
		t.Helper()
		inTx(func(tx store.Tx) error {
			_, err := tx.CreateYoungPerson(ctx, domain.YoungPerson{ID: id, GivenName: "Test", FamilyName: "Stale",
				DateOfBirth: civil.New(2011, 5, 1), CouncilID: demo.CouncilID, CaseReference: id[len(id)-4:],
				PersonalAdviserID: demo.AdviserNorth, CreateTime: now, UpdateTime: now})
			return err
		})
	}
	var last staleLook
	refresh := func(wantStale ...string) {
		t.Helper()
		if err := a.replanStale(ctx, &last); err != nil {
			t.Fatal(err)
		}
		var stale []string
		inTx(func(tx store.Tx) (err error) {
			stale, err = tx.StalePathways(ctx, catalogue.Default().Version, 10)
			return err
		})
		if !slices.Equal(stale, wantStale) {
			t.Fatalf("stale after the refresh: %v, want %v", stale, wantStale)
		}
	}
	const y1, y2, y3 = "5ea1e000-0000-4000-8000-000000000001", "5ea1e000-0000-4000-8000-000000000002", "5ea1e000-0000-4000-8000-000000000003"
	unplanned(y1)
	refresh() // the first look: y1 planned
	unplanned(y2)
	refresh(y2) // nothing changed: not looked for
	now = now.Add(staleCheckInterval - time.Minute)
	refresh(y2)
	inTx(func(tx store.Tx) error {
		_, err := tx.PutPathwaySettings(ctx, domain.PathwaySettings{CouncilID: demo.CouncilID, UpdateTime: now}, 0)
		return err
	})
	refresh() // the settings changed: y2 planned, with the rest replanned
	unplanned(y3)
	refresh(y3)
	now = now.Add(staleCheckInterval)
	refresh() // an hour on
}
