package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/store"
)

func listYoungPeople(t *testing.T, s store.Store, q store.YoungPeopleQuery) (yps []domain.YoungPerson) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		yps, err = tx.ListYoungPeople(context.Background(), q)
		return err
	})
	return yps
}

// pageYoungPeople lists q page by page with q.Limit, each page after the last id of the one
// before.
func pageYoungPeople(t *testing.T, s store.Store, q store.YoungPeopleQuery) []domain.YoungPerson {
	t.Helper()
	return allPages(t, q.Limit, q.AfterID, func(after string) []domain.YoungPerson {
		q.AfterID = after
		return listYoungPeople(t, s, q)
	}, func(yp domain.YoungPerson) string { return yp.ID })
}

func youngPersonIDs(yps []domain.YoungPerson) []string {
	out := make([]string, len(yps))
	for i, yp := range yps {
		out[i] = yp.ID
	}
	return out
}

// scopeYoungPeople are nine young people of two councils, each with two one-off milestones
// titled key+"-1" (all due 2026-03-01, so that they tie on the due date) and key+"-2":
//
//	key  council    adviser  disability  second milestone due
//	s1   council-a  pa-1     false       2026-04-01
//	s2   council-a  pa-2     true        2026-05-01
//	s3   council-a  -        false       2026-06-01
//	s4   council-a  pa-1     true        2026-07-01
//	s5   council-a  pa-3     false       2026-08-01
//	s6   council-a  -        true        2026-09-01
//	s7   council-b  pa-1     true        2026-10-01  (an adviser id also used at council-a)
//	s8   council-b  -        false       2026-11-01
//	s9   council-b  pa-4     false       2026-12-01
func scopeYoungPeople(t *testing.T, s store.Store) []domain.YoungPerson {
	t.Helper()
	rows := []struct {
		key, council, adviser string
		disability            bool
	}{
		{"s1", "council-a", "pa-1", false},
		{"s2", "council-a", "pa-2", true},
		{"s3", "council-a", "", false},
		{"s4", "council-a", "pa-1", true},
		{"s5", "council-a", "pa-3", false},
		{"s6", "council-a", "", true},
		{"s7", "council-b", "pa-1", true},
		{"s8", "council-b", "", false},
		{"s9", "council-b", "pa-4", false},
	}
	var yps []domain.YoungPerson
	var ms []domain.Milestone
	for i, r := range rows {
		yp := youngPerson(r.key)
		yp.CouncilID, yp.PersonalAdviserID, yp.Disability = r.council, r.adviser, r.disability
		yps = append(yps, yp)
		for n, due := range []civil.Date{civil.New(2026, 3, 1), civil.New(2026, time.Month(4+i), 1)} {
			title := fmt.Sprintf("%s-%d", r.key, n+1)
			m := oneOff(r.key, title, due)
			m.Title = title
			ms = append(ms, m)
		}
	}
	create(t, s, yps...)
	createMilestones(t, s, ms...)
	return yps
}

