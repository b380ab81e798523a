package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

func saveReadiness(t *testing.T, s store.Store, rows ...domain.ReadinessSummary) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) error { return tx.SaveReadiness(context.Background(), rows) })
}

// staleReadiness returns what StaleReadiness returns, in its order.
func staleReadiness(t *testing.T, s store.Store, q store.StaleReadinessQuery) (ids []string) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ids, err = tx.StaleReadiness(context.Background(), q)
		return err
	})
	return ids
}

func listReadiness(t *testing.T, s store.Store, q store.ReadinessQuery) (es []store.ReadinessEntry) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		es, err = tx.ListReadiness(context.Background(), q)
		return err
	})
	return es
}

func countReadiness(t *testing.T, s store.Store, q store.ReadinessQuery) (c store.ReadinessCounts) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		c, err = tx.CountReadiness(context.Background(), q)
		return err
	})
	return c
}

// readinessCursor is the cursor after an entry in an order, as the interface describes it.
func readinessCursor(o store.ReadinessOrder, e store.ReadinessEntry) store.ReadinessCursor {
	var v string
	switch o {
	case store.ByEighteenthBirthday:
		v = e.Summary.EighteenthBirthday.String()
	case store.ByFixBy:
		v = "9999-12-31"
		if !e.Summary.FixBy.IsZero() {
			v = e.Summary.FixBy.String()
		}
	case store.ByRating:
		v = strconv.Itoa(e.Summary.Rating.Rank())
	}
	return store.ReadinessCursor{Value: v, YoungPersonID: e.Summary.YoungPersonID}
}

// pageReadiness lists q page by page with q.Limit, each page after the cursor of the last
// entry of the one before.
func pageReadiness(t *testing.T, s store.Store, q store.ReadinessQuery) []store.ReadinessEntry {
	t.Helper()
	return allPages(t, q.Limit, q.After, func(after store.ReadinessCursor) []store.ReadinessEntry {
		q.After = after
		return listReadiness(t, s, q)
	}, func(e store.ReadinessEntry) store.ReadinessCursor { return readinessCursor(q.Order, e) })
}

func entryIDs(es []store.ReadinessEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Summary.YoungPersonID
	}
	return out
}

// readinessRow is a young person of the readiness fixture with their summary (none unless
// hasSummary).
type readinessRow struct {
	key, council, adviser string
	born                  civil.Date // 18th birthday
	rating                domain.Rating
	checks, ambitions     []string
	fixBy                 civil.Date
	hasSummary            bool
}

func (r readinessRow) youngPerson() domain.YoungPerson {
	yp := youngPerson(r.key)
	yp.CouncilID, yp.PersonalAdviserID = r.council, r.adviser
	yp.DateOfBirth = civil.New(r.born.Year-18, r.born.Month, r.born.Day)
	return yp
}

func (r readinessRow) summary() domain.ReadinessSummary {
	return domain.ReadinessSummary{YoungPersonID: idOf(r.key), CouncilID: r.council, EighteenthBirthday: r.born,
		Rating: r.rating, FailingChecks: r.checks, FailingAmbitions: r.ambitions, FixBy: r.fixBy,
		AssessedOn: civil.New(2026, 1, 5), ValidUntil: civil.New(2026, 2, 1), Version: "v1"}
}

// readinessRows are the fixture of the views:
//
//	key  council  adviser  18th birthday  rating  failing checks (ambitions)               fix by
//	r1   a        pa-1     2026-03-01     RED     id.ni, home.tenancy (A1, A3)             2026-01-15
//	r2   a        pa-2     2026-03-01     AMBER   id.ni (A1)                               2026-02-01
//	r3   a        -        2026-05-10     GREEN   -                                        -
//	r4   a        pa-1     2026-04-01     RED     money.bank (A2)                          2026-01-15
//	r5   a        pa-3     2026-06-30     AMBER   home.tenancy (A3)                        2026-03-01
//	r6   a        -        2026-04-01     GREEN   -                                        -
//	r7   a        pa-2     2027-01-01     RED     id.ni, money.bank, home.tenancy (A1 A2 A5) 2026-02-01
//	r8   a        pa-1     2025-12-31     GREEN   -                                        -
//	r9   a        pa-1     (no summary)
//	r10  a        pa-4     2026-08-01     AMBER   health.gp (A4)                           2026-06-01
//	r11  b        pa-1     2026-03-01     RED     id.ni (A1)                               2026-01-10
//	r12  b        -        2026-04-01     GREEN   -                                        -
//
// Sort values tie (r1 r2 r11 on the 18th birthday, r1 r4 on fix-by, ...) so that the young
// person id decides.
func readinessRows() []readinessRow {
	day := civil.New
	const a, b = "council-a", "council-b"
	red, amber, green := domain.Red, domain.Amber, domain.Green
	l := func(s ...string) []string { return s }
	return []readinessRow{
		{"r1", a, "pa-1", day(2026, 3, 1), red, l("id.ni", "home.tenancy"), l("A1", "A3"), day(2026, 1, 15), true},
		{"r2", a, "pa-2", day(2026, 3, 1), amber, l("id.ni"), l("A1"), day(2026, 2, 1), true},
		{"r3", a, "", day(2026, 5, 10), green, nil, nil, civil.Date{}, true},
		{"r4", a, "pa-1", day(2026, 4, 1), red, l("money.bank"), l("A2"), day(2026, 1, 15), true},
		{"r5", a, "pa-3", day(2026, 6, 30), amber, l("home.tenancy"), l("A3"), day(2026, 3, 1), true},
		{"r6", a, "", day(2026, 4, 1), green, nil, nil, civil.Date{}, true},
		{"r7", a, "pa-2", day(2027, 1, 1), red, l("id.ni", "money.bank", "home.tenancy"), l("A1", "A2", "A5"), day(2026, 2, 1), true},
		{"r8", a, "pa-1", day(2025, 12, 31), green, nil, nil, civil.Date{}, true},
		{"r9", a, "pa-1", day(2026, 3, 1), "", nil, nil, civil.Date{}, false},
		{"r10", a, "pa-4", day(2026, 8, 1), amber, l("health.gp"), l("A4"), day(2026, 6, 1), true},
		{"r11", b, "pa-1", day(2026, 3, 1), red, l("id.ni"), l("A1"), day(2026, 1, 10), true},
		{"r12", b, "", day(2026, 4, 1), green, nil, nil, civil.Date{}, true},
	}
}

