package catalogue

import (
	"encoding/json"
	"fmt"

	"github.com/carepath/carepath/internal/domain/civil"
)

// settingsJSON is how Settings are stored: due rules and conditions in the catalogue's own
// text form, so stored settings read like the catalogue file.
type settingsJSON struct {
	LeaplingRule string            `json:"leapling_rule"`
	Overrides    []overrideJSON    `json:"overrides,omitempty"`
	Local        []localJSON       `json:"local,omitempty"`
	Reminders    *reminderRulesDoc `json:"reminders,omitempty"`
	Ambitions    []ambitionJSON    `json:"ambitions,omitempty"`
	Measures     []MeasureSpec     `json:"measures,omitempty"`
}

type ambitionJSON struct {
	Key        string   `json:"key"`
	Title      string   `json:"title"`
	Milestones []string `json:"milestones,omitempty"`
	Checks     []string `json:"checks,omitempty"`
}

type overrideJSON struct {
	Key      string `json:"key"`
	Disabled bool   `json:"disabled,omitempty"`
	Due      string `json:"due,omitempty"`
}

type localJSON struct {
	Key         string   `json:"key"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Area        Area     `json:"area"`
	Owner       Owner    `json:"owner"`
	Due         string   `json:"due"`
	Applies     []string `json:"applies,omitempty"`
	Statutory   bool     `json:"statutory,omitempty"`
	Basis       string   `json:"basis,omitempty"`
	Sources     []string `json:"sources,omitempty"`
}

// EncodeSettings writes settings for storage.
func EncodeSettings(s Settings) ([]byte, error) {
	out := settingsJSON{LeaplingRule: s.LeaplingRule.String()}
	if s.Reminders != nil {
		d := reminderRulesDocOf(*s.Reminders)
		out.Reminders = &d
	}
	for _, o := range s.Overrides {
		j := overrideJSON{Key: o.Key, Disabled: o.Disabled}
		if o.Due != nil {
			j.Due = o.Due.String()
		}
		out.Overrides = append(out.Overrides, j)
	}
	for _, d := range s.Local {
		j := localJSON{Key: d.Key, Title: d.Title, Description: d.Description, Area: d.Area, Owner: d.Owner,
			Due: d.Due.String(), Statutory: d.Statutory, Basis: d.Basis, Sources: d.Sources}
		for _, c := range d.Applies {
			j.Applies = append(j.Applies, c.String())
		}
		out.Local = append(out.Local, j)
	}
	for _, a := range s.Ambitions {
		out.Ambitions = append(out.Ambitions, ambitionJSON(a))
	}
	out.Measures = s.Measures
	return json.Marshal(out)
}

// DecodeSettings reads settings written by EncodeSettings.
func DecodeSettings(b []byte) (Settings, error) {
	var in settingsJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return Settings{}, fmt.Errorf("catalogue: stored settings: %w", err)
	}
	rule, err := civil.ParseLeaplingRule(in.LeaplingRule)
	if err != nil {
		return Settings{}, fmt.Errorf("catalogue: stored settings: %w", err)
	}
	s := Settings{LeaplingRule: rule}
	if in.Reminders != nil {
		r, err := in.Reminders.rules()
		if err != nil {
			return Settings{}, fmt.Errorf("catalogue: stored settings: %w", err)
		}
		s.Reminders = &r
	}
	for _, o := range in.Overrides {
		ov := Override{Key: o.Key, Disabled: o.Disabled}
		if o.Due != "" {
			r, err := ParseDueRule(o.Due)
			if err != nil {
				return Settings{}, fmt.Errorf("catalogue: stored settings: %w", err)
			}
			ov.Due = &r
		}
		s.Overrides = append(s.Overrides, ov)
	}
	for _, l := range in.Local {
		d := Definition{Key: l.Key, Title: l.Title, Description: l.Description, Area: l.Area, Owner: l.Owner,
			Statutory: l.Statutory, Basis: l.Basis, Sources: l.Sources, Local: true}
		if d.Due, err = ParseDueRule(l.Due); err != nil {
			return Settings{}, fmt.Errorf("catalogue: stored settings: %w", err)
		}
		for _, a := range l.Applies {
			c, err := ParseCondition(a)
			if err != nil {
				return Settings{}, fmt.Errorf("catalogue: stored settings: %w", err)
			}
			d.Applies = append(d.Applies, c)
		}
		s.Local = append(s.Local, d)
	}
	for _, a := range in.Ambitions {
		s.Ambitions = append(s.Ambitions, Ambition(a))
	}
	s.Measures = in.Measures
	return s, nil
}
