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

// sharingOrganisations are the organisations the sharing tests use.
func sharingOrganisations(t *testing.T, s store.Store) {
	t.Helper()
	createOrganisations(t, s,
		organisation("council-a", domain.Council),
		organisation("council-b", domain.Council),
		organisation("partner-h", domain.Housing),
		organisation("partner-e", domain.EmploymentAndTraining))
}

// agreement is an agreement known as key, made at `at`; a zero end means no end.
func agreement(key, council, partner string, purpose domain.Purpose, start, end civil.Date) domain.SharingAgreement {
	return domain.SharingAgreement{ID: idOf(key), CouncilID: council, PartnerID: partner, Purpose: purpose,
		Start: start, End: end, Reference: "ISA-" + key, CreateTime: at, UpdateTime: at}
}

func storedAgreement(a domain.SharingAgreement, revision int64) domain.SharingAgreement {
	a.Revision, a.CreateTime, a.UpdateTime = revision, storedTime(a.CreateTime), storedTime(a.UpdateTime)
	return a
}

func createAgreements(t *testing.T, s store.Store, as ...domain.SharingAgreement) {
	t.Helper()
	createEach(t, s, store.Tx.CreateSharingAgreement, as...)
}

func getAgreement(t *testing.T, s store.Store, id string) (domain.SharingAgreement, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.SharingAgreement, error) {
		return tx.GetSharingAgreement(context.Background(), id)
	})
}

// share is a share known as key of young person ypKey, recorded at `at`.
func share(key, ypKey, partner string, purpose domain.Purpose, start, expiry civil.Date) domain.Share {
	return domain.Share{ID: idOf(key), YoungPersonID: idOf(ypKey), PartnerID: partner, Purpose: purpose,
		Basis: domain.BasisConsent, Start: start, Expiry: expiry, RecordedBy: "pa-1", CreateTime: at}
}

func storedShare(s domain.Share, revision int64) domain.Share {
	s.Revision, s.CreateTime, s.WithdrawTime = revision, storedTime(s.CreateTime), storedTime(s.WithdrawTime)
	return s
}

func createShares(t *testing.T, s store.Store, ss ...domain.Share) {
	t.Helper()
	createEach(t, s, store.Tx.CreateShare, ss...)
}

func getShare(t *testing.T, s store.Store, youngPersonID, id string) (domain.Share, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.Share, error) { return tx.GetShare(context.Background(), youngPersonID, id) })
}

func listShares(t *testing.T, s store.Store, youngPersonID string) (ss []domain.Share) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ss, err = tx.ListShares(context.Background(), youngPersonID)
		return err
	})
	return ss
}

// withdraw withdraws a share at `at` plus an hour.
func withdraw(t *testing.T, s store.Store, sh domain.Share, ifRevision int64) (out domain.Share) {
	t.Helper()
	sh.WithdrawTime, sh.WithdrawReason = at.Add(time.Hour), "consent withdrawn"
	inTx(t, s, func(tx store.Tx) (err error) {
		out, err = tx.UpdateShare(context.Background(), sh, ifRevision)
		return err
	})
	return out
}

func listShared(t *testing.T, s store.Store, q store.SharedQuery) (yps []domain.YoungPerson) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		yps, err = tx.ListSharedYoungPeople(context.Background(), q)
		return err
	})
	return yps
}

func testSharing(t *testing.T, newStore NewStore) {
	t.Run("Agreements", func(t *testing.T) { testAgreements(t, newStore) })
	t.Run("Shares", func(t *testing.T) { testShares(t, newStore) })
	t.Run("SharedYoungPeople", func(t *testing.T) { testSharedYoungPeople(t, newStore) })
}

