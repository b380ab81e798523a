// Package pathway plans a young person's milestones from the catalogue and their
// circumstances. Planning is a pure function of its inputs, not of today's date, so a plan
// only changes when the young person, their care episodes, their council's settings, the
// catalogue or the milestones that others are timed from change.
package pathway

import (
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
)

// Input is what a plan depends on.
type Input struct {
	YoungPerson domain.YoungPerson
	Episodes    []domain.CareEpisode
	// Achieved gives, for catalogue keys, the day the milestone was last achieved: the
	// anchor of rules like "after KEY + 7d".
	Achieved map[string]civil.Date
	Rule     civil.LeaplingRule
}

// Planned is one occurrence of a catalogue milestone the young person should have.
type Planned struct {
	Key         string
	Occurrence  int
	Title       string
	Area        string
	OwnerAgency string
	Statutory   bool
	Due         civil.Date
	// Lapse is the day from which the milestone, if not done, is no longer overdue: the
	// next occurrence's due date, the rule's "until" age or the 25th birthday.
	Lapse civil.Date
}

// maxOccurrences bounds a recurring rule, whatever its period.
const maxOccurrences = 100

// Plan returns the milestones the young person should have, by key and occurrence. A
// milestone is planned only when its due date is known (its anchor has happened) and, on
// that date, the young person is looked after or a care leaver and every condition of the
// definition holds. Open care episodes are taken to continue.
func Plan(cat *catalogue.Catalogue, in Input) []Planned {
	episodes := domain.StatusEpisodes(in.Episodes)
	derive := carestatus.NewDeriver(in.YoungPerson.DateOfBirth, episodes, in.Rule, in.YoungPerson.StatusCircumstances())
	if derive.NeverLookedAfter() { // nothing applies on any day (a young person not yet in care)
		return nil
	}
	p := planner{in: in, episodes: episodes, status: map[civil.Date]carestatus.Status{}, derive: derive}
	var out []Planned
	for _, d := range cat.Definitions {
		dates := p.dueDates(d.Due)
		end := p.until(d.Due)
		for i, due := range dates {
			if !p.applies(d, due) {
				continue
			}
			lapse := end
			if i+1 < len(dates) && dates[i+1].Before(lapse) {
				lapse = dates[i+1]
			}
			if !lapse.After(due) { // an "until" no later than the due date: overdue for a day
				lapse = due.AddDays(1)
			}
			out = append(out, Planned{Key: d.Key, Occurrence: i + 1, Title: d.Title, Area: string(d.Area),
				OwnerAgency: string(d.Owner), Statutory: d.Statutory, Due: due, Lapse: lapse})
		}
	}
	return out
}

// until is the day a rule's milestones stop: its "until" age, or the 25th birthday.
func (p *planner) until(r catalogue.DueRule) civil.Date {
	end := civil.Attains(p.in.YoungPerson.DateOfBirth, civil.Period{Years: 25}, p.in.Rule)
	if !r.Until.IsZero() {
		if u := civil.Attains(p.in.YoungPerson.DateOfBirth, r.Until, p.in.Rule); u.Before(end) {
			end = u
		}
	}
	return end
}

type planner struct {
	in       Input
	episodes []carestatus.Episode
	derive   carestatus.Deriver
	status   map[civil.Date]carestatus.Status // many occurrences share dates
}

func (p *planner) statusOn(d civil.Date) carestatus.Status {
	s, ok := p.status[d]
	if !ok {
		s = p.derive.On(d)
		p.status[d] = s
	}
	return s
}

// anchor returns the date a rule counts from, or false when it has not happened.
func (p *planner) anchor(r catalogue.DueRule) (civil.Date, bool) {
	switch r.Anchor {
	case catalogue.AnchorAge:
		return civil.Attains(p.in.YoungPerson.DateOfBirth, r.Age, p.in.Rule), true
	case catalogue.AnchorAfter:
		d, ok := p.in.Achieved[r.After]
		return d, ok
	case catalogue.AnchorLeftCare:
		return p.leftCare()
	case catalogue.AnchorEligible:
		return carestatus.BecameEligible(p.in.YoungPerson.DateOfBirth, p.episodes, p.in.Rule, p.in.YoungPerson.StatusCircumstances())
	}
	return civil.Date{}, false
}

