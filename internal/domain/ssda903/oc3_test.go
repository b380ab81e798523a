package ssda903

import (
	"strings"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

func TestCareLeaverContact(t *testing.T) {
	for _, tc := range []struct {
		c    CareLeaverContact
		age  int
		want string // a rule the error names; "" for valid
	}{
		{CareLeaverContact{"YES", "F1", "U1"}, 19, ""},
		{CareLeaverContact{"YES", "G5", "S2"}, 18, ""},
		{CareLeaverContact{"NO", "0", "0"}, 20, ""},
		{CareLeaverContact{"RHOM", "0", "0"}, 19, ""},
		{CareLeaverContact{"YES", "F1", "Z1"}, 18, ""},
		{CareLeaverContact{"MAYBE", "F1", "U1"}, 19, "131"},
		{CareLeaverContact{"YES", "F3", "U1"}, 19, "132"},
		{CareLeaverContact{"YES", "F1", "U3"}, 19, "133"},
		{CareLeaverContact{"YES", "F1", "S1"}, 19, "133"},
		{CareLeaverContact{"YES", "F1", "Q1"}, 19, "133"},
		{CareLeaverContact{"YES", "", ""}, 19, "132"},
		{CareLeaverContact{"DIED", "F1", "0"}, 19, "344"},
		{CareLeaverContact{"RHOM", "0", "B1"}, 19, "344"},
		{CareLeaverContact{"YES", "0", "U1"}, 19, "345"},
		{CareLeaverContact{"YES", "F2", "Z1"}, 17, "3001"},
		{CareLeaverContact{"YES", "F2", "T1"}, 17, "347"},
		{CareLeaverContact{"YES", "F2", "T1"}, 18, ""},
	} {
		err := tc.c.Validate("oc3.", tc.age)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v at %d: %v, want valid", tc.c, tc.age, err)
		case tc.want != "" && (err == nil || !strings.Contains(errText(err), "rule "+tc.want)):
			t.Errorf("%+v at %d: %v, want rule %s", tc.c, tc.age, err, tc.want)
		}
	}
}

func errText(err error) string {
	var b strings.Builder
	if e, ok := err.(*errs.Error); ok {
		for _, v := range e.Violations {
			b.WriteString(v.Field + " " + v.Description + "; ")
		}
	}
	return b.String()
}

// TestOC3Birthday finds the one birthday of a collection year (1 April to 31 March) and
// whether the OC3 table holds its age: the 17th to 21st birthdays' records, and since the
// 2022-23 collection the 22nd to 25th (DfE, "Care leavers (now 22-25 years) - in contact
// with the responsible authority", ages 22, 23, 24 and 25 years:
// https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/0809c1ed-e08b-43e6-b83b-ccb409051010;
// domain brief 8.1).
func TestOC3Birthday(t *testing.T) {
	first, last := civil.New(2025, time.April, 1), civil.New(2026, time.March, 31)
	for _, tc := range []struct {
		name     string
		dob      civil.Date
		rule     civil.LeaplingRule
		birthday civil.Date
		age      int
		ok       bool
	}{
		{"17th on the year's first day", civil.New(2008, time.April, 1), civil.MarchFirst, civil.New(2025, time.April, 1), 17, true},
		{"21st on its last", civil.New(2005, time.March, 31), civil.MarchFirst, civil.New(2026, time.March, 31), 21, true},
		{"22nd in the autumn", civil.New(2003, time.October, 9), civil.MarchFirst, civil.New(2025, time.October, 9), 22, true},
		{"25th in the winter", civil.New(2001, time.January, 15), civil.MarchFirst, civil.New(2026, time.January, 15), 25, true},
		{"26th: support ended at 25", civil.New(1999, time.June, 1), civil.MarchFirst, civil.New(2025, time.June, 1), 26, false},
		{"16th: not yet", civil.New(2009, time.May, 2), civil.MarchFirst, civil.New(2025, time.May, 2), 16, false},
		{"leapling, 1 March", civil.New(2004, time.February, 29), civil.MarchFirst, civil.New(2026, time.March, 1), 22, true},
		{"leapling, 28 February", civil.New(2004, time.February, 29), civil.FebruaryTwentyEighth, civil.New(2026, time.February, 28), 22, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			birthday, age, ok := OC3Birthday(tc.dob, first, last, tc.rule)
			if birthday != tc.birthday || age != tc.age || ok != tc.ok {
				t.Fatalf("OC3Birthday = %v, %d, %v; want %v, %d, %v", birthday, age, ok, tc.birthday, tc.age, tc.ok)
			}
		})
	}
}

// TestLatestContact takes, for a care leaver of 22 to 25, the latest contact of the
// collection year ("for 22-25 it is the latest contact in the year": domain brief 8.1, from
// DfE's data guidance for the children looked after statistics), and none from outside it.
func TestLatestContact(t *testing.T) {
	first, last := civil.New(2025, time.April, 1), civil.New(2026, time.March, 31)
	yes := CareLeaverContact{"YES", "F5", "U1"}
	no := CareLeaverContact{"NO", "0", "0"}
	nreq := CareLeaverContact{"NREQ", "G5", "U1"}
	for _, tc := range []struct {
		name     string
		contacts []DatedContact
		want     *CareLeaverContact
	}{
		{"none", nil, nil},
		{"only before the year", []DatedContact{{civil.New(2025, time.March, 31), yes}}, nil},
		{"only after the year", []DatedContact{{civil.New(2026, time.April, 1), yes}}, nil},
		{"one in the year", []DatedContact{{civil.New(2025, time.April, 1), yes}}, &yes},
		{"the latest, whatever the order", []DatedContact{{civil.New(2026, time.January, 4), no},
			{civil.New(2025, time.June, 1), yes}, {civil.New(2026, time.March, 31), nreq}}, &nreq},
		{"a later one outside the year does not count", []DatedContact{{civil.New(2025, time.December, 1), no},
			{civil.New(2026, time.May, 1), yes}}, &no},
		{"the same day: the last given", []DatedContact{{civil.New(2025, time.December, 1), no},
			{civil.New(2025, time.December, 1), yes}}, &yes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LatestContact(tc.contacts, first, last)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Fatalf("LatestContact = %v, want %v", got, tc.want)
			}
		})
	}
}
