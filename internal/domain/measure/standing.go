package measure

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
)

// A measure's answer for one young person changes only on days their records name (a
// birthday, a due date, an achievement, a fact's effective date), so it can be worked out
// once, as spans of days, and counted for any date without reading their milestones again.
// That is what makes a council's measures cost one pass over a row per young person and
// measure: stores keep these standings, refreshed whenever the planner reassesses someone.

// Span is the days from From up to, not including, Until; a zero Until has no end.
type Span struct {
	From, Until civil.Date
}

// Contains reports whether d is one of the span's days.
func (s Span) Contains(d civil.Date) bool {
	return !d.Before(s.From) && (s.Until.IsZero() || d.Before(s.Until))
}

func (s Span) empty() bool { return !s.Until.IsZero() && !s.From.Before(s.Until) }

// Standing is where one young person stands in one measure on every day: in its cohort on
// the days of Cohort, and counted on the days of any of Counted that are also in Cohort.
type Standing struct {
	Measure string
	Cohort  Span
	Counted []Span
}

// InCohort and IsCounted answer the measure for day d.
func (s Standing) InCohort(d civil.Date) bool { return s.Cohort.Contains(d) }

// IsCounted reports whether the young person is counted on day d (in the cohort or not).
func (s Standing) IsCounted(d civil.Date) bool {
	return slices.ContainsFunc(s.Counted, func(c Span) bool { return c.Contains(d) })
}

// Record is what standings are worked out from: a young person's date of birth, their
// milestones and every record of their facts, and their cliff-edge rating on their 17½
// birthday (empty before it).
type Record struct {
	DateOfBirth    civil.Date
	Rule           civil.LeaplingRule
	Milestones     []domain.Milestone
	Facts          []domain.Fact
	RatingAtReview domain.Rating
}

// Standings returns the young person's standing in each measure whose cohort they are ever
// in (a measure whose cohort milestone they were never planned has none).
func Standings(ms []Measure, r Record) []Standing {
	out := make([]Standing, 0, len(ms))
	for _, m := range ms {
		if s, ok := m.standing(r); ok {
			out = append(out, s)
		}
	}
	return out
}

func (m Measure) standing(r Record) (Standing, bool) {
	s := Standing{Measure: m.Key, Cohort: Span{From: civil.Attains(r.DateOfBirth, m.Cohort.MinAge, r.Rule),
		Until: civil.Attains(r.DateOfBirth, m.Cohort.MaxAge, r.Rule)}}
	if m.Cohort.Milestone != "" {
		// In the cohort from the earliest due date of an applicable milestone of the key.
		var first civil.Date
		for _, x := range r.Milestones {
			if x.Key == m.Cohort.Milestone && x.Applicable && (first.IsZero() || x.DueDate.Before(first)) {
				first = x.DueDate
			}
		}
		if first.IsZero() {
			return s, false
		}
		if first.After(s.Cohort.From) {
			s.Cohort.From = first
		}
	}
	if s.Cohort.empty() {
		return s, false
	}
	switch m.Count.Kind {
	case Achieved:
		s.Counted = m.achievedSpans(r)
	case FactTrue:
		s.Counted = factSpans(r.Facts, m.Count.Fact)
	case Overdue:
		s.Counted = overdueSpans(r.Milestones)
	case GreenAtReview:
		if r.RatingAtReview == domain.Green {
			s.Counted = []Span{{From: civil.Attains(r.DateOfBirth, reviewAge, r.Rule)}}
		}
	}
	return s, true
}

// achievedSpans: from the first achievement on (before ByAge, if set, or not at all), or,
// with Within, from each achievement until the date that much later.
func (m Measure) achievedSpans(r Record) []Span {
	var done []civil.Date
	for _, x := range r.Milestones {
		if x.State == domain.Achieved && !x.AchievedDate.IsZero() && slices.Contains(m.Count.Milestones, x.Key) {
			done = append(done, x.AchievedDate)
		}
	}
	if len(done) == 0 {
		return nil
	}
	slices.SortFunc(done, civil.Date.Compare)
	switch {
	case !m.Count.Within.IsZero():
		var out []Span
		for _, a := range done {
			out = append(out, Span{From: a, Until: firstDayBeyond(a, m.Count.Within, r.Rule)})
		}
		return merge(out)
	case !m.Count.ByAge.IsZero() && !done[0].Before(civil.Attains(r.DateOfBirth, m.Count.ByAge, r.Rule)):
		return nil
	}
	return []Span{{From: done[0]}}
}

