package catalogue

import (
	"fmt"
	"slices"
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

// ReminderRules decide which reminders carepath raises, and when. They ship with the
// catalogue and a council may replace them (Settings.Reminders).
type ReminderRules struct {
	// LeadDays are the days before a statutory milestone is due on which its owners are
	// reminded, such as 90, 30 and 7.
	LeadDays []int
	// OnDue reminds the owners of every milestone on its due date.
	OnDue bool
	// EscalateAfterDays escalates an overdue milestone to the team manager that many days
	// after it was due; 0 turns escalation off.
	EscalateAfterDays int
	// AgeNotices are the ages at which the young person's personal adviser is told what the
	// new age brings (domain brief 12.4).
	AgeNotices []civil.Period
	// SendAt is the time of day, in Europe/London, at which a day's reminders are raised:
	// a time such as 09:00 exists exactly once on every day, clock changes included.
	SendAt TimeOfDay
}

// TimeOfDay is a wall-clock time.
type TimeOfDay struct{ Hour, Minute int }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// DefaultSendAt is when reminders are raised unless the rules say otherwise.
var DefaultSendAt = TimeOfDay{Hour: 9}

// ParseTimeOfDay reads "HH:MM".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return TimeOfDay{}, fmt.Errorf("%q is not a time of day such as 09:00", s)
	}
	return TimeOfDay{Hour: t.Hour(), Minute: t.Minute()}, nil
}

// Limits on rules a council may set. MaxLeadDay and MaxEscalateAfterDays bound, under any
// council's rules, how far from its due date a milestone can raise a reminder.
const (
	maxLeadDays          = 6
	MaxLeadDay           = 365
	MaxEscalateAfterDays = 90
	maxAgeNotices        = 24
)

// Check refuses rules that make no sense, with field violations under prefix (the API's
// path to the rules).
func (r ReminderRules) Check(prefix string) error {
	var v errs.Violations
	if len(r.LeadDays) > maxLeadDays {
		v.Add(prefix+".lead_days", fmt.Sprintf("at most %d lead times", maxLeadDays))
	}
	for i, d := range r.LeadDays {
		if d < 1 || d > MaxLeadDay || slices.Index(r.LeadDays, d) != i {
			v.Add(fmt.Sprintf("%s.lead_days[%d]", prefix, i), fmt.Sprintf("must be 1 to %d days, each once", MaxLeadDay))
		}
	}
	if r.EscalateAfterDays < 0 || r.EscalateAfterDays > MaxEscalateAfterDays {
		v.Add(prefix+".escalate_after_days", fmt.Sprintf("must be 0 (off) to %d", MaxEscalateAfterDays))
	}
	if len(r.AgeNotices) > maxAgeNotices {
		v.Add(prefix+".age_notices", fmt.Sprintf("at most %d ages", maxAgeNotices))
	}
	for i, a := range r.AgeNotices {
		if a.Years < 10 || a.Years > 25 || a.Years == 25 && (a.Months > 0 || a.Days > 0) || slices.Index(r.AgeNotices, a) != i {
			v.Add(fmt.Sprintf("%s.age_notices[%d]", prefix, i), "must be an age from 10 to 25, each once")
		}
	}
	switch {
	case r.SendAt.Hour < 0 || r.SendAt.Hour > 23 || r.SendAt.Minute < 0 || r.SendAt.Minute > 59:
		v.Add(prefix+".send_at", "is not a time of day")
	case r.SendAt.Hour == 1:
		// In Europe/London 01:00-01:59 is skipped when the clocks go forward and happens
		// twice when they go back.
		v.Add(prefix+".send_at", "must not be between 01:00 and 01:59, which the clock changes skip or repeat")
	}
	return v.Err()
}

// reminderRulesDoc is the YAML and stored JSON form of the rules.
type reminderRulesDoc struct {
	LeadDays          []int    `yaml:"lead_days" json:"lead_days"`
	OnDue             bool     `yaml:"on_due" json:"on_due"`
	EscalateAfterDays int      `yaml:"escalate_after_days" json:"escalate_after_days"`
	AgeNotices        []string `yaml:"age_notices" json:"age_notices"`
	SendAt            string   `yaml:"send_at" json:"send_at"`
}

func (d reminderRulesDoc) rules() (ReminderRules, error) {
	if d.SendAt == "" && len(d.LeadDays) == 0 && len(d.AgeNotices) == 0 && !d.OnDue && d.EscalateAfterDays == 0 {
		return ReminderRules{SendAt: DefaultSendAt}, nil // a catalogue without reminders
	}
	r := ReminderRules{LeadDays: d.LeadDays, OnDue: d.OnDue, EscalateAfterDays: d.EscalateAfterDays}
	for _, a := range d.AgeNotices {
		p, err := civil.ParsePeriod(a)
		if err != nil {
			return ReminderRules{}, fmt.Errorf("reminders: age notice: %w", err)
		}
		r.AgeNotices = append(r.AgeNotices, p)
	}
	var err error
	if r.SendAt, err = ParseTimeOfDay(d.SendAt); err != nil {
		return ReminderRules{}, fmt.Errorf("reminders: send_at: %w", err)
	}
	if err := r.Check("reminders"); err != nil {
		return ReminderRules{}, fmt.Errorf("reminders: %w", err)
	}
	return r, nil
}

func reminderRulesDocOf(r ReminderRules) reminderRulesDoc {
	d := reminderRulesDoc{LeadDays: r.LeadDays, OnDue: r.OnDue, EscalateAfterDays: r.EscalateAfterDays, SendAt: r.SendAt.String()}
	for _, a := range r.AgeNotices {
		d.AgeNotices = append(d.AgeNotices, a.String())
	}
	return d
}
