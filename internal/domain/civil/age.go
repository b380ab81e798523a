package civil

import (
	"fmt"
	"strconv"
	"time"
)

// LeaplingRule says on which day a period that would end on a day the month lacks ends:
// 29 February in a common year, or 31 June, etc. No English statute or case settles it for
// people born on 29 February, so it is a council setting.
type LeaplingRule uint8

const (
	// MarchFirst ends the period on the next day, the 1st of the following month. It is the
	// default because a whole year has not gone by until 28 February is over.
	MarchFirst LeaplingRule = iota
	// FebruaryTwentyEighth ends the period on the last day of the month.
	FebruaryTwentyEighth
)

func (r LeaplingRule) String() string {
	switch r {
	case MarchFirst:
		return "MARCH_1"
	case FebruaryTwentyEighth:
		return "FEBRUARY_28"
	}
	return fmt.Sprintf("LeaplingRule(%d)", uint8(r))
}

// ParseLeaplingRule reads a rule as String writes it: "MARCH_1" or "FEBRUARY_28".
func ParseLeaplingRule(s string) (LeaplingRule, error) {
	switch s {
	case "MARCH_1":
		return MarchFirst, nil
	case "FEBRUARY_28":
		return FebruaryTwentyEighth, nil
	}
	return 0, fmt.Errorf("%q is not a leapling rule: want MARCH_1 or FEBRUARY_28", clip(s))
}

// Period is a length of calendar time: years, months and days, each zero or more. Weeks
// are kept as days because nothing carepath counts needs to tell them apart.
type Period struct{ Years, Months, Days int }

// KeyAges are the ages at which every young person's key dates are shown, youngest first
// (domain brief 12.4): Year 9 and transition (13), the 13-week clock (14), NI number and
// licence (15y9m), eligibility (16), the assessment and plan deadline (16y3m), the cliff-edge
// review (17y6m), leaving care (18), the end of Staying Put and core duties (21) and of the
// personal adviser (25).
var KeyAges = []Period{
	{Years: 13}, {Years: 14}, {Years: 15, Months: 9}, {Years: 16}, {Years: 16, Months: 3},
	{Years: 17, Months: 6}, {Years: 18}, {Years: 21}, {Years: 25},
}

// Limits keep periods to sizes a pathway could mean; anything longer is a typing error.
const (
	maxPeriodMonths = 200 * 12
	maxPeriodDays   = 200 * 365
	maxPeriodText   = 32
)

// ParsePeriod reads a period such as "16" (a bare number is years), "15y9m", "6m", "2w"
// (14 days) or "60d". Units come largest first (y, m, w, d), each at most once; "0d" is the
// zero period. Periods over 200 years are refused.
func ParsePeriod(s string) (Period, error) {
	bad := func(why string) (Period, error) {
		return Period{}, fmt.Errorf("%q is not a period such as \"16\", \"15y9m\" or \"7d\": %s", clip(s), why)
	}
	if s == "" {
		return bad("it is empty")
	}
	if len(s) > maxPeriodText {
		return bad("it is too long")
	}
	if leadingDigits(s) == len(s) {
		s += "y" // a bare number means years
	}
	var p Period
	last := -1
	for rest := s; rest != ""; {
		i := leadingDigits(rest)
		if i == 0 {
			return bad("each unit needs a number before it")
		}
		if i == len(rest) {
			return bad("the last number has no unit")
		}
		n, ok := number(rest[:i])
		if !ok {
			return bad("numbers are written without leading zeros, and at most six digits")
		}
		unit := indexOf("ymwd", rest[i])
		switch {
		case unit < 0:
			return bad("units are y, m, w and d")
		case unit <= last:
			return bad("units come largest first, each at most once")
		}
		last = unit
		switch rest[i] {
		case 'y':
			p.Years = n
		case 'm':
			p.Months = n
		case 'w':
			p.Days = 7 * n
		case 'd':
			p.Days += n
		}
		rest = rest[i+1:]
	}
	if 12*p.Years+p.Months > maxPeriodMonths || p.Days > maxPeriodDays {
		return bad("it is longer than 200 years")
	}
	return p, nil
}

