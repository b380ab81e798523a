package civil

import (
	"strings"
	"testing"
	"time"
)

func TestLeaplingRuleText(t *testing.T) {
	for _, r := range []LeaplingRule{MarchFirst, FebruaryTwentyEighth} {
		if got, err := ParseLeaplingRule(r.String()); err != nil || got != r {
			t.Errorf("ParseLeaplingRule(%q) = %v, %v", r.String(), got, err)
		}
	}
	if MarchFirst.String() != "MARCH_1" || FebruaryTwentyEighth.String() != "FEBRUARY_28" {
		t.Errorf("String = %q, %q", MarchFirst, FebruaryTwentyEighth)
	}
	var zero LeaplingRule
	if zero != MarchFirst {
		t.Error("the zero rule must be the default, MarchFirst")
	}
	for _, s := range []string{"", "MAR_1", "march_1", "FEB_28", " MARCH_1", "LeaplingRule(2)"} {
		if _, err := ParseLeaplingRule(s); err == nil {
			t.Errorf("ParseLeaplingRule(%q) accepted", s)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Period
		text string // canonical String
	}{
		{"16", Period{Years: 16}, "16y"},
		{"16y", Period{Years: 16}, "16y"},
		{"15y9m", Period{Years: 15, Months: 9}, "15y9m"},
		{"6m", Period{Months: 6}, "6m"},
		{"7d", Period{Days: 7}, "7d"},
		{"2w", Period{Days: 14}, "14d"},
		{"1w2d", Period{Days: 9}, "9d"},
		{"1y6m", Period{Years: 1, Months: 6}, "1y6m"},
		{"60d", Period{Days: 60}, "60d"},
		{"1y2m3w4d", Period{Years: 1, Months: 2, Days: 25}, "1y2m25d"},
		{"0d", Period{}, "0d"},
		{"0y", Period{}, "0d"},
		{"0", Period{}, "0d"},
		{"200", Period{Years: 200}, "200y"},
		{"199y12m", Period{Years: 199, Months: 12}, "199y12m"},
		{"73000d", Period{Days: 73000}, "73000d"},
	} {
		got, err := ParsePeriod(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if got.String() != tc.text {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), tc.text)
		}
		if again, err := ParsePeriod(got.String()); err != nil || again != got {
			t.Errorf("ParsePeriod(%q) does not round-trip: %+v, %v", got.String(), again, err)
		}
	}
}

func TestParsePeriodRefuses(t *testing.T) {
	for _, in := range []string{
		"", "y", "16 ", " 16", "-1", "-1y", "+1y", "1.5y", "16x", "6M", "1m1y", "1d1w", "1y1y",
		"1y2", "y1", "016", "01y", "201", "200y1m", "2401m", "73001d", "10500w", "9999999",
		"99999999999999999999y", "1y2m3w4d5d", strings.Repeat("1", 40), "１y",
	} {
		if p, err := ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q) = %+v, want an error", in, p)
		} else if len(err.Error()) > 200 {
			t.Errorf("ParsePeriod(%q) error is %d bytes long", in, len(err.Error()))
		}
	}
}

