package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// idOf turns a short test key into a stable UUID, so ids sort the same in every backend.
func idOf(key string) string {
	var n uint64
	for _, c := range key {
		n = n*131 + uint64(c)
	}
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(n>>32), n&0xffffffffffff)
}

func youngPerson(key string) domain.YoungPerson {
	return domain.YoungPerson{
		ID:            idOf(key),
		GivenName:     "Given " + key,
		FamilyName:    "Family " + key,
		PreferredName: "",
		DateOfBirth:   civil.New(2010, time.March, 1),
		CouncilID:     "council-a",
		CaseReference: "REF-" + key,
		CreateTime:    at,
		UpdateTime:    at,
	}
}

// stored is how a young person created at `at` comes back from a store.
func stored(yp domain.YoungPerson, revision int64) domain.YoungPerson {
	yp.Revision = revision
	yp.CreateTime = yp.CreateTime.UTC().Truncate(time.Microsecond)
	yp.UpdateTime = yp.UpdateTime.UTC().Truncate(time.Microsecond)
	return yp
}

func create(t *testing.T, s store.Store, yps ...domain.YoungPerson) {
	t.Helper()
	createEach(t, s, store.Tx.CreateYoungPerson, yps...)
}

func get(t *testing.T, s store.Store, id string) (domain.YoungPerson, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.YoungPerson, error) { return tx.GetYoungPerson(context.Background(), id) })
}

