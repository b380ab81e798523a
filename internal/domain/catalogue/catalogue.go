// Package catalogue is the milestone catalogue: the steps towards adulthood carepath plans
// for every young person, each with a due rule, the agency that must act, the pathway-plan
// area it belongs to and the law or guidance it rests on. The default catalogue is
// national, versioned data shipped in the binary (data/catalogue.yaml); a council can switch
// milestones off, retime them, add its own and name the ambitions of its own strategy that
// they serve (Settings).
package catalogue

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Area is one of the ten dimensions of a pathway plan (Care Leavers (England) Regulations
// 2010, Schedule 1).
type Area string

const (
	ContactAndSupport       Area = "CONTACT_AND_SUPPORT"
	EducationAndTraining    Area = "EDUCATION_AND_TRAINING"
	Employment              Area = "EMPLOYMENT"
	Contingency             Area = "CONTINGENCY"
	Accommodation           Area = "ACCOMMODATION"
	Relationships           Area = "RELATIONSHIPS"
	IndependentLivingSkills Area = "INDEPENDENT_LIVING_SKILLS"
	Finance                 Area = "FINANCE"
	Health                  Area = "HEALTH"
	Identity                Area = "IDENTITY"
)

// Areas lists the areas in the order of Schedule 1.
var Areas = []Area{ContactAndSupport, EducationAndTraining, Employment, Contingency, Accommodation,
	Relationships, IndependentLivingSkills, Finance, Health, Identity}

// Owner is the type of agency that must act on a milestone.
type Owner string

// Owners lists the agency types.
var Owners = []Owner{"CHILDRENS_SOCIAL_CARE", "VIRTUAL_SCHOOL", "SCHOOL_OR_COLLEGE", "NHS",
	"ADULT_SOCIAL_CARE", "HOUSING", "DWP", "EMPLOYER_OR_TRAINING_PROVIDER", "FINANCIAL", "LEGAL",
	"YOUNG_PERSON", "FOSTER_CARER"}

// Ambition is one of a council's own strategy ambitions ("care leavers are safe and feel
// safe"), which its partnership board counts readiness against. Ambitions are local: the
// shipped catalogue has none, and each council names its own in its settings.
type Ambition struct {
	Key   string
	Title string
	// Milestones are the keys of the milestones that serve it.
	Milestones []string
	// Checks are the keys of the cliff-edge checks that serve it (the readiness package
	// knows them; the catalogue does not).
	Checks []string
}

// Condition is a circumstance a milestone applies in; Negated turns it round.
type Condition struct {
	Name    string
	Negated bool
}

// The conditions a catalogue may use.
const (
	CondUASC           = "uasc"
	CondEHCPlan        = "ehc_plan"
	CondDisability     = "disability"
	CondFostered       = "fostered"
	CondOpenToCAMHS    = "open_to_camhs"
	CondLookedAfter    = "looked_after"
	CondCareLeaver     = "care_leaver"
	CondFormerRelevant = "former_relevant"
	CondRelevant       = "relevant"
	CondInEducation    = "in_education"
)

// Conditions lists them.
var Conditions = []string{CondUASC, CondEHCPlan, CondDisability, CondFostered, CondOpenToCAMHS, CondRelevant,
	CondLookedAfter, CondCareLeaver, CondFormerRelevant, CondInEducation}

func (c Condition) String() string {
	if c.Negated {
		return "not " + c.Name
	}
	return c.Name
}

// Definition is one milestone of the catalogue.
type Definition struct {
	Key         string
	Title       string
	Description string
	Area        Area
	Owner       Owner
	// Ambitions are the keys of the council's ambitions the milestone serves, from its
	// settings; none in the shipped catalogue.
	Ambitions []string
	Due       DueRule
	Applies   []Condition
	Statutory bool
	Basis     string
	Sources   []string
	// Local marks a milestone a council added.
	Local bool
}

// Catalogue is a versioned set of definitions.
type Catalogue struct {
	Version     string
	Definitions []Definition
	// Reminders are the reminder rules that go with the definitions.
	Reminders ReminderRules
	// Ambitions are the council's, in its order; none in the shipped catalogue.
	Ambitions []Ambition
	byKey     map[string]int
}

// Lookup returns the definition with key.
func (c *Catalogue) Lookup(key string) (Definition, bool) {
	i, ok := c.byKey[key]
	if !ok {
		return Definition{}, false
	}
	return c.Definitions[i], true
}

//go:embed data/catalogue.yaml
var defaultYAML []byte

var defaultCatalogue = mustParse(defaultYAML)

// Default returns the catalogue shipped in the binary.
func Default() *Catalogue { return defaultCatalogue }

func mustParse(data []byte) *Catalogue {
	c, err := Parse(data)
	if err != nil {
		panic("catalogue: the shipped catalogue is invalid: " + err.Error()) // caught by tests
	}
	return c
}

// file is the YAML form of a catalogue.
type file struct {
	Version    string           `yaml:"version"`
	Reminders  reminderRulesDoc `yaml:"reminders"`
	Milestones []definitionDoc  `yaml:"milestones"`
}

type definitionDoc struct {
	Key         string   `yaml:"key"`
	Title       string   `yaml:"title"`
	Description string   `yaml:"description"`
	Area        Area     `yaml:"area"`
	Owner       Owner    `yaml:"owner"`
	Due         string   `yaml:"due"`
	Applies     []string `yaml:"applies"`
	Statutory   bool     `yaml:"statutory"`
	Basis       string   `yaml:"basis"`
	Sources     []string `yaml:"sources"`
}

// Parse reads and checks a catalogue in YAML. Unknown keys are errors.
func Parse(data []byte) (*Catalogue, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	if f.Version == "" {
		return nil, fmt.Errorf("catalogue: no version")
	}
	c := &Catalogue{Version: f.Version}
	var err error
	if c.Reminders, err = f.Reminders.rules(); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	for _, d := range f.Milestones {
		def, err := d.definition()
		if err != nil {
			return nil, err
		}
		c.Definitions = append(c.Definitions, def)
	}
	if err := c.index(); err != nil {
		return nil, err
	}
	return c, nil
}

func (d definitionDoc) definition() (Definition, error) {
	fail := func(format string, args ...any) (Definition, error) {
		return Definition{}, fmt.Errorf("catalogue: milestone %q: %s", d.Key, fmt.Sprintf(format, args...))
	}
	due, err := ParseDueRule(d.Due)
	if err != nil {
		return fail("%v", err)
	}
	def := Definition{Key: d.Key, Title: d.Title, Description: strings.TrimSpace(d.Description), Area: d.Area,
		Owner: d.Owner, Due: due, Statutory: d.Statutory, Basis: d.Basis, Sources: d.Sources}
	for _, a := range d.Applies {
		c, err := ParseCondition(a)
		if err != nil {
			return fail("%v", err)
		}
		def.Applies = append(def.Applies, c)
	}
	if err := def.check(); err != nil {
		return fail("%v", err)
	}
	if len(def.Sources) == 0 {
		return fail("has no source")
	}
	for _, s := range def.Sources {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fail("source %q is not a web address", s)
		}
	}
	return def, nil
}