func testScope(t *testing.T, newStore NewStore) {
	s := newStore(t)
	yps := scopeYoungPeople(t, s)
	// milestoneTitles are the titles of the milestones of the young people keys.
	milestoneTitles := func(keys []string) []string {
		var out []string
		for _, k := range keys {
			out = append(out, k+"-1", k+"-2")
		}
		slices.Sort(out)
		return out
	}
	sortedTitles := func(ms []domain.Milestone) []string {
		out := titles(ms)
		slices.Sort(out)
		return out
	}
	all := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}
	scope := func(council string, unallocated bool, advisers ...string) *store.Scope {
		return &store.Scope{CouncilID: council, AdviserIDs: advisers, Unallocated: unallocated}
	}
	cases := []struct {
		name  string
		scope *store.Scope
		want  []string // young people keys
	}{
		{"nil scope is everyone", nil, all},
		{"one adviser", scope("council-a", false, "pa-1"), []string{"s1", "s4"}},
		{"two advisers", scope("council-a", false, "pa-1", "pa-2"), []string{"s1", "s2", "s4"}},
		{"advisers and unallocated", scope("council-a", true, "pa-1", "pa-3"), []string{"s1", "s3", "s4", "s5", "s6"}},
		{"unallocated only", scope("council-a", true), []string{"s3", "s6"}},
		{"adviser at the other council", scope("council-b", false, "pa-1"), []string{"s7"}},
		{"the other council with unallocated", scope("council-b", true, "pa-1", "pa-4"), []string{"s7", "s8", "s9"}},
		{"an adviser of another council", scope("council-a", false, "pa-4"), nil},
		{"no advisers", &store.Scope{CouncilID: "council-a", AdviserIDs: []string{}}, nil},
		{"an empty adviser id is not unallocated", scope("council-a", false, ""), nil},
		{"a council with no young people", scope("council-z", true, "pa-1"), nil},
		// A young person's own scope: themself alone, whatever else it says.
		{"a young person", store.SelfScope("council-a", idOf("s2")), []string{"s2"}},
		{"a young person, advisers and unallocated ignored", &store.Scope{CouncilID: "council-a", YoungPersonID: idOf("s5"),
			AdviserIDs: []string{"pa-1"}, Unallocated: true, WholeCouncil: true}, []string{"s5"}},
		{"a young person of another council", store.SelfScope("council-b", idOf("s2")), nil},
		{"a young person who does not exist", store.SelfScope("council-a", idOf("nobody")), nil},
		{"no young person", store.SelfScope("council-a", ""), nil},
	}

	t.Run("FixtureAgreesWithContains", func(t *testing.T) {
		// The expectations below are written out; Scope.Contains must agree with them.
		for _, tc := range cases {
			var got []string
			for _, yp := range yps {
				if tc.scope.Contains(yp) {
					got = append(got, yp.CaseReference[len("REF-"):])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s: Scope.Contains holds %v, the test expects %v", tc.name, got, tc.want)
			}
		}
	})

	for _, tc := range cases {
		t.Run("YoungPeople/"+tc.name, func(t *testing.T) {
			want := sortedIDs(tc.want...)
			got := youngPersonIDs(listYoungPeople(t, s, store.YoungPeopleQuery{Scope: tc.scope, Limit: 100}))
			if !slices.Equal(got, want) {
				t.Fatalf("listed %v, want %v (%v) in id order", got, want, tc.want)
			}
			for _, limit := range []int{1, 2} {
				paged := youngPersonIDs(pageYoungPeople(t, s, store.YoungPeopleQuery{Scope: tc.scope, Limit: limit}))
				if !slices.Equal(paged, want) {
					t.Fatalf("pages of %d listed %v, want each of %v once", limit, paged, want)
				}
			}
			// Asked about some young people, the scope still holds.
			some := []string{idOf("s1"), idOf("s3"), idOf("s8")}
			var wantSome []string
			for _, id := range want {
				if slices.Contains(some, id) {
					wantSome = append(wantSome, id)
				}
			}
			if got := youngPersonIDs(listYoungPeople(t, s, store.YoungPeopleQuery{Scope: tc.scope, IDs: some, Limit: 100})); !slices.Equal(got, wantSome) {
				t.Fatalf("asked about s1, s3 and s8, listed %v, want %v", got, wantSome)
			}
			if len(want) > 1 {
				// A page starts after AfterID even when that young person is in the scope.
				rest := youngPersonIDs(listYoungPeople(t, s, store.YoungPeopleQuery{Scope: tc.scope, AfterID: want[0], Limit: 100}))
				if !slices.Equal(rest, want[1:]) {
					t.Fatalf("after %s listed %v, want %v", want[0], rest, want[1:])
				}
			}
		})

		t.Run("Milestones/"+tc.name, func(t *testing.T) {
			want := milestoneTitles(tc.want)
			full := listMilestones(t, s, store.MilestoneQuery{Scope: tc.scope, Limit: 100})
			wantOrdered(t, full)
			if got := sortedTitles(full); !slices.Equal(got, want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
			for _, limit := range []int{1, 3} {
				paged := pageAll(t, s, store.MilestoneQuery{Scope: tc.scope, Limit: limit})
				if !slices.Equal(titles(paged), titles(full)) {
					t.Fatalf("pages of %d listed %v, want each of %v once", limit, titles(paged), titles(full))
				}
			}
		})
	}

	eq := func(field string, v any) query.Expr { return query.Compare{Field: field, Op: query.Eq, Value: v} }
	wide := scope("council-a", true, "pa-1", "pa-3") // s1 s3 s4 s5 s6

	t.Run("YoungPeopleWithFilter", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			filter query.Expr
			want   []string
		}{
			{"disability", eq("disability", true), []string{"s4", "s6"}},
			{"unallocated", eq("personal_adviser", ""), []string{"s3", "s6"}},
			{"not one adviser", query.Not{X: eq("personal_adviser", "pa-1")}, []string{"s3", "s5", "s6"}},
			{"council outside the scope", eq("council", "council-b"), nil},
		} {
			want := sortedIDs(tc.want...)
			for _, limit := range []int{1, 100} {
				got := youngPersonIDs(pageYoungPeople(t, s, store.YoungPeopleQuery{Scope: wide, Filter: tc.filter, Limit: limit}))
				if !slices.Equal(got, want) {
					t.Fatalf("%s, limit %d: listed %v, want %v (%v)", tc.name, limit, got, want, tc.want)
				}
			}
		}
	})

	t.Run("MilestonesWithFilter", func(t *testing.T) {
		for _, tc := range []struct {
			name          string
			youngPersonID string
			filter        query.Expr
			want          []string
		}{
			{"first due date", "", eq("due_date", civil.New(2026, 3, 1)), []string{"s1-1", "s3-1", "s4-1", "s5-1", "s6-1"}},
			{"unallocated", "", eq("personal_adviser", ""), []string{"s3-1", "s3-2", "s6-1", "s6-2"}},
			{"not one adviser", "", query.Not{X: eq("personal_adviser", "pa-1")}, milestoneTitles([]string{"s3", "s5", "s6"})},
			{"later", "", query.Compare{Field: "due_date", Op: query.Ge, Value: civil.New(2026, 7, 1)}, []string{"s4-2", "s5-2", "s6-2"}},
			{"one young person in the scope", idOf("s4"), nil, []string{"s4-1", "s4-2"}},
			{"one young person outside the scope", idOf("s2"), nil, nil},
		} {
			for _, limit := range []int{1, 2, 100} {
				got := pageAll(t, s, store.MilestoneQuery{Scope: wide, YoungPersonID: tc.youngPersonID, Filter: tc.filter, Limit: limit})
				wantOrdered(t, got)
				if sorted := sortedTitles(got); !slices.Equal(sorted, tc.want) {
					t.Fatalf("%s, limit %d: listed %v, want %v", tc.name, limit, sorted, tc.want)
				}
			}
		}
	})

	t.Run("AfterCursorOutsideTheScope", func(t *testing.T) {
		// Paging on from a milestone the scope leaves out (s2-1, due with the first ones)
		// lists every later milestone in the scope.
		everything := listMilestones(t, s, store.MilestoneQuery{Limit: 100})
		i := slices.IndexFunc(everything, func(m domain.Milestone) bool { return m.Title == "s2-1" })
		after := store.MilestoneCursor{DueDate: everything[i].DueDate, ID: everything[i].ID}
		inScope := milestoneTitles([]string{"s1", "s3", "s4", "s5", "s6"})
		var want []string
		for _, m := range everything[i+1:] {
			if slices.Contains(inScope, m.Title) {
				want = append(want, m.Title)
			}
		}
		got := titles(pageAll(t, s, store.MilestoneQuery{Scope: wide, After: after, Limit: 2}))
		if !slices.Equal(got, want) {
			t.Fatalf("after s2-1: listed %v, want %v", got, want)
		}
	})

	t.Run("FollowsAdviserChanges", func(t *testing.T) {
		s := newStore(t)
		yps := scopeYoungPeople(t, s)
		// s1 loses their adviser; s5 moves from pa-3 to pa-1.
		s1, s5 := yps[0], yps[4]
		s1.PersonalAdviserID, s5.PersonalAdviserID = "", "pa-1"
		inTx(t, s, func(tx store.Tx) error {
			for _, yp := range []domain.YoungPerson{s1, s5} {
				if _, err := tx.UpdateYoungPerson(context.Background(), yp, 0); err != nil {
					return err
				}
			}
			return nil
		})
		for _, tc := range []struct {
			scope *store.Scope
			want  []string
		}{
			{scope("council-a", false, "pa-1"), []string{"s4", "s5"}},
			{scope("council-a", true), []string{"s1", "s3", "s6"}},
			{scope("council-a", false, "pa-3"), nil},
		} {
			got := youngPersonIDs(listYoungPeople(t, s, store.YoungPeopleQuery{Scope: tc.scope, Limit: 100}))
			if want := sortedIDs(tc.want...); !slices.Equal(got, want) {
				t.Fatalf("scope %+v: listed young people %v, want %v (%v)", *tc.scope, got, want, tc.want)
			}
			ms := listMilestones(t, s, store.MilestoneQuery{Scope: tc.scope, Limit: 100})
			if got, want := sortedTitles(ms), milestoneTitles(tc.want); !slices.Equal(got, want) {
				t.Fatalf("scope %+v: listed milestones %v, want %v", *tc.scope, got, want)
			}
		}
	})
}
