package planner_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/testclock"
)

// A council's own measure stored when it passed the check, which a later release no
// longer passes, is left out of the measures its board counts, and the planner says so in
// one warning per council and settings revision: the council, the measure's key and what
// is wrong with it, and nothing about any young person.
func TestCouncilLogsTheOwnMeasuresItLeavesOut(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			now := testclock.Now().UTC()
			p := planner.New(catalogue.Default(), testclock.Now)
			var logged bytes.Buffer
			p.SetLogger(slog.New(slog.NewTextHandler(&logged, nil)))
			spec := func(key, ages string) catalogue.MeasureSpec {
				return catalogue.MeasureSpec{Key: key, Title: "Green at 17½ (ours)", Ofsted: "DECISION_MAKING", Definition: "d",
					Numerator: "n", Denominator: "d", Source: "s", Ages: ages, GreenAtReview: true}
			}
			// Stored as they are, past the settings' check: what a stricter release finds.
			stale, kept := spec("local.green_17", "17 to 18"), spec("local.green_17y6m", "17y6m to 18")
			var stored domain.PathwaySettings
			err := s.InTx(ctx, func(tx store.Tx) (err error) {
				if err := demo.LoadAccess(ctx, tx, civil.Today(now), now); err != nil {
					return err
				}
				stored, err = tx.PutPathwaySettings(ctx, domain.PathwaySettings{CouncilID: demo.CouncilID, UpdateTime: now,
					Settings: catalogue.Settings{Measures: []catalogue.MeasureSpec{stale, kept}}}, 0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				var c planner.Council
				if err := s.InRead(ctx, func(tx store.Tx) (err error) {
					c, err = p.Council(ctx, tx, demo.CouncilID)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				var own []string
				for _, m := range c.Measures[len(measure.Default().Measures):] {
					own = append(own, m.Key)
				}
				if strings.Join(own, " ") != "local.green_17y6m" {
					t.Errorf("the council's own measures: %v", own)
				}
			}
			lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "council="+demo.CouncilID) ||
				!strings.Contains(lines[0], "measure=local.green_17 ") || !strings.Contains(lines[0], fmt.Sprintf("settings_revision=%d ", stored.Revision)) ||
				!strings.Contains(lines[0], "17y6m") {
				t.Errorf("logged:\n%s", logged.String())
			}
		})
	}
}