// firstDayBeyond is the first day d with d less the period on or after a: the day an
// achievement on a stops being "within" the period before d. Subtracting months is
// monotonic but not one-to-one at month ends, so it is found from a plus the period.
func firstDayBeyond(a civil.Date, p civil.Period, rule civil.LeaplingRule) civil.Date {
	d := a.Add(p, rule)
	for !d.Sub(p, rule).Before(a) {
		d = d.AddDays(-1)
	}
	for d.Sub(p, rule).Before(a) {
		d = d.AddDays(1)
	}
	return d
}

// factSpans are the days on which the fact's value is yes: on each day, the record with the
// latest record time (then id) among those effective by then decides.
func factSpans(facts []domain.Fact, key string) []Span {
	var recs []domain.Fact
	for _, f := range facts {
		if f.Key == key {
			recs = append(recs, f)
		}
	}
	slices.SortFunc(recs, func(a, b domain.Fact) int { return a.EffectiveDate.Compare(b.EffectiveDate) })
	var (
		out    []Span
		latest *domain.Fact
	)
	for i := 0; i < len(recs); {
		day := recs[i].EffectiveDate
		for ; i < len(recs) && recs[i].EffectiveDate == day; i++ {
			f := &recs[i]
			if latest == nil || f.RecordTime.After(latest.RecordTime) || f.RecordTime.Equal(latest.RecordTime) && f.ID > latest.ID {
				latest = f
			}
		}
		switch open := len(out) > 0 && out[len(out)-1].Until.IsZero(); {
		case latest.Value && !open:
			out = append(out, Span{From: day})
		case !latest.Value && open:
			out[len(out)-1].Until = day
		}
	}
	return out
}

// overdueSpans are the days on which a milestone was overdue: after its due date, before it
// lapsed, and while it was open (open now, or until it was achieved). Waived and not
// applicable milestones are taken as closed.
func overdueSpans(ms []domain.Milestone) []Span {
	var out []Span
	for _, x := range ms {
		if !x.Applicable || x.LapseDate.IsZero() {
			continue
		}
		s := Span{From: x.DueDate.AddDays(1), Until: x.LapseDate}
		switch {
		case x.State == domain.Achieved && !x.AchievedDate.IsZero():
			if x.AchievedDate.Before(s.Until) {
				s.Until = x.AchievedDate
			}
		case !x.State.Open():
			continue
		}
		if !s.empty() {
			out = append(out, s)
		}
	}
	return merge(out)
}

// merge sorts spans and joins those that overlap or touch.
func merge(spans []Span) []Span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b Span) int { return a.From.Compare(b.From) })
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		switch {
		case last.Until.IsZero():
		case !s.From.After(last.Until):
			if s.Until.IsZero() || s.Until.After(last.Until) {
				last.Until = s.Until
			}
		default:
			out = append(out, s)
		}
	}
	return out
}

// standingsVersion changes when the way standings are worked out changes.
const standingsVersion = "1"

// Version identifies a set of measures under a leap-day rule as standings are worked out
// for them: stored standings of another version are stale.
func Version(ms []Measure, rule civil.LeaplingRule) string {
	b, err := json.Marshal(ms)
	if err != nil {
		panic("measure: a measure that does not encode: " + err.Error()) // plain data
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s:%v:%s", standingsVersion, rule, b))
	return hex.EncodeToString(sum[:12])
}

// Key is what a count is kept by: a measure, a date and a team.
type Key struct {
	Measure string
	AsOf    civil.Date
	Team    string
}

// Tally counts young people's standings on dates, by team: the cohort and the count.
type Tally struct {
	Counts map[Key]*[2]int
	// Order is the keys in the order first counted.
	Order []Key
}

// Add counts one young person's standings on each date.
func (t *Tally) Add(team string, standings []Standing, dates []civil.Date) {
	if t.Counts == nil {
		t.Counts = map[Key]*[2]int{}
	}
	for _, s := range standings {
		for _, d := range dates {
			if !s.InCohort(d) {
				continue
			}
			k := Key{s.Measure, d, team}
			c := t.Counts[k]
			if c == nil {
				c = new([2]int)
				t.Counts[k], t.Order = c, append(t.Order, k)
			}
			c[0]++
			if s.IsCounted(d) {
				c[1]++
			}
		}
	}
}
