package catalogue

import (
	"slices"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

func TestShippedCatalogue(t *testing.T) {
	c := Default()
	if c.Version == "" {
		t.Fatal("the shipped catalogue has no version")
	}
	if n := len(c.Definitions); n < 45 || n > 60 {
		t.Fatalf("the shipped catalogue has %d milestones; the brief asks for about 50", n)
	}
	areas, owners := map[Area]bool{}, map[Owner]bool{}
	statutory := 0
	for _, d := range c.Definitions {
		areas[d.Area], owners[d.Owner] = true, true
		if len(d.Ambitions) > 0 {
			t.Errorf("%s serves ambitions %v; ambitions are a council's own", d.Key, d.Ambitions)
		}
		if d.Statutory {
			statutory++
		}
		if d.Basis == "" || len(d.Sources) == 0 {
			t.Errorf("%s has no statutory basis or source", d.Key)
		}
	}
	if len(areas) < 8 || statutory < 15 {
		t.Errorf("the catalogue covers %d areas with %d statutory milestones; expected broad coverage", len(areas), statutory)
	}
	// The brief's must-haves are present.
	for _, key := range []string{"ks4.work_experience.placement", "age16.needs_assessment", "age16.pathway_plan",
		"age16.pa.introduce", "plan.review", "health.history_summary", "health.camhs_transfer_plan",
		"careact.s58.consider", "age16_6.staying_put.decision", "housing.protocol_referral",
		"age17_9.accommodation.confirmed", "age15_9.nino.apply", "age17.bank_account", "age16.jisa.control",
		"age17_9.income.plan", "uasc.leave_extension", "eet.apprenticeship.bursary", "data.oc3.birthday",
		"age20_6.pre21.review", "age24_6.exit.plan", "eet.apprenticeship.start"} {
		if _, ok := c.Lookup(key); !ok {
			t.Errorf("the catalogue lacks %s", key)
		}
	}
}

func TestParseDueRule(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DueRule
	}{
		{"age 16", DueRule{Anchor: AnchorAge, Age: civil.Period{Years: 16}}},
		{"age 15y9m", DueRule{Anchor: AnchorAge, Age: civil.Period{Years: 15, Months: 9}}},
		{"age 16 + 3m", DueRule{Anchor: AnchorAge, Age: civil.Period{Years: 16}, Offset: civil.Period{Months: 3}}},
		{"age 18 - 6m", DueRule{Anchor: AnchorAge, Age: civil.Period{Years: 18}, Offset: civil.Period{Months: 6}, Before: true}},
		{"after housing.tenancy.start + 7d", DueRule{Anchor: AnchorAfter, After: "housing.tenancy.start", Offset: civil.Period{Days: 7}}},
		{"left_care + 3m", DueRule{Anchor: AnchorLeftCare, Offset: civil.Period{Months: 3}}},
		{"age 16 every 6m until age 21", DueRule{Anchor: AnchorAge, Age: civil.Period{Years: 16}, Every: civil.Period{Months: 6}, Until: civil.Period{Years: 21}}},
		{"age 13 + 6m until age 16", DueRule{Anchor: AnchorAge, Age: civil.Period{Years: 13}, Offset: civil.Period{Months: 6}, Until: civil.Period{Years: 16}}},
	} {
		got, err := ParseDueRule(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDueRule(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if again, err := ParseDueRule(got.String()); err != nil || again != got {
			t.Errorf("%q does not survive String(): %q", tc.in, got.String())
		}
	}
	for _, bad := range []string{"", "age", "age sixteen", "age 16 +3m", "after", "after X + 1d", "left_care - 1m",
		"after a.b - 1d", "age 16 every 0d", "age 16 until 18", "age 16 every", "16", "age 3m16y"} {
		if _, err := ParseDueRule(bad); err == nil {
			t.Errorf("ParseDueRule(%q) accepted a rule outside the language", bad)
		}
	}
}

const minimal = `version: "test.1"
milestones:
  - key: a.one
    title: One
    area: HEALTH
    owner: NHS
    due: "age 16"
    applies: []
    statutory: true
    basis: "Basis"
    sources: ["https://example.org/a"]
  - key: a.two
    title: Two
    area: ACCOMMODATION
    owner: HOUSING
    due: "after a.one + 7d"
    applies: [not uasc, fostered]
    statutory: false
    basis: "Basis"
    sources: ["https://example.org/b"]
`

func TestParseRefusesBadCatalogues(t *testing.T) {
	if _, err := Parse([]byte(minimal)); err != nil {
		t.Fatalf("a good catalogue was refused: %v", err)
	}
	for name, edit := range map[string][2]string{
		"unknown field":     {"statutory: true", "statutory: true\n    colour: red"},
		"duplicate key":     {"key: a.two", "key: a.one"},
		"dangling after":    {"after a.one", "after a.nothing"},
		"self cycle":        {"after a.one", "after a.two"},
		"unknown area":      {"area: HEALTH", "area: HAPPINESS"},
		"unknown owner":     {"owner: NHS", "owner: WIZARD"},
		"ambitions":         {"statutory: true", "statutory: true\n    ambitions: [A2]"},
		"unknown condition": {"applies: []", "applies: [left_handed]"},
		"bad due rule":      {`due: "age 16"`, `due: "sometime"`},
		"source not a URL":  {"https://example.org/a", "see the Act"},
		"key not dot-words": {"key: a.one", "key: A-One"},
		"no version":        {`version: "test.1"`, `version: ""`},
	} {
		bad := strings.Replace(minimal, edit[0], edit[1], 1)
		if bad == minimal {
			t.Fatalf("%s: the edit did not apply", name)
		}
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

func mustRule(t *testing.T, s string) *DueRule {
	t.Helper()
	r, err := ParseDueRule(s)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestEffective(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	local := Definition{Key: "local.apprenticeship", Title: "Apprenticeship offer", Area: Employment,
		Owner: "EMPLOYER_OR_TRAINING_PROVIDER", Due: *mustRule(t, "age 17y6m")}
	eff, err := c.Effective(Settings{
		Overrides: []Override{{Key: "a.one", Due: mustRule(t, "age 15y6m")}},
		Local:     []Definition{local},
	})
	if err != nil {
		t.Fatal(err)
	}
	one, _ := eff.Lookup("a.one")
	if one.Due.String() != "age 15y6m" {
		t.Errorf("retimed milestone is due %q", one.Due)
	}
	if l, ok := eff.Lookup(local.Key); !ok || !l.Local {
		t.Errorf("local milestone missing or not marked local: %+v", l)
	}
	if orig, _ := c.Lookup("a.one"); orig.Due.String() != "age 16y" {
		t.Error("Effective changed the shipped catalogue")
	}

	// Switching off a milestone another is timed from is refused, with the field to fix.
	for name, tc := range map[string]struct {
		s     Settings
		field string
	}{
		"unknown key":          {Settings{Overrides: []Override{{Key: "a.zero", Disabled: true}}}, "overrides[0].key"},
		"dangling after":       {Settings{Overrides: []Override{{Key: "a.one", Disabled: true}}}, "overrides"},
		"local without prefix": {Settings{Local: []Definition{{Key: "mine", Title: "x", Area: Health, Owner: "NHS", Due: *mustRule(t, "age 16")}}}, "local_milestones[0].key"},
		"local clash":          {Settings{Local: []Definition{local, local}}, "local_milestones"},
		"overridden twice":     {Settings{Overrides: []Override{{Key: "a.two", Disabled: true}, {Key: "a.two", Disabled: true}}}, "overrides[1].key"},
	} {
		_, err := c.Effective(tc.s)
		var e *errs.Error
		if !asErr(err, &e) || !slices.ContainsFunc(e.Violations, func(v errs.Violation) bool { return v.Field == tc.field }) {
			t.Errorf("%s: Effective = %v; want a violation on %s", name, err, tc.field)
		}
	}
	// Disabling both the anchor and its dependant is fine.
	if _, err := c.Effective(Settings{Overrides: []Override{{Key: "a.one", Disabled: true}, {Key: "a.two", Disabled: true}}}); err != nil {
		t.Errorf("disabling a milestone and the one timed from it was refused: %v", err)
	}
}

func TestApplyIgnoresWhatNoLongerFits(t *testing.T) {
	c, _ := Parse([]byte(minimal))
	applied := c.Apply(Settings{Overrides: []Override{{Key: "gone.in.new.version", Disabled: true}, {Key: "a.two", Disabled: true}}})
	if _, ok := applied.Lookup("a.two"); ok {
		t.Error("a fitting override was not applied")
	}
	if _, ok := applied.Lookup("a.one"); !ok {
		t.Error("Apply lost a milestone")
	}
}

func TestSettingsCodecRoundTrip(t *testing.T) {
	s := Settings{
		LeaplingRule: civil.FebruaryTwentyEighth,
		Overrides:    []Override{{Key: "a.one", Due: mustRule(t, "age 15y6m every 1y until age 18")}, {Key: "a.two", Disabled: true}},
		Local: []Definition{{Key: "local.x", Title: "X", Description: "d", Area: Finance, Owner: "FINANCIAL",
			Due: *mustRule(t, "after a.one + 2w"), Applies: []Condition{{Name: CondUASC, Negated: true}},
			Basis: "b", Sources: []string{"https://example.org"}, Local: true}},
		Measures: []MeasureSpec{{Key: "local.m", Title: "M", Ofsted: "HEALTH", Definition: "d", Numerator: "n", Denominator: "d",
			Source: "s", Ages: "16 to 18", CohortMilestone: "local.x", Achieved: []string{"local.x"}, Within: "6m"}},
	}
	b, err := EncodeSettings(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSettings(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.LeaplingRule != s.LeaplingRule || len(got.Overrides) != 2 || got.Overrides[0].Due.String() != s.Overrides[0].Due.String() ||
		got.Overrides[1].Due != nil || !got.Overrides[1].Disabled || len(got.Local) != 1 ||
		got.Local[0].Due.String() != "after a.one + 14d" || got.Local[0].Applies[0] != s.Local[0].Applies[0] || !got.Local[0].Local ||
		len(got.Measures) != 1 || got.Measures[0].Within != "6m" || got.Measures[0].Achieved[0] != "local.x" || got.Measures[0].CohortMilestone != "local.x" {
		t.Fatalf("round trip changed the settings:\n got %+v\nwant %+v", got, s)
	}
}

func asErr(err error, e **errs.Error) bool {
	x, ok := err.(*errs.Error)
	*e = x
	return ok
}