// ParseCondition reads "uasc" or "not uasc".
func ParseCondition(s string) (Condition, error) {
	c := Condition{Name: strings.TrimSpace(s)}
	if rest, ok := strings.CutPrefix(c.Name, "not "); ok {
		c = Condition{Name: strings.TrimSpace(rest), Negated: true}
	}
	if !slices.Contains(Conditions, c.Name) {
		return Condition{}, fmt.Errorf("unknown condition %q (known: %s)", s, strings.Join(Conditions, ", "))
	}
	return c, nil
}

// check enforces what every definition, shipped or local, must have.
func (d Definition) check() error {
	switch {
	case !keyRE.MatchString(d.Key) || len(d.Key) > 80:
		return fmt.Errorf("key must be dot-separated [a-z0-9_] words, at most 80 characters")
	case d.Title == "" || len(d.Title) > 120:
		return fmt.Errorf("title must be 1 to 120 characters")
	case len(d.Description) > 2000:
		return fmt.Errorf("description is longer than 2000 characters")
	case !slices.Contains(Areas, d.Area):
		return fmt.Errorf("unknown area %q", d.Area)
	case !slices.Contains(Owners, d.Owner):
		return fmt.Errorf("unknown owner %q", d.Owner)
	}
	return nil
}

// index builds the key index and checks keys are unique and references resolve.
func (c *Catalogue) index() error {
	c.byKey = make(map[string]int, len(c.Definitions))
	for i, d := range c.Definitions {
		if _, dup := c.byKey[d.Key]; dup {
			return &keyError{d.Key, "is defined twice"}
		}
		c.byKey[d.Key] = i
	}
	for _, d := range c.Definitions {
		if err := c.checkAnchors(d); err != nil {
			return err
		}
	}
	return nil
}

// keyError is a problem with one definition of a catalogue.
type keyError struct{ key, problem string }

func (e *keyError) Error() string { return fmt.Sprintf("catalogue: milestone %q %s", e.key, e.problem) }

// checkAnchors follows the chain of "after" anchors from d: every link must exist and the
// chain must not come back on itself (each definition has at most one anchor).
func (c *Catalogue) checkAnchors(d Definition) error {
	for at, steps := d, 0; at.Due.Anchor == AnchorAfter; steps++ {
		next, ok := c.Lookup(at.Due.After)
		switch {
		case !ok:
			return &keyError{at.Key, fmt.Sprintf("is due after %q, which is not in the catalogue", at.Due.After)}
		case steps > len(c.Definitions):
			return &keyError{d.Key, `is part of a cycle of "after" rules`}
		}
		at = next
	}
	return nil
}
