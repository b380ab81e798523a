package planner_test

import (
	"context"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/testclock"
)

// A young person's summary has no rating at the review until their 17½ birthday; the
// readiness sweep of that day fills it, as the board's "green on the cliff edge at 17½"
// counts it.
func TestRatingAtReviewFromThe17HalfBirthday(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			start := testclock.Now().UTC()
			clk := &clock{t: start}
			p := planner.New(catalogue.Default(), clk.Now)
			today := civil.Today(start)
			dob := today.Sub(civil.Period{Years: 17, Months: 6}, civil.MarchFirst).AddDays(1) // 17½ after today
			err := s.InTx(ctx, func(tx store.Tx) error {
				if err := demo.LoadAccess(ctx, tx, today, start); err != nil {
					return err
				}
				yp := domain.YoungPerson{ID: ypID, GivenName: "Test", FamilyName: "Review", DateOfBirth: dob,
					CouncilID: demo.CouncilID, CaseReference: "T-175", PersonalAdviserID: demo.AdviserNorth, CreateTime: start, UpdateTime: start}
				if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
					return err
				}
				if _, err := tx.CreateCareEpisode(ctx, domain.CareEpisode{ID: "0b5e0000-0000-4000-8000-0000000e0175", YoungPersonID: ypID,
					Start: civil.Attains(dob, civil.Period{Years: 14}, civil.MarchFirst), LegalStatus: "C2", PlacementType: "U3",
					CreateTime: start, UpdateTime: start}); err != nil {
					return err
				}
				return p.Replan(ctx, tx, ypID)
			})
			if err != nil {
				t.Fatal(err)
			}
			atReview := func() domain.Rating {
				t.Helper()
				var got []store.ReadinessEntry
				if err := s.InTx(ctx, func(tx store.Tx) (err error) {
					got, err = tx.ListReadiness(ctx, store.ReadinessQuery{Scope: &store.Scope{CouncilID: demo.CouncilID, WholeCouncil: true},
						Order: store.ByEighteenthBirthday, Limit: 10})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 {
					t.Fatalf("%d summaries, want 1", len(got))
				}
				return got[0].Summary.RatingAtReview
			}
			if got := atReview(); got != "" {
				t.Fatalf("the day before the 17½ birthday: rating at the review %q, want none", got)
			}
			// Noon on the birthday (month ends and clock changes make it a day or two away).
			review := civil.Attains(dob, civil.Period{Years: 17, Months: 6}, civil.MarchFirst)
			clk.Set(time.Date(review.Year, review.Month, review.Day, 12, 0, 0, 0, civil.London))
			if n, err := p.RefreshReadiness(ctx, s, "", 100, 1); err != nil || n != 1 {
				t.Fatalf("RefreshReadiness: %d reassessed, %v", n, err)
			}
			// Nothing recorded: the review finds what must be in place by 18 missing.
			if got := atReview(); got == "" || got == domain.Green {
				t.Fatalf("after the 17½ birthday: rating at the review %q", got)
			}
		})
	}
}