func TestAddAndSub(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from       Date
		p          Period
		rule       LeaplingRule
		add, minus Date
	}{
		{"ordinary", New(2010, 6, 15), Period{Years: 1, Months: 2, Days: 3}, MarchFirst, New(2011, 8, 18), New(2009, 4, 12)},
		{"month end to short month, March rule", New(2026, 1, 31), Period{Months: 1}, MarchFirst, New(2026, 3, 1), New(2025, 12, 31)},
		{"month end to short month, February rule", New(2026, 1, 31), Period{Months: 1}, FebruaryTwentyEighth, New(2026, 2, 28), New(2025, 12, 31)},
		{"31 March back a month, March rule", New(2026, 3, 31), Period{Months: 1}, MarchFirst, New(2026, 5, 1), New(2026, 3, 1)},
		{"31 March back a month, February rule", New(2026, 3, 31), Period{Months: 1}, FebruaryTwentyEighth, New(2026, 4, 30), New(2026, 2, 28)},
		{"31 March back a month in a leap year", New(2024, 3, 31), Period{Months: 1}, FebruaryTwentyEighth, New(2024, 4, 30), New(2024, 2, 29)},
		{"days after months", New(2026, 1, 31), Period{Months: 1, Days: 1}, FebruaryTwentyEighth, New(2026, 3, 1), New(2025, 12, 30)},
		{"leap day plus a year", New(2024, 2, 29), Period{Years: 1}, MarchFirst, New(2025, 3, 1), New(2023, 3, 1)},
		{"leap day plus a year, February rule", New(2024, 2, 29), Period{Years: 1}, FebruaryTwentyEighth, New(2025, 2, 28), New(2023, 2, 28)},
		{"leap day plus four years", New(2024, 2, 29), Period{Years: 4}, FebruaryTwentyEighth, New(2028, 2, 29), New(2020, 2, 29)},
		{"across the year end to 30 February", New(2025, 11, 30), Period{Months: 3}, MarchFirst, New(2026, 3, 1), New(2025, 8, 30)},
		{"across the year end", New(2025, 11, 15), Period{Months: 3}, MarchFirst, New(2026, 2, 15), New(2025, 8, 15)},
		{"zero", New(2025, 11, 30), Period{}, MarchFirst, New(2025, 11, 30), New(2025, 11, 30)},
		{"weeks", New(2026, 3, 25), Period{Days: 14}, MarchFirst, New(2026, 4, 8), New(2026, 3, 11)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.from.Add(tc.p, tc.rule); got != tc.add {
				t.Errorf("%v.Add(%v, %v) = %v, want %v", tc.from, tc.p, tc.rule, got, tc.add)
			}
			if got := tc.from.Sub(tc.p, tc.rule); got != tc.minus {
				t.Errorf("%v.Sub(%v, %v) = %v, want %v", tc.from, tc.p, tc.rule, got, tc.minus)
			}
		})
	}
}

func TestAttainsLeapDayBirth(t *testing.T) {
	dob := New(2008, 2, 29)
	for _, tc := range []struct {
		age  Period
		rule LeaplingRule
		want Date
	}{
		{Period{Years: 18}, MarchFirst, New(2026, 3, 1)},
		{Period{Years: 18}, FebruaryTwentyEighth, New(2026, 2, 28)},
		{Period{Years: 16}, MarchFirst, New(2024, 2, 29)}, // 2024 is a leap year: no ambiguity
		{Period{Years: 16}, FebruaryTwentyEighth, New(2024, 2, 29)},
	} {
		if got := Attains(dob, tc.age, tc.rule); got != tc.want {
			t.Errorf("Attains(%v, %v, %v) = %v, want %v", dob, tc.age, tc.rule, got, tc.want)
		}
	}
	if got := EarliestAttains(dob, Period{Years: 18}); got != New(2026, 2, 28) {
		t.Errorf("EarliestAttains 18 = %v, want 2026-02-28", got)
	}
	if got := EarliestAttains(dob, Period{Years: 16}); got != New(2024, 2, 29) {
		t.Errorf("EarliestAttains 16 = %v, want 2024-02-29", got)
	}
}

