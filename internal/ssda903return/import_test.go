package ssda903return_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/ssda903return"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

const council = "nottinghamshire"

func stores() map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store { return memory.New() },
		"postgres": func(t *testing.T) store.Store {
			s, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			return s
		},
	}
}

// lastYear is the latest collection year that ended before today.
func lastYear(today civil.Date) ssda903return.CollectionYear {
	y := ssda903return.CollectionYear{Ending: today.Year}
	if !y.Last().Before(today) {
		y.Ending--
	}
	return y
}

// importer is who runs the imports of these tests, for the audit trail.
var importer = audit.Record{Actor: "cli:ada", Purpose: "DIRECT_CARE", Action: "carepath import ssda903", RequestID: "run-1"}

func setup(t *testing.T, s store.Store, now time.Time) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx store.Tx) error {
		_, err := tx.CreateOrganisation(context.Background(), domain.Organisation{ID: council, DisplayName: "Nottinghamshire",
			Type: domain.Council, CreateTime: now, UpdateTime: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportReturn imports a generated return of 2,000 children with bad rows: each bad row
// is reported with its file, line and reason and its child is left out whole; everyone else
// is imported and planned; the same files again change nothing; and the return written back
// for the year gives the same Header and Episodes rows.
func TestImportReturn(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := testclock.Now()
			year := lastYear(civil.Today(now))
			s := newStore(t)
			setup(t, s, now)
			gen := ssda903return.Generate(2000, 7, 12, year)
			dir := t.TempDir()
			paths, err := gen.Tables.WriteDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			im := ssda903return.Importer{Store: s, Planner: planner.New(catalogue.Default(), func() time.Time { return now }),
				Now: func() time.Time { return now }, Audit: importer, Workers: 2} // batches side by side, as the service runs them
			var progress []int
			im.Progress = func(done, _ int) { progress = append(progress, done) }

			ret, err := ssda903return.ReadFiles(paths)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := im.Import(ctx, council, ret)
			if err != nil {
				t.Fatal(err)
			}
			want := [4]int{2000 - len(gen.Bad), 0, 0, len(gen.Bad)}
			if got := [4]int{sum.Created, sum.Updated, sum.Unchanged, sum.Rejected}; got != want {
				t.Fatalf("first import created, updated, unchanged, rejected %v, want %v; problems %v", got, want, sum.Problems)
			}
			reported := map[string]bool{}
			for _, p := range sum.Problems {
				if p.File == "" || p.Line < 2 || p.Reason == "" {
					t.Errorf("problem without its place or reason: %+v", p)
				}
				reported[p.Child] = true
			}
			if !cmp.Equal(reported, mapOf(slices.Collect(maps.Keys(gen.Bad)))) {
				t.Fatalf("children reported %v, want the bad ones %v", reported, gen.Bad)
			}
			if len(progress) == 0 || progress[len(progress)-1] != 2000-len(gen.Bad) || !slices.IsSorted(progress) {
				t.Errorf("progress %v does not rise to every child imported", progress)
			}
			overlap := false
			for _, p := range sum.Problems {
				overlap = overlap || p.Rule == "501" && p.File == "episodes.csv"
			}
			if !overlap {
				t.Errorf("no overlapping episode reported with rule 501: %v", sum.Problems)
			}

			// Audited: one record per young person created, in the council's chain, naming
			// who ran the import; a batch's records are written with it.
			records := importAudit(t, s)
			if len(records) != sum.Created {
				t.Fatalf("%d audit records for %d young people created", len(records), sum.Created)
			}
			seen := map[string]bool{}
			for _, r := range records {
				if r.Chain != council || r.Council != council || r.Actor != "cli:ada" || r.Purpose != "DIRECT_CARE" ||
					r.Outcome != audit.OutcomeOK || r.RequestID != "run-1" || len(r.YoungPeople) != 1 || !r.Time.Equal(now.UTC().Truncate(time.Microsecond)) {
					t.Fatalf("audit record %+v", r)
				}
				seen[r.YoungPeople[0]] = true
			}
			if len(seen) != sum.Created {
				t.Fatalf("audit records name %d young people, want %d, one each", len(seen), sum.Created)
			}

			// Planned: someone aged 16 to 18 in care has milestones.
			planned := countMilestones(t, s)
			if planned == 0 {
				t.Fatal("the import planned no milestones")
			}

			ret, _ = ssda903return.ReadFiles(paths)
			again, err := im.Import(ctx, council, ret)
			if err != nil {
				t.Fatal(err)
			}
			if again.Unchanged != 2000-len(gen.Bad) || again.Created+again.Updated != 0 || again.Rejected != len(gen.Bad) {
				t.Fatalf("second import: %+v, want everyone unchanged", again)
			}
			if n := len(importAudit(t, s)); n != len(records) {
				t.Fatalf("an import that changed nothing wrote %d audit records", n-len(records))
			}
			if n := countMilestones(t, s); n != planned {
				t.Fatalf("second import changed the milestones: %d, then %d", planned, n)
			}

			out, err := ssda903return.Export(ctx, s, council, year)
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []ssda903.Table{ssda903.Header, ssda903.Episodes} {
				wantRows := without(gen.Tables[table], gen.Bad)
				if diff := cmp.Diff(wantRows, out[table]); diff != "" {
					t.Errorf("%s rows written back differ from those imported (-imported +exported):\n%s", table, diff)
				}
			}
		})
	}
}