func createReadinessFixture(t *testing.T, s store.Store, rows []readinessRow) {
	t.Helper()
	var yps []domain.YoungPerson
	var sums []domain.ReadinessSummary
	for _, r := range rows {
		yps = append(yps, r.youngPerson())
		if r.hasSummary {
			sums = append(sums, r.summary())
		}
	}
	create(t, s, yps...)
	saveReadiness(t, s, sums...)
}

// readinessModel is what a view of the fixture should hold, worked out here from the
// fixture; the hand-written expectations of FixtureAgreesWithModel check it.
func readinessModel(rows []readinessRow, q store.ReadinessQuery) []readinessRow {
	var out []readinessRow
	for _, r := range rows {
		yp := r.youngPerson()
		switch {
		case !r.hasSummary, r.council != q.Scope.CouncilID, !q.Scope.Contains(yp),
			!q.EighteenthFrom.IsZero() && r.born.Before(q.EighteenthFrom),
			!q.EighteenthTo.IsZero() && r.born.After(q.EighteenthTo),
			len(q.Ratings) > 0 && !slices.Contains(q.Ratings, r.rating),
			q.Check != "" && !slices.Contains(r.checks, q.Check),
			len(q.AdviserIDs) > 0 && (r.adviser == "" || !slices.Contains(q.AdviserIDs, r.adviser)):
			continue
		}
		out = append(out, r)
	}
	rank := map[domain.Rating]int{domain.Red: 0, domain.Amber: 1, domain.Green: 2}
	key := func(r readinessRow) string {
		switch q.Order {
		case store.ByFixBy:
			if r.fixBy.IsZero() {
				return "9999-12-31"
			}
			return r.fixBy.String()
		case store.ByRating:
			return strconv.Itoa(rank[r.rating])
		}
		return r.born.String()
	}
	slices.SortFunc(out, func(a, b readinessRow) int {
		return cmp.Or(strings.Compare(key(a), key(b)), strings.Compare(idOf(a.key), idOf(b.key)))
	})
	return out
}

func rowIDs(rows []readinessRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = idOf(r.key)
	}
	return out
}

func rowKeys(rows []readinessRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.key
	}
	return out
}

// modelCounts counts a view of the fixture.
func modelCounts(rows []readinessRow) store.ReadinessCounts {
	c := store.ReadinessCounts{Total: len(rows), ByRating: map[domain.Rating]int{}, ByCheck: map[string]int{}, ByAmbition: map[string]int{}}
	for _, r := range rows {
		c.ByRating[r.rating]++
		for _, k := range r.checks {
			c.ByCheck[k]++
		}
		for _, a := range r.ambitions {
			c.ByAmbition[a]++
		}
	}
	return c
}

// tiesByID writes an expected order: groups in order, each group's keys tied on the sort
// value and so in id order.
func tiesByID(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, sortedIDs(g...)...)
	}
	return out
}

var readinessOrders = []store.ReadinessOrder{store.ByEighteenthBirthday, store.ByFixBy, store.ByRating}

func testReadiness(t *testing.T, newStore NewStore) {
	t.Run("Views", func(t *testing.T) { testReadinessViews(t, newStore) })
	t.Run("Save", func(t *testing.T) { testReadinessSave(t, newStore) })
	t.Run("Stale", func(t *testing.T) { testReadinessStale(t, newStore) })
}

