package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// storedTime is how a store keeps a time: in UTC, to the microsecond.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// organisation is an organisation created at `at`; subjects are its certificate subjects,
// in sorted order (the order a store returns them in is not part of the contract).
func organisation(id string, typ domain.OrganisationType, subjects ...string) domain.Organisation {
	return domain.Organisation{ID: id, DisplayName: "Organisation " + id, Type: typ,
		CertificateSubjects: subjects, CreateTime: at, UpdateTime: at}
}

func storedOrganisation(o domain.Organisation, revision int64) domain.Organisation {
	o.Revision, o.CreateTime, o.UpdateTime = revision, storedTime(o.CreateTime), storedTime(o.UpdateTime)
	return o
}

func createOrganisations(t *testing.T, s store.Store, os ...domain.Organisation) {
	t.Helper()
	createEach(t, s, store.Tx.CreateOrganisation, os...)
}

func getOrganisation(t *testing.T, s store.Store, id string) (domain.Organisation, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.Organisation, error) { return tx.GetOrganisation(context.Background(), id) })
}

func organisationBySubject(t *testing.T, s store.Store, subject string) (domain.Organisation, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.Organisation, error) {
		return tx.OrganisationByCertificateSubject(context.Background(), subject)
	})
}

// person is a person of organisation org created at `at`.
func person(id, org, team string, roles ...domain.Role) domain.Person {
	return domain.Person{ID: id, DisplayName: "Person " + id, OrganisationID: org, Team: team, Roles: roles,
		CreateTime: at, UpdateTime: at}
}

func storedPerson(p domain.Person, revision int64) domain.Person {
	p.Revision, p.CreateTime, p.UpdateTime = revision, storedTime(p.CreateTime), storedTime(p.UpdateTime)
	return p
}

func createPeople(t *testing.T, s store.Store, ps ...domain.Person) {
	t.Helper()
	createEach(t, s, store.Tx.CreatePerson, ps...)
}

func getPerson(t *testing.T, s store.Store, id string) (domain.Person, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.Person, error) { return tx.GetPerson(context.Background(), id) })
}

func testAccess(t *testing.T, newStore NewStore) {
	t.Run("Organisations", func(t *testing.T) { testOrganisations(t, newStore) })
	t.Run("People", func(t *testing.T) { testPeople(t, newStore) })
}