// TestAgeOnAtThresholds pins the day each statutory age is attained for the awkward dates of
// birth, and checks AgeOn on the day before, the day and the day after.
func TestAgeOnAtThresholds(t *testing.T) {
	var (
		y16   = Period{Years: 16}
		y17   = Period{Years: 17}
		y17m6 = Period{Years: 17, Months: 6}
		y18   = Period{Years: 18}
		y21   = Period{Years: 21}
		y25   = Period{Years: 25}
	)
	both := func(d Date) [2]Date { return [2]Date{d, d} }
	for _, tc := range []struct {
		dob  Date
		age  Period
		want [2]Date // under MarchFirst, FebruaryTwentyEighth
	}{
		{New(2008, 2, 28), y16, both(New(2024, 2, 28))},
		{New(2008, 2, 28), y17, both(New(2025, 2, 28))},
		{New(2008, 2, 28), y17m6, both(New(2025, 8, 28))},
		{New(2008, 2, 28), y18, both(New(2026, 2, 28))},
		{New(2008, 2, 28), y21, both(New(2029, 2, 28))},
		{New(2008, 2, 28), y25, both(New(2033, 2, 28))},

		{New(2008, 2, 29), y16, both(New(2024, 2, 29))},
		{New(2008, 2, 29), y17, [2]Date{New(2025, 3, 1), New(2025, 2, 28)}},
		{New(2008, 2, 29), y17m6, both(New(2025, 8, 29))},
		{New(2008, 2, 29), y18, [2]Date{New(2026, 3, 1), New(2026, 2, 28)}},
		{New(2008, 2, 29), y21, [2]Date{New(2029, 3, 1), New(2029, 2, 28)}},
		{New(2008, 2, 29), y25, [2]Date{New(2033, 3, 1), New(2033, 2, 28)}},

		{New(2008, 3, 1), y16, both(New(2024, 3, 1))},
		{New(2008, 3, 1), y17, both(New(2025, 3, 1))},
		{New(2008, 3, 1), y17m6, both(New(2025, 9, 1))},
		{New(2008, 3, 1), y18, both(New(2026, 3, 1))},
		{New(2008, 3, 1), y21, both(New(2029, 3, 1))},
		{New(2008, 3, 1), y25, both(New(2033, 3, 1))},

		{New(2007, 12, 31), y16, both(New(2023, 12, 31))},
		{New(2007, 12, 31), y17, both(New(2024, 12, 31))},
		{New(2007, 12, 31), y17m6, [2]Date{New(2025, 7, 1), New(2025, 6, 30)}}, // no 31 June
		{New(2007, 12, 31), y18, both(New(2025, 12, 31))},
		{New(2007, 12, 31), y21, both(New(2028, 12, 31))},
		{New(2007, 12, 31), y25, both(New(2032, 12, 31))},

		{New(2008, 1, 1), y16, both(New(2024, 1, 1))},
		{New(2008, 1, 1), y17, both(New(2025, 1, 1))},
		{New(2008, 1, 1), y17m6, both(New(2025, 7, 1))},
		{New(2008, 1, 1), y18, both(New(2026, 1, 1))},
		{New(2008, 1, 1), y21, both(New(2029, 1, 1))},
		{New(2008, 1, 1), y25, both(New(2033, 1, 1))},

		{New(2008, 8, 31), y16, both(New(2024, 8, 31))},
		{New(2008, 8, 31), y17, both(New(2025, 8, 31))},
		{New(2008, 8, 31), y17m6, [2]Date{New(2026, 3, 1), New(2026, 2, 28)}}, // no 31 February
		{New(2008, 8, 31), y18, both(New(2026, 8, 31))},
		{New(2008, 8, 31), y21, both(New(2029, 8, 31))},
		{New(2008, 8, 31), y25, both(New(2033, 8, 31))},

		{New(2006, 8, 31), y17m6, [2]Date{New(2024, 3, 1), New(2024, 2, 29)}}, // in a leap year

		// Birthdays on the days the clocks change are ordinary dates.
		{New(2010, 3, 28), y16, both(New(2026, 3, 28))},
		{New(2010, 10, 25), y16, both(New(2026, 10, 25))},
	} {
		for i, rule := range []LeaplingRule{MarchFirst, FebruaryTwentyEighth} {
			want := tc.want[i]
			if got := Attains(tc.dob, tc.age, rule); got != want {
				t.Errorf("Attains(%v, %v, %v) = %v, want %v", tc.dob, tc.age, rule, got, want)
				continue
			}
			total := 12*tc.age.Years + tc.age.Months
			for _, day := range []struct {
				on     Date
				months int
			}{{want.AddDays(-1), total - 1}, {want, total}, {want.AddDays(1), total}} {
				if y, m := AgeOn(tc.dob, day.on, rule); 12*y+m != day.months {
					t.Errorf("AgeOn(%v, %v, %v) = %dy%dm, want %dy%dm",
						tc.dob, day.on, rule, y, m, day.months/12, day.months%12)
				}
			}
		}
		if e := EarliestAttains(tc.dob, tc.age); e != earlier(tc.want[0], tc.want[1]) {
			t.Errorf("EarliestAttains(%v, %v) = %v", tc.dob, tc.age, e)
		}
	}
}

func earlier(a, b Date) Date {
	if b.Before(a) {
		return b
	}
	return a
}

