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
	// unplanned stores a young person without planning them, as a replica that failed
	// halfway, or one of another catalogue, might leave them.
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
	const y = "5ea1e000-0000-4000-8000-00000000000"
	unplanned(y + "1")
	refresh() // the first look: y1 planned
	refresh() // it replanned someone, so it looks again, and finds no one
	unplanned(y + "2")
	refresh(y + "2") // nothing changed: not looked for
	now = now.Add(staleCheckInterval - time.Minute)
	refresh(y + "2")
	inTx(func(tx store.Tx) error {
		_, err := tx.PutPathwaySettings(ctx, domain.PathwaySettings{CouncilID: demo.CouncilID, UpdateTime: now}, 0)
		return err
	})
	refresh() // the settings changed: y2 planned, with the rest replanned
	unplanned(y + "3")
	refresh() // that look replanned: looked again
	refresh()
	unplanned(y + "4")
	refresh(y + "4")
	now = now.Add(staleCheckInterval)
	refresh() // an hour on
}