func testAgreements(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := civil.New

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		for _, in := range []domain.SharingAgreement{
			agreement("open", "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}),
			agreement("ended", "council-a", "partner-e", domain.PurposeEmployment, day(2025, 2, 28), day(2026, 2, 28)),
		} {
			var out domain.SharingAgreement
			inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreateSharingAgreement(ctx, in); return err })
			want := storedAgreement(in, 1)
			if diff := cmp.Diff(want, out); diff != "" {
				t.Fatalf("CreateSharingAgreement returned (-want +got):\n%s", diff)
			}
			got, err := getAgreement(t, s, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("GetSharingAgreement (-want +got):\n%s", diff)
			}
		}
	})

	t.Run("CreateTakenID", func(t *testing.T) {
		// Like every create, it does not replace what is stored.
		s := newStore(t)
		sharingOrganisations(t, s)
		first := agreement("taken", "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{})
		createAgreements(t, s, first)
		again := agreement("taken", "council-b", "partner-e", domain.PurposeEmployment, day(2020, 1, 1), day(2030, 1, 1))
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateSharingAgreement(ctx, again); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		got, _ := getAgreement(t, s, first.ID)
		if diff := cmp.Diff(storedAgreement(first, 1), got); diff != "" {
			t.Fatalf("a refused create changed the agreement (-want +got):\n%s", diff)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		createAgreements(t, s, agreement("a1", "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}))
		_, err := getAgreement(t, s, idOf("a2"))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("CreateWithMissingOrganisation", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		for _, a := range []domain.SharingAgreement{
			agreement("no-partner", "council-a", "partner-z", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}),
			agreement("no-council", "council-z", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}),
		} {
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateSharingAgreement(ctx, a); return err })
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
			_, err = getAgreement(t, s, a.ID)
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
	})

	t.Run("ListPerCouncil", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		var councilA []string
		for _, key := range []string{"la5", "la2", "la4", "la1", "la3"} {
			createAgreements(t, s, agreement(key, "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}))
			councilA = append(councilA, key)
		}
		createAgreements(t, s,
			agreement("lb1", "council-b", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}),
			agreement("lb2", "council-b", "partner-e", domain.PurposeEmployment, day(2026, 1, 1), civil.Date{}))
		list := func(council, after string, limit int) (as []domain.SharingAgreement) {
			inTx(t, s, func(tx store.Tx) (err error) {
				as, err = tx.ListSharingAgreements(ctx, council, after, limit)
				return err
			})
			return as
		}
		ids := func(as []domain.SharingAgreement) []string {
			out := make([]string, len(as))
			for i, a := range as {
				out[i] = a.ID
			}
			return out
		}
		for council, keys := range map[string][]string{"council-a": councilA, "council-b": {"lb1", "lb2"}, "council-z": nil} {
			want := sortedIDs(keys...)
			for _, limit := range []int{1, 2, 100} {
				got := ids(allPages(t, limit, "", func(after string) []domain.SharingAgreement { return list(council, after, limit) },
					func(a domain.SharingAgreement) string { return a.ID }))
				if !slices.Equal(got, want) {
					t.Fatalf("%s, pages of %d: listed %v, want %v", council, limit, got, want)
				}
			}
		}
		all := list("council-b", "", 10)
		want := []domain.SharingAgreement{
			storedAgreement(agreement("lb1", "council-b", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}), 1),
			storedAgreement(agreement("lb2", "council-b", "partner-e", domain.PurposeEmployment, day(2026, 1, 1), civil.Date{}), 1),
		}
		slices.SortFunc(want, func(a, b domain.SharingAgreement) int { return strings.Compare(a.ID, b.ID) })
		if diff := cmp.Diff(want, all); diff != "" {
			t.Fatalf("council-b's agreements (-want +got):\n%s", diff)
		}
		// The councils each partner works with, whatever the state of their agreements.
		for partner, want := range map[string][]string{"partner-h": {"council-a", "council-b"}, "partner-e": {"council-b"}, "nobody": nil} {
			got, _ := read(t, s, func(tx store.Tx) ([]string, error) { return tx.PartnerCouncils(ctx, partner) })
			if !slices.Equal(got, want) {
				t.Errorf("PartnerCouncils(%s) = %v, want %v", partner, got, want)
			}
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		in := agreement("u", "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{})
		createAgreements(t, s, in)
		steps := []struct {
			name       string
			change     func(*domain.SharingAgreement)
			ifRevision int64
		}{
			{"end it", func(a *domain.SharingAgreement) { a.End, a.Reference = day(2027, 1, 1), "ISA-u-v2" }, 1},
			{"move the start", func(a *domain.SharingAgreement) { a.Start = day(2025, 12, 1) }, 0},
			{"remove the end", func(a *domain.SharingAgreement) { a.End = civil.Date{} }, 3},
		}
		current := storedAgreement(in, 1)
		for i, step := range steps {
			changed := current
			step.change(&changed)
			changed.CreateTime, changed.UpdateTime = at.Add(time.Hour), at.Add(time.Duration(i+1)*time.Hour)
			var out domain.SharingAgreement
			inTx(t, s, func(tx store.Tx) (err error) {
				out, err = tx.UpdateSharingAgreement(ctx, changed, step.ifRevision)
				return err
			})
			want := changed
			want.CreateTime = at
			want = storedAgreement(want, current.Revision+1)
			if diff := cmp.Diff(want, out); diff != "" {
				t.Fatalf("%s: UpdateSharingAgreement returned (-want +got):\n%s", step.name, diff)
			}
			got, _ := getAgreement(t, s, in.ID)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: after update, GetSharingAgreement (-want +got):\n%s", step.name, diff)
			}
			current = got
		}
	})

	t.Run("UpdateStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		in := agreement("st", "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{})
		createAgreements(t, s, in)
		changed := in
		changed.End, changed.Reference = day(2026, 2, 1), "lost"
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateSharingAgreement(ctx, changed, 2); return err })
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		got, _ := getAgreement(t, s, in.ID)
		if diff := cmp.Diff(storedAgreement(in, 1), got); diff != "" {
			t.Fatalf("a stale update changed the agreement (-want +got):\n%s", diff)
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		ghost := agreement("ghost", "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{})
		for _, ifRevision := range []int64{0, 1} {
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateSharingAgreement(ctx, ghost, ifRevision); return err })
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
	})
}

