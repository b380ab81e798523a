package ssda903

import (
	"slices"
	"strings"
	"testing"
)

func codes(list []Code) string {
	var s []string
	for _, c := range list {
		s = append(s, c.Code)
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// The lists must hold exactly the codes carepath was specified with (domain brief 8.4).
func TestCodeLists(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []Code
		want string
	}{
		{"LS", LegalStatuses, "C1 C2 D1 E1 J1 J2 J3 L1 L2 L3 V2 V3 V4"},
		{"PLACE", PlacementTypes, "A3 A4 A5 A6 H5 K1 K2 K3 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1"},
		{"REC", ReasonsEnded, "E11 E12 E13 E14 E15 E16 E17 E2 E3 E41 E45 E46 E47 E48 E4A E4B E5 E6 E7 E8 E9 X1"},
	} {
		if got := codes(tc.list); got != tc.want {
			t.Errorf("%s codes = %s\nwant %s", tc.name, got, tc.want)
		}
		for _, c := range tc.list {
			if strings.TrimSpace(c.Label) == "" || strings.TrimSpace(c.Code) != c.Code {
				t.Errorf("%s %+v: blank label or padded code", tc.name, c)
			}
		}
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		valid func(string) bool
		good  []string
		bad   []string
	}{
		{"LS", ValidLegalStatus, []string{"C1", "V2", "V4", "J3"}, []string{"", "c1", " C1", "V1", "E11", "U1"}},
		{"PLACE", ValidPlacementType, []string{"U1", "K2", "T0", "Z1"}, []string{"", "u1", "U7", "R4", "C1"}},
		{"REC", ValidReasonEnded, []string{"E4A", "E17", "E2", "X1"}, []string{"", "E4", "E43", "E99", "e11", "E1"}},
	} {
		for _, s := range tc.good {
			if !tc.valid(s) {
				t.Errorf("%s %q refused", tc.name, s)
			}
		}
		for _, s := range tc.bad {
			if tc.valid(s) {
				t.Errorf("%s %q accepted", tc.name, s)
			}
		}
	}
}

// Each predicate must be true for exactly the codes named and only for valid codes.
func TestPredicates(t *testing.T) {
	for _, tc := range []struct {
		name string
		pred func(string) bool
		list []Code
		want string
	}{
		{"IsShortBreak", IsShortBreak, LegalStatuses, "V3 V4"},
		{"IsFosterPlacement", IsFosterPlacement, PlacementTypes, "U1 U2 U3 U4 U5 U6"},
		{"IsReturnHome", IsReturnHome, ReasonsEnded, "E4A E4B"},
		{"EndsCareLeaverStatus", EndsCareLeaverStatus, ReasonsEnded, "E11 E12 E2 E3"},
	} {
		var got []Code
		for _, c := range tc.list {
			if tc.pred(c.Code) {
				got = append(got, c)
			}
		}
		if codes(got) != tc.want {
			t.Errorf("%s holds for %s, want %s", tc.name, codes(got), tc.want)
		}
		for _, s := range []string{"", "u1", "U0", "U7", "UU", "e4a", "V"} {
			if tc.pred(s) {
				t.Errorf("%s(%q) = true", tc.name, s)
			}
		}
	}
	if !ValidReasonEnded(StayedWithCarers) {
		t.Error("StayedWithCarers is not a REC code")
	}
}
