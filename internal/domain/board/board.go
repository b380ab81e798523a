// Package board holds the partnership board's rules that are not counting: which of a
// council's ambitions a measure serves, and how counts are made safe to leave the council
// (small-number suppression). It is pure.
package board

import (
	"slices"
	"strconv"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/measure"
)

// Threshold is the smallest count that may leave the council: 1 to 4 young people could be
// told apart, so such counts are withheld (0 is shown: it names no one).
const Threshold = 5

// Count is a number that may be withheld.
type Count struct {
	Value    int
	Withheld bool
	// Display is how it is printed: the number, "<5" for one from 1 to 4, or "c" for one
	// withheld because it would give away another from 1 to 4.
	Display string
}

// Value is a measure's value for a group, made safe to publish.
type Value struct {
	Count, Cohort Count
	// Rate is Count/Cohort; RateWithheld when it is not given.
	Rate         float64
	RateWithheld bool
}

// small reports whether n is a count that could identify someone.
func small(n int) bool { return n > 0 && n < Threshold }

// Suppress makes a count safe to publish.
func Suppress(n int) Count {
	if small(n) {
		return Count{Withheld: true, Display: "<5"}
	}
	return Count{Value: n, Display: strconv.Itoa(n)}
}

// Publish makes a measure's numerator and denominator safe to leave the council: a count
// from 1 to 4 is withheld, and so is the numerator when the denominator less it is from 1
// to 4 (it would give away the few not counted). The rate is given only when both counts
// are and the cohort is not empty.
func Publish(count, cohort int) Value {
	v := Value{Count: Suppress(count), Cohort: Suppress(cohort)}
	if small(cohort-count) && !v.Count.Withheld {
		v.Count = Count{Withheld: true, Display: "c"}
	}
	if v.Count.Withheld || v.Cohort.Withheld || cohort == 0 {
		v.RateWithheld = true
		return v
	}
	v.Rate = float64(count) / float64(cohort)
	return v
}

// Ambitions returns the keys of the council's ambitions a measure serves: those listing one
// of the milestones it reads, in the council's order.
func Ambitions(m measure.Measure, ambitions []catalogue.Ambition) []string {
	var out []string
	for _, a := range ambitions {
		if slices.ContainsFunc(m.Milestones(), func(k string) bool { return slices.Contains(a.Milestones, k) }) {
			out = append(out, a.Key)
		}
	}
	return out
}

// Ordered returns the measures grouped by Ofsted group, in measure.OfstedGroups order, and
// otherwise in the catalogue's.
func Ordered(ms []measure.Measure) []measure.Measure {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b measure.Measure) int {
		return slices.Index(measure.OfstedGroups, a.Ofsted) - slices.Index(measure.OfstedGroups, b.Ofsted)
	})
	return out
}
