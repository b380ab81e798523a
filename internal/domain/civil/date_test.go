package civil

import (
	"testing"
	"time"
)

func TestValid(t *testing.T) {
	for d, want := range map[Date]bool{
		New(2008, 2, 29): true, New(2009, 2, 29): false, New(2000, 2, 29): true, New(1900, 2, 29): false,
		New(2010, 4, 31): false, New(2010, 12, 31): true, New(2010, 13, 1): false, New(2010, 0, 1): false,
		New(2010, 1, 0): false, {}: false,
	} {
		if d.Valid() != want {
			t.Errorf("%v.Valid() = %v, want %v", d, !want, want)
		}
	}
}

func TestParse(t *testing.T) {
	if d, err := Parse("2008-02-29"); err != nil || d != New(2008, 2, 29) {
		t.Fatalf("Parse = %v, %v", d, err)
	}
	for _, s := range []string{"2009-02-29", "29/02/2008", "2008-2-29", ""} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

func TestArithmetic(t *testing.T) {
	d := New(2026, 3, 28)
	if got := d.AddDays(1); got != New(2026, 3, 29) { // the clocks go forward that night
		t.Errorf("AddDays across BST = %v", got)
	}
	if got := New(2024, 2, 28).AddDays(2); got != New(2024, 3, 1) {
		t.Errorf("AddDays across 29 Feb = %v", got)
	}
	if n := New(2026, 3, 1).DaysUntil(New(2026, 11, 1)); n != 245 {
		t.Errorf("DaysUntil = %d, want 245", n)
	}
	if n := New(2026, 11, 1).DaysUntil(New(2026, 3, 1)); n != -245 {
		t.Errorf("DaysUntil backwards = %d", n)
	}
	if !New(2008, 2, 29).Before(New(2008, 3, 1)) || New(2008, 3, 1).Compare(New(2008, 3, 1)) != 0 {
		t.Error("Compare is wrong")
	}
}

func TestOfUsesLondon(t *testing.T) {
	// 23:30 UTC on 31 May is already 1 June in London (BST).
	if got := Of(time.Date(2026, 5, 31, 23, 30, 0, 0, time.UTC)); got != New(2026, 6, 1) {
		t.Errorf("Of = %v, want 2026-06-01", got)
	}
	if got := Of(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)); got != New(2026, 12, 31) {
		t.Errorf("Of in winter = %v", got)
	}
}

// TestDayArithmeticAgreesWithTime checks the integer calendar against package time on
// every day of four centuries (leap centuries included) and on days beyond a month's end.
func TestDayArithmeticAgreesWithTime(t *testing.T) {
	start := time.Date(1899, time.January, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		at := start.AddDate(0, 0, i)
		if at.Year() > 2300 {
			break
		}
		d := Date{at.Year(), at.Month(), at.Day()}
		for _, n := range []int{-400, -31, -1, 0, 1, 28, 365, 10000} {
			want := at.AddDate(0, 0, n)
			if got := d.AddDays(n); got != (Date{want.Year(), want.Month(), want.Day()}) {
				t.Fatalf("%s.AddDays(%d) = %s, want %s", d, n, got, want.Format(time.DateOnly))
			}
		}
		if got, want := New(2000, time.January, 1).DaysUntil(d), int((at.Unix()-time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix())/86400); got != want {
			t.Fatalf("DaysUntil(%s) = %d, want %d", d, got, want)
		}
		if d.String() != at.Format(time.DateOnly) {
			t.Fatalf("String() = %s, want %s", d, at.Format(time.DateOnly))
		}
	}
	for _, c := range []struct{ d, want Date }{
		{New(2026, time.February, 30), New(2026, time.March, 3)}, // 30 February is 2 March, plus one
		{New(2024, time.April, 31), New(2024, time.May, 2)},
	} {
		if got := c.d.AddDays(1); got != c.want {
			t.Errorf("%v.AddDays(1) = %v, want %v", c.d, got, c.want)
		}
	}
}