func testOrganisations(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		for _, in := range []domain.Organisation{
			organisation("council-a", domain.Council),
			organisation("partner-h", domain.Housing, "spiffe://housing.example/a", "spiffe://housing.example/b"),
		} {
			var out domain.Organisation
			inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreateOrganisation(ctx, in); return err })
			want := storedOrganisation(in, 1)
			if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
				t.Fatalf("CreateOrganisation returned (-want +got):\n%s", diff)
			}
			got, err := getOrganisation(t, s, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Fatalf("GetOrganisation (-want +got):\n%s", diff)
			}
		}
	})

	t.Run("CreateTakenID", func(t *testing.T) {
		s := newStore(t)
		first := organisation("council-a", domain.Council, "spiffe://a.example/1")
		createOrganisations(t, s, first)
		again := organisation("council-a", domain.Housing, "spiffe://a.example/2")
		again.DisplayName = "Impostor"
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateOrganisation(ctx, again); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		got, _ := getOrganisation(t, s, first.ID)
		if diff := cmp.Diff(storedOrganisation(first, 1), got, equateEmpty); diff != "" {
			t.Fatalf("a refused create changed the organisation (-want +got):\n%s", diff)
		}
		_, err = organisationBySubject(t, s, "spiffe://a.example/2")
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("OwnReminders", func(t *testing.T) {
		// The young person's own choice: off at first, set alone with its revision checked,
		// found through their record, and kept by an administrator's update.
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		create(t, s, youngPerson("yp1"), youngPerson("yp2"))
		in := person("yp-1", "council-a", "", domain.YoungPersonRole)
		in.YoungPersonID = idOf("yp1")
		createPeople(t, s, in)
		var got domain.Person
		inTx(t, s, func(tx store.Tx) (err error) { got, err = tx.YoungPersonAccount(ctx, idOf("yp1")); return err })
		if got.ID != "yp-1" || got.OwnReminders {
			t.Fatalf("YoungPersonAccount: %+v; want yp-1, reminders off", got)
		}
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.YoungPersonAccount(ctx, idOf("yp2")); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		var all []domain.Person // of several at once: only those who have one
		inTx(t, s, func(tx store.Tx) (err error) {
			all, err = tx.YoungPersonAccounts(ctx, []string{idOf("yp1"), idOf("yp2")})
			return err
		})
		if len(all) != 1 || all[0].ID != "yp-1" || all[0].YoungPersonID != idOf("yp1") {
			t.Fatalf("YoungPersonAccounts(yp1, yp2): %+v; want yp-1 alone", all)
		}
		at := got.UpdateTime.Add(time.Hour)
		var on domain.Person
		inTx(t, s, func(tx store.Tx) (err error) {
			on, err = tx.SetOwnReminders(ctx, "yp-1", true, at, got.Revision)
			return err
		})
		if !on.OwnReminders || on.Revision != got.Revision+1 || !on.UpdateTime.Equal(at) {
			t.Fatalf("SetOwnReminders: %+v; want on, revision %d, updated %v", on, got.Revision+1, at)
		}
		err = s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.SetOwnReminders(ctx, "yp-1", false, at, got.Revision)
			return err
		})
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.SetOwnReminders(ctx, "nobody", true, at, 0); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		renamed := on
		renamed.DisplayName, renamed.OwnReminders = "Renamed", false
		inTx(t, s, func(tx store.Tx) (err error) { _, err = tx.UpdatePerson(ctx, renamed, 0); return err })
		if p, err := getPerson(t, s, "yp-1"); err != nil || !p.OwnReminders || p.DisplayName != "Renamed" {
			t.Fatalf("after UpdatePerson: %+v, %v; want reminders still on", p, err)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		_, err := getOrganisation(t, s, "council-z")
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("ListPagesInIDOrder", func(t *testing.T) {
		s := newStore(t)
		ids := []string{"o5", "o2", "o7", "o1", "o6", "o3", "o4"} // created out of order
		for _, id := range ids {
			createOrganisations(t, s, organisation(id, domain.Council, "spiffe://"+id))
		}
		list := func(after string, limit int) (os []domain.Organisation) {
			inTx(t, s, func(tx store.Tx) (err error) { os, err = tx.ListOrganisations(ctx, after, limit); return err })
			return os
		}
		sorted := slices.Sorted(slices.Values(ids))
		var paged []string
		for _, o := range allPages(t, 3, "", func(after string) []domain.Organisation { return list(after, 3) },
			func(o domain.Organisation) string { return o.ID }) {
			paged = append(paged, o.ID)
		}
		if !slices.Equal(paged, sorted) {
			t.Fatalf("pages of 3 listed %v, want %v", paged, sorted)
		}
		// The cursor need not be an organisation; listed organisations come back whole.
		page := list("o25", 2)
		if len(page) != 2 || page[0].ID != "o3" || page[1].ID != "o4" {
			t.Fatalf("2 after o25 listed %+v, want o3 and o4", page)
		}
		if diff := cmp.Diff(storedOrganisation(organisation("o3", domain.Council, "spiffe://o3"), 1), page[0], equateEmpty); diff != "" {
			t.Fatalf("listed organisation (-want +got):\n%s", diff)
		}
		if page := list("o7", 10); len(page) != 0 {
			t.Fatalf("after the last organisation listed %+v", page)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		in := organisation("partner-h", domain.Housing, "spiffe://h/a", "spiffe://h/b")
		createOrganisations(t, s, in)
		changed := in
		changed.DisplayName, changed.CertificateSubjects = "Renamed", []string{"spiffe://h/b", "spiffe://h/c"}
		changed.CreateTime, changed.UpdateTime = at.Add(time.Hour), at.Add(time.Hour) // stores keep the create time
		var out domain.Organisation
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdateOrganisation(ctx, changed, 1); return err })
		want := changed
		want.CreateTime = at
		want = storedOrganisation(want, 2)
		if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
			t.Fatalf("UpdateOrganisation returned (-want +got):\n%s", diff)
		}
		got, _ := getOrganisation(t, s, in.ID)
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Fatalf("after update, GetOrganisation (-want +got):\n%s", diff)
		}
		// The subject it gave up no longer finds it; the new one does.
		_, err := organisationBySubject(t, s, "spiffe://h/a")
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		if got, err := organisationBySubject(t, s, "spiffe://h/c"); err != nil || got.ID != in.ID {
			t.Fatalf("by the new subject: %+v, %v", got, err)
		}
		// Without a revision the update is unconditional.
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdateOrganisation(ctx, changed, 0); return err })
		if out.Revision != 3 {
			t.Fatalf("an unconditional update gave revision %d, want 3", out.Revision)
		}
	})

	t.Run("StewardIsKeptAndNeverChanges", func(t *testing.T) {
		s := newStore(t)
		council := organisation("council-a", domain.Council)
		in := organisation("partner-h", domain.Housing)
		in.Steward = "council-a"
		createOrganisations(t, s, council, in)
		got, _ := getOrganisation(t, s, in.ID)
		if got.Steward != "council-a" {
			t.Fatalf("steward %q, want council-a", got.Steward)
		}
		changed := got
		changed.Steward, changed.DisplayName = "", "Renamed"
		inTx(t, s, func(tx store.Tx) error { _, err := tx.UpdateOrganisation(ctx, changed, 0); return err })
		if got, _ := getOrganisation(t, s, in.ID); got.Steward != "council-a" || got.DisplayName != "Renamed" {
			t.Fatalf("after an update: %+v; want the steward kept", got)
		}
		orphan := organisation("partner-x", domain.Housing)
		orphan.Steward = "no-such-council"
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateOrganisation(ctx, orphan); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("UpdateStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		in := organisation("partner-h", domain.Housing, "spiffe://h/a")
		createOrganisations(t, s, in)
		changed := in
		changed.DisplayName, changed.CertificateSubjects = "Lost", []string{"spiffe://h/lost"}
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateOrganisation(ctx, changed, 2); return err })
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		got, _ := getOrganisation(t, s, in.ID)
		if diff := cmp.Diff(storedOrganisation(in, 1), got, equateEmpty); diff != "" {
			t.Fatalf("a stale update changed the organisation (-want +got):\n%s", diff)
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		err := s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.UpdateOrganisation(ctx, organisation("ghost", domain.Council), 0)
			return err
		})
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("ByCertificateSubject", func(t *testing.T) {
		s := newStore(t)
		h := organisation("partner-h", domain.Housing, "spiffe://h/a", "spiffe://h/b")
		e := organisation("partner-e", domain.EmploymentAndTraining, "spiffe://e/a")
		createOrganisations(t, s, organisation("council-a", domain.Council), h, e)
		for subject, want := range map[string]domain.Organisation{"spiffe://h/a": h, "spiffe://h/b": h, "spiffe://e/a": e} {
			got, err := organisationBySubject(t, s, subject)
			if err != nil {
				t.Fatalf("%s: %v", subject, err)
			}
			if diff := cmp.Diff(storedOrganisation(want, 1), got, equateEmpty); diff != "" {
				t.Fatalf("%s: OrganisationByCertificateSubject (-want +got):\n%s", subject, diff)
			}
		}
		for _, subject := range []string{"spiffe://h", "spiffe://h/a/", "SPIFFE://h/a", ""} {
			_, err := organisationBySubject(t, s, subject)
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
	})

	t.Run("CertificateSubjectOfOneOrganisationOnly", func(t *testing.T) {
		s := newStore(t)
		h := organisation("partner-h", domain.Housing, "spiffe://h/a")
		e := organisation("partner-e", domain.EmploymentAndTraining, "spiffe://e/a")
		createOrganisations(t, s, h, e)

		taker := organisation("partner-x", domain.Housing, "spiffe://x/a", "spiffe://h/a")
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateOrganisation(ctx, taker); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		_, err = getOrganisation(t, s, taker.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)

		grab := e
		grab.CertificateSubjects = []string{"spiffe://e/a", "spiffe://h/a"}
		err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateOrganisation(ctx, grab, 0); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		if got, _ := getOrganisation(t, s, e.ID); got.Revision != 1 || !slices.Equal(got.CertificateSubjects, e.CertificateSubjects) {
			t.Fatalf("a refused update changed the organisation: %+v", got)
		}
		for subject, want := range map[string]string{"spiffe://h/a": h.ID, "spiffe://e/a": e.ID} {
			if got, err := organisationBySubject(t, s, subject); err != nil || got.ID != want {
				t.Fatalf("after refusals, %s finds %q (%v), want %s", subject, got.ID, err, want)
			}
		}
		_, err = organisationBySubject(t, s, "spiffe://x/a")
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})
}

