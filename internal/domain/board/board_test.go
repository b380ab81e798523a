package board_test

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain/board"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/measure"
)

func TestPublish(t *testing.T) {
	withheld, c := board.Count{Withheld: true, Display: "<5"}, board.Count{Withheld: true, Display: "c"}
	n := func(v int) board.Count { return board.Count{Value: v, Display: strconv.Itoa(v)} }
	for _, c := range []struct {
		count, cohort int
		want          board.Value
	}{
		{0, 0, board.Value{Count: n(0), Cohort: n(0), RateWithheld: true}},
		{0, 12, board.Value{Count: n(0), Cohort: n(12)}},
		{3, 12, board.Value{Count: withheld, Cohort: n(12), RateWithheld: true}},
		{4, 4, board.Value{Count: withheld, Cohort: withheld, RateWithheld: true}},
		{5, 5, board.Value{Count: n(5), Cohort: n(5), Rate: 1}},
		// 9 of 12 would give away the 3 not counted.
		{9, 12, board.Value{Count: c, Cohort: n(12), RateWithheld: true}},
		{6, 12, board.Value{Count: n(6), Cohort: n(12), Rate: 0.5}},
		// None of a small cohort would say something of each of them.
		{0, 1, board.Value{Count: c, Cohort: withheld, RateWithheld: true}},
	} {
		if diff := cmp.Diff(c.want, board.Publish(c.count, c.cohort)); diff != "" {
			t.Errorf("Publish(%d, %d) (-want +got):\n%s", c.count, c.cohort, diff)
		}
	}
}

func TestAmbitionsAndOrder(t *testing.T) {
	c := measure.Default()
	eet, _ := c.Lookup("work_experience.offered")
	as := []catalogue.Ambition{{Key: "A3", Milestones: []string{"local.work_experience.offer"}}, {Key: "A1", Milestones: []string{"plan.review"}},
		{Key: "A6", Milestones: []string{"y9.careers.guidance", "local.work_experience.offer"}}}
	if diff := cmp.Diff([]string{"A3", "A6"}, board.Ambitions(eet, as)); diff != "" {
		t.Errorf("Ambitions (-want +got):\n%s", diff)
	}
	ordered := board.Ordered(c.Measures)
	for i := 1; i < len(ordered); i++ {
		if a, b := ordered[i-1].Ofsted, ordered[i].Ofsted; indexOf(a) > indexOf(b) {
			t.Fatalf("%s before %s", a, b)
		}
	}
}

func indexOf(g measure.OfstedGroup) int {
	for i, x := range measure.OfstedGroups {
		if x == g {
			return i
		}
	}
	return -1
}