func TestAgeOnEdges(t *testing.T) {
	dob := New(2010, 1, 31)
	for _, tc := range []struct {
		on           Date
		rule         LeaplingRule
		years, month int
	}{
		{New(2010, 1, 31), MarchFirst, 0, 0},
		{New(2009, 12, 31), MarchFirst, 0, 0}, // before birth
		{New(1990, 1, 1), MarchFirst, 0, 0},
		{New(2010, 2, 28), MarchFirst, 0, 0},
		{New(2010, 3, 1), MarchFirst, 0, 1},
		{New(2010, 2, 28), FebruaryTwentyEighth, 0, 1},
		{New(2010, 3, 30), FebruaryTwentyEighth, 0, 1},
		{New(2010, 3, 31), FebruaryTwentyEighth, 0, 2},
		{New(2026, 1, 30), MarchFirst, 15, 11},
		{New(2026, 1, 31), MarchFirst, 16, 0},
	} {
		if y, m := AgeOn(dob, tc.on, tc.rule); y != tc.years || m != tc.month {
			t.Errorf("AgeOn(%v, %v, %v) = %d, %d; want %d, %d", dob, tc.on, tc.rule, y, m, tc.years, tc.month)
		}
	}
}

func TestTodayAcrossClockChanges(t *testing.T) {
	for _, tc := range []struct {
		now  time.Time
		want Date
	}{
		// Clocks go forward at 01:00 UTC on 29 March 2026: 00:30 UTC is still 00:30 GMT.
		{time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), New(2026, 3, 29)},
		{time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), New(2026, 3, 28)},
		// Clocks go back at 01:00 UTC on 25 October 2026: 00:30 UTC is 01:30 BST.
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), New(2026, 10, 25)},
		{time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), New(2026, 10, 25)},
		{time.Date(2026, 10, 25, 23, 30, 0, 0, time.UTC), New(2026, 10, 25)},
		// Midsummer: 23:30 UTC is already 00:30 the next day in London.
		{time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC), New(2026, 7, 1)},
		{time.Date(2026, 6, 30, 22, 59, 59, 0, time.UTC), New(2026, 6, 30)},
		// The same instant written in another zone gives the same London date.
		{time.Date(2026, 7, 1, 8, 30, 0, 0, time.FixedZone("AEST", 10*3600)), New(2026, 6, 30)},
	} {
		if got := Today(tc.now); got != tc.want {
			t.Errorf("Today(%v) = %v, want %v", tc.now, got, tc.want)
		}
	}
}

func TestKeyAges(t *testing.T) {
	var got []string
	for i, p := range KeyAges {
		got = append(got, p.String())
		if i > 0 {
			prev := KeyAges[i-1]
			if 12*prev.Years+prev.Months >= 12*p.Years+p.Months {
				t.Errorf("KeyAges out of order at %v", p)
			}
		}
	}
	if s := strings.Join(got, " "); s != "13y 14y 15y9m 16y 16y3m 17y6m 18y 21y 25y" {
		t.Errorf("KeyAges = %s", s)
	}
}