func testYoungPeople(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		in := youngPerson("a")
		in.PreferredName = "Ace"
		in.UnaccompaniedAsylumSeekingChild, in.EHCPlan, in.Disability = true, true, true
		var out domain.YoungPerson
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreateYoungPerson(ctx, in); return err })
		want := stored(in, 1)
		if diff := cmp.Diff(want, out); diff != "" {
			t.Fatalf("CreateYoungPerson returned (-want +got):\n%s", diff)
		}
		got, err := get(t, s, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("GetYoungPerson (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateManyAtOnce", func(t *testing.T) {
		// As CreateYoungPerson and CreateCareEpisode one by one; a taken case reference
		// fails the whole call and stores none of it.
		s := newStore(t)
		a, b := youngPerson("many-a"), youngPerson("many-b")
		b.UnaccompaniedAsylumSeekingChild, b.SSDA903 = true, map[string]string{"SEX": "2"}
		ea := episode("many-a", "many-ea", civil.New(2022, time.May, 3))
		ea.End, ea.ReasonEnded = civil.New(2023, time.January, 9), "E4A"
		eb := episode("many-b", "many-eb", civil.New(2024, time.February, 1))
		eb.SSDA903 = map[string]string{"RNE": "S"}
		inTx(t, s, func(tx store.Tx) error {
			return tx.CreateYoungPeople(ctx, []domain.YoungPerson{a, b}, []domain.CareEpisode{ea, eb})
		})
		for _, yp := range []domain.YoungPerson{a, b} {
			got, err := get(t, s, yp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(stored(yp, 1), got, equateEmpty); diff != "" {
				t.Fatalf("created at once, GetYoungPerson (-want +got):\n%s", diff)
			}
		}
		for _, e := range []domain.CareEpisode{ea, eb} {
			got := listEpisodes(t, s, e.YoungPersonID)
			want := e
			want.Revision = 1
			want.CreateTime, want.UpdateTime = at.UTC().Truncate(time.Microsecond), at.UTC().Truncate(time.Microsecond)
			if len(got) != 1 || cmp.Diff(want, got[0], equateEmpty) != "" {
				t.Fatalf("created at once, episodes of %s = %+v; want %+v", e.YoungPersonID, got, want)
			}
		}
		c, dup := youngPerson("many-c"), youngPerson("many-dup")
		dup.CaseReference = a.CaseReference
		err := s.InTx(ctx, func(tx store.Tx) error {
			return tx.CreateYoungPeople(ctx, []domain.YoungPerson{c, dup}, nil)
		})
		wantErr(t, err, errs.AlreadyExists, errs.ReasonCaseReferenceInUse)
		if _, err := get(t, s, c.ID); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("a refused CreateYoungPeople stored another young person (get err = %v)", err)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		_, err := get(t, newStore(t), idOf("nobody"))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("CaseReferenceUniquePerCouncil", func(t *testing.T) {
		s := newStore(t)
		first := youngPerson("first")
		create(t, s, first)
		dup := youngPerson("dup")
		dup.CaseReference = first.CaseReference
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateYoungPerson(ctx, dup); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonCaseReferenceInUse)
		if _, err := get(t, s, dup.ID); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("refused create stored the young person (get err = %v)", err)
		}
		dup.CouncilID = "council-b"
		create(t, s, dup) // same reference at another council is fine
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("u")
		create(t, s, yp)
		later := at.Add(time.Hour)
		yp.GivenName, yp.DateOfBirth, yp.EHCPlan, yp.UpdateTime = "Changed", civil.New(2009, time.December, 31), true, later
		yp.CreateTime = later // stores keep the original create time
		var out domain.YoungPerson
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdateYoungPerson(ctx, yp, 1); return err })
		want := yp
		want.CreateTime = at
		want = stored(want, 2)
		if diff := cmp.Diff(want, out); diff != "" {
			t.Fatalf("UpdateYoungPerson returned (-want +got):\n%s", diff)
		}
		got, _ := get(t, s, yp.ID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("after update, GetYoungPerson (-want +got):\n%s", diff)
		}
		// Without a revision the update is unconditional.
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdateYoungPerson(ctx, yp, 0); return err })
		if out.Revision != 3 {
			t.Fatalf("unconditional update gave revision %d, want 3", out.Revision)
		}
	})

	t.Run("UpdateStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("stale")
		create(t, s, yp)
		changed := yp
		changed.GivenName = "Lost"
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateYoungPerson(ctx, changed, 7); return err })
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		if got, _ := get(t, s, yp.ID); got.GivenName != yp.GivenName || got.Revision != 1 {
			t.Fatalf("stale update changed the record: %+v", got)
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateYoungPerson(ctx, youngPerson("ghost"), 1); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("UpdateToCaseReferenceInUse", func(t *testing.T) {
		s := newStore(t)
		a, b := youngPerson("ca"), youngPerson("cb")
		create(t, s, a, b)
		b.CaseReference = a.CaseReference
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateYoungPerson(ctx, b, 0); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonCaseReferenceInUse)
		if got, _ := get(t, s, b.ID); got.CaseReference != "REF-cb" {
			t.Fatalf("refused update changed the case reference to %q", got.CaseReference)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("d")
		create(t, s, yp)
		err := s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, yp.ID, 2) })
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		inTx(t, s, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, yp.ID, 1) })
		_, err = get(t, s, yp.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, yp.ID, 0) })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		create(t, s, yp) // the case reference is free again
	})

	t.Run("ConcurrentUpdatesOneWins", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("race")
		create(t, s, yp)
		const n = 8
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() {
				changed := yp
				changed.GivenName = fmt.Sprintf("Writer %d", i)
				results[i] = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateYoungPerson(ctx, changed, 1); return err })
			})
		}
		wg.Wait()
		won := 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case errs.ReasonOf(err) != errs.ReasonEtagMismatch:
				t.Fatalf("a losing writer got %v, want ETAG_MISMATCH", err)
			}
		}
		if got, _ := get(t, s, yp.ID); won != 1 || got.Revision != 2 {
			t.Fatalf("%d writers won and the revision is %d; want exactly one and revision 2", won, got.Revision)
		}
	})

	t.Run("ListPagesEachOnce", func(t *testing.T) {
		s := newStore(t)
		var all []domain.YoungPerson
		for i := range 250 {
			all = append(all, youngPerson(fmt.Sprintf("p%03d", i)))
		}
		create(t, s, all...)
		seen := map[string]int{}
		var order []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("paging did not end after 3 pages of 100")
			}
			var page []domain.YoungPerson
			inTx(t, s, func(tx store.Tx) (err error) {
				page, err = tx.ListYoungPeople(ctx, store.YoungPeopleQuery{AfterID: after, Limit: 100})
				return err
			})
			for _, yp := range page {
				seen[yp.ID]++
				order = append(order, yp.ID)
			}
			if len(page) < 100 {
				break
			}
			after = page[len(page)-1].ID
		}
		if len(seen) != 250 || len(order) != 250 {
			t.Fatalf("paging returned %d rows, %d distinct; want 250 each exactly once", len(order), len(seen))
		}
		if !slices.IsSorted(order) {
			t.Fatal("list is not in id order")
		}
	})

	t.Run("ListFilter", func(t *testing.T) { testListFilter(t, newStore(t)) })
	t.Run("Lock", func(t *testing.T) { testLockYoungPerson(t, newStore) })
	t.Run("DeleteCascades", func(t *testing.T) { testDeleteCascades(t, newStore) })
}