// leftCare is the day the last episode ended, if none is open.
func (p *planner) leftCare() (civil.Date, bool) {
	var last civil.Date
	for _, e := range p.in.Episodes {
		if e.Open() || ssda903.IsShortBreak(e.LegalStatus) {
			if e.Open() {
				return civil.Date{}, false
			}
			continue
		}
		if e.End.After(last) {
			last = e.End
		}
	}
	return last, !last.IsZero()
}

// dueDates returns the due date of each occurrence of a rule. An age rule's occurrences are
// the ages themselves (age 17, 18, ...), so a 29 February birthday falls on the 29th in a
// leap year rather than drifting to the day the first occurrence fell on.
func (p *planner) dueDates(r catalogue.DueRule) []civil.Date {
	start, ok := p.anchor(r)
	if !ok {
		return nil
	}
	shift := func(d civil.Date) civil.Date {
		if r.Before {
			return d.Sub(r.Offset, p.in.Rule)
		}
		return d.Add(r.Offset, p.in.Rule)
	}
	first := shift(start)
	occurrence := func(k int) civil.Date {
		if r.Anchor == catalogue.AnchorAge {
			return shift(civil.Attains(p.in.YoungPerson.DateOfBirth, r.Age.Plus(times(r.Every, k)), p.in.Rule))
		}
		return first.Add(times(r.Every, k), p.in.Rule)
	}
	if !r.Recurring() {
		return []civil.Date{occurrence(0)}
	}
	end := p.until(r)
	var dates []civil.Date
	for k := 0; k < maxOccurrences; k++ {
		due := occurrence(k)
		if !due.Before(end) {
			break
		}
		dates = append(dates, due)
	}
	return dates
}

func times(p civil.Period, k int) civil.Period {
	return civil.Period{Years: p.Years * k, Months: p.Months * k, Days: p.Days * k}
}

// applies reports whether a definition applies to the young person on its due date.
func (p *planner) applies(d catalogue.Definition, due civil.Date) bool {
	st := p.statusOn(due)
	if st.Category == carestatus.None {
		return false // not in care, nor a care leaver, on that day
	}
	for _, c := range d.Applies {
		if p.holds(c.Name, st, due) == c.Negated {
			return false
		}
	}
	return true
}

func (p *planner) holds(condition string, st carestatus.Status, on civil.Date) bool {
	yp := p.in.YoungPerson
	switch condition {
	case catalogue.CondUASC:
		return yp.UnaccompaniedAsylumSeekingChild
	case catalogue.CondEHCPlan:
		return yp.EHCPlan
	case catalogue.CondDisability:
		return yp.Disability
	case catalogue.CondOpenToCAMHS:
		return yp.OpenToCAMHS
	case catalogue.CondInEducation:
		return yp.InEducationOrTraining
	case catalogue.CondLookedAfter:
		return st.LookedAfter
	case catalogue.CondCareLeaver:
		return slices.Contains([]carestatus.Category{carestatus.Eligible, carestatus.Relevant,
			carestatus.FormerRelevant, carestatus.Qualifying}, st.Category)
	case catalogue.CondFormerRelevant:
		return st.Category == carestatus.FormerRelevant
	case catalogue.CondRelevant:
		return st.Category == carestatus.Relevant
	case catalogue.CondFostered:
		return st.LookedAfter && p.fosteredOn(on)
	}
	return false // unreachable: conditions are checked when the catalogue is loaded
}

// fosteredOn reports whether the episode covering the day is a foster placement.
func (p *planner) fosteredOn(d civil.Date) bool {
	for _, e := range p.in.Episodes {
		covers := !e.Start.After(d) && (e.Open() || e.End.After(d))
		if covers && !ssda903.IsShortBreak(e.LegalStatus) && ssda903.IsFosterPlacement(e.PlacementType) {
			return true
		}
	}
	return false
}
