package catalogue

import (
	"bytes"
	"slices"
	"testing"

	"github.com/carepath/carepath/internal/errs"
)

// The shipped catalogue is national: another council starts clean, with no council's keys,
// wording or sources in it.
func TestShippedCatalogueIsNational(t *testing.T) {
	for _, word := range []string{"notts", "nottingham", "ambition"} {
		if i := bytes.Index(bytes.ToLower(defaultYAML), []byte(word)); i >= 0 && !inHeader(i) {
			t.Errorf("the shipped catalogue mentions %q: ...%s...", word, defaultYAML[max(i-60, 0):min(i+60, len(defaultYAML))])
		}
	}
	if len(Default().Ambitions) != 0 {
		t.Errorf("the shipped catalogue has ambitions %v", Default().Ambitions)
	}
}

// inHeader reports whether offset i is in the file's opening comment, which says what is
// not in it.
func inHeader(i int) bool { return i < bytes.Index(defaultYAML, []byte("\nversion:")) }

func TestAmbitions(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	local := Definition{Key: "local.offer", Title: "Offer", Area: Employment, Owner: "EMPLOYER_OR_TRAINING_PROVIDER",
		Due: *mustRule(t, "age 17")}
	safe := Ambition{Key: "A1", Title: "Safe and feel safe", Milestones: []string{"a.two"}, Checks: []string{"accommodation"}}
	work := Ambition{Key: "A6", Title: "Employment and independence", Milestones: []string{"a.two", "local.offer"}}
	eff, err := c.Effective(Settings{Local: []Definition{local}, Ambitions: []Ambition{safe, work}})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]string{"a.one": nil, "a.two": {"A1", "A6"}, "local.offer": {"A6"}} {
		if d, _ := eff.Lookup(key); !slices.Equal(d.Ambitions, want) {
			t.Errorf("%s serves %v, want %v", key, d.Ambitions, want)
		}
	}
	if a, ok := eff.Ambition("A1"); !ok || a.Title != safe.Title || !slices.Equal(a.Checks, safe.Checks) {
		t.Errorf("Ambition(A1) = %+v, %v", a, ok)
	}
	if two, _ := c.Lookup("a.two"); len(two.Ambitions) != 0 {
		t.Error("Effective gave the shipped catalogue ambitions")
	}

	for name, tc := range map[string]struct {
		a     []Ambition
		field string
	}{
		"bad key":           {[]Ambition{{Key: "a one", Title: "x"}}, "ambitions[0].key"},
		"repeated key":      {[]Ambition{safe, {Key: "A1", Title: "again"}}, "ambitions[1].key"},
		"no title":          {[]Ambition{{Key: "A2"}}, "ambitions[0].title"},
		"unknown milestone": {[]Ambition{{Key: "A2", Title: "x", Milestones: []string{"a.one", "a.nothing"}}}, "ambitions[0].milestones[1]"},
		"milestone twice":   {[]Ambition{{Key: "A2", Title: "x", Milestones: []string{"a.one", "a.one"}}}, "ambitions[0].milestones[1]"},
		"check twice":       {[]Ambition{{Key: "A2", Title: "x", Checks: []string{"health", "health"}}}, "ambitions[0].checks[1]"},
		"switched off":      {[]Ambition{{Key: "A2", Title: "x", Milestones: []string{"a.two"}}}, "ambitions[0].milestones[0]"},
	} {
		s := Settings{Ambitions: tc.a}
		if name == "switched off" {
			s.Overrides = []Override{{Key: "a.two", Disabled: true}}
		}
		_, err := c.Effective(s)
		var e *errs.Error
		if !asErr(err, &e) || !slices.ContainsFunc(e.Violations, func(v errs.Violation) bool { return v.Field == tc.field }) {
			t.Errorf("%s: Effective = %v; want a violation on %s", name, err, tc.field)
		}
	}

	// Planning keeps what still fits when a milestone an ambition lists has gone.
	applied := c.Apply(Settings{Ambitions: []Ambition{{Key: "A2", Title: "Health", Milestones: []string{"gone.away", "a.one"}}, {Key: "bad key"}}})
	if len(applied.Ambitions) != 1 || !slices.Equal(applied.Ambitions[0].Milestones, []string{"a.one"}) {
		t.Errorf("Apply kept ambitions %+v", applied.Ambitions)
	}
	if one, _ := applied.Lookup("a.one"); !slices.Equal(one.Ambitions, []string{"A2"}) {
		t.Errorf("after Apply a.one serves %v", one.Ambitions)
	}

	b, err := EncodeSettings(Settings{Ambitions: []Ambition{safe, work}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSettings(b)
	if err != nil || !slices.EqualFunc(got.Ambitions, []Ambition{safe, work}, func(a, b Ambition) bool {
		return a.Key == b.Key && a.Title == b.Title && slices.Equal(a.Milestones, b.Milestones) && slices.Equal(a.Checks, b.Checks)
	}) {
		t.Errorf("ambitions after a round trip: %+v, %v", got.Ambitions, err)
	}
}
