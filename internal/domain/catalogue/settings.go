package catalogue

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

// LocalPrefix starts the key of every milestone a council adds, so that a later shipped
// catalogue can never collide with it.
const LocalPrefix = "local."

// Settings are a council's choices about its young people's pathways.
type Settings struct {
	// LeaplingRule decides the birthday of someone born on 29 February in a common year.
	LeaplingRule civil.LeaplingRule
	// Overrides switch shipped milestones off or change their timing.
	Overrides []Override
	// Local are the council's own milestones (keys start with LocalPrefix).
	Local []Definition
	// Reminders, if set, replace the catalogue's reminder rules.
	Reminders *ReminderRules
	// Ambitions are the council's own strategy ambitions, with the milestones and checks
	// that serve each.
	Ambitions []Ambition
	// Measures are the council's own outcome measures as written (keys start with
	// LocalPrefix), counted after the shipped ones; domain/measure reads and checks them.
	Measures []MeasureSpec
}

// MeasureSpec is an outcome measure as written, in the shipped measure catalogue or a
// council's settings (domain/measure's Spec, which checks it).
type MeasureSpec struct {
	Key           string `json:"key"`
	Title         string `json:"title"`
	Ofsted        string `json:"ofsted"`
	Definition    string `json:"definition"`
	Numerator     string `json:"numerator"`
	Denominator   string `json:"denominator"`
	Source        string `json:"source"`
	LowerIsBetter bool   `json:"lower_is_better,omitempty"`
	// Ages is the cohort's age range ("16 to 18"); CohortMilestone, if set, the key of the
	// milestone that puts a young person in the cohort once due.
	Ages            string `json:"ages"`
	CohortMilestone string `json:"cohort_milestone,omitempty"`
	// The count: Achieved (with ByAge or Within), Fact, Overdue or GreenAtReview.
	Achieved      []string `json:"achieved,omitempty"`
	ByAge         string   `json:"by_age,omitempty"`
	Within        string   `json:"within,omitempty"`
	Fact          string   `json:"fact,omitempty"`
	Overdue       bool     `json:"overdue,omitempty"`
	GreenAtReview bool     `json:"green_at_review,omitempty"`
}

// Clone copies everything the settings share by reference, so that neither the copy nor the
// original can change the other (a cache hands out copies).
func (s Settings) Clone() Settings {
	s.Overrides = slices.Clone(s.Overrides)
	for i, o := range s.Overrides {
		if o.Due != nil {
			due := *o.Due
			s.Overrides[i].Due = &due
		}
	}
	s.Local = slices.Clone(s.Local)
	for i, d := range s.Local {
		s.Local[i].Ambitions, s.Local[i].Applies = slices.Clone(d.Ambitions), slices.Clone(d.Applies)
		s.Local[i].Sources = slices.Clone(d.Sources)
	}
	if s.Reminders != nil {
		r := *s.Reminders
		r.LeadDays, r.AgeNotices = slices.Clone(r.LeadDays), slices.Clone(r.AgeNotices)
		s.Reminders = &r
	}
	s.Ambitions = slices.Clone(s.Ambitions)
	for i, a := range s.Ambitions {
		s.Ambitions[i].Milestones, s.Ambitions[i].Checks = slices.Clone(a.Milestones), slices.Clone(a.Checks)
	}
	s.Measures = slices.Clone(s.Measures)
	for i, m := range s.Measures {
		s.Measures[i].Achieved = slices.Clone(m.Achieved)
	}
	return s
}

// Override changes one shipped milestone for a council.
type Override struct {
	Key      string
	Disabled bool
	// Due, if set, replaces the milestone's due rule.
	Due *DueRule
}

// Apply returns the catalogue as a council uses it, leaving out overrides and local
// milestones that no longer fit it (say, after a new catalogue version removed a milestone
// a council had retimed). Planning uses it, so that old settings never stop planning;
// saving settings uses Effective, which refuses what does not fit.
func (c *Catalogue) Apply(s Settings) *Catalogue {
	fitting := Settings{Reminders: s.Reminders}
	for _, o := range s.Overrides {
		if _, ok := c.Lookup(o.Key); ok {
			fitting.Overrides = append(fitting.Overrides, o)
		}
	}
	for _, d := range s.Local {
		if _, err := c.Effective(Settings{Local: append(fitting.Local, d), Overrides: fitting.Overrides}); err == nil {
			fitting.Local = append(fitting.Local, d)
		}
	}
	out, err := c.Effective(fitting)
	if err != nil { // an override that leaves an "after" rule dangling: plan without overrides
		out, err = c.Effective(Settings{Local: fitting.Local})
	}
	if err != nil {
		out, _ = c.Effective(Settings{})
	}
	out.attachAmbitions(out.fittingAmbitions(s.Ambitions))
	return out
}

// Effective returns the catalogue as a council uses it: disabled milestones left out,
// retimed ones with their new rule and local ones added. It fails with field violations
// (paths in the API's PathwaySettings) when the settings do not fit the catalogue.
func (c *Catalogue) Effective(s Settings) (*Catalogue, error) {
	var v errs.Violations
	overrides := map[string]Override{}
	for i, o := range s.Overrides {
		field := fmt.Sprintf("overrides[%d].key", i)
		switch _, ok := c.Lookup(o.Key); {
		case !ok:
			v.Add(field, "is not a milestone of the catalogue")
		case overrides[o.Key].Key != "":
			v.Add(field, "is overridden twice")
		}
		overrides[o.Key] = o
	}
	out := &Catalogue{Version: c.Version, Reminders: c.Reminders}
	if s.Reminders != nil {
		if err := s.Reminders.Check("reminder_rules"); err != nil {
			var e *errs.Error
			if errors.As(err, &e) {
				v = append(v, e.Violations...)
			}
		}
		out.Reminders = *s.Reminders
	}
	for _, d := range c.Definitions {
		o, ok := overrides[d.Key]
		if ok && o.Disabled {
			continue
		}
		if ok && o.Due != nil {
			d.Due = *o.Due
		}
		out.Definitions = append(out.Definitions, d)
	}
	for i, d := range s.Local {
		field := fmt.Sprintf("local_milestones[%d]", i)
		if !strings.HasPrefix(d.Key, LocalPrefix) {
			v.Add(field+".key", "must start with "+LocalPrefix)
		}
		if err := d.check(); err != nil {
			v.Add(field, err.Error())
		}
		d.Local = true
		out.Definitions = append(out.Definitions, d)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := out.index(); err != nil {
		// A duplicate local key, or a milestone left due after one that is switched off.
		field := "overrides"
		var ke *keyError
		if errors.As(err, &ke) && strings.HasPrefix(ke.key, LocalPrefix) {
			field = "local_milestones"
		}
		return nil, errs.Invalid(errs.Violation{Field: field, Description: strings.TrimPrefix(err.Error(), "catalogue: ")})
	}
	out.checkAmbitions(s.Ambitions, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	out.attachAmbitions(s.Ambitions)
	return out, nil
}