func testReadinessViews(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := civil.New
	s := newStore(t)
	rows := readinessRows()
	createReadinessFixture(t, s, rows)

	whole := &store.Scope{CouncilID: "council-a", WholeCouncil: true}
	team := &store.Scope{CouncilID: "council-a", AdviserIDs: []string{"pa-1", "pa-2"}, Unallocated: true}
	pa1 := &store.Scope{CouncilID: "council-a", AdviserIDs: []string{"pa-1"}}
	councilB := &store.Scope{CouncilID: "council-b", AdviserIDs: []string{"pa-1"}, Unallocated: true}
	with := func(scope *store.Scope, change func(*store.ReadinessQuery)) store.ReadinessQuery {
		q := store.ReadinessQuery{Scope: scope}
		if change != nil {
			change(&q)
		}
		return q
	}
	cases := []struct {
		name string
		q    store.ReadinessQuery
		want []string // keys, in any order; nil to rely on the model alone
	}{
		{"whole council", with(whole, nil), []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r10"}},
		{"team with unallocated", with(team, nil), []string{"r1", "r2", "r3", "r4", "r6", "r7", "r8"}},
		{"one adviser", with(pa1, nil), []string{"r1", "r4", "r8"}},
		{"the other council", with(councilB, nil), []string{"r11", "r12"}},
		{"a council with none", with(&store.Scope{CouncilID: "council-z", WholeCouncil: true}, nil), []string{}},
		{"an adviser with nobody", with(&store.Scope{CouncilID: "council-a", AdviserIDs: []string{"pa-9"}}, nil), []string{}},
		{"red or amber", with(whole, func(q *store.ReadinessQuery) { q.Ratings = []domain.Rating{domain.Red, domain.Amber} }),
			[]string{"r1", "r2", "r4", "r5", "r7", "r10"}},
		{"green", with(whole, func(q *store.ReadinessQuery) { q.Ratings = []domain.Rating{domain.Green} }), []string{"r3", "r6", "r8"}},
		{"a check", with(whole, func(q *store.ReadinessQuery) { q.Check = "id.ni" }), []string{"r1", "r2", "r7"}},
		{"a check nobody fails", with(whole, func(q *store.ReadinessQuery) { q.Check = "education.place" }), []string{}},
		{"an adviser", with(whole, func(q *store.ReadinessQuery) { q.AdviserIDs = []string{"pa-1"} }), []string{"r1", "r4", "r8"}},
		{"two advisers", with(whole, func(q *store.ReadinessQuery) { q.AdviserIDs = []string{"pa-2", "pa-4"} }), []string{"r2", "r7", "r10"}},
		{"an empty adviser id is not unallocated", with(whole, func(q *store.ReadinessQuery) { q.AdviserIDs = []string{""} }), []string{}},
		{"18th birthday between, inclusive", with(whole, func(q *store.ReadinessQuery) {
			q.EighteenthFrom, q.EighteenthTo = day(2026, 3, 1), day(2026, 4, 1)
		}), []string{"r1", "r2", "r4", "r6"}},
		{"18th birthday from", with(whole, func(q *store.ReadinessQuery) { q.EighteenthFrom = day(2026, 6, 30) }), []string{"r5", "r7", "r10"}},
		{"18th birthday to", with(whole, func(q *store.ReadinessQuery) { q.EighteenthTo = day(2026, 3, 1) }), []string{"r1", "r2", "r8"}},
		{"a day with none", with(whole, func(q *store.ReadinessQuery) { q.EighteenthFrom, q.EighteenthTo = day(2026, 3, 2), day(2026, 3, 31) }), []string{}},
		{"combined in a team", with(team, func(q *store.ReadinessQuery) {
			q.Ratings, q.Check, q.EighteenthFrom = []domain.Rating{domain.Red}, "home.tenancy", day(2026, 1, 1)
		}), []string{"r1", "r7"}},
		{"advisers within the scope only", with(team, func(q *store.ReadinessQuery) { q.AdviserIDs = []string{"pa-1", "pa-3"} }),
			[]string{"r1", "r4", "r8"}},
		{"all filters", with(team, func(q *store.ReadinessQuery) {
			q.Ratings, q.Check, q.AdviserIDs = []domain.Rating{domain.Red, domain.Amber}, "id.ni", []string{"pa-2"}
			q.EighteenthFrom, q.EighteenthTo = day(2026, 3, 1), day(2026, 12, 31)
		}), []string{"r2"}},
		{"green failing a check", with(whole, func(q *store.ReadinessQuery) {
			q.Ratings, q.Check = []domain.Rating{domain.Green}, "id.ni"
		}), []string{}},
		{"the other council, filtered", with(&store.Scope{CouncilID: "council-b", WholeCouncil: true}, func(q *store.ReadinessQuery) {
			q.Check = "id.ni"
		}), []string{"r11"}},
		{"unallocated and a rating", with(&store.Scope{CouncilID: "council-a", Unallocated: true}, func(q *store.ReadinessQuery) {
			q.Ratings = []domain.Rating{domain.Green, domain.Amber}
		}), nil},
		{"wide, by 18th birthday and check", with(team, func(q *store.ReadinessQuery) {
			q.EighteenthTo, q.Check = day(2026, 12, 31), "money.bank"
		}), nil},
	}

	t.Run("FixtureAgreesWithModel", func(t *testing.T) {
		for _, tc := range cases {
			if tc.want == nil {
				continue
			}
			got := rowKeys(readinessModel(rows, tc.q))
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: the model holds %v, the test expects %v", tc.name, got, want)
			}
		}
		// The orders, written out.
		q := with(whole, nil)
		for order, want := range map[store.ReadinessOrder][]string{
			store.ByEighteenthBirthday: tiesByID([]string{"r8"}, []string{"r1", "r2"}, []string{"r4", "r6"}, []string{"r3"}, []string{"r5"}, []string{"r10"}, []string{"r7"}),
			store.ByFixBy:              tiesByID([]string{"r1", "r4"}, []string{"r2", "r7"}, []string{"r5"}, []string{"r10"}, []string{"r3", "r6", "r8"}),
			store.ByRating:             tiesByID([]string{"r1", "r4", "r7"}, []string{"r2", "r5", "r10"}, []string{"r3", "r6", "r8"}),
		} {
			q.Order = order
			if got := rowIDs(readinessModel(rows, q)); !slices.Equal(got, want) {
				t.Fatalf("%s: the model orders %v, the test expects %v", order, got, want)
			}
		}
		want := store.ReadinessCounts{Total: 9,
			ByRating:   map[domain.Rating]int{domain.Red: 3, domain.Amber: 3, domain.Green: 3},
			ByCheck:    map[string]int{"id.ni": 3, "home.tenancy": 3, "money.bank": 2, "health.gp": 1},
			ByAmbition: map[string]int{"A1": 3, "A2": 2, "A3": 2, "A4": 1, "A5": 1}}
		if diff := gocmp.Diff(want, modelCounts(readinessModel(rows, q))); diff != "" {
			t.Fatalf("the model counts the whole council (-test +model):\n%s", diff)
		}
	})

	t.Run("WholeEntries", func(t *testing.T) {
		// Each entry is the summary as saved with the young person as stored.
		got := listReadiness(t, s, store.ReadinessQuery{Scope: &store.Scope{CouncilID: "council-a", WholeCouncil: true},
			Order: store.ByRating, Limit: 100})
		var want []store.ReadinessEntry
		for _, r := range readinessModel(rows, store.ReadinessQuery{Scope: whole, Order: store.ByRating}) {
			want = append(want, store.ReadinessEntry{Summary: r.summary(), YoungPerson: stored(r.youngPerson(), 1)})
		}
		if diff := gocmp.Diff(want, got, equateEmpty); diff != "" {
			t.Fatalf("ListReadiness (-want +got):\n%s", diff)
		}
		for _, e := range got {
			yp, err := get(t, s, e.Summary.YoungPersonID)
			if err != nil || !gocmp.Equal(yp, e.YoungPerson) {
				t.Fatalf("the entry's young person %+v is not the stored one %+v (%v)", e.YoungPerson, yp, err)
			}
		}
	})

	for _, tc := range cases {
		t.Run("List/"+tc.name, func(t *testing.T) {
			for _, order := range readinessOrders {
				q := tc.q
				q.Order = order
				want := rowIDs(readinessModel(rows, q))
				q.Limit = 100
				if got := entryIDs(listReadiness(t, s, q)); !slices.Equal(got, want) {
					t.Fatalf("by %s: listed %v, want %v", order, got, want)
				}
				for _, limit := range []int{1, 2, 3} {
					q.Limit = limit
					if got := entryIDs(pageReadiness(t, s, q)); !slices.Equal(got, want) {
						t.Fatalf("by %s, pages of %d: listed %v, want %v", order, limit, got, want)
					}
				}
			}
		})
		t.Run("Count/"+tc.name, func(t *testing.T) {
			want := modelCounts(readinessModel(rows, tc.q))
			if diff := gocmp.Diff(want, countReadiness(t, s, tc.q), equateEmpty); diff != "" {
				t.Fatalf("CountReadiness (-want +got):\n%s", diff)
			}
			// Order, After and Limit do not change the counts.
			q := tc.q
			q.Order, q.After, q.Limit = store.ByRating, store.ReadinessCursor{Value: "1", YoungPersonID: idOf("r5")}, 1
			if diff := gocmp.Diff(want, countReadiness(t, s, q), equateEmpty); diff != "" {
				t.Fatalf("CountReadiness with an order, a cursor and a limit (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("CursorOutsideTheView", func(t *testing.T) {
		// A page can start after a young person the view leaves out (of the other council,
		// filtered out, or with no summary): it holds what sorts after that position.
		for _, tc := range []struct {
			order store.ReadinessOrder
			after store.ReadinessCursor
			want  []string
		}{
			{store.ByEighteenthBirthday, store.ReadinessCursor{Value: "2026-03-01", YoungPersonID: idOf("r11")}, nil},
			{store.ByEighteenthBirthday, store.ReadinessCursor{Value: "2026-03-01", YoungPersonID: idOf("r9")}, nil},
			{store.ByEighteenthBirthday, store.ReadinessCursor{Value: "2026-04-02", YoungPersonID: idOf("r1")}, []string{"r3", "r5", "r10", "r7"}},
			{store.ByFixBy, store.ReadinessCursor{Value: "2026-01-10", YoungPersonID: idOf("r11")}, nil},
			{store.ByFixBy, store.ReadinessCursor{Value: "2026-06-01", YoungPersonID: idOf("r10")}, []string{"r3", "r6", "r8"}},
			{store.ByRating, store.ReadinessCursor{Value: "0", YoungPersonID: idOf("r11")}, nil},
			{store.ByRating, store.ReadinessCursor{Value: "1", YoungPersonID: idOf("r12")}, nil},
		} {
			all := readinessModel(rows, store.ReadinessQuery{Scope: whole, Order: tc.order})
			// What sorts after the cursor: by its value, then by id.
			valueOf := func(r readinessRow) string {
				return readinessCursor(tc.order, store.ReadinessEntry{Summary: r.summary()}).Value
			}
			var want []string
			for _, r := range all {
				if c := strings.Compare(valueOf(r), tc.after.Value); c > 0 || c == 0 && idOf(r.key) > tc.after.YoungPersonID {
					want = append(want, idOf(r.key))
				}
			}
			if tc.want != nil {
				if written := tiesByID(tc.want); !slices.Equal(slices.Sorted(slices.Values(want)), written) {
					t.Fatalf("fixture: after %+v the model gives %v, the test expects %v", tc.after, want, tc.want)
				}
			}
			for _, limit := range []int{2, 100} {
				q := store.ReadinessQuery{Scope: whole, Order: tc.order, After: tc.after, Limit: limit}
				if got := entryIDs(pageReadiness(t, s, q)); !slices.Equal(got, want) {
					t.Fatalf("by %s after %+v, pages of %d: listed %v, want %v", tc.order, tc.after, limit, got, want)
				}
			}
		}
	})

	t.Run("FollowsTheYoungPerson", func(t *testing.T) {
		// The scope and adviser filter use the young person's adviser now, not when assessed.
		s := newStore(t)
		createReadinessFixture(t, s, rows)
		r3 := rows[2].youngPerson()
		r3.PersonalAdviserID = "pa-1"
		r4 := rows[3].youngPerson()
		r4.PersonalAdviserID = "pa-3"
		inTx(t, s, func(tx store.Tx) error {
			for _, yp := range []domain.YoungPerson{r3, r4} {
				if _, err := tx.UpdateYoungPerson(ctx, yp, 0); err != nil {
					return err
				}
			}
			return nil
		})
		q := store.ReadinessQuery{Scope: pa1, Order: store.ByEighteenthBirthday, Limit: 100}
		got := listReadiness(t, s, q)
		if want := tiesByID([]string{"r8"}, []string{"r1"}, []string{"r3"}); !slices.Equal(entryIDs(got), want) {
			t.Fatalf("after r3 moved to pa-1 and r4 to pa-3, pa-1's view holds %v, want %v", entryIDs(got), want)
		}
		if got[2].YoungPerson.PersonalAdviserID != "pa-1" || got[2].YoungPerson.Revision != 2 {
			t.Fatalf("the entry's young person is not the current one: %+v", got[2].YoungPerson)
		}
		q = store.ReadinessQuery{Scope: whole, AdviserIDs: []string{"pa-3"}}
		if c := countReadiness(t, s, q); c.Total != 2 || c.ByRating[domain.Red] != 1 || c.ByRating[domain.Amber] != 1 {
			t.Fatalf("pa-3's counts after r4 moved to them: %+v, want r4 (red) and r5 (amber)", c)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    store.ReadinessQuery
		}{
			{"no scope", store.ReadinessQuery{Order: store.ByRating, Limit: 10}},
			{"an unknown order", store.ReadinessQuery{Scope: whole, Order: "name", Limit: 10}},
			{"a date cursor that is no date", store.ReadinessQuery{Scope: whole, Order: store.ByFixBy, Limit: 10,
				After: store.ReadinessCursor{Value: "soon", YoungPersonID: idOf("r1")}}},
			{"a rank cursor that is no number", store.ReadinessQuery{Scope: whole, Order: store.ByRating, Limit: 10,
				After: store.ReadinessCursor{Value: "RED", YoungPersonID: idOf("r1")}}},
		} {
			var got []store.ReadinessEntry
			err := s.InTx(ctx, func(tx store.Tx) (err error) { got, err = tx.ListReadiness(ctx, tc.q); return err })
			if err == nil {
				t.Fatalf("%s: ListReadiness listed %d entries, want an error", tc.name, len(got))
			}
			if tc.q.Scope != nil && errs.KindOf(err) != errs.InvalidArgument {
				t.Fatalf("%s: error %v, want an invalid argument", tc.name, err)
			}
		}
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CountReadiness(ctx, store.ReadinessQuery{}); return err })
		if err == nil {
			t.Fatalf("CountReadiness with no scope counted, want an error")
		}
	})
}

func testReadinessSave(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := civil.New
	whole := &store.Scope{CouncilID: "council-a", WholeCouncil: true}
	all := func(t *testing.T, s store.Store) []store.ReadinessEntry {
		t.Helper()
		return listReadiness(t, s, store.ReadinessQuery{Scope: whole, Order: store.ByEighteenthBirthday, Limit: 100})
	}
	summaries := func(es []store.ReadinessEntry) []domain.ReadinessSummary {
		out := make([]domain.ReadinessSummary, len(es))
		for i, e := range es {
			out[i] = e.Summary
		}
		return out
	}

	t.Run("ReplacesInPlace", func(t *testing.T) {
		s := newStore(t)
		rows := readinessRows()[:3] // r1 r2 r3, all of council-a
		createReadinessFixture(t, s, rows)
		r1, r2, r3 := rows[0].summary(), rows[1].summary(), rows[2].summary()

		// r1 is fixed: green, no checks; r3 gets worse. Both sort elsewhere now.
		newR1, newR3 := r1, r3
		newR1.Rating, newR1.FailingChecks, newR1.FailingAmbitions, newR1.FixBy = domain.Green, nil, nil, civil.Date{}
		newR1.AssessedOn, newR1.ValidUntil, newR1.Version = day(2026, 2, 1), day(2026, 3, 1), "v2"
		newR3.Rating, newR3.FailingChecks, newR3.FailingAmbitions, newR3.FixBy = domain.Red, []string{"id.ni"}, []string{"A1"}, day(2026, 1, 1)
		newR3.EighteenthBirthday = day(2026, 2, 1)
		saveReadiness(t, s, newR3, newR1)
		want := []domain.ReadinessSummary{newR3}
		if idOf("r1") < idOf("r2") {
			want = append(want, newR1, r2)
		} else {
			want = append(want, r2, newR1)
		}
		if diff := gocmp.Diff(want, summaries(all(t, s)), equateEmpty); diff != "" {
			t.Fatalf("after replacing r1 and r3 (-want +got):\n%s", diff)
		}
		byRating := listReadiness(t, s, store.ReadinessQuery{Scope: whole, Order: store.ByRating, Limit: 100})
		if got := entryIDs(byRating); !slices.Equal(got[:1], []string{idOf("r3")}) || got[2] != idOf("r1") {
			t.Fatalf("by rating after the change: %v, want r3 (red), r2 (amber), r1 (green)", got)
		}
		c := countReadiness(t, s, store.ReadinessQuery{Scope: whole})
		wantCounts := store.ReadinessCounts{Total: 3, ByRating: map[domain.Rating]int{domain.Red: 1, domain.Amber: 1, domain.Green: 1},
			ByCheck: map[string]int{"id.ni": 2}, ByAmbition: map[string]int{"A1": 2}}
		if diff := gocmp.Diff(wantCounts, c, equateEmpty); diff != "" {
			t.Fatalf("counts after replacing (-want +got):\n%s", diff)
		}
		if ids := staleReadiness(t, s, store.StaleReadinessQuery{Today: day(2026, 2, 15), Version: "v2", Limit: 10}); !slices.Equal(ids, sortedIDs("r2", "r3")) {
			t.Fatalf("stale after replacing r1 with a v2 summary valid until 2026-03-01: %v, want r2 and r3", ids)
		}

		// Saving the same again changes nothing.
		before := all(t, s)
		saveReadiness(t, s, newR1, newR3)
		if diff := gocmp.Diff(before, all(t, s), equateEmpty); diff != "" {
			t.Fatalf("saving the same summaries again (-before +after):\n%s", diff)
		}
		saveReadiness(t, s) // nothing
		if diff := gocmp.Diff(before, all(t, s), equateEmpty); diff != "" {
			t.Fatalf("saving no summaries (-before +after):\n%s", diff)
		}
	})

	t.Run("MovesWithTheYoungPerson", func(t *testing.T) {
		// A young person moves council; their summary, saved again, moves with them.
		s := newStore(t)
		rows := readinessRows()[:2]
		createReadinessFixture(t, s, rows)
		moved := rows[1].youngPerson()
		moved.CouncilID = "council-b"
		inTx(t, s, func(tx store.Tx) error { _, err := tx.UpdateYoungPerson(ctx, moved, 0); return err })
		sum := rows[1].summary()
		sum.CouncilID = "council-b"
		saveReadiness(t, s, sum)
		if got := entryIDs(all(t, s)); !slices.Equal(got, []string{idOf("r1")}) {
			t.Fatalf("council-a's view after r2 moved: %v, want r1 only", got)
		}
		b := listReadiness(t, s, store.ReadinessQuery{Scope: &store.Scope{CouncilID: "council-b", WholeCouncil: true},
			Order: store.ByRating, Limit: 10})
		if diff := gocmp.Diff([]domain.ReadinessSummary{sum}, summaries(b)); diff != "" {
			t.Fatalf("council-b's view after r2 moved (-want +got):\n%s", diff)
		}
		if c := countReadiness(t, s, store.ReadinessQuery{Scope: whole}); c.Total != 1 || c.ByRating[domain.Amber] != 0 {
			t.Fatalf("council-a's counts after r2 moved: %+v, want r1 only", c)
		}
	})

	t.Run("KeepsListsInOrder", func(t *testing.T) {
		s := newStore(t)
		rows := readinessRows()[:1]
		createReadinessFixture(t, s, rows)
		r := rows[0].summary()
		r.FailingChecks = []string{"z.last", "a.first", "m.middle", "with \"quotes\", commas and {braces}"}
		r.FailingAmbitions = []string{"A6", "A1"}
		saveReadiness(t, s, r)
		if diff := gocmp.Diff([]domain.ReadinessSummary{r}, summaries(all(t, s))); diff != "" {
			t.Fatalf("failing checks and ambitions (-want +got):\n%s", diff)
		}
		c := countReadiness(t, s, store.ReadinessQuery{Scope: whole, Check: "with \"quotes\", commas and {braces}"})
		if c.Total != 1 || c.ByCheck["with \"quotes\", commas and {braces}"] != 1 || c.ByAmbition["A6"] != 1 {
			t.Fatalf("counts of an odd check key: %+v", c)
		}
	})

	t.Run("SkipsMissingYoungPeople", func(t *testing.T) {
		s := newStore(t)
		rows := readinessRows()[:2]
		createReadinessFixture(t, s, rows[:1])
		ghost := rows[1].summary() // r2 was never created
		saveReadiness(t, s, ghost, rows[0].summary())
		if got := entryIDs(all(t, s)); !slices.Equal(got, []string{idOf("r1")}) {
			t.Fatalf("after saving summaries of r1 and a missing young person: %v, want r1 only", got)
		}
		// Created later, the young person has no summary.
		create(t, s, rows[1].youngPerson())
		if got := entryIDs(all(t, s)); !slices.Equal(got, []string{idOf("r1")}) {
			t.Fatalf("a skipped summary appeared when its young person was created: %v", got)
		}
		if ids := staleReadiness(t, s, store.StaleReadinessQuery{Today: day(2026, 1, 10), Version: "v1", Limit: 10}); !slices.Equal(ids, []string{idOf("r2")}) {
			t.Fatalf("stale = %v, want r2 (no summary)", ids)
		}
	})

	t.Run("DeletedWithTheYoungPerson", func(t *testing.T) {
		s := newStore(t)
		rows := readinessRows()
		createReadinessFixture(t, s, rows)
		q := store.ReadinessQuery{Scope: whole, Order: store.ByFixBy, Limit: 100}
		before := listReadiness(t, s, q)
		inTx(t, s, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, idOf("r7"), 0) })
		want := slices.DeleteFunc(slices.Clone(before), func(e store.ReadinessEntry) bool { return e.Summary.YoungPersonID == idOf("r7") })
		if len(want) != len(before)-1 {
			t.Fatalf("fixture: r7 is not in the view")
		}
		if diff := gocmp.Diff(want, listReadiness(t, s, q), equateEmpty); diff != "" {
			t.Fatalf("after deleting r7 (-want +got):\n%s", diff)
		}
		c := countReadiness(t, s, store.ReadinessQuery{Scope: whole})
		if c.Total != 8 || c.ByRating[domain.Red] != 2 || c.ByAmbition["A5"] != 0 || c.ByCheck["money.bank"] != 1 {
			t.Fatalf("counts after deleting r7: %+v", c)
		}
		fresh := store.StaleReadinessQuery{Today: day(2026, 1, 10), Version: "v1", Limit: 100}
		if ids := staleReadiness(t, s, fresh); !slices.Equal(ids, []string{idOf("r9")}) {
			t.Fatalf("stale after deleting r7: %v, want only r9 (no summary)", ids)
		}
		// Created again, r7 has no summary: stale, and in no view.
		create(t, s, rows[6].youngPerson())
		if ids := staleReadiness(t, s, fresh); !slices.Equal(ids, sortedIDs("r7", "r9")) {
			t.Fatalf("stale after re-creating r7: %v, want r7 and r9", ids)
		}
		if diff := gocmp.Diff(want, listReadiness(t, s, q), equateEmpty); diff != "" {
			t.Fatalf("after re-creating r7 (-want +got):\n%s", diff)
		}
	})
}