func leadingDigits(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// number reads a string of digits without a leading zero. Six digits are more than any
// period ParsePeriod accepts needs, and cannot overflow.
func number(digits string) (int, bool) {
	if len(digits) > 6 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

func indexOf(units string, c byte) int {
	for i := range len(units) {
		if units[i] == c {
			return i
		}
	}
	return -1
}

// clip keeps error messages short whatever a caller sent.
func clip(s string) string {
	if len(s) > maxPeriodText {
		return s[:maxPeriodText] + "…"
	}
	return s
}

// String writes p canonically, as ParsePeriod reads it: "15y9m", "16y", "7d"; "0d" when zero.
func (p Period) String() string {
	if p.IsZero() {
		return "0d"
	}
	s := ""
	if p.Years != 0 {
		s += strconv.Itoa(p.Years) + "y"
	}
	if p.Months != 0 {
		s += strconv.Itoa(p.Months) + "m"
	}
	if p.Days != 0 {
		s += strconv.Itoa(p.Days) + "d"
	}
	return s
}

// IsZero reports whether p has no length.
func (p Period) IsZero() bool { return p == Period{} }

// Plus returns the period p and then q.
func (p Period) Plus(q Period) Period {
	return Period{Years: p.Years + q.Years, Months: p.Months + q.Months, Days: p.Days + q.Days}
}

// Add returns d moved forward by p: first the years and months (the day of the month kept;
// a day the target month lacks is resolved by rule), then the days.
func (d Date) Add(p Period, rule LeaplingRule) Date {
	return d.addMonths(12*p.Years+p.Months, rule).AddDays(p.Days)
}

// Sub returns d moved back by p: first the days, then the years and months, with the same
// rule for days the month lacks.
func (d Date) Sub(p Period, rule LeaplingRule) Date {
	return d.AddDays(-p.Days).addMonths(-(12*p.Years + p.Months), rule)
}

// addMonths moves d by n months. It does not use time.AddDate, which would carry 31 January
// + 1 month over to 3 March rather than resolve the missing day by rule.
//
// It counts in integers (planning a pathway moves dates thousands of times; through
// time.Date that was a twelfth of a create's CPU), except for a month out of range, which
// time.Date normalises as before.
func (d Date) addMonths(n int, rule LeaplingRule) Date {
	var year int
	var month time.Month
	if d.Month < time.January || d.Month > time.December {
		first := dateOf(time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC))
		year, month = first.Year, first.Month
	} else {
		m := int(d.Month) - 1 + n
		year, month = d.Year+floorDiv(m, 12), time.Month(m-floorDiv(m, 12)*12+1)
	}
	last := DaysIn(year, month)
	switch {
	case d.Day <= last:
		return Date{year, month, d.Day}
	case rule == FebruaryTwentyEighth:
		return Date{year, month, last}
	default: // MarchFirst, and any rule this code does not know, which is safer late than early
		return Date{year, month, last}.AddDays(1)
	}
}

// Attains returns the date on which someone born on dob attains the given age: English law
// counts it from the very start of that anniversary (Family Law Reform Act 1969 s9).
func Attains(dob Date, age Period, rule LeaplingRule) Date { return dob.Add(age, rule) }

// AgeOn returns the age in completed years and months on the date on of someone born on
// dob: (0, 0) until the first month is complete, and before birth. It agrees with Attains:
// the age is (Y, M) from Attains(dob, Period{Y, M, 0}, rule) onwards.
func AgeOn(dob, on Date, rule LeaplingRule) (years, months int) {
	n := 12*(on.Year-dob.Year) + int(on.Month) - int(dob.Month)
	// The nth monthly anniversary falls in on's month or, resolved by rule, the next day;
	// so at most one step back is needed, and the loop only makes that plain.
	for n > 0 && dob.addMonths(n, rule).After(on) {
		n--
	}
	if n < 0 {
		return 0, 0
	}
	return n / 12, n % 12
}

// EarliestAttains returns the earlier of the dates the two leapling rules give, so that
// reminders built on it are never late whichever rule a council chooses.
func EarliestAttains(dob Date, age Period) Date {
	a, b := Attains(dob, age, MarchFirst), Attains(dob, age, FebruaryTwentyEighth)
	if b.Before(a) {
		return b
	}
	return a
}

// Today is the civil date in Europe/London at the instant now.
func Today(now time.Time) Date { return Of(now) }
