package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/pathway"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/store"
)

// milestoneFixture is eight milestones of three young people, each titled with a short
// name, in every combination the filters of store.MilestoneFields need:
//
//	title  young person        due         lapse       state      area           owner           organisation  definition  applicable
//	c1     mc council-b, -     2026-01-10  2026-07-10  WAIVED     HEALTH         NHS             -             k.two       true
//	a1     ma council-a, pa-1  2026-03-01  2027-03-01  SCHEDULED  EDUCATION_...  VIRTUAL_SCHOOL  org-school    k.one       false
//	a3     ma council-a, pa-1  2026-03-01  2026-09-01  PLANNED    HEALTH         NHS             -             k.two       true
//	b1     mb council-a, pa-2  2026-03-01  2027-03-01  PLANNED    EDUCATION_...  VIRTUAL_SCHOOL  -             k.one       true
//	ao     ma council-a, pa-1  2026-06-15  2026-07-15  PLANNED    FINANCE        YOUNG_PERSON    -             (one-off)   true
//	b2     mb council-a, pa-2  2026-06-15  2026-12-15  ACHIEVED   ACCOMMODATION  HOUSING         org-housing   k.three     true
//	c2     mc council-b, -     2026-06-15  2027-01-01  PLANNED    ACCOMMODATION  HOUSING         -             k.three     true
//	a2     ma council-a, pa-1  2027-03-01  2028-03-01  PLANNED    EDUCATION_...  VIRTUAL_SCHOOL  -             k.one       true
//
// Rows sharing a due date are ordered by id, which the store chose for planned ones.
type milestoneFixture struct {
	s       store.Store
	all     []domain.Milestone // as listed with no filter: in (due date, id) order
	byTitle map[string]domain.Milestone
}

func newMilestoneFixture(t *testing.T, s store.Store) milestoneFixture {
	t.Helper()
	ctx := context.Background()
	day := civil.New
	ma, mb, mc := youngPerson("ma"), youngPerson("mb"), youngPerson("mc")
	ma.PersonalAdviserID = "pa-1"
	mc.CouncilID = "council-b"
	create(t, s, ma, mb, mc)

	mk := func(title, key string, occurrence int, area, owner string, due, lapse civil.Date) pathway.Planned {
		return pathway.Planned{Key: key, Occurrence: occurrence, Title: title, Area: area, OwnerAgency: owner, Due: due, Lapse: lapse}
	}
	a1 := mk("a1", "k.one", 1, "EDUCATION_AND_TRAINING", "VIRTUAL_SCHOOL", day(2026, 3, 1), day(2027, 3, 1))
	a2 := mk("a2", "k.one", 2, "EDUCATION_AND_TRAINING", "VIRTUAL_SCHOOL", day(2027, 3, 1), day(2028, 3, 1))
	a3 := mk("a3", "k.two", 1, "HEALTH", "NHS", day(2026, 3, 1), day(2026, 9, 1))
	b1 := mk("b1", "k.one", 1, "EDUCATION_AND_TRAINING", "VIRTUAL_SCHOOL", day(2026, 3, 1), day(2027, 3, 1))
	b2 := mk("b2", "k.three", 1, "ACCOMMODATION", "HOUSING", day(2026, 6, 15), day(2026, 12, 15))
	c1 := mk("c1", "k.two", 1, "HEALTH", "NHS", day(2026, 1, 10), day(2026, 7, 10))
	c2 := mk("c2", "k.three", 1, "ACCOMMODATION", "HOUSING", day(2026, 6, 15), day(2027, 1, 1))
	savePathways(t, s, planFor(ma, "v1", a1, a2, a3), planFor(mb, "v1", b1, b2), planFor(mc, "v1", c1, c2))

	ao := oneOff("ma", "ao", day(2026, 6, 15))
	ao.Title, ao.LapseDate = "ao", day(2026, 7, 15)
	createMilestones(t, s, ao)

	// Record changes: a1 scheduled, b2 achieved, c1 waived.
	byKey := func(yp domain.YoungPerson, p pathway.Planned) domain.Milestone {
		return milestonesByKey(t, s, yp.ID)[occurrenceKey(p.Key, p.Occurrence)]
	}
	m := byKey(ma, a1)
	m.State, m.ScheduledDate, m.OwnerOrganisation = domain.Scheduled, day(2026, 2, 20), "org-school"
	updateMilestone(t, s, m, 0)
	m = byKey(mb, b2)
	m.State, m.AchievedDate, m.OwnerOrganisation = domain.Achieved, day(2026, 6, 1), "org-housing"
	m.Evidence = []domain.Evidence{{Description: "Tenancy signed", RecordedBy: "person-1", RecordTime: at}}
	updateMilestone(t, s, m, 0)
	m = byKey(mc, c1)
	m.State, m.StateReason = domain.Waived, "moved away"
	updateMilestone(t, s, m, 0)

	// a1 is no longer planned but was recorded: kept, not applicable.
	savePathways(t, s, planFor(ma, "v2", a2, a3))

	// The personal adviser is the young person's current one.
	mb.PersonalAdviserID, mb.UpdateTime = "pa-2", at.Add(time.Hour)
	inTx(t, s, func(tx store.Tx) error { _, err := tx.UpdateYoungPerson(ctx, mb, 0); return err })

	f := milestoneFixture{s: s, byTitle: map[string]domain.Milestone{}}
	f.all = listMilestones(t, s, store.MilestoneQuery{Limit: 100})
	for _, m := range f.all {
		f.byTitle[m.Title] = m
	}
	if got := titles(f.all); len(f.byTitle) != 8 || len(got) != 8 {
		t.Fatalf("the fixture lists %v, want the 8 milestones a1 a2 a3 ao b1 b2 c1 c2 once each", got)
	}
	if a1 := f.byTitle["a1"]; a1.Applicable || !a1.Recorded || a1.State != domain.Scheduled {
		t.Fatalf("fixture: a1 should be kept, recorded and not applicable: %+v", a1)
	}
	return f
}