func testShares(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	start, expiry := civil.New(2026, 1, 1), civil.New(2027, 1, 1)

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		create(t, s, youngPerson("y"))
		in := share("sh", "y", "partner-h", domain.PurposeHousing, start, expiry)
		in.Basis = domain.BasisReferral
		var out domain.Share
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreateShare(ctx, in); return err })
		want := storedShare(in, 1)
		if diff := cmp.Diff(want, out); diff != "" {
			t.Fatalf("CreateShare returned (-want +got):\n%s", diff)
		}
		got, err := getShare(t, s, in.YoungPersonID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("GetShare (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateTakenID", func(t *testing.T) {
		// A share withdrawn cannot be brought back by creating it again.
		s := newStore(t)
		sharingOrganisations(t, s)
		create(t, s, youngPerson("y"))
		first := share("taken", "y", "partner-h", domain.PurposeHousing, start, expiry)
		createShares(t, s, first)
		withdraw(t, s, first, 1)
		want, _ := getShare(t, s, first.YoungPersonID, first.ID)
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateShare(ctx, first); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		got, _ := getShare(t, s, first.YoungPersonID, first.ID)
		if diff := cmp.Diff(want, got); diff != "" || got.WithdrawTime.IsZero() {
			t.Fatalf("a refused create changed the withdrawn share (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateForMissingYoungPerson", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		orphan := share("orphan", "nobody", "partner-h", domain.PurposeHousing, start, expiry)
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateShare(ctx, orphan); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("GetMissingOrOfAnotherYoungPerson", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		create(t, s, youngPerson("owner"), youngPerson("other"))
		sh := share("owned", "owner", "partner-h", domain.PurposeHousing, start, expiry)
		createShares(t, s, sh)
		_, err := getShare(t, s, idOf("other"), sh.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		_, err = getShare(t, s, idOf("owner"), idOf("no-share"))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("ListNewestFirst", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		create(t, s, youngPerson("y"), youngPerson("other"))
		recorded := func(key string, after time.Duration) domain.Share {
			sh := share(key, "y", "partner-h", domain.PurposeHousing, start, expiry)
			sh.CreateTime = at.Add(after)
			return sh
		}
		// Created out of order; ids do not follow the create times either.
		middle, newest, oldest := recorded("middle", 0), recorded("newest", time.Hour), recorded("oldest", -time.Hour)
		createShares(t, s, middle, oldest)
		createShares(t, s, newest, share("not-y", "other", "partner-h", domain.PurposeHousing, start, expiry))
		withdraw(t, s, middle, 1) // a withdrawn share is still listed
		middle.WithdrawTime, middle.WithdrawReason = at.Add(time.Hour), "consent withdrawn"
		want := []domain.Share{storedShare(newest, 1), storedShare(middle, 2), storedShare(oldest, 1)}
		if diff := cmp.Diff(want, listShares(t, s, idOf("y"))); diff != "" {
			t.Fatalf("ListShares (-want +got):\n%s", diff)
		}
		if got := listShares(t, s, idOf("nobody")); len(got) != 0 {
			t.Fatalf("shares of a missing young person: %+v", got)
		}
		// Of several young people at once: by young person in id order, each newest first.
		var several []domain.Share
		inTx(t, s, func(tx store.Tx) (err error) {
			several, err = tx.ListShares(context.Background(), idOf("y"), idOf("nobody"), idOf("other"))
			return err
		})
		other := storedShare(share("not-y", "other", "partner-h", domain.PurposeHousing, start, expiry), 1)
		want = append(want, other)
		if idOf("other") < idOf("y") {
			want = append([]domain.Share{other}, want[:3]...)
		}
		if diff := cmp.Diff(want, several); diff != "" {
			t.Fatalf("ListShares of several (-want +got):\n%s", diff)
		}
	})

	t.Run("Withdraw", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		create(t, s, youngPerson("y"))
		in := share("w", "y", "partner-h", domain.PurposeHousing, start, expiry)
		createShares(t, s, in)
		// UpdateShare stores a withdrawal: nothing else of the share changes.
		changed := in
		changed.WithdrawTime = at.Add(time.Hour + 999).In(time.FixedZone("BST", 3600))
		changed.WithdrawReason = "consent withdrawn"
		changed.Expiry, changed.Purpose, changed.PartnerID, changed.CreateTime = civil.New(2030, 1, 1), domain.PurposeEmployment, "partner-e", at.Add(time.Hour)
		var out domain.Share
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdateShare(ctx, changed, 1); return err })
		want := in
		want.WithdrawTime, want.WithdrawReason = changed.WithdrawTime, changed.WithdrawReason
		want = storedShare(want, 2)
		if diff := cmp.Diff(want, out); diff != "" {
			t.Fatalf("UpdateShare returned (-want +got):\n%s", diff)
		}
		if out.WithdrawTime.Location() != time.UTC {
			t.Fatalf("the withdraw time came back in %v, want UTC", out.WithdrawTime.Location())
		}
		got, _ := getShare(t, s, in.YoungPersonID, in.ID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("after the withdrawal, GetShare (-want +got):\n%s", diff)
		}
		if got.InForce(start) {
			t.Fatal("a withdrawn share is still in force")
		}
	})

	t.Run("WithdrawStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		create(t, s, youngPerson("y"))
		in := share("ws", "y", "partner-h", domain.PurposeHousing, start, expiry)
		createShares(t, s, in)
		withdrawn := in
		withdrawn.WithdrawTime, withdrawn.WithdrawReason = at.Add(time.Hour), "lost"
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateShare(ctx, withdrawn, 2); return err })
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		got, _ := getShare(t, s, in.YoungPersonID, in.ID)
		if diff := cmp.Diff(storedShare(in, 1), got); diff != "" {
			t.Fatalf("a stale withdrawal changed the share (-want +got):\n%s", diff)
		}
	})

	t.Run("WithdrawMissingOrThroughAnotherYoungPerson", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		create(t, s, youngPerson("owner"), youngPerson("other"))
		in := share("owned", "owner", "partner-h", domain.PurposeHousing, start, expiry)
		createShares(t, s, in)
		through := in
		through.YoungPersonID = idOf("other")
		ghost := share("ghost", "owner", "partner-h", domain.PurposeHousing, start, expiry)
		for _, sh := range []domain.Share{through, ghost} {
			for _, ifRevision := range []int64{0, 1} {
				sh.WithdrawTime = at.Add(time.Hour)
				err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateShare(ctx, sh, ifRevision); return err })
				wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
			}
		}
		got, _ := getShare(t, s, in.YoungPersonID, in.ID)
		if diff := cmp.Diff(storedShare(in, 1), got); diff != "" {
			t.Fatalf("a withdrawal through another young person changed the share (-want +got):\n%s", diff)
		}
	})
}

