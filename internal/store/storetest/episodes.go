package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// episode is an open episode of care of the young person ypKey, known as key.
func episode(ypKey, key string, start civil.Date) domain.CareEpisode {
	return domain.CareEpisode{
		ID:            idOf(key),
		YoungPersonID: idOf(ypKey),
		Start:         start,
		LegalStatus:   "C2",
		PlacementType: "U1",
		CreateTime:    at,
		UpdateTime:    at,
	}
}

// storedEpisode is how an episode written at its times comes back from a store.
func storedEpisode(e domain.CareEpisode, revision int64) domain.CareEpisode {
	e.Revision = revision
	e.CreateTime = e.CreateTime.UTC().Truncate(time.Microsecond)
	e.UpdateTime = e.UpdateTime.UTC().Truncate(time.Microsecond)
	return e
}

func createEpisodes(t *testing.T, s store.Store, es ...domain.CareEpisode) {
	t.Helper()
	createEach(t, s, store.Tx.CreateCareEpisode, es...)
}

func getEpisode(t *testing.T, s store.Store, youngPersonID, id string) (domain.CareEpisode, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.CareEpisode, error) {
		return tx.GetCareEpisode(context.Background(), youngPersonID, id)
	})
}

func listEpisodes(t *testing.T, s store.Store, youngPersonID string) (es []domain.CareEpisode) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		es, err = tx.ListCareEpisodes(context.Background(), youngPersonID)
		return err
	})
	return es
}

