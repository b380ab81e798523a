package catalogue

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

func TestShippedReminderRules(t *testing.T) {
	r := Default().Reminders
	if !slices.Equal(r.LeadDays, []int{90, 30, 7}) || !r.OnDue || r.EscalateAfterDays != 7 || r.SendAt != (TimeOfDay{Hour: 9}) {
		t.Errorf("shipped rules = %+v", r)
	}
	var ages []string
	for _, a := range r.AgeNotices {
		ages = append(ages, a.String())
	}
	if want := []string{"13y", "15y9m", "16y", "16y3m", "17y6m", "18y", "21y", "24y6m", "25y"}; !slices.Equal(ages, want) {
		t.Errorf("age notices = %v, want %v", ages, want)
	}
}

func TestCouncilReminderRules(t *testing.T) {
	c, _ := Parse([]byte(minimal))
	mine := ReminderRules{LeadDays: []int{14}, AgeNotices: []civil.Period{{Years: 17}}, SendAt: TimeOfDay{Hour: 8, Minute: 30}}
	got, err := c.Effective(Settings{Reminders: &mine})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mine, got.Reminders); diff != "" {
		t.Errorf("council rules not applied (-want +got):\n%s", diff)
	}
	if c.Apply(Settings{}).Reminders.SendAt != DefaultSendAt {
		t.Error("a catalogue without a reminders section should still raise reminders at the default time")
	}

	bad := ReminderRules{LeadDays: []int{30, 30, 0}, EscalateAfterDays: -1, AgeNotices: []civil.Period{{Years: 26}},
		SendAt: TimeOfDay{Hour: 1, Minute: 30}}
	_, err = c.Effective(Settings{Reminders: &bad})
	e, ok := err.(*errs.Error)
	if !ok {
		t.Fatalf("bad rules: err = %v", err)
	}
	var fields []string
	for _, v := range e.Violations {
		fields = append(fields, v.Field)
	}
	want := []string{"reminder_rules.lead_days[1]", "reminder_rules.lead_days[2]", "reminder_rules.escalate_after_days",
		"reminder_rules.age_notices[0]", "reminder_rules.send_at"}
	if !slices.Equal(fields, want) {
		t.Errorf("violations on %v, want %v", fields, want)
	}
}

func TestReminderRulesCodecRoundTrip(t *testing.T) {
	r := Default().Reminders
	b, err := EncodeSettings(Settings{Reminders: &r})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSettings(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reminders == nil {
		t.Fatal("rules lost")
	}
	if diff := cmp.Diff(r, *got.Reminders); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got, _ := DecodeSettings([]byte(`{"leapling_rule":"MARCH_1"}`)); got.Reminders != nil {
		t.Error("settings without rules decoded with rules")
	}
}