func testReadinessStale(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := civil.New
	today := day(2026, 6, 1)

	t.Run("Selection", func(t *testing.T) {
		s := newStore(t)
		// st1 and st7 have no summary; st2 expires today, st3 yesterday, st4 tomorrow; st5
		// is of version v1.
		type row struct {
			key, council string
			validUntil   civil.Date
			version      string
		}
		fixture := []row{
			{"st1", "council-a", civil.Date{}, ""},
			{"st2", "council-a", today, "v2"},
			{"st3", "council-a", today.AddDays(-1), "v2"},
			{"st4", "council-a", today.AddDays(1), "v2"},
			{"st5", "council-a", day(2027, 1, 1), "v1"},
			{"st6", "council-a", day(2027, 1, 1), "v2"},
			{"st7", "council-b", civil.Date{}, ""},
			{"st8", "council-b", day(2027, 1, 1), "v2"},
		}
		var sums []domain.ReadinessSummary
		for _, r := range fixture {
			yp := youngPerson(r.key)
			yp.CouncilID = r.council
			create(t, s, yp)
			if r.version != "" {
				sums = append(sums, domain.ReadinessSummary{YoungPersonID: yp.ID, CouncilID: r.council,
					EighteenthBirthday: day(2027, 3, 1), Rating: domain.Green, AssessedOn: day(2026, 5, 1),
					ValidUntil: r.validUntil, Version: r.version})
			}
		}
		saveReadiness(t, s, sums...)

		q := func(council string, today civil.Date, version string) store.StaleReadinessQuery {
			return store.StaleReadinessQuery{CouncilID: council, Today: today, Version: version, Limit: 100}
		}
		for _, tc := range []struct {
			name string
			q    store.StaleReadinessQuery
			want []string
		}{
			{"every council", q("", today, "v2"), []string{"st1", "st2", "st3", "st5", "st7"}},
			{"one council", q("council-a", today, "v2"), []string{"st1", "st2", "st3", "st5"}},
			{"the other council", q("council-b", today, "v2"), []string{"st7"}},
			{"a council with none", q("council-z", today, "v2"), nil},
			{"a day later", q("", today.AddDays(1), "v2"), []string{"st1", "st2", "st3", "st4", "st5", "st7"}},
			{"a day earlier", q("", today.AddDays(-1), "v2"), []string{"st1", "st3", "st5", "st7"}},
			{"two days earlier", q("", today.AddDays(-2), "v2"), []string{"st1", "st5", "st7"}},
			{"the other version", q("", today, "v1"), []string{"st1", "st2", "st3", "st4", "st6", "st7", "st8"}},
			{"a new version", q("council-b", day(2020, 1, 1), "v3"), []string{"st7", "st8"}},
		} {
			want := sortedIDs(tc.want...)
			if got := staleReadiness(t, s, tc.q); !slices.Equal(got, want) {
				t.Fatalf("%s: stale = %v, want %v (%v) in id order", tc.name, got, want, tc.want)
			}
			// A limit returns the first in id order.
			for _, limit := range []int{1, 2, 3} {
				lq := tc.q
				lq.Limit = limit
				got := staleReadiness(t, s, lq)
				if w := want[:min(limit, len(want))]; !slices.Equal(got, w) {
					t.Fatalf("%s, limit %d: stale = %v, want %v", tc.name, limit, got, w)
				}
			}
			// Overtaken: the same but for those with no summary (st1 and st7); limited, as
			// many of them, in id order, whichever they are.
			overtaken := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == idOf("st1") || id == idOf("st7") })
			for _, limit := range []int{100, 1, 2} {
				oq := tc.q
				oq.Overtaken, oq.Limit = true, limit
				got := staleReadiness(t, s, oq)
				if len(got) != min(limit, len(overtaken)) || !slices.IsSorted(got) ||
					slices.ContainsFunc(got, func(id string) bool { return !slices.Contains(overtaken, id) }) {
					t.Fatalf("%s, overtaken, limit %d: stale = %v, want %d of %v in id order", tc.name, limit, got,
						min(limit, len(overtaken)), overtaken)
				}
			}
		}

		// Refreshed, none is stale.
		var refreshed []domain.ReadinessSummary
		for _, r := range fixture {
			refreshed = append(refreshed, domain.ReadinessSummary{YoungPersonID: idOf(r.key), CouncilID: r.council,
				EighteenthBirthday: day(2027, 3, 1), Rating: domain.Amber, AssessedOn: today,
				ValidUntil: today.AddDays(30), Version: "v2"})
		}
		saveReadiness(t, s, refreshed...)
		if got := staleReadiness(t, s, q("", today, "v2")); len(got) != 0 {
			t.Fatalf("after refreshing every summary, stale = %v", got)
		}
	})

	t.Run("SkipsLocked", func(t *testing.T) {
		testStaleSkipsLocked(t, newStore(t), "StaleReadiness", func(tx store.Tx, limit int) ([]string, error) {
			return tx.StaleReadiness(ctx, store.StaleReadinessQuery{Today: today, Version: "v1", Limit: limit})
		})
	})

	t.Run("ConcurrentRefreshersRefreshEachOnce", func(t *testing.T) {
		s := newStore(t)
		const n = 12
		for i := range n {
			create(t, s, youngPerson(fmt.Sprintf("cr-%02d", i)))
		}
		claimEachOnce(t, s, n, "refreshed", func(tx store.Tx) ([]string, error) {
			q := store.StaleReadinessQuery{CouncilID: "council-a", Today: today, Version: "v1", Limit: 1}
			ids, err := tx.StaleReadiness(ctx, q)
			if err != nil || len(ids) == 0 {
				return ids, err
			}
			var sums []domain.ReadinessSummary
			for _, id := range ids {
				sums = append(sums, domain.ReadinessSummary{YoungPersonID: id, CouncilID: "council-a",
					EighteenthBirthday: day(2028, 3, 1), Rating: domain.Green, AssessedOn: today,
					ValidUntil: today.AddDays(1), Version: "v1"})
			}
			return ids, tx.SaveReadiness(ctx, sums)
		})
	})
}