func episodeIDs(es []domain.CareEpisode) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func testCareEpisodes(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("e"))
		closed := episode("e", "e-closed", civil.New(2015, time.May, 4))
		closed.End, closed.ReasonEnded = civil.New(2016, time.February, 29), "E11"
		closed.LegalStatus, closed.PlacementType = "V2", "U1"
		closed.UpdateTime = at.Add(time.Minute)
		open := episode("e", "e-open", civil.New(2020, time.January, 1)) // zero End: still open
		for _, in := range []domain.CareEpisode{closed, open} {
			var out domain.CareEpisode
			inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreateCareEpisode(ctx, in); return err })
			want := storedEpisode(in, 1)
			if diff := cmp.Diff(want, out); diff != "" {
				t.Fatalf("CreateCareEpisode returned (-want +got):\n%s", diff)
			}
			got, err := getEpisode(t, s, in.YoungPersonID, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("GetCareEpisode (-want +got):\n%s", diff)
			}
		}
		if got, _ := getEpisode(t, s, open.YoungPersonID, open.ID); !got.Open() {
			t.Fatalf("an open episode came back with end date %v", got.End)
		}
	})

	t.Run("CreateTakenID", func(t *testing.T) {
		// Like every create, it does not replace what is stored, even through another young
		// person.
		s := newStore(t)
		create(t, s, youngPerson("e"), youngPerson("other"))
		first := episode("e", "taken", civil.New(2020, time.January, 1))
		createEpisodes(t, s, first)
		for _, ypKey := range []string{"e", "other"} {
			again := episode(ypKey, "taken", civil.New(2021, time.March, 1))
			again.LegalStatus, again.PlacementType = "V2", "K2"
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateCareEpisode(ctx, again); return err })
			wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		}
		got, err := getEpisode(t, s, first.YoungPersonID, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(storedEpisode(first, 1), got); diff != "" {
			t.Fatalf("a refused create changed the episode (-want +got):\n%s", diff)
		}
		if es := listEpisodes(t, s, idOf("other")); len(es) != 0 {
			t.Fatalf("the other young person lists %d episodes, want 0", len(es))
		}
	})

	t.Run("CreateForMissingYoungPerson", func(t *testing.T) {
		s := newStore(t)
		e := episode("nobody", "orphan", civil.New(2020, time.January, 1))
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateCareEpisode(ctx, e); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("e"))
		_, err := getEpisode(t, s, idOf("e"), idOf("no-episode"))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("WrongYoungPerson", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("owner"), youngPerson("other"))
		e := episode("owner", "owned", civil.New(2020, time.January, 1))
		createEpisodes(t, s, e)
		_, err := getEpisode(t, s, idOf("other"), e.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)

		moved := e
		moved.YoungPersonID, moved.PlacementType = idOf("other"), "K2"
		err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateCareEpisode(ctx, moved, 0); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteCareEpisode(ctx, idOf("other"), e.ID, 0) })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)

		got, err := getEpisode(t, s, e.YoungPersonID, e.ID)
		if err != nil || got.Revision != 1 || got.PlacementType != e.PlacementType {
			t.Fatalf("after refused writes through another young person, episode = %+v, err = %v; want it unchanged", got, err)
		}
		if es := listEpisodes(t, s, idOf("other")); len(es) != 0 {
			t.Fatalf("the other young person lists %d episodes, want 0", len(es))
		}
	})

	t.Run("ListOrder", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("lo"), youngPerson("someone-else"))
		// Created out of order; two share a start date, so the id decides.
		e3 := episode("lo", "lo-3", civil.New(2021, time.March, 1))
		e1 := episode("lo", "lo-1", civil.New(2012, time.July, 9))
		e1.End, e1.ReasonEnded = civil.New(2013, time.January, 1), "E3"
		tieA, tieB := episode("lo", "lo-tie-a", civil.New(2018, time.April, 2)), episode("lo", "lo-tie-b", civil.New(2018, time.April, 2))
		tieA.End, tieA.ReasonEnded = civil.New(2019, time.April, 2), "E3"
		tieB.End, tieB.ReasonEnded = civil.New(2018, time.May, 2), "E3"
		createEpisodes(t, s, e3, tieB, episode("someone-else", "se-1", civil.New(2011, time.January, 1)), e1, tieA)
		first, second := tieA, tieB
		if second.ID < first.ID {
			first, second = second, first
		}
		want := []string{e1.ID, first.ID, second.ID, e3.ID}
		got := listEpisodes(t, s, idOf("lo"))
		if diff := cmp.Diff(want, episodeIDs(got)); diff != "" {
			t.Fatalf("ListCareEpisodes order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(storedEpisode(e1, 1), got[0]); diff != "" {
			t.Fatalf("listed episode (-want +got):\n%s", diff)
		}
		if es := listEpisodes(t, s, idOf("nobody")); len(es) != 0 {
			t.Fatalf("a missing young person lists %d episodes, want 0", len(es))
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("eu"))
		e := episode("eu", "eu-1", civil.New(2019, time.September, 1))
		createEpisodes(t, s, e)

		// Close it.
		later := at.Add(time.Hour)
		e.End, e.ReasonEnded, e.LegalStatus, e.UpdateTime = civil.New(2024, time.September, 1), "E11", "V2", later
		e.CreateTime = later // stores keep the original create time
		var out domain.CareEpisode
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdateCareEpisode(ctx, e, 1); return err })
		want := e
		want.CreateTime = at
		want = storedEpisode(want, 2)
		if diff := cmp.Diff(want, out); diff != "" {
			t.Fatalf("UpdateCareEpisode returned (-want +got):\n%s", diff)
		}
		if got, _ := getEpisode(t, s, e.YoungPersonID, e.ID); cmp.Diff(want, got) != "" {
			t.Fatalf("after update, GetCareEpisode (-want +got):\n%s", cmp.Diff(want, got))
		}

		// Reopen it: the end date goes back to zero. Without a revision the update is unconditional.
		e.End, e.ReasonEnded = civil.Date{}, ""
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdateCareEpisode(ctx, e, 0); return err })
		want.End, want.ReasonEnded, want.Revision = civil.Date{}, "", 3
		got, _ := getEpisode(t, s, e.YoungPersonID, e.ID)
		if diff := cmp.Diff(want, got); diff != "" || out.Revision != 3 {
			t.Fatalf("reopened episode (revision returned %d) (-want +got):\n%s", out.Revision, diff)
		}
	})

	t.Run("UpdateStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("es"))
		e := episode("es", "es-1", civil.New(2019, time.September, 1))
		createEpisodes(t, s, e)
		changed := e
		changed.PlacementType = "K2"
		inTx(t, s, func(tx store.Tx) error { // the refused update is committed with the rest
			_, err := tx.UpdateCareEpisode(ctx, changed, 2)
			wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
			return nil
		})
		if got, _ := getEpisode(t, s, e.YoungPersonID, e.ID); got.PlacementType != e.PlacementType || got.Revision != 1 {
			t.Fatalf("stale update changed the episode: %+v", got)
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("em"))
		e := episode("em", "ghost-episode", civil.New(2019, time.September, 1))
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateCareEpisode(ctx, e, 1); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("ed"))
		e, keep := episode("ed", "ed-1", civil.New(2019, time.September, 1)), episode("ed", "ed-2", civil.New(2012, time.September, 1))
		keep.End, keep.ReasonEnded = civil.New(2013, time.September, 1), "E3"
		createEpisodes(t, s, e, keep)
		inTx(t, s, func(tx store.Tx) error {
			err := tx.DeleteCareEpisode(ctx, e.YoungPersonID, e.ID, 2)
			wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
			return nil
		})
		if _, err := getEpisode(t, s, e.YoungPersonID, e.ID); err != nil {
			t.Fatalf("a delete with a stale revision removed the episode (get err = %v)", err)
		}
		inTx(t, s, func(tx store.Tx) error { return tx.DeleteCareEpisode(ctx, e.YoungPersonID, e.ID, 1) })
		_, err := getEpisode(t, s, e.YoungPersonID, e.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteCareEpisode(ctx, e.YoungPersonID, e.ID, 0) })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		if diff := cmp.Diff([]string{keep.ID}, episodeIDs(listEpisodes(t, s, idOf("ed")))); diff != "" {
			t.Fatalf("after deleting one episode, ListCareEpisodes (-want +got):\n%s", diff)
		}
		// Without a revision the delete is unconditional.
		inTx(t, s, func(tx store.Tx) error { return tx.DeleteCareEpisode(ctx, keep.YoungPersonID, keep.ID, 0) })
		if es := listEpisodes(t, s, idOf("ed")); len(es) != 0 {
			t.Fatalf("after deleting every episode, %d are listed", len(es))
		}
	})
}