func titles(ms []domain.Milestone) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Title
	}
	return out
}

// wantOrdered fails unless ms are in strictly increasing (due date, id) order.
func wantOrdered(t *testing.T, ms []domain.Milestone) {
	t.Helper()
	for i := 1; i < len(ms); i++ {
		a, b := ms[i-1], ms[i]
		if c := a.DueDate.Compare(b.DueDate); c > 0 || c == 0 && a.ID >= b.ID {
			t.Fatalf("milestones are not in (due date, id) order: %s (%v, %s) is listed before %s (%v, %s)",
				a.Title, a.DueDate, a.ID, b.Title, b.DueDate, b.ID)
		}
	}
}

// pageAll lists q page by page with q.Limit, following the cursor of each page's last row.
func pageAll(t *testing.T, s store.Store, q store.MilestoneQuery) []domain.Milestone {
	t.Helper()
	var out []domain.Milestone
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatalf("paging with limit %d did not end after 20 pages", q.Limit)
		}
		page := listMilestones(t, s, q)
		if len(page) > q.Limit {
			t.Fatalf("a page of limit %d has %d milestones", q.Limit, len(page))
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out
		}
		last := page[len(page)-1]
		q.After = store.MilestoneCursor{DueDate: last.DueDate, ID: last.ID}
	}
}

