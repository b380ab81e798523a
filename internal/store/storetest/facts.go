package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// fact is a record known as key, of young person ypKey, made `after` after `at`.
func fact(key, ypKey, factKey string, value bool, after time.Duration) domain.Fact {
	return domain.Fact{ID: idOf(key), YoungPersonID: idOf(ypKey), Key: factKey, Value: value,
		EffectiveDate: civil.New(2026, 11, 20), EvidenceType: domain.DocumentSeen, Note: "note " + key,
		RecordedBy: "pa-1", OrganisationID: "council-a", RecordTime: at.Add(after)}
}

func storedFact(f domain.Fact) domain.Fact {
	f.RecordTime = storedTime(f.RecordTime)
	return f
}

func addFacts(t *testing.T, s store.Store, fs ...domain.Fact) []domain.Fact {
	t.Helper()
	return createEach(t, s, store.Tx.AddFact, fs...)
}

func listFacts(t *testing.T, s store.Store, youngPersonID string) (fs []domain.Fact) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		fs, err = tx.ListFacts(context.Background(), youngPersonID)
		return err
	})
	return fs
}

// oldestFirst sorts records as ListFacts promises: by record time, then id.
func oldestFirst(fs []domain.Fact) []domain.Fact {
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(a, b domain.Fact) int {
		if c := a.RecordTime.Compare(b.RecordTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return fs
}

func storedFacts(fs ...domain.Fact) []domain.Fact {
	out := make([]domain.Fact, len(fs))
	for i, f := range fs {
		out[i] = storedFact(f)
	}
	return out
}

func testFacts(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("AddAndList", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("f"), youngPerson("other"))
		late := fact("late", "f", "identity.ni_number_held", true, time.Hour)
		tieA := fact("tie-a", "f", "housing.tenancy_signed", false, 0)
		tieB := fact("tie-b", "f", "housing.tenancy_signed", true, 0)
		early := fact("early", "f", "money.bank_account", true, -time.Hour)
		// Every field, a record time in another zone, and evidence of each kind.
		early.RecordTime = early.RecordTime.In(time.FixedZone("UTC+5", 5*3600))
		early.Note, early.EvidenceType, early.RecordedBy, early.OrganisationID = "", domain.ConfirmedByAgency, "system:dwp", "dwp"
		tieA.EvidenceType, tieB.EvidenceType = domain.ConfirmedByYoungPerson, domain.OtherEvidence
		tieA.EffectiveDate = civil.New(2024, 2, 29)
		in := []domain.Fact{late, tieA, early, tieB}
		out := addFacts(t, s, in...)
		for i, f := range in {
			if diff := cmp.Diff(storedFact(f), out[i]); diff != "" {
				t.Fatalf("AddFact returned (-want +got):\n%s", diff)
			}
			if out[i].RecordTime.Location() != time.UTC {
				t.Fatalf("AddFact returned a record time in %v, want UTC", out[i].RecordTime.Location())
			}
		}
		addFacts(t, s, fact("not-f", "other", "identity.ni_number_held", true, -2*time.Hour))

		ties := storedFacts(tieA, tieB)
		if ties[0].ID > ties[1].ID {
			ties[0], ties[1] = ties[1], ties[0]
		}
		want := append(append(storedFacts(early), ties...), storedFact(late))
		got := listFacts(t, s, idOf("f"))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("ListFacts (-want +got):\n%s", diff)
		}
		for _, f := range got {
			if f.RecordTime.Location() != time.UTC {
				t.Fatalf("ListFacts gave a record time in %v, want UTC", f.RecordTime.Location())
			}
		}
		if got := listFacts(t, s, idOf("nobody")); len(got) != 0 {
			t.Fatalf("facts of a missing young person: %+v", got)
		}
	})

	t.Run("RecordsAreAppended", func(t *testing.T) {
		// A later record of the same fact is another record: both are kept.
		s := newStore(t)
		create(t, s, youngPerson("f"))
		first := fact("first", "f", "identity.ni_number_held", false, 0)
		second := fact("second", "f", "identity.ni_number_held", true, time.Minute)
		addFacts(t, s, second)
		addFacts(t, s, first)
		if diff := cmp.Diff(storedFacts(first, second), listFacts(t, s, idOf("f"))); diff != "" {
			t.Fatalf("two records of one fact (-want +got):\n%s", diff)
		}
	})

	t.Run("MissingYoungPerson", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("someone"))
		orphan := fact("orphan", "nobody", "identity.ni_number_held", true, 0)
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.AddFact(ctx, orphan); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		// Nothing was kept: once the young person exists, the same record can be added.
		create(t, s, youngPerson("nobody"))
		if got := listFacts(t, s, idOf("nobody")); len(got) != 0 {
			t.Fatalf("a refused record was stored: %+v", got)
		}
		addFacts(t, s, orphan)
		if diff := cmp.Diff(storedFacts(orphan), listFacts(t, s, idOf("nobody"))); diff != "" {
			t.Fatalf("ListFacts (-want +got):\n%s", diff)
		}
	})

	t.Run("TakenID", func(t *testing.T) {
		// Records are never changed: adding one with a taken id is refused, whoever it is of.
		s := newStore(t)
		create(t, s, youngPerson("f"), youngPerson("other"))
		first := fact("taken", "f", "identity.ni_number_held", true, 0)
		addFacts(t, s, first)
		for _, again := range []domain.Fact{
			fact("taken", "f", "identity.ni_number_held", false, time.Hour),
			fact("taken", "other", "money.bank_account", true, time.Hour),
		} {
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.AddFact(ctx, again); return err })
			wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		}
		if diff := cmp.Diff(storedFacts(first), listFacts(t, s, idOf("f"))); diff != "" {
			t.Fatalf("a refused record changed the young person's facts (-want +got):\n%s", diff)
		}
		if got := listFacts(t, s, idOf("other")); len(got) != 0 {
			t.Fatalf("a refused record was stored for another young person: %+v", got)
		}
	})

	t.Run("DeletedWithTheYoungPerson", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("gone"), youngPerson("kept"))
		addFacts(t, s,
			fact("gone-1", "gone", "identity.ni_number_held", true, 0),
			fact("gone-2", "gone", "money.bank_account", false, time.Minute),
			fact("kept-1", "kept", "identity.ni_number_held", true, 0))
		kept := listFacts(t, s, idOf("kept"))
		inTx(t, s, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, idOf("gone"), 0) })
		if got := listFacts(t, s, idOf("gone")); len(got) != 0 {
			t.Fatalf("the deleted young person still has %d fact records", len(got))
		}
		if diff := cmp.Diff(kept, listFacts(t, s, idOf("kept"))); diff != "" {
			t.Fatalf("deleting another young person changed facts (-before +after):\n%s", diff)
		}
		// Created again, the young person has none of the old records, whose ids are free.
		create(t, s, youngPerson("gone"))
		if got := listFacts(t, s, idOf("gone")); len(got) != 0 {
			t.Fatalf("re-created, the young person has %d fact records, want none", len(got))
		}
		if st := loadPathways(t, s, idOf("gone")); len(st) != 1 || len(st[0].Facts) != 0 {
			t.Fatalf("re-created, LoadPathways gives %+v, want the young person with no facts", st)
		}
		again := fact("gone-1", "gone", "housing.tenancy_signed", false, time.Hour)
		addFacts(t, s, again)
		if diff := cmp.Diff(storedFacts(again), listFacts(t, s, idOf("gone"))); diff != "" {
			t.Fatalf("ListFacts (-want +got):\n%s", diff)
		}
	})

	t.Run("LoadPathways", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("la"), youngPerson("lb"), youngPerson("lc"), youngPerson("ld"))
		la := []domain.Fact{
			fact("la-3", "la", "identity.ni_number_held", true, 2*time.Hour),
			fact("la-1", "la", "identity.ni_number_held", false, -time.Hour),
			fact("la-2a", "la", "money.bank_account", true, 0),
			fact("la-2b", "la", "housing.tenancy_signed", true, 0),
		}
		lc := []domain.Fact{
			fact("lc-2", "lc", "money.bank_account", false, time.Minute),
			fact("lc-1", "lc", "money.bank_account", true, 0),
		}
		addFacts(t, s, la[0], lc[0], la[1])
		addFacts(t, s, lc[1], la[2], la[3], fact("ld-1", "ld", "identity.ni_number_held", true, 0))

		states := loadPathways(t, s, idOf("lc"), idOf("nobody"), idOf("la"), idOf("lb"))
		byID := map[string]store.PathwayState{}
		for _, st := range states {
			byID[st.YoungPerson.ID] = st
		}
		if len(states) != 3 || len(byID) != 3 {
			t.Fatalf("LoadPathways of three young people and a missing one returned %d states", len(states))
		}
		for key, want := range map[string][]domain.Fact{"la": oldestFirst(storedFacts(la...)), "lb": nil, "lc": oldestFirst(storedFacts(lc...))} {
			st, ok := byID[idOf(key)]
			if !ok {
				t.Fatalf("LoadPathways left out %s", key)
			}
			if diff := cmp.Diff(want, st.Facts, equateEmpty); diff != "" {
				t.Fatalf("LoadPathways facts of %s (-want +got):\n%s", key, diff)
			}
			if diff := cmp.Diff(listFacts(t, s, idOf(key)), st.Facts, equateEmpty); diff != "" {
				t.Fatalf("LoadPathways and ListFacts disagree on %s (-listed +loaded):\n%s", key, diff)
			}
		}
	})
}