func testListFilter(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(key string, dob civil.Date, council string, uasc, ehcp, disability bool) domain.YoungPerson {
		yp := youngPerson(key)
		yp.DateOfBirth, yp.CouncilID = dob, council
		yp.UnaccompaniedAsylumSeekingChild, yp.EHCPlan, yp.Disability = uasc, ehcp, disability
		return yp
	}
	create(t, s,
		mk("f1", civil.New(2008, 2, 29), "council-a", true, false, false),
		mk("f2", civil.New(2008, 3, 1), "council-a", false, true, false),
		mk("f3", civil.New(2010, 6, 15), "council-b", false, false, true),
		mk("f4", civil.New(2012, 1, 1), "council-b", true, true, true),
	)
	dob := func(op query.Op, d civil.Date) query.Expr {
		return query.Compare{Field: "date_of_birth", Op: op, Value: d}
	}
	flag := func(field string, op query.Op, v bool) query.Expr {
		return query.Compare{Field: field, Op: op, Value: v}
	}
	for _, tc := range []struct {
		name   string
		filter query.Expr
		want   []string
	}{
		{"none", nil, []string{"f1", "f2", "f3", "f4"}},
		{"dob eq leap day", dob(query.Eq, civil.New(2008, 2, 29)), []string{"f1"}},
		{"dob ne", dob(query.Ne, civil.New(2008, 2, 29)), []string{"f2", "f3", "f4"}},
		{"dob lt", dob(query.Lt, civil.New(2008, 3, 1)), []string{"f1"}},
		{"dob le", dob(query.Le, civil.New(2008, 3, 1)), []string{"f1", "f2"}},
		{"dob gt", dob(query.Gt, civil.New(2010, 6, 15)), []string{"f4"}},
		{"dob ge", dob(query.Ge, civil.New(2010, 6, 15)), []string{"f3", "f4"}},
		{"uasc", flag("unaccompanied_asylum_seeking_child", query.Eq, true), []string{"f1", "f4"}},
		{"not ehcp", flag("ehc_plan", query.Ne, true), []string{"f1", "f3"}},
		{"disability", flag("disability", query.Eq, true), []string{"f3", "f4"}},
		{"council", query.Compare{Field: "council", Op: query.Eq, Value: "council-b"}, []string{"f3", "f4"}},
		{"and", query.And{Left: flag("ehc_plan", query.Eq, true), Right: dob(query.Lt, civil.New(2011, 1, 1))}, []string{"f2"}},
		{"or", query.Or{Left: flag("disability", query.Eq, true), Right: dob(query.Eq, civil.New(2008, 3, 1))}, []string{"f2", "f3", "f4"}},
		{"not", query.Not{X: query.Or{Left: flag("disability", query.Eq, true), Right: flag("unaccompanied_asylum_seeking_child", query.Eq, true)}}, []string{"f2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var page []domain.YoungPerson
			inTx(t, s, func(tx store.Tx) (err error) {
				page, err = tx.ListYoungPeople(ctx, store.YoungPeopleQuery{Filter: tc.filter, Limit: 10})
				return err
			})
			var got []string
			for _, yp := range page {
				got = append(got, yp.CaseReference[len("REF-"):])
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("filter %s matched %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}
