// Package civil is calendar dates without a time or a zone, as English law counts them:
// dates of birth, due dates, birthdays. "Today" is always the date in Europe/London.
package civil

import (
	"fmt"
	"time"
	_ "time/tzdata" // carepath must know Europe/London even where the OS has no zoneinfo.
)

// London is the zone in which carepath's dates are civil dates.
var London = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // unreachable: time/tzdata is embedded
	}
	return loc
}

// Date is a calendar date. The zero Date is not valid.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// New returns the date y-m-d without checking it; see Valid.
func New(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// Of returns the date of t in Europe/London.
func Of(t time.Time) Date {
	y, m, d := t.In(London).Date()
	return Date{y, m, d}
}

// Parse reads a date written as YYYY-MM-DD.
func Parse(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date written as YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// Valid reports whether d is a real calendar date (no 30 February, no month 13).
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= DaysIn(d.Year, d.Month)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String writes d as YYYY-MM-DD.
func (d Date) String() string {
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
	// By hand: planning writes millions of dates, and fmt was a visible share of it.
	b := [10]byte{byte('0' + d.Year/1000), byte('0' + d.Year/100%10), byte('0' + d.Year/10%10), byte('0' + d.Year%10), '-',
		byte('0' + d.Month/10), byte('0' + d.Month%10), '-', byte('0' + d.Day/10), byte('0' + d.Day%10)}
	return string(b[:])
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return sign(d.Year - e.Year)
	case d.Month != e.Month:
		return sign(int(d.Month) - int(e.Month))
	default:
		return sign(d.Day - e.Day)
	}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AddDays returns the date n days after d (before, if n is negative). A day beyond its
// month's end counts on into the next, as time.Date normalises it.
func (d Date) AddDays(n int) Date {
	if n == 0 && d.Day >= 1 && d.Day <= DaysIn(d.Year, d.Month) {
		return d // most periods have no days; an out-of-range date still normalises below
	}
	if d.Month < time.January || d.Month > time.December {
		return dateOf(d.midnightUTC().AddDate(0, 0, n))
	}
	return fromDays(d.days() + n)
}

// DaysUntil returns the number of days from d to e (negative when e is before d).
func (d Date) DaysUntil(e Date) int {
	if d.Month < time.January || d.Month > time.December || e.Month < time.January || e.Month > time.December {
		return int(e.midnightUTC().Sub(d.midnightUTC()).Hours() / 24)
	}
	return e.days() - d.days()
}

// days counts the days from 1970-01-01 to d, and fromDays is its inverse: the proleptic
// Gregorian calendar in integer arithmetic (H. Hinnant's days_from_civil), because
// planning and reminders add days millions of times and time.Date was a visible share.
func (d Date) days() int {
	y, m := d.Year, int(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d.Day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func fromDays(z int) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return Date{y, time.Month(m), day}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// StartIn returns the first instant of d in loc: midnight, or the first time that exists.
func (d Date) StartIn(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// midnightUTC is d at 00:00 UTC, which day arithmetic uses because UTC has no clock changes.
func (d Date) midnightUTC() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

func dateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// DaysIn returns the number of days in month m of year y.
func DaysIn(y int, m time.Month) int {
	switch m {
	case time.April, time.June, time.September, time.November:
		return 30
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.January, time.March, time.May, time.July, time.August, time.October, time.December:
		return 31
	}
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() // a month out of range, normalised
}

// IsLeap reports whether y is a leap year.
func IsLeap(y int) bool { return DaysIn(y, time.February) == 29 }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
