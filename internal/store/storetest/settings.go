package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// councilSettings are settings using everything Settings can hold: the other leap-day
// rule, an override switching a milestone off, one retiming another, two local
// milestones, one with conditions and a recurrence, and a measure of its own.
func councilSettings(t *testing.T, councilID string) domain.PathwaySettings {
	t.Helper()
	rule := func(s string) catalogue.DueRule {
		r, err := catalogue.ParseDueRule(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cond := func(s string) catalogue.Condition {
		c, err := catalogue.ParseCondition(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	retimed := rule("age 14 until age 16")
	return domain.PathwaySettings{
		CouncilID: councilID,
		Settings: catalogue.Settings{
			LeaplingRule: civil.FebruaryTwentyEighth,
			Overrides: []catalogue.Override{
				{Key: "age15_9.provisional_licence.offer", Disabled: true},
				{Key: "y9.pep.options", Due: &retimed},
			},
			Local: []catalogue.Definition{
				{
					Key: "local.mentor.intro", Title: "Introduce a mentor", Description: "Match with a volunteer mentor.",
					Area: catalogue.Relationships, Owner: "CHILDRENS_SOCIAL_CARE",
					Due:     rule("age 17 + 2w every 6m until age 21"),
					Applies: []catalogue.Condition{cond("care_leaver"), cond("not uasc")},
					Basis:   "Local offer 2026", Sources: []string{"https://example.org/local-offer"}, Local: true,
				},
				{
					Key: "local.bank.account", Title: "Open a bank account", Area: catalogue.Finance,
					Owner: "FINANCIAL", Due: rule("left_care + 1m"), Local: true,
				},
			},
			Ambitions: []catalogue.Ambition{
				{Key: "A1", Title: "Safe and feel safe", Milestones: []string{"local.mentor.intro", "plan.review"},
					Checks: []string{"accommodation", "contingency"}},
				{Key: "A6", Title: "Work and independence", Milestones: []string{"local.bank.account"}},
			},
			Measures: []catalogue.MeasureSpec{{Key: "local.bank.account_18_21", Title: "Bank account opened",
				Ofsted: "LEARNING_AND_WORK", Definition: "d", Numerator: "n", Denominator: "d", Source: "Local offer 2026",
				Ages: "18 to 21", CohortMilestone: "local.bank.account", Achieved: []string{"local.bank.account"}, Within: "1y"}},
		},
		UpdateTime: at,
	}
}

// storedSettings is how settings saved at their update time come back from a store.
func storedSettings(s domain.PathwaySettings, revision int64) domain.PathwaySettings {
	s.Revision = revision
	s.UpdateTime = s.UpdateTime.UTC().Truncate(time.Microsecond)
	return s
}

func getSettings(t *testing.T, s store.Store, councilID string) (ps domain.PathwaySettings) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ps, err = tx.GetPathwaySettings(context.Background(), councilID)
		return err
	})
	return ps
}

// getRule reads the council's leap-day rule alone, and checks it is the settings' rule.
func getRule(t *testing.T, s store.Store, councilID string) (rule civil.LeaplingRule) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		rule, err = tx.LeaplingRule(context.Background(), councilID)
		return err
	})
	if want := getSettings(t, s, councilID).LeaplingRule; rule != want {
		t.Fatalf("LeaplingRule = %v; the settings have %v", rule, want)
	}
	return rule
}