// testSharedYoungPeople lists young people shared with partners from this fixture, on
// day 2026-06-01 (D) unless a case says otherwise, born after 2006-06-01 (B):
//
//	agreements  council    partner    purpose     in force
//	            council-a  partner-h  HOUSING     from 2026-01-01
//	            council-b  partner-h  HOUSING     2026-01-01 until D (so not on D)
//	            council-b  partner-h  EMPLOYMENT  from 2025-01-01
//	            council-a  partner-e  EMPLOYMENT  from D+1
//	            council-a  partner-e  HOUSING     from 2026-01-01
//
//	young people (council-a and a share with partner-h for HOUSING in force on D unless said)
//	y1   -
//	y2   share starts on D
//	y3   share expires on D
//	y4   share starts on D+1
//	y5   share withdrawn
//	y6   share for EMPLOYMENT
//	y7   share with partner-e
//	y8   council-b
//	y9   council-b, share for EMPLOYMENT
//	y10  born on B
//	y11  three shares: one withdrawn, two in force
//	y12  share with partner-e for EMPLOYMENT
//	y13  council-c, which has no agreement
//	y14  -
//	y15  -
//	y16  born on B+1
func testSharedYoungPeople(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := civil.New
	d := day(2026, 6, 1)
	b := day(2006, 6, 1)
	s := newStore(t)
	sharingOrganisations(t, s)
	createAgreements(t, s,
		agreement("a-h", "council-a", "partner-h", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}),
		agreement("b-h", "council-b", "partner-h", domain.PurposeHousing, day(2026, 1, 1), d),
		agreement("b-h-e", "council-b", "partner-h", domain.PurposeEmployment, day(2025, 1, 1), civil.Date{}),
		agreement("a-e-e", "council-a", "partner-e", domain.PurposeEmployment, d.AddDays(1), civil.Date{}),
		agreement("a-e-h", "council-a", "partner-e", domain.PurposeHousing, day(2026, 1, 1), civil.Date{}),
	)
	yp := func(key, council string, dob civil.Date) domain.YoungPerson {
		y := youngPerson(key)
		y.CouncilID, y.DateOfBirth = council, dob
		return y
	}
	dob := day(2010, 3, 1)
	yps := []domain.YoungPerson{
		yp("y1", "council-a", dob), yp("y2", "council-a", dob), yp("y3", "council-a", dob), yp("y4", "council-a", dob),
		yp("y5", "council-a", dob), yp("y6", "council-a", dob), yp("y7", "council-a", dob), yp("y8", "council-b", dob),
		yp("y9", "council-b", dob), yp("y10", "council-a", b), yp("y11", "council-a", dob), yp("y12", "council-a", dob),
		yp("y13", "council-c", dob), yp("y14", "council-a", dob), yp("y15", "council-a", dob), yp("y16", "council-a", b.AddDays(1)),
	}
	create(t, s, yps...)
	from, until := day(2026, 5, 1), day(2026, 12, 1)
	housing := func(key, ypKey string) domain.Share {
		return share(key, ypKey, "partner-h", domain.PurposeHousing, from, until)
	}
	s2, s3, s4 := housing("s2", "y2"), housing("s3", "y3"), housing("s4", "y4")
	s2.Start, s3.Expiry, s4.Start = d, d, d.AddDays(1)
	s5, s11a := housing("s5", "y5"), housing("s11a", "y11")
	s11b, s11c := housing("s11b", "y11"), housing("s11c", "y11")
	s11c.Start = day(2026, 1, 1)
	createShares(t, s,
		housing("s1", "y1"), s2, s3, s4, s5,
		share("s6", "y6", "partner-h", domain.PurposeEmployment, from, until),
		share("s7", "y7", "partner-e", domain.PurposeHousing, from, until),
		housing("s8", "y8"),
		share("s9", "y9", "partner-h", domain.PurposeEmployment, from, until),
		housing("s10", "y10"), s11a, s11b, s11c,
		share("s12", "y12", "partner-e", domain.PurposeEmployment, from, until),
		housing("s13", "y13"), housing("s14", "y14"), housing("s15", "y15"), housing("s16", "y16"),
	)
	withdraw(t, s, s5, 1)
	withdraw(t, s, s11a, 1)

	onD := store.SharedQuery{PartnerID: "partner-h", Purpose: domain.PurposeHousing, Day: d, BornAfter: b, Limit: 100}
	with := func(change func(*store.SharedQuery)) store.SharedQuery {
		q := onD
		change(&q)
		return q
	}
	cases := []struct {
		name string
		q    store.SharedQuery
		want []string
	}{
		{"in force on D", onD, []string{"y1", "y2", "y11", "y14", "y15", "y16"}},
		{"the day before", with(func(q *store.SharedQuery) { q.Day = d.AddDays(-1) }),
			[]string{"y1", "y3", "y8", "y11", "y14", "y15", "y16"}},
		{"the day after", with(func(q *store.SharedQuery) { q.Day = d.AddDays(1) }),
			[]string{"y1", "y2", "y4", "y11", "y14", "y15", "y16"}},
		{"before any share", with(func(q *store.SharedQuery) { q.Day = day(2026, 4, 30) }), []string{"y11"}},
		{"after every share", with(func(q *store.SharedQuery) { q.Day = until }), nil},
		{"employment", with(func(q *store.SharedQuery) { q.Purpose = domain.PurposeEmployment }), []string{"y9"}},
		{"other partner, employment on D", with(func(q *store.SharedQuery) {
			q.PartnerID, q.Purpose = "partner-e", domain.PurposeEmployment
		}), nil},
		{"other partner, employment the day after", with(func(q *store.SharedQuery) {
			q.PartnerID, q.Purpose, q.Day = "partner-e", domain.PurposeEmployment, d.AddDays(1)
		}), []string{"y12"}},
		{"other partner, housing", with(func(q *store.SharedQuery) { q.PartnerID = "partner-e" }), []string{"y7"}},
		{"a partner with no shares", with(func(q *store.SharedQuery) { q.PartnerID = "council-a" }), nil},
		{"born a day earlier", with(func(q *store.SharedQuery) { q.BornAfter = b.AddDays(-1) }),
			[]string{"y1", "y2", "y10", "y11", "y14", "y15", "y16"}},
		{"born a day later", with(func(q *store.SharedQuery) { q.BornAfter = b.AddDays(1) }),
			[]string{"y1", "y2", "y11", "y14", "y15"}},
		{"born any day", with(func(q *store.SharedQuery) { q.BornAfter = civil.Date{} }),
			[]string{"y1", "y2", "y10", "y11", "y14", "y15", "y16"}},
		{"one young person", with(func(q *store.SharedQuery) { q.YoungPersonID = idOf("y11") }), []string{"y11"}},
		{"one young person not shared", with(func(q *store.SharedQuery) { q.YoungPersonID = idOf("y3") }), nil},
		{"one young person born too early", with(func(q *store.SharedQuery) { q.YoungPersonID = idOf("y10") }), nil},
		{"one young person born any day", with(func(q *store.SharedQuery) {
			q.YoungPersonID, q.BornAfter = idOf("y10"), civil.Date{}
		}), []string{"y10"}},
		{"one young person without an agreement", with(func(q *store.SharedQuery) { q.YoungPersonID = idOf("y13") }), nil},
		{"some young people", with(func(q *store.SharedQuery) {
			q.YoungPersonIDs = []string{idOf("y13"), idOf("y11"), idOf("y3"), idOf("y1"), idOf("y16")}
		}), []string{"y1", "y11", "y16"}},
		{"some young people, none shared", with(func(q *store.SharedQuery) { q.YoungPersonIDs = []string{idOf("y3"), idOf("y10")} }), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := sortedIDs(tc.want...)
			if got := youngPersonIDs(listShared(t, s, tc.q)); !slices.Equal(got, want) {
				t.Fatalf("listed %v, want %v (%v) in id order", got, want, tc.want)
			}
			for _, limit := range []int{1, 2} {
				q := tc.q
				q.Limit = limit
				got := youngPersonIDs(allPages(t, limit, "", func(after string) []domain.YoungPerson {
					q.AfterID = after
					return listShared(t, s, q)
				}, func(yp domain.YoungPerson) string { return yp.ID }))
				if !slices.Equal(got, want) {
					t.Fatalf("pages of %d listed %v, want each of %v once", limit, got, want)
				}
			}
		})
	}

	t.Run("AfterIDNotShared", func(t *testing.T) {
		// The cursor need not be a shared young person: here, one whose share expired.
		want := sortedIDs("y1", "y2", "y11", "y14", "y15", "y16")
		after := idOf("y3")
		var rest []string
		for _, id := range want {
			if id > after {
				rest = append(rest, id)
			}
		}
		got := youngPersonIDs(listShared(t, s, with(func(q *store.SharedQuery) { q.AfterID = after })))
		if !slices.Equal(got, rest) {
			t.Fatalf("after y3 listed %v, want %v", got, rest)
		}
	})

	t.Run("WholeYoungPeople", func(t *testing.T) {
		got := listShared(t, s, with(func(q *store.SharedQuery) { q.YoungPersonID = idOf("y16") }))
		if diff := cmp.Diff([]domain.YoungPerson{stored(yps[15], 1)}, got); diff != "" {
			t.Fatalf("ListSharedYoungPeople (-want +got):\n%s", diff)
		}
	})

	t.Run("DeletingAYoungPersonWithShares", func(t *testing.T) {
		kept := listShares(t, s, idOf("y2"))
		inTx(t, s, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, idOf("y1"), 0) })
		want := sortedIDs("y2", "y11", "y14", "y15", "y16")
		if got := youngPersonIDs(listShared(t, s, onD)); !slices.Equal(got, want) {
			t.Fatalf("after deleting y1, listed %v, want %v", got, want)
		}
		if diff := cmp.Diff(kept, listShares(t, s, idOf("y2"))); diff != "" {
			t.Fatalf("deleting y1 changed y2's shares (-before +after):\n%s", diff)
		}
	})
}