func testMilestoneList(t *testing.T, newStore NewStore) {
	f := newMilestoneFixture(t, newStore(t))
	day := civil.New
	cmpField := func(field string, op query.Op, v any) query.Expr {
		return query.Compare{Field: field, Op: op, Value: v}
	}
	eq := func(field string, v any) query.Expr { return cmpField(field, query.Eq, v) }

	t.Run("Order", func(t *testing.T) {
		wantOrdered(t, f.all)
		got := titles(f.all)
		// Titles by due date; within a date the ids decide.
		groups := [][]string{{"c1"}, {"a1", "a3", "b1"}, {"ao", "b2", "c2"}, {"a2"}}
		i := 0
		for _, g := range groups {
			if i+len(g) > len(got) {
				t.Fatalf("list %v is missing some of %v", got, g)
			}
			part := slices.Clone(got[i : i+len(g)])
			slices.Sort(part)
			if !slices.Equal(part, g) {
				t.Fatalf("list %v: positions %d-%d are %v, want %v (the milestones due on one date)", got, i, i+len(g)-1, part, g)
			}
			i += len(g)
		}
	})

	t.Run("Fields", func(t *testing.T) {
		// The one-off and a recorded planned milestone come back whole from a listing.
		for _, title := range []string{"ao", "b2"} {
			m := f.byTitle[title]
			got, err := getMilestone(t, f.s, m.YoungPersonID, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, m, equateEmpty); diff != "" {
				t.Fatalf("%s: ListMilestones and GetMilestone disagree (-get +list):\n%s", title, diff)
			}
		}
		if b2 := f.byTitle["b2"]; b2.CouncilID != "council-a" || b2.YoungPersonID != idOf("mb") || len(b2.Evidence) != 1 {
			t.Fatalf("b2 listed as %+v", b2)
		}
	})

	all := []string{"a1", "a2", "a3", "ao", "b1", "b2", "c1", "c2"}
	for _, tc := range []struct {
		name          string
		youngPersonID string
		filter        query.Expr
		want          []string
	}{
		{"none", "", nil, all},
		{"due eq", "", eq("due_date", day(2026, 3, 1)), []string{"a1", "a3", "b1"}},
		{"due ne", "", cmpField("due_date", query.Ne, day(2026, 3, 1)), []string{"a2", "ao", "b2", "c1", "c2"}},
		{"due lt", "", cmpField("due_date", query.Lt, day(2026, 6, 15)), []string{"a1", "a3", "b1", "c1"}},
		{"due le", "", cmpField("due_date", query.Le, day(2026, 3, 1)), []string{"a1", "a3", "b1", "c1"}},
		{"due gt", "", cmpField("due_date", query.Gt, day(2026, 6, 15)), []string{"a2"}},
		{"due ge", "", cmpField("due_date", query.Ge, day(2026, 6, 15)), []string{"a2", "ao", "b2", "c2"}},
		{"lapse le", "", cmpField("lapse_date", query.Le, day(2026, 9, 1)), []string{"a3", "ao", "c1"}},
		{"lapse gt", "", cmpField("lapse_date", query.Gt, day(2027, 1, 1)), []string{"a1", "a2", "b1"}},
		{"lapse eq", "", eq("lapse_date", day(2027, 1, 1)), []string{"c2"}},
		{"state", "", eq("state", "PLANNED"), []string{"a2", "a3", "ao", "b1", "c2"}},
		{"state ne", "", cmpField("state", query.Ne, "PLANNED"), []string{"a1", "b2", "c1"}},
		{"area", "", eq("area", "ACCOMMODATION"), []string{"b2", "c2"}},
		{"owner agency", "", eq("owner_agency_type", "NHS"), []string{"a3", "c1"}},
		{"owner organisation", "", eq("owner_organisation", "org-school"), []string{"a1"}},
		{"no owner organisation", "", eq("owner_organisation", ""), []string{"a2", "a3", "ao", "b1", "c1", "c2"}},
		{"council", "", eq("council", "council-b"), []string{"c1", "c2"}},
		{"personal adviser", "", eq("personal_adviser", "pa-1"), []string{"a1", "a2", "a3", "ao"}},
		{"personal adviser updated", "", eq("personal_adviser", "pa-2"), []string{"b1", "b2"}},
		{"no personal adviser", "", eq("personal_adviser", ""), []string{"c1", "c2"}},
		{"definition", "", eq("definition", "k.one"), []string{"a1", "a2", "b1"}},
		{"one-offs", "", eq("definition", ""), []string{"ao"}},
		{"not applicable", "", eq("applicable", false), []string{"a1"}},
		{"applicable", "", eq("applicable", true), []string{"a2", "a3", "ao", "b1", "b2", "c1", "c2"}},
		{"and", "", query.And{Left: eq("council", "council-a"), Right: eq("state", "PLANNED")}, []string{"a2", "a3", "ao", "b1"}},
		{"or", "", query.Or{Left: eq("area", "HEALTH"), Right: eq("definition", "k.three")}, []string{"a3", "b2", "c1", "c2"}},
		{"not", "", query.Not{X: eq("council", "council-a")}, []string{"c1", "c2"}},
		{"open and applicable", "", query.And{
			Left:  query.Or{Left: eq("state", "PLANNED"), Right: query.Or{Left: eq("state", "SCHEDULED"), Right: eq("state", "IN_PROGRESS")}},
			Right: eq("applicable", true),
		}, []string{"a2", "a3", "ao", "b1", "c2"}},
		{"one young person", idOf("ma"), nil, []string{"a1", "a2", "a3", "ao"}},
		{"one young person state", idOf("ma"), eq("state", "PLANNED"), []string{"a2", "a3", "ao"}},
		{"one young person definition", idOf("mb"), eq("definition", "k.one"), []string{"b1"}},
		{"one young person other council", idOf("ma"), eq("council", "council-b"), nil},
		{"missing young person", idOf("nobody"), nil, nil},
	} {
		t.Run("Filter/"+strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			page := listMilestones(t, f.s, store.MilestoneQuery{YoungPersonID: tc.youngPersonID, Filter: tc.filter, Limit: 100})
			wantOrdered(t, page)
			got := titles(page)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s matched %v, want %v", tc.name, got, tc.want)
			}
		})
	}

	t.Run("After", func(t *testing.T) {
		for _, yp := range []string{"", idOf("ma")} {
			full := listMilestones(t, f.s, store.MilestoneQuery{YoungPersonID: yp, Limit: 100})
			for i, m := range full {
				after := store.MilestoneCursor{DueDate: m.DueDate, ID: m.ID}
				got := listMilestones(t, f.s, store.MilestoneQuery{YoungPersonID: yp, After: after, Limit: 100})
				if !slices.Equal(titles(got), titles(full[i+1:])) {
					t.Fatalf("young person %q, after %s: listed %v, want %v", yp, m.Title, titles(got), titles(full[i+1:]))
				}
			}
		}
	})

	t.Run("AfterCursorNotStored", func(t *testing.T) {
		// A cursor need not be a stored milestone (it may have been deleted since).
		for _, tc := range []struct {
			after store.MilestoneCursor
			want  []string
		}{
			{store.MilestoneCursor{DueDate: day(2026, 3, 1), ID: "00000000-0000-0000-0000-000000000000"}, []string{"a1", "a2", "a3", "ao", "b1", "b2", "c2"}},
			{store.MilestoneCursor{DueDate: day(2026, 3, 1), ID: "ffffffff-ffff-ffff-ffff-ffffffffffff"}, []string{"a2", "ao", "b2", "c2"}},
			{store.MilestoneCursor{DueDate: day(2026, 2, 1), ID: "ffffffff-ffff-ffff-ffff-ffffffffffff"}, []string{"a1", "a2", "a3", "ao", "b1", "b2", "c2"}},
			{store.MilestoneCursor{DueDate: day(2027, 3, 1), ID: "ffffffff-ffff-ffff-ffff-ffffffffffff"}, nil},
		} {
			page := listMilestones(t, f.s, store.MilestoneQuery{After: tc.after, Limit: 100})
			wantOrdered(t, page)
			got := titles(page)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("after (%v, %s): listed %v, want %v", tc.after.DueDate, tc.after.ID, got, tc.want)
			}
		}
	})

	t.Run("Limit", func(t *testing.T) {
		for _, limit := range []int{1, 3, 8} {
			got := listMilestones(t, f.s, store.MilestoneQuery{Limit: limit})
			if !slices.Equal(titles(got), titles(f.all[:limit])) {
				t.Fatalf("limit %d listed %v, want %v", limit, titles(got), titles(f.all[:limit]))
			}
		}
		got := listMilestones(t, f.s, store.MilestoneQuery{YoungPersonID: idOf("ma"), Filter: eq("state", "PLANNED"), Limit: 2})
		if len(got) != 2 {
			t.Fatalf("limit 2 of one young person's planned milestones listed %v", titles(got))
		}
	})

	t.Run("PagesEachOnce", func(t *testing.T) {
		for _, tc := range []struct {
			youngPersonID string
			filter        query.Expr
		}{
			{"", nil},
			{"", eq("state", "PLANNED")},
			{"", eq("council", "council-a")},
			{idOf("ma"), nil},
			{idOf("mb"), eq("applicable", true)},
		} {
			want := listMilestones(t, f.s, store.MilestoneQuery{YoungPersonID: tc.youngPersonID, Filter: tc.filter, Limit: 100})
			for _, limit := range []int{1, 2, 3} {
				name := fmt.Sprintf("young person %q, filter %v, limit %d", tc.youngPersonID, tc.filter, limit)
				got := pageAll(t, f.s, store.MilestoneQuery{YoungPersonID: tc.youngPersonID, Filter: tc.filter, Limit: limit})
				if !slices.Equal(titles(got), titles(want)) {
					t.Fatalf("%s: pages listed %v, want each of %v once", name, titles(got), titles(want))
				}
			}
		}
	})
}