// FuzzAgeOn checks AgeOn and Attains against each other for any pair of dates. Under go test
// it runs only the seeds, so it stays fast.
func FuzzAgeOn(f *testing.F) {
	for _, s := range [][6]int{
		{2008, 2, 29, 2026, 2, 28},
		{2008, 2, 29, 2026, 3, 1},
		{2008, 2, 29, 2024, 2, 29},
		{2008, 2, 28, 2033, 2, 27},
		{2008, 3, 1, 2026, 2, 28},
		{2007, 12, 31, 2025, 6, 30},
		{2007, 12, 31, 2025, 7, 1},
		{2008, 1, 1, 2025, 12, 31},
		{2008, 8, 31, 2026, 2, 28},
		{2006, 8, 31, 2024, 2, 29},
		{2010, 1, 31, 2010, 3, 1},
		{2010, 3, 28, 2026, 3, 29},
		{2010, 10, 25, 2026, 10, 25},
		{1900, 2, 28, 2200, 12, 31},
		{2000, 2, 29, 2100, 2, 28},
		{2200, 12, 31, 1900, 1, 1},
		{2010, 6, 15, 2010, 6, 15},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, dobYear, dobMonth, dobDay, onYear, onMonth, onDay int) {
		dob, on := New(dobYear, time.Month(dobMonth), dobDay), New(onYear, time.Month(onMonth), onDay)
		if !inRange(dob) || !inRange(on) {
			t.Skip()
		}
		for _, rule := range []LeaplingRule{MarchFirst, FebruaryTwentyEighth} {
			if y, m := AgeOn(dob, dob, rule); y != 0 || m != 0 {
				t.Fatalf("AgeOn(%v, %v, %v) = %d, %d; want 0, 0", dob, dob, rule, y, m)
			}
			age := months(dob, on, rule)
			switch next := months(dob, on.AddDays(1), rule); {
			case next < age:
				t.Fatalf("%v: age falls from %d to %d months after %v", rule, age, next, on)
			case next > age+1:
				t.Fatalf("%v: age jumps from %d to %d months after %v", rule, age, next, on)
			}
			if on.Before(dob) {
				if age != 0 {
					t.Fatalf("%v: age %d months before birth on %v", rule, age, on)
				}
				continue
			}
			// on lies between the anniversaries of the completed years and months and the
			// next ones, and each anniversary is the first day with that age.
			for _, step := range []int{1, 12} {
				n := age / step
				p := Period{Months: n * step}
				at, next := Attains(dob, p, rule), Attains(dob, Period{Months: (n + 1) * step}, rule)
				if at.After(on) || !next.After(on) {
					t.Fatalf("%v: on %v aged %d months, but %d×%d months is attained on %v and the next on %v",
						rule, on, age, n, step, at, next)
				}
				if months(dob, at, rule)/step != n || months(dob, next, rule)/step != n+1 {
					t.Fatalf("%v: Attains(%v, %v) = %v does not agree with AgeOn", rule, dob, p, at)
				}
				if n > 0 && months(dob, at.AddDays(-1), rule)/step != n-1 {
					t.Fatalf("%v: the day before %v already has %d×%d months", rule, at, n, step)
				}
			}
		}
		// Reminders must never be late under either rule.
		y, _ := AgeOn(dob, on, MarchFirst)
		for _, p := range append([]Period{{Years: y}, {Years: y + 1}}, KeyAges...) {
			e := EarliestAttains(dob, p)
			if e.After(Attains(dob, p, MarchFirst)) || e.After(Attains(dob, p, FebruaryTwentyEighth)) {
				t.Fatalf("EarliestAttains(%v, %v) = %v is later than a rule's date", dob, p, e)
			}
		}
	})
}

func inRange(d Date) bool { return d.Valid() && d.Year >= 1900 && d.Year <= 2200 }

func months(dob, on Date, rule LeaplingRule) int {
	y, m := AgeOn(dob, on, rule)
	return 12*y + m
}

// Months are counted in integers; time.Date, which normalises a month out of range, is the
// reference: every day of years around the four-hundred-year cycle's edges (1900, 2000,
// 2100), moved by up to 25 years either way, under both leapling rules.
func TestMonthsCountAsTheCalendarDoes(t *testing.T) {
	reference := func(d Date, n int, rule LeaplingRule) Date {
		first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		switch {
		case d.Day <= last:
			return Date{first.Year(), first.Month(), d.Day}
		case rule == FebruaryTwentyEighth:
			return Date{first.Year(), first.Month(), last}
		default:
			return dateOf(time.Date(first.Year(), first.Month(), last+1, 0, 0, 0, 0, time.UTC))
		}
	}
	for _, year := range []int{1899, 1900, 1999, 2000, 2004, 2099, 2100} {
		for d := (Date{year, time.January, 1}); d.Year == year; d = d.AddDays(1) {
			if got, want := DaysIn(d.Year, d.Month), time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("DaysIn(%d, %v) = %d, want %d", d.Year, d.Month, got, want)
			}
			for n := -300; n <= 300; n += 7 {
				for _, rule := range []LeaplingRule{MarchFirst, FebruaryTwentyEighth} {
					if got, want := d.addMonths(n, rule), reference(d, n, rule); got != want {
						t.Fatalf("%v moved %d months (%v): %v, want %v", d, n, rule, got, want)
					}
				}
			}
		}
	}
}