func testPeople(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		in := person("pa-1", "council-a", "north", domain.PersonalAdviser, domain.TeamManager)
		in.Disabled = true
		var out domain.Person
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreatePerson(ctx, in); return err })
		want := storedPerson(in, 1)
		if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
			t.Fatalf("CreatePerson returned (-want +got):\n%s", diff)
		}
		got, err := getPerson(t, s, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Fatalf("GetPerson (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateTakenID", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council), organisation("council-b", domain.Council))
		first := person("pa-1", "council-a", "north", domain.PersonalAdviser)
		createPeople(t, s, first)
		err := s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.CreatePerson(ctx, person("pa-1", "council-b", "south", domain.Administrator))
			return err
		})
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		got, _ := getPerson(t, s, first.ID)
		if diff := cmp.Diff(storedPerson(first, 1), got, equateEmpty); diff != "" {
			t.Fatalf("a refused create changed the person (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateInMissingOrganisation", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		err := s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.CreatePerson(ctx, person("pa-1", "council-z", "", domain.PersonalAdviser))
			return err
		})
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		_, err = getPerson(t, s, "pa-1")
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("YoungPersonAccount", func(t *testing.T) {
		// A young person's own account names them; one account per young person; it is
		// kept by updates and goes with their record.
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		create(t, s, youngPerson("yp1"), youngPerson("yp2"))
		in := person("yp-1", "council-a", "", domain.YoungPersonRole)
		in.YoungPersonID = idOf("yp1")
		createPeople(t, s, in)
		got, err := getPerson(t, s, "yp-1")
		if err != nil || got.YoungPersonID != idOf("yp1") {
			t.Fatalf("GetPerson: %+v, %v; want linked to %s", got, err, idOf("yp1"))
		}
		createPeople(t, s, person("pa-1", "council-a", ""))
		staff, err := getPerson(t, s, "pa-1")
		if err != nil || staff.YoungPersonID != "" {
			t.Fatalf("staff: %+v, %v; want no young person", staff, err)
		}
		second := person("yp-2", "council-a", "", domain.YoungPersonRole)
		second.YoungPersonID = idOf("yp1")
		err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreatePerson(ctx, second); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		// An update cannot move the link.
		moved := got
		moved.YoungPersonID, moved.DisplayName = idOf("yp2"), "Renamed"
		var updated domain.Person
		inTx(t, s, func(tx store.Tx) (err error) { updated, err = tx.UpdatePerson(ctx, moved, got.Revision); return err })
		if updated.YoungPersonID != idOf("yp1") || updated.DisplayName != "Renamed" {
			t.Fatalf("UpdatePerson: %+v; want the link kept and the name changed", updated)
		}
		second.YoungPersonID = idOf("yp2")
		createPeople(t, s, second)
		inTx(t, s, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, idOf("yp1"), 0) })
		_, err = getPerson(t, s, "yp-1")
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		if p, err := getPerson(t, s, "yp-2"); err != nil || p.YoungPersonID != idOf("yp2") {
			t.Fatalf("another young person's account: %+v, %v", p, err)
		}
	})

	t.Run("ATransactionReadsWhatItWrote", func(t *testing.T) {
		// A store may keep the people a transaction read (postgres does); what the
		// transaction then writes or deletes of them is what it reads afterwards.
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		create(t, s, youngPerson("yp1"))
		own := person("yp-1", "council-a", "", domain.YoungPersonRole)
		own.YoungPersonID = idOf("yp1")
		createPeople(t, s, person("pa-1", "council-a", "north", domain.PersonalAdviser), own)
		inTx(t, s, func(tx store.Tx) error {
			before, err := tx.GetPerson(ctx, "pa-1")
			if err != nil || before.Disabled {
				return fmt.Errorf("first read: %+v, %v", before, err)
			}
			before.Roles[0] = domain.TeamManager // the caller's copy, not the store's
			if again, err := tx.GetPerson(ctx, "pa-1"); err != nil ||
				!slices.Equal(again.Roles, []domain.Role{domain.PersonalAdviser}) {
				return fmt.Errorf("second read: %+v, %v; want the roles as stored", again, err)
			}
			changed := before
			changed.Roles, changed.Disabled = []domain.Role{domain.PersonalAdviser}, true
			if _, err := tx.UpdatePerson(ctx, changed, 0); err != nil {
				return err
			}
			if after, err := tx.GetPerson(ctx, "pa-1"); err != nil || !after.Disabled || after.Revision != 2 ||
				!slices.Equal(after.Roles, []domain.Role{domain.PersonalAdviser}) {
				return fmt.Errorf("read after UpdatePerson: %+v, %v; want disabled, revision 2, a personal adviser", after, err)
			}
			if _, err := tx.GetPerson(ctx, "yp-1"); err != nil {
				return err
			}
			if _, err := tx.SetOwnReminders(ctx, "yp-1", true, at, 0); err != nil {
				return err
			}
			if p, err := tx.GetPerson(ctx, "yp-1"); err != nil || !p.OwnReminders {
				return fmt.Errorf("read after SetOwnReminders: %+v, %v; want reminders on", p, err)
			}
			if err := tx.DeleteYoungPerson(ctx, idOf("yp1"), 0); err != nil {
				return err
			}
			if p, err := tx.GetPerson(ctx, "yp-1"); !errors.Is(err, store.ErrPersonNotFound) {
				return fmt.Errorf("read after their young person was deleted: %+v, %v; want not found", p, err)
			}
			return nil
		})
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		createPeople(t, s, person("pa-1", "council-a", ""))
		_, err := getPerson(t, s, "pa-2")
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council), organisation("council-b", domain.Council),
			organisation("partner-h", domain.Housing))
		// Created out of id order; a team name is only unique within its organisation.
		createPeople(t, s,
			person("p07", "council-b", "south", domain.PersonalAdviser, domain.TeamManager),
			person("p03", "council-a", "north", domain.TeamManager),
			person("p05", "partner-h", "", domain.PartnerOfficer),
			person("p01", "council-a", "north", domain.PersonalAdviser),
			person("p06", "council-a", "", domain.Administrator),
			person("p04", "council-b", "north", domain.PersonalAdviser),
			person("p02", "council-a", "south", domain.PersonalAdviser),
		)
		for _, tc := range []struct {
			name string
			q    store.PeopleQuery
			want []string
		}{
			{"everyone", store.PeopleQuery{}, []string{"p01", "p02", "p03", "p04", "p05", "p06", "p07"}},
			{"one organisation", store.PeopleQuery{OrganisationIDs: []string{"council-a"}}, []string{"p01", "p02", "p03", "p06"}},
			{"two organisations", store.PeopleQuery{OrganisationIDs: []string{"partner-h", "council-b"}}, []string{"p04", "p05", "p07"}},
			{"unknown organisation", store.PeopleQuery{OrganisationIDs: []string{"council-z"}}, nil},
			{"team across organisations", store.PeopleQuery{Team: "north"}, []string{"p01", "p03", "p04"}},
			{"team of an organisation", store.PeopleQuery{OrganisationIDs: []string{"council-a"}, Team: "north"}, []string{"p01", "p03"}},
			{"team of the other organisation", store.PeopleQuery{OrganisationIDs: []string{"council-b"}, Team: "south"}, []string{"p07"}},
			{"team nobody is in", store.PeopleQuery{OrganisationIDs: []string{"partner-h"}, Team: "north"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, limit := range []int{1, 2, 100} {
					q := tc.q
					q.Limit = limit
					var got []string
					for _, p := range allPages(t, limit, "", func(after string) (page []domain.Person) {
						q.AfterID = after
						inTx(t, s, func(tx store.Tx) (err error) { page, err = tx.ListPeople(ctx, q); return err })
						return page
					}, func(p domain.Person) string { return p.ID }) {
						got = append(got, p.ID)
					}
					if !slices.Equal(got, tc.want) {
						t.Fatalf("limit %d: listed %v, want %v", limit, got, tc.want)
					}
				}
			})
		}
		t.Run("AfterIDNotStored", func(t *testing.T) {
			var page []domain.Person
			inTx(t, s, func(tx store.Tx) (err error) {
				page, err = tx.ListPeople(ctx, store.PeopleQuery{OrganisationIDs: []string{"council-a"}, AfterID: "p025", Limit: 2})
				return err
			})
			want := []domain.Person{
				storedPerson(person("p03", "council-a", "north", domain.TeamManager), 1),
				storedPerson(person("p06", "council-a", "", domain.Administrator), 1),
			}
			if diff := cmp.Diff(want, page, equateEmpty); diff != "" {
				t.Fatalf("2 people of council-a after p025 (-want +got):\n%s", diff)
			}
		})
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		in := person("pa-1", "council-a", "north", domain.PersonalAdviser)
		createPeople(t, s, in)
		steps := []struct {
			name       string
			change     func(*domain.Person)
			ifRevision int64
		}{
			{"promote", func(p *domain.Person) {
				p.DisplayName, p.Team, p.Roles = "Promoted", "south", []domain.Role{domain.PersonalAdviser, domain.TeamManager}
			}, 1},
			{"disable", func(p *domain.Person) { p.Disabled, p.Roles = true, nil }, 0},
			{"enable", func(p *domain.Person) { p.Disabled, p.Team = false, "" }, 3},
		}
		current := storedPerson(in, 1)
		for i, step := range steps {
			changed := current
			step.change(&changed)
			changed.UpdateTime = at.Add(time.Duration(i+1) * time.Hour)
			changed.CreateTime = at.Add(time.Hour) // stores keep the create time
			var out domain.Person
			inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.UpdatePerson(ctx, changed, step.ifRevision); return err })
			want := changed
			want.CreateTime = at
			want = storedPerson(want, current.Revision+1)
			if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
				t.Fatalf("%s: UpdatePerson returned (-want +got):\n%s", step.name, diff)
			}
			got, _ := getPerson(t, s, in.ID)
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Fatalf("%s: after update, GetPerson (-want +got):\n%s", step.name, diff)
			}
			current = got
		}
	})

	t.Run("UpdateStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		in := person("pa-1", "council-a", "north", domain.PersonalAdviser)
		createPeople(t, s, in)
		for _, ifRevision := range []int64{2, 7} {
			changed := in
			changed.Roles, changed.DisplayName = []domain.Role{domain.Administrator}, fmt.Sprintf("Lost %d", ifRevision)
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdatePerson(ctx, changed, ifRevision); return err })
			wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		}
		got, _ := getPerson(t, s, in.ID)
		if diff := cmp.Diff(storedPerson(in, 1), got, equateEmpty); diff != "" {
			t.Fatalf("a stale update changed the person (-want +got):\n%s", diff)
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		createOrganisations(t, s, organisation("council-a", domain.Council))
		for _, ifRevision := range []int64{0, 1} {
			err := s.InTx(ctx, func(tx store.Tx) error {
				_, err := tx.UpdatePerson(ctx, person("ghost", "council-a", ""), ifRevision)
				return err
			})
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
	})
}