func testSettings(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("Defaults", func(t *testing.T) {
		s := newStore(t)
		putSettings(t, s, councilSettings(t, "council-a"), 0) // another council's settings
		got := getSettings(t, s, "council-z")
		if diff := cmp.Diff(domain.PathwaySettings{CouncilID: "council-z"}, got, equateEmpty); diff != "" {
			t.Fatalf("settings of a council that never saved any (-want +got):\n%s", diff)
		}
	})

	t.Run("PutAndGet", func(t *testing.T) {
		s := newStore(t)
		in := councilSettings(t, "council-a")
		want := storedSettings(in, 1)
		out := putSettings(t, s, in, 0)
		if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
			t.Fatalf("PutPathwaySettings returned (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, getSettings(t, s, "council-a"), equateEmpty); diff != "" {
			t.Fatalf("GetPathwaySettings (-want +got):\n%s", diff)
		}
	})

	t.Run("PutIncrementsRevision", func(t *testing.T) {
		s := newStore(t)
		in := councilSettings(t, "council-a")
		putSettings(t, s, in, 0)
		// Back to the defaults, guarded by the revision.
		next := domain.PathwaySettings{CouncilID: "council-a", UpdateTime: at.Add(time.Hour)}
		if out := putSettings(t, s, next, 1); out.Revision != 2 {
			t.Fatalf("a guarded put gave revision %d, want 2", out.Revision)
		}
		if diff := cmp.Diff(storedSettings(next, 2), getSettings(t, s, "council-a"), equateEmpty); diff != "" {
			t.Fatalf("after the second put, GetPathwaySettings (-want +got):\n%s", diff)
		}
		if rule := getRule(t, s, "council-a"); rule != next.LeaplingRule {
			t.Fatalf("after the second put, LeaplingRule = %v, want the default %v", rule, next.LeaplingRule)
		}
		// Without a revision the put is unconditional.
		if out := putSettings(t, s, in, 0); out.Revision != 3 {
			t.Fatalf("an unconditional put gave revision %d, want 3", out.Revision)
		}
		if got := getSettings(t, s, "council-a"); got.Revision != 3 || got.LeaplingRule != civil.FebruaryTwentyEighth {
			t.Fatalf("after the third put, GetPathwaySettings = %+v", got)
		}
		if rule := getRule(t, s, "council-a"); rule != civil.FebruaryTwentyEighth {
			t.Fatalf("after the third put, LeaplingRule = %v", rule)
		}
		if rule := getRule(t, s, "council-z"); rule != next.LeaplingRule {
			t.Fatalf("LeaplingRule of a council without settings = %v", rule)
		}
	})

	t.Run("RevisionsChangeWithEveryPut", func(t *testing.T) {
		s := newStore(t)
		revisions := func() (out string) {
			inTx(t, s, func(tx store.Tx) (err error) {
				out, err = tx.SettingsRevisions(ctx)
				return err
			})
			return out
		}
		last := revisions()
		seen := map[string]bool{last: true}
		for i, put := range []struct {
			council    string
			ifRevision int64
		}{{"council-a", 0}, {"council-b", 0}, {"council-a", 1}, {"council-b", 0}} {
			putSettings(t, s, councilSettings(t, put.council), put.ifRevision)
			got := revisions()
			if seen[got] {
				t.Fatalf("after put %d (%s), SettingsRevisions = %q, as before it", i+1, put.council, got)
			}
			seen[got], last = true, got
			if again := revisions(); again != got {
				t.Fatalf("SettingsRevisions changed with no put: %q, then %q", got, again)
			}
		}
		inTx(t, s, func(tx store.Tx) error { // refused: nothing changes
			_, err := tx.PutPathwaySettings(ctx, councilSettings(t, "council-a"), 1)
			wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
			return nil
		})
		if got := revisions(); got != last {
			t.Fatalf("after a refused put, SettingsRevisions = %q", got)
		}
	})

	t.Run("PutStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		in := councilSettings(t, "council-a")
		putSettings(t, s, in, 0)
		putSettings(t, s, in, 0)
		lost := domain.PathwaySettings{CouncilID: "council-a", UpdateTime: at.Add(time.Hour)}
		inTx(t, s, func(tx store.Tx) error { // the refused put is committed with the rest
			_, err := tx.PutPathwaySettings(ctx, lost, 1)
			wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
			return nil
		})
		if diff := cmp.Diff(storedSettings(in, 2), getSettings(t, s, "council-a"), equateEmpty); diff != "" {
			t.Fatalf("a stale put changed the settings (-want +got):\n%s", diff)
		}
	})

	t.Run("PutRevisionNeverSaved", func(t *testing.T) {
		s := newStore(t)
		inTx(t, s, func(tx store.Tx) error {
			_, err := tx.PutPathwaySettings(ctx, councilSettings(t, "council-a"), 1)
			wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
			return nil
		})
		if got := getSettings(t, s, "council-a"); got.Revision != 0 || len(got.Overrides) != 0 {
			t.Fatalf("a refused put stored settings: %+v", got)
		}
	})

	t.Run("NotShared", func(t *testing.T) {
		// What a caller does with the settings it passed or got back is not stored: only
		// PutPathwaySettings, in a transaction, changes them.
		s := newStore(t)
		in := councilSettings(t, "council-a")
		want := storedSettings(councilSettings(t, "council-a"), 1)
		putSettings(t, s, in, 0)
		in.Overrides[0].Key, in.Overrides[1].Due.Every = "changed", civil.Period{Days: 1}
		in.Local[0].Sources[0] = "https://example.org/changed"
		in.Ambitions[0].Title, in.Ambitions[0].Milestones[0], in.Ambitions[0].Checks[0] = "changed", "changed", "changed"
		in.Measures[0].Achieved[0] = "changed"
		got := getSettings(t, s, "council-a")
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Fatalf("changing the settings passed to PutPathwaySettings changed the stored ones (-want +got):\n%s", diff)
		}
		got.Overrides[0].Key, got.Overrides[1].Due.Every = "changed", civil.Period{Days: 1}
		got.Local[0].Applies[0] = catalogue.Condition{Name: "uasc"}
		got.Ambitions[0].Title, got.Ambitions[0].Milestones[0], got.Ambitions[0].Checks[0] = "changed", "changed", "changed"
		got.Measures[0].Title, got.Measures[0].Achieved[0] = "changed", "changed"
		if diff := cmp.Diff(want, getSettings(t, s, "council-a"), equateEmpty); diff != "" {
			t.Fatalf("changing the settings GetPathwaySettings returned changed the stored ones (-want +got):\n%s", diff)
		}
	})
}
