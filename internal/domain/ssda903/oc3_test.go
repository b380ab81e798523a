package ssda903

import (
	"strings"
	"testing"

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