// importAudit lists the audit trail's records of imports.
func importAudit(t *testing.T, s store.Store) []audit.Record {
	t.Helper()
	var out []audit.Record
	err := s.InTx(context.Background(), func(tx store.Tx) error {
		es, err := tx.ListAuditRecords(context.Background(), store.AuditQuery{Council: council, Limit: 100000})
		for _, e := range es {
			if e.Action == importer.Action {
				out = append(out, e.Record)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportNamesWhoRunsIt refuses an import that does not say who runs it: the audit trail
// could not record it, so nothing is written.
func TestImportNamesWhoRunsIt(t *testing.T) {
	now := testclock.Now()
	s := memory.New()
	setup(t, s, now)
	im := ssda903return.Importer{Store: s, Planner: planner.New(catalogue.Default(), func() time.Time { return now }),
		Now: func() time.Time { return now }}
	ret := ssda903.NewReturn()
	header := "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1," + ssda903.FormatDate(civil.Today(now).Sub(civil.Period{Years: 16}, civil.MarchFirst)) + ",WBRI,,,\n"
	if _, err := ret.Read("header.csv", strings.NewReader(header)); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Import(context.Background(), council, ret); !errors.Is(err, ssda903return.ErrNoActor) {
		t.Fatalf("an import without an actor: %v, want ErrNoActor", err)
	}
	var yps []domain.YoungPerson
	_ = s.InTx(context.Background(), func(tx store.Tx) (err error) {
		yps, err = tx.YoungPeopleByCaseReference(context.Background(), council, []string{"A1"})
		return err
	})
	if len(yps) != 0 {
		t.Fatalf("an import without an actor wrote %v", yps)
	}
}

func mapOf(keys []string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func without(rows [][]string, bad map[string]string) [][]string {
	var out [][]string
	for _, r := range rows {
		if _, ok := bad[r[0]]; !ok {
			out = append(out, r)
		}
	}
	return out
}

func countMilestones(t *testing.T, s store.Store) int {
	t.Helper()
	n := 0
	err := s.InTx(context.Background(), func(tx store.Tx) error {
		var after store.MilestoneCursor
		for {
			ms, err := tx.ListMilestones(context.Background(), store.MilestoneQuery{After: after, Limit: 5000})
			if err != nil || len(ms) == 0 {
				return err
			}
			n += len(ms)
			last := ms[len(ms)-1]
			after = store.MilestoneCursor{DueDate: last.DueDate, ID: last.ID}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNextYearsReturn imports a child's return, records progress, then imports the next
// year's return, which corrects the open episode and adds a new one: nothing is duplicated
// and nothing recorded is lost.
func TestNextYearsReturn(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := testclock.Now()
			today := civil.Today(now)
			s := newStore(t)
			setup(t, s, now)
			im := ssda903return.Importer{Store: s, Planner: planner.New(catalogue.Default(), func() time.Time { return now }),
				Now: func() time.Time { return now }, Audit: importer}
			dob := today.Sub(civil.Period{Years: 17}, civil.MarchFirst)
			d := func(daysAgo int) string { return ssda903.FormatDate(today.AddDays(-daysAgo)) }
			header := "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1," + ssda903.FormatDate(dob) + ",WBRI,,,\n"
			episodes := "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n" +
				"A1," + d(900) + ",S,C2,N1,U4,PR1,,,,NG5 1,NG7 2,XXXXXXX\n"
			first := importText(t, im, header, episodes)
			if first.Created != 1 {
				t.Fatalf("first import: %+v", first)
			}
			yp := only(t, s)
			achieved := recordProgress(t, s, yp.ID, today)

			// Next year: the open episode ended with a move, and a new one began.
			episodes = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n" +
				"A1," + d(900) + ",S,C2,N1,U4,PR1," + d(100) + ",X1,CARPL,NG5 1,NG7 2,XXXXXXX\n" +
				"A1," + d(100) + ",P,C2,N1,K2,PR4,,,,NG5 1,NG9 1,SC123456\n"
			next := importText(t, im, header, episodes)
			if next.Updated != 1 || next.Created != 0 {
				t.Fatalf("next year's import: %+v", next)
			}
			var eps []domain.CareEpisode
			var ms domain.Milestone
			_ = s.InTx(ctx, func(tx store.Tx) (err error) {
				if eps, err = tx.ListCareEpisodes(ctx, yp.ID); err != nil {
					return err
				}
				ms, err = tx.GetMilestone(ctx, yp.ID, achieved)
				return err
			})
			if len(eps) != 2 || eps[0].End != today.AddDays(-100) || eps[1].PlacementType != "K2" || !eps[1].Open() {
				t.Fatalf("episodes after next year's import: %+v", eps)
			}
			if ms.State != domain.Achieved {
				t.Fatalf("the milestone achieved before the import is %v after it", ms.State)
			}
			if got := only(t, s); got.GivenName != "Corrected" {
				t.Fatalf("the name the council corrected became %q", got.GivenName)
			}
		})
	}
}

func importText(t *testing.T, im ssda903return.Importer, header, episodes string) ssda903return.Summary {
	t.Helper()
	ret := ssda903.NewReturn()
	for name, text := range map[string]string{"header.csv": header, "episodes.csv": episodes} {
		if _, err := ret.Read(name, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := im.Import(context.Background(), council, ret)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Problems) > 0 {
		t.Fatalf("problems: %v", sum.Problems)
	}
	return sum
}

func only(t *testing.T, s store.Store) domain.YoungPerson {
	t.Helper()
	var yps []domain.YoungPerson
	err := s.InTx(context.Background(), func(tx store.Tx) (err error) {
		yps, err = tx.YoungPeopleByCaseReference(context.Background(), council, []string{"A1"})
		return err
	})
	if err != nil || len(yps) != 1 {
		t.Fatalf("young people A1: %v, %v", yps, err)
	}
	return yps[0]
}

// recordProgress corrects the young person's name and achieves one of their milestones, as
// the council would after an import; it returns the milestone's id.
func recordProgress(t *testing.T, s store.Store, id string, today civil.Date) string {
	t.Helper()
	ctx := context.Background()
	var mid string
	err := s.InTx(ctx, func(tx store.Tx) error {
		yp, err := tx.GetYoungPerson(ctx, id)
		if err != nil {
			return err
		}
		yp.GivenName = "Corrected"
		if _, err := tx.UpdateYoungPerson(ctx, yp, yp.Revision); err != nil {
			return err
		}
		ms, err := tx.ListMilestones(ctx, store.MilestoneQuery{YoungPersonID: id, Limit: 1})
		if err != nil || len(ms) == 0 {
			t.Fatalf("no milestone planned: %v", err)
		}
		m, err := ms[0].Complete(today, today, []domain.Evidence{{Description: "seen"}})
		if err != nil {
			return err
		}
		mid = m.ID
		_, err = tx.UpdateMilestone(ctx, m, m.Revision)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mid
}

// TestExportOC3 writes a care leaver's OC3 row from what their personal adviser recorded at
// the 18th birthday, with a Header row for them though they left care before the year.
func TestExportOC3(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := testclock.Now()
			today := civil.Today(now)
			s := newStore(t)
			setup(t, s, now)
			im := ssda903return.Importer{Store: s, Planner: planner.New(catalogue.Default(), func() time.Time { return now }),
				Now: func() time.Time { return now }, Audit: importer}
			dob := today.AddDays(-60).Sub(civil.Period{Years: 18}, civil.MarchFirst)
			birthday := dob.Add(civil.Period{Years: 18}, civil.MarchFirst)
			year := ssda903return.CollectionYear{Ending: birthday.Year}
			if birthday.Month > time.March {
				year.Ending++
			}
			at := func(p civil.Period) string { return ssda903.FormatDate(dob.Add(p, civil.MarchFirst)) }
			importText(t, im, "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,2,"+ssda903.FormatDate(dob)+",WBRI,,,\n",
				"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"+
					"A1,"+at(civil.Period{Years: 15})+",S,C2,N1,U4,PR1,"+at(civil.Period{Years: 17, Months: 3})+",E5,,NG5 1,NG7 2,XXXXXXX\n")
			yp := only(t, s)
			err := s.InTx(ctx, func(tx store.Tx) error {
				ms, err := tx.ListMilestones(ctx, store.MilestoneQuery{YoungPersonID: yp.ID, Limit: 500})
				if err != nil {
					return err
				}
				for _, m := range ms {
					if m.Key != ssda903.OC3Milestone || m.DueDate != birthday {
						continue
					}
					if _, err := m.WithCareLeaverContact(&ssda903.CareLeaverContact{InTouch: "YES", Activity: "F5", Accommodation: "Z1"}, 17, false); err == nil {
						t.Error("former foster carers at 17 were accepted (DfE rule 3001)")
					}
					m, err = m.Complete(birthday, today, []domain.Evidence{{Description: "visit"}})
					if err != nil {
						return err
					}
					if m, err = m.WithCareLeaverContact(&ssda903.CareLeaverContact{InTouch: "YES", Activity: "F5", Accommodation: "U1"}, 18, false); err != nil {
						return err
					}
					_, err = tx.UpdateMilestone(ctx, m, m.Revision)
					return err
				}
				t.Fatalf("no OC3 milestone on the 18th birthday %v among %d", birthday, len(ms))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			out, err := ssda903return.Export(ctx, s, council, year)
			if err != nil {
				t.Fatal(err)
			}
			if want := [][]string{{"A1", ssda903.FormatDate(dob), "YES", "F5", "U1"}}; !cmp.Equal(out[ssda903.OC3], want) {
				t.Fatalf("OC3 rows %v, want %v", out[ssda903.OC3], want)
			}
			if len(out[ssda903.Header]) != 1 || out[ssda903.Header][0][0] != "A1" {
				t.Fatalf("Header rows %v, want A1's (INT06: every OC3 child is in Header)", out[ssda903.Header])
			}
		})
	}
}

// TestExportOC3From22To25 writes an OC3 row for each former relevant care leaver whose 22nd
// to 25th birthday falls in the collection year, from the latest contact recorded in the
// year (domain brief 8.1; DfE collects it since 2022-23), blank when there was none, and
// none for someone who never became eligible or whose 26th birthday it is.
func TestExportOC3From22To25(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := testclock.Now()
			today := civil.Today(now)
			year := lastYear(today)
			s := newStore(t)
			setup(t, s, now)
			im := ssda903return.Importer{Store: s, Planner: planner.New(catalogue.Default(), func() time.Time { return now }),
				Now: func() time.Time { return now }, Audit: importer}
			mid := year.First().AddDays(100) // the birthday of everyone below
			dobAt := func(age int) civil.Date { return mid.Sub(civil.Period{Years: age}, civil.MarchFirst) }
			header := "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
			episodes := "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
			// Looked after from 15 to 17y3m: eligible, relevant, then former relevant to 25.
			careLeaver := func(child string, age int) {
				dob := dobAt(age)
				at := func(p civil.Period) string { return ssda903.FormatDate(dob.Add(p, civil.MarchFirst)) }
				header += child + ",1," + ssda903.FormatDate(dob) + ",WBRI,,,\n"
				episodes += child + "," + at(civil.Period{Years: 15}) + ",S,C2,N1,U4,PR1," + at(civil.Period{Years: 17, Months: 3}) + ",E5,,,,\n"
			}
			careLeaver("A23", 23) // contacts the year before and in the year: the latest in the year
			careLeaver("A24", 24) // no contact: a blank row
			careLeaver("A25", 25) // the 24th birthday's contact made late, in the year
			careLeaver("A26", 26) // support ended at 25: no row
			dob := dobAt(22)      // looked after a month at 17: qualifying, never eligible
			header += "Q22,2," + ssda903.FormatDate(dob) + ",WBRI,,,\n"
			episodes += "Q22," + ssda903.FormatDate(dob.Add(civil.Period{Years: 17}, civil.MarchFirst)) + ",S,V2,N1,U4,PR1," +
				ssda903.FormatDate(dob.Add(civil.Period{Years: 17, Months: 1}, civil.MarchFirst)) + ",E13,,,,\n"
			if sum := importText(t, im, header, episodes); sum.Created != 5 {
				t.Fatalf("import: %+v", sum)
			}
			no := ssda903.CareLeaverContact{InTouch: "NO", Activity: "0", Accommodation: "0"}
			yes := ssda903.CareLeaverContact{InTouch: "YES", Activity: "F5", Accommodation: "U1"}
			nreq := ssda903.CareLeaverContact{InTouch: "NREQ", Activity: "P5", Accommodation: "U1"}
			a23 := byReference(t, s, "A23")
			before := dobAt(23).Add(civil.Period{Years: 22}, civil.MarchFirst)
			recordContact(t, s, a23, ssda903.OfferTo25Milestone, before, before, 22, no)
			recordContact(t, s, a23, ssda903.OfferTo25Milestone, mid, mid, 23, yes)
			a25 := byReference(t, s, "A25")
			recordContact(t, s, a25, ssda903.OfferTo25Milestone, mid.Sub(civil.Period{Years: 1}, civil.MarchFirst), mid.AddDays(-10), 24, nreq)

			out, err := ssda903return.Export(ctx, s, council, year)
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{
				{"A23", ssda903.FormatDate(dobAt(23)), "YES", "F5", "U1"},
				{"A24", ssda903.FormatDate(dobAt(24)), "", "", ""},
				{"A25", ssda903.FormatDate(dobAt(25)), "NREQ", "P5", "U1"},
			}
			if diff := cmp.Diff(want, out[ssda903.OC3]); diff != "" {
				t.Fatalf("OC3 rows (-want +got):\n%s", diff)
			}
			var headers []string
			for _, r := range out[ssda903.Header] {
				headers = append(headers, r[0])
			}
			if !cmp.Equal(headers, []string{"A23", "A24", "A25"}) {
				t.Fatalf("Header rows for %v, want every OC3 child's (INT06)", headers)
			}
		})
	}
}

func byReference(t *testing.T, s store.Store, ref string) string {
	t.Helper()
	var yps []domain.YoungPerson
	err := s.InTx(context.Background(), func(tx store.Tx) (err error) {
		yps, err = tx.YoungPeopleByCaseReference(context.Background(), council, []string{ref})
		return err
	})
	if err != nil || len(yps) != 1 {
		t.Fatalf("young person %s: %v, %v", ref, yps, err)
	}
	return yps[0].ID
}

// recordContact completes a young person's milestone of key due on due (the birthday of
// age), achieved on on, with a contact for the OC3 table, as the pathways service does.
func recordContact(t *testing.T, s store.Store, id, key string, due, on civil.Date, age int, c ssda903.CareLeaverContact) {
	t.Helper()
	ctx := context.Background()
	err := s.InTx(ctx, func(tx store.Tx) error {
		ms, err := tx.ListMilestones(ctx, store.MilestoneQuery{YoungPersonID: id, Limit: 500})
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Key != key || m.DueDate != due {
				continue
			}
			if m, err = m.Complete(on, civil.Today(testclock.Now()), []domain.Evidence{{Description: "phone call"}}); err != nil {
				return err
			}
			if m, err = m.WithCareLeaverContact(&c, age, false); err != nil {
				return err
			}
			_, err = tx.UpdateMilestone(ctx, m, m.Revision)
			return err
		}
		t.Fatalf("no %s milestone due %v among %d", key, due, len(ms))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunOperation does an uploaded import's work: the summary when it succeeds; an error,
// the operation done and its files gone, when it cannot (files with no Header table, a
// council that is not one); and nothing for an operation already done.
func TestRunOperation(t *testing.T) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := testclock.Now()
			s := newStore(t)
			setup(t, s, now)
			if err := s.InTx(ctx, func(tx store.Tx) error {
				_, err := tx.CreateOrganisation(ctx, domain.Organisation{ID: "trent-homes", DisplayName: "Trent Homes",
					Type: domain.Housing, CreateTime: now, UpdateTime: now})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			im := ssda903return.Importer{Store: s, Planner: planner.New(catalogue.Default(), func() time.Time { return now }),
				Now: func() time.Time { return now }}
			header := []byte("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1," +
				ssda903.FormatDate(civil.Today(now).Sub(civil.Period{Years: 16}, civil.MarchFirst)) + ",WBRI,,,\n")
			episodes := []byte("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n")
			run := func(council string, files ...domain.File) domain.Operation {
				t.Helper()
				op := domain.Operation{ID: uuid.Must(uuid.NewV7()).String(), CouncilID: council, Kind: domain.ImportReturn,
					Stage: domain.StageQueued, Audit: importer, CreateTime: now, UpdateTime: now}
				var got domain.Operation
				err := s.InTx(ctx, func(tx store.Tx) (err error) { _, err = tx.CreateOperation(ctx, op, files); return err })
				if err == nil {
					err = im.RunOperation(ctx, op.ID)
				}
				if err == nil {
					err = s.InTx(ctx, func(tx store.Tx) (err error) { got, err = tx.LockOperation(ctx, op.ID); return err })
				}
				if err != nil {
					t.Fatal(err)
				}
				var left []domain.File
				_ = s.InTx(ctx, func(tx store.Tx) (err error) { left, err = tx.OperationFiles(ctx, op.ID); return err })
				if !got.Done() || got.Stage != domain.StageFinished || len(left) != 0 {
					t.Fatalf("operation after its run: %+v, %d files left", got, len(left))
				}
				return got
			}
			ok := run(council, domain.File{Name: "header.csv", Content: header})
			if ok.Result == nil || ok.Result.Created != 1 || ok.Error != nil || ok.ChildrenDone != 1 {
				t.Fatalf("a good import: %+v, result %+v", ok, ok.Result)
			}
			if got := run(council, domain.File{Name: "episodes.csv", Content: episodes}); got.Error == nil ||
				got.Error.Kind != errs.InvalidArgument || !strings.Contains(got.Error.Message, "Header") {
				t.Fatalf("files with no Header table: %+v", got.Error)
			}
			if got := run("trent-homes", domain.File{Name: "header.csv", Content: header}); got.Error == nil ||
				got.Error.Kind != errs.FailedPrecondition {
				t.Fatalf("an import into an organisation that is no council: %+v", got.Error)
			}
			if err := im.RunOperation(ctx, ok.ID); err != nil {
				t.Fatalf("running a done operation again: %v", err)
			}
			var again domain.Operation
			_ = s.InTx(ctx, func(tx store.Tx) (err error) { again, err = tx.LockOperation(ctx, ok.ID); return err })
			if !again.UpdateTime.Equal(ok.UpdateTime) || again.Result.Created != 1 {
				t.Fatalf("a done operation was run again: %+v", again)
			}
		})
	}
}
