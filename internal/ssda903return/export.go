package ssda903return

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/store"
)

// CollectionYear is the year of a return: 1 April of the year before Ending to 31 March of
// Ending (the 2025 return is that of the year ending 31 March 2025).
type CollectionYear struct{ Ending int }

// First is the year's first day, 1 April.
func (y CollectionYear) First() civil.Date { return civil.New(y.Ending-1, time.April, 1) }

// Last is the year's last day, 31 March.
func (y CollectionYear) Last() civil.Date { return civil.New(y.Ending, time.March, 31) }

// lookedAfterIn reports whether an episode has a day in the year: it starts on or before the
// last day, and is open or ends after the first (its end date is not a day looked after).
func (y CollectionYear) lookedAfterIn(e domain.CareEpisode) bool {
	return !e.Start.After(y.Last()) && (e.Open() || e.End.After(y.First()))
}

// Tables are the rows of a return's tables, by table, without their header rows.
type Tables map[ssda903.Table][][]string

// Export reads the council's return for a collection year from the store: an Episodes row
// for each episode with a day in the year (one that ended after the year is written open,
// as it was on 31 March); an OC3 row for each care leaver's birthday milestone
// (ssda903.OC3Milestone) due in the year, from what was recorded on completing it (their
// 17th to 21st birthdays), and one for each former relevant care leaver whose 22nd to 25th
// birthday falls in the year, from the latest contact recorded in the year; and a Header
// row for every young person with a row in any of them.
func Export(ctx context.Context, s store.Store, councilID string, year CollectionYear) (Tables, error) {
	out := Tables{ssda903.Header: nil, ssda903.Episodes: nil, ssda903.OC3: nil}
	const page = 500
	after := ""
	var rule civil.LeaplingRule
	for {
		var states []store.PathwayState
		err := s.InTx(ctx, func(tx store.Tx) error {
			if after == "" {
				settings, err := tx.GetPathwaySettings(ctx, councilID)
				if err != nil {
					return err
				}
				rule = settings.LeaplingRule
			}
			yps, err := tx.ListYoungPeople(ctx, store.YoungPeopleQuery{AfterID: after, Limit: page,
				Filter: query.Compare{Field: "council", Op: query.Eq, Value: councilID}})
			if err != nil || len(yps) == 0 {
				return err
			}
			ids := make([]string, len(yps))
			for i, yp := range yps {
				ids[i] = yp.ID
			}
			states, err = tx.LoadTimelines(ctx, ids)
			after = ids[len(ids)-1]
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(states) == 0 {
			break
		}
		for _, st := range states {
			out.add(st, year, rule)
		}
	}
	for _, rows := range out {
		slices.SortFunc(rows, func(a, b []string) int {
			if n := strings.Compare(a[0], b[0]); n != 0 {
				return n
			}
			return compareDates(a[1], b[1])
		})
	}
	return out, nil
}

// compareDates orders DD/MM/YYYY dates.
func compareDates(a, b string) int {
	key := func(s string) string {
		if len(s) != 10 {
			return s
		}
		return s[6:] + s[3:5] + s[:2]
	}
	return strings.Compare(key(a), key(b))
}

func (t Tables) add(st store.PathwayState, year CollectionYear, rule civil.LeaplingRule) {
	var eps []domain.CareEpisode
	for _, e := range st.Episodes {
		if year.lookedAfterIn(e) {
			eps = append(eps, e)
		}
	}
	yp := st.YoungPerson
	child := yp.CaseReference
	oc3 := false
	addOC3 := func(c *ssda903.CareLeaverContact) {
		// Blank until the record is made (all three blank is allowed by rule 153).
		values := map[string]string{"CHILD": child, "DOB": ssda903.FormatDate(yp.DateOfBirth)}
		if c != nil {
			values["IN_TOUCH"], values["ACTIV"], values["ACCOM"] = c.InTouch, c.Activity, c.Accommodation
		}
		t[ssda903.OC3] = append(t[ssda903.OC3], row(ssda903.OC3, nil, values))
		oc3 = true
	}
	for _, m := range st.Milestones {
		if m.Key != ssda903.OC3Milestone || !m.Applicable || m.DueDate.Before(year.First()) || m.DueDate.After(year.Last()) {
			continue
		}
		addOC3(m.CareLeaverContact) // a care leaver's 17th to 21st birthday in the year
	}
	if c, ok := latestContact(st, year, rule); ok {
		addOC3(c)
	}
	if len(eps) == 0 && !oc3 {
		return
	}
	t[ssda903.Header] = append(t[ssda903.Header], row(ssda903.Header, yp.SSDA903, map[string]string{
		"CHILD": child, "DOB": ssda903.FormatDate(yp.DateOfBirth)}))
	for _, e := range eps {
		values := map[string]string{"CHILD": child, "DECOM": ssda903.FormatDate(e.Start), "LS": e.LegalStatus,
			"PLACE": e.PlacementType}
		if !e.Open() && !e.End.After(year.Last()) {
			values["DEC"], values["REC"] = ssda903.FormatDate(e.End), e.ReasonEnded
		}
		t[ssda903.Episodes] = append(t[ssda903.Episodes], row(ssda903.Episodes, e.SSDA903, values))
	}
}

// latestContact is, for a former relevant care leaver whose 22nd to 25th birthday falls in
// the year, the latest contact recorded for the OC3 table in the year (nil if none); ok is
// false for anyone else. Former relevant is their status the day before that birthday,
// when they were 21 to 24, as the personal adviser's duty to 25 (s23CZB) counts it.
func latestContact(st store.PathwayState, year CollectionYear, rule civil.LeaplingRule) (*ssda903.CareLeaverContact, bool) {
	yp := st.YoungPerson
	birthday, age, ok := ssda903.OC3Birthday(yp.DateOfBirth, year.First(), year.Last(), rule)
	if !ok || age <= ssda903.LastBirthdayOC3Age {
		return nil, false
	}
	status := carestatus.Derive(yp.DateOfBirth, domain.StatusEpisodes(st.Episodes), birthday.AddDays(-1), rule,
		yp.StatusCircumstances())
	if status.Category != carestatus.FormerRelevant {
		return nil, false
	}
	var contacts []ssda903.DatedContact
	for _, m := range st.Milestones {
		if m.CareLeaverContact != nil && m.State == domain.Achieved {
			contacts = append(contacts, ssda903.DatedContact{On: m.AchievedDate, Contact: *m.CareLeaverContact})
		}
	}
	slices.SortStableFunc(contacts, func(a, b ssda903.DatedContact) int { return a.On.Compare(b.On) })
	return ssda903.LatestContact(contacts, year.First(), year.Last()), true
}

// row lays out a table's row from the columns carepath keeps and those it holds itself.
func row(t ssda903.Table, kept, own map[string]string) []string {
	cols := ssda903.Columns[t]
	out := make([]string, len(cols))
	for i, c := range cols {
		if v, ok := own[c]; ok {
			out[i] = v
		} else {
			out[i] = kept[c]
		}
	}
	return out
}

// Write writes a table as CSV with its header row.
func Write(w io.Writer, t ssda903.Table, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ssda903.Columns[t]); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("writing the %s table: %w", t, err)
	}
	return nil
}

// FileNames are the names the tables are written under.
var FileNames = map[ssda903.Table]string{ssda903.Header: "header.csv", ssda903.Episodes: "episodes.csv",
	ssda903.UASC: "uasc.csv", ssda903.OC3: "oc3.csv"}

// WriteDir writes each table to its file (FileNames) in dir, made if missing. The files hold
// personal data, so only their owner may read them.
func (t Tables) WriteDir(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var written []string
	for _, table := range []ssda903.Table{ssda903.Header, ssda903.Episodes, ssda903.UASC, ssda903.OC3} {
		rows, ok := t[table]
		if !ok {
			continue
		}
		path := filepath.Join(dir, FileNames[table])
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return written, err
		}
		err = f.Chmod(0o600) // a file that was there keeps its mode otherwise
		if err == nil {
			err = Write(f, table, rows)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}
