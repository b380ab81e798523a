// Package measure is the catalogue of outcome measures a council's partnership board
// watches: what share of a cohort of young people had something done, as of any date. The
// catalogue is national, versioned data shipped in the binary (data/measures.yaml), like the
// milestone catalogue. Measures are a small language over what carepath already records:
// a cohort (ages on the date, and optionally having a milestone of a kind planned and due
// by then) and a count (a milestone achieved by then, by an age or within a window; a
// fact's value on the date; any milestone overdue on the date). Stores compute them set
// based (store.Measures); this package only describes and checks them.
package measure

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

// OfstedGroup is one of the parts of Ofsted's judgement of "the experiences and progress of
// care leavers" (ILACS, from 2023), by which a board report groups measures.
type OfstedGroup string

const (
	Relationships   OfstedGroup = "RELATIONSHIPS"
	Voice           OfstedGroup = "VOICE"
	Health          OfstedGroup = "HEALTH"
	LearningAndWork OfstedGroup = "LEARNING_AND_WORK"
	DecisionMaking  OfstedGroup = "DECISION_MAKING"
)

// OfstedGroups lists the groups in the order a report shows them.
var OfstedGroups = []OfstedGroup{Relationships, Voice, Health, LearningAndWork, DecisionMaking}

// Kind is what a measure counts among its cohort.
type Kind string

const (
	// Achieved counts young people who achieved one of the milestones by the date (and by
	// an age, or within a window before the date, if the measure says so).
	Achieved Kind = "ACHIEVED"
	// FactTrue counts young people whose latest record of a fact effective by the date says
	// yes.
	FactTrue Kind = "FACT"
	// Overdue counts young people with a milestone overdue on the date.
	Overdue Kind = "OVERDUE"
	// GreenAtReview counts young people who were green on the cliff edge on their 17½
	// birthday, as their records effective by then show (domain.ReadinessSummary's
	// RatingAtReview). With a cohort of ages from 17½, the birthday is on or before the date.
	GreenAtReview Kind = "GREEN_AT_REVIEW"
)

// Measure is one outcome measure.
type Measure struct {
	Key   string
	Title string
	// Ofsted is the part of the care-leaver judgement it informs.
	Ofsted OfstedGroup
	// Definition, Numerator and Denominator say in words what it counts; Source where it
	// comes from (the SSDA903 item where DfE defines one).
	Definition, Numerator, Denominator, Source string
	// LowerIsBetter is set for measures of what went wrong (milestones overdue).
	LowerIsBetter bool
	Cohort        Cohort
	Count         Count
}

// Cohort is who a measure is about on a date: young people of the council aged at least
// MinAge and under MaxAge then, who, if Milestone is set, have an applicable milestone of
// that key due on or before the date (so were looked after or care leavers when it was
// planned for them).
type Cohort struct {
	MinAge, MaxAge civil.Period
	Milestone      string
}

// Count is what a measure counts among its cohort.
type Count struct {
	Kind Kind
	// Milestones (Achieved): any of these keys.
	Milestones []string
	// ByAge (Achieved), if set: achieved before the young person attained this age.
	ByAge civil.Period
	// Within (Achieved), if set: achieved after the date less this period.
	Within civil.Period
	// Fact (FactTrue) is the fact's key.
	Fact string
}

// Milestones returns every milestone key the measure reads, cohort first: what ties it to
// a council's ambitions.
func (m Measure) Milestones() []string {
	var keys []string
	if m.Cohort.Milestone != "" {
		keys = append(keys, m.Cohort.Milestone)
	}
	for _, k := range m.Count.Milestones {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// Catalogue is a versioned list of measures.
type Catalogue struct {
	Version  string
	Measures []Measure
}

// Lookup returns the measure with the key.
func (c *Catalogue) Lookup(key string) (Measure, bool) {
	i := slices.IndexFunc(c.Measures, func(m Measure) bool { return m.Key == key })
	if i < 0 {
		return Measure{}, false
	}
	return c.Measures[i], true
}

//go:embed data/measures.yaml
var defaultYAML []byte

var defaultCatalogue = mustParse(defaultYAML)

// Default returns the catalogue shipped in the binary.
func Default() *Catalogue { return defaultCatalogue }

func mustParse(data []byte) *Catalogue {
	c, err := Parse(data)
	if err != nil {
		panic("measure: the shipped catalogue is invalid: " + err.Error()) // caught by tests
	}
	return c
}

type file struct {
	Version  string       `yaml:"version"`
	Measures []measureDoc `yaml:"measures"`
}

type measureDoc struct {
	Key           string      `yaml:"key"`
	Title         string      `yaml:"title"`
	Ofsted        OfstedGroup `yaml:"ofsted"`
	Definition    string      `yaml:"definition"`
	Numerator     string      `yaml:"numerator"`
	Denominator   string      `yaml:"denominator"`
	Source        string      `yaml:"source"`
	LowerIsBetter bool        `yaml:"lower_is_better"`
	Cohort        struct {
		Ages      string `yaml:"ages"`
		Milestone string `yaml:"milestone"`
	} `yaml:"cohort"`
	Count struct {
		Achieved []string `yaml:"achieved"`
		ByAge    string   `yaml:"by_age"`
		Within   string   `yaml:"within"`
		Fact     string   `yaml:"fact"`
		Overdue  bool     `yaml:"overdue"`
		// GreenAtReview: green on the cliff edge on the 17½ birthday.
		GreenAtReview bool `yaml:"green_at_review"`
	} `yaml:"count"`
}

// keyRE is what a measure's key may be: lower-case words joined by '.' or '_'.
var keyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.]{0,62}$`)

// Parse reads and checks a measure catalogue in YAML. Unknown keys are errors.
func Parse(data []byte) (*Catalogue, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	if f.Version == "" {
		return nil, fmt.Errorf("measure: no version")
	}
	c := &Catalogue{Version: f.Version}
	for _, d := range f.Measures {
		m, err := d.measure()
		if err != nil {
			return nil, fmt.Errorf("measure %q: %s", d.Key, Describe(err))
		}
		if strings.HasPrefix(m.Key, catalogue.LocalPrefix) {
			// The prefix is councils' own: no release may take a key one of them chose.
			return nil, fmt.Errorf("measure %q: shipped keys never start with %q", m.Key, catalogue.LocalPrefix)
		}
		if _, dup := c.Lookup(m.Key); dup {
			return nil, fmt.Errorf("measure %q: listed twice", m.Key)
		}
		c.Measures = append(c.Measures, m)
	}
	return c, nil
}

func (d measureDoc) measure() (Measure, error) {
	return Spec{Key: d.Key, Title: d.Title, Ofsted: string(d.Ofsted), Definition: d.Definition, Numerator: d.Numerator,
		Denominator: d.Denominator, Source: d.Source, LowerIsBetter: d.LowerIsBetter, Ages: d.Cohort.Ages,
		CohortMilestone: d.Cohort.Milestone, Achieved: d.Count.Achieved, ByAge: d.Count.ByAge, Within: d.Count.Within,
		Fact: d.Count.Fact, Overdue: d.Count.Overdue, GreenAtReview: d.Count.GreenAtReview}.Measure()
}

// Spec is a measure as written, in the shipped catalogue or a council's settings: one
// language, one check.
type Spec catalogue.MeasureSpec

// Measure checks the spec and returns its measure. Each problem is a violation on the
// field as a council's LocalMeasure names it ("ages", "achieved[1]"), or on no field when it
// is the measure as a whole (its count), so that the API and the catalogue file report the
// same thing in the same words.
func (d Spec) Measure() (Measure, error) {
	m := Measure{Key: d.Key, Title: d.Title, Ofsted: OfstedGroup(d.Ofsted), Definition: d.Definition, Numerator: d.Numerator,
		Denominator: d.Denominator, Source: d.Source, LowerIsBetter: d.LowerIsBetter}
	var v errs.Violations
	if !keyRE.MatchString(d.Key) {
		v.Add("key", "must be 1 to 63 lower-case letters, digits, '.' and '_', starting with a letter or digit")
	}
	for _, f := range []struct{ field, text string }{{"title", d.Title}, {"definition", d.Definition},
		{"numerator", d.Numerator}, {"denominator", d.Denominator}, {"source", d.Source}} {
		if strings.TrimSpace(f.text) == "" {
			v.Add(f.field, "is required")
		}
	}
	if !slices.Contains(OfstedGroups, m.Ofsted) {
		v.Add("ofsted_group", fmt.Sprintf("must be one of %v", OfstedGroups))
	}
	var err error
	agesOK := true
	if m.Cohort.MinAge, m.Cohort.MaxAge, err = ParseAges(d.Ages); err != nil {
		v.Add("ages", err.Error())
		agesOK = false
	}
	m.Cohort.Milestone = d.CohortMilestone
	kinds := 0
	if len(d.Achieved) > 0 {
		kinds++
		m.Count.Kind, m.Count.Milestones = Achieved, slices.Clone(d.Achieved)
		for j, k := range d.Achieved {
			switch {
			case k == "":
				v.Add(fmt.Sprintf("achieved[%d]", j), "is empty")
			case slices.Index(d.Achieved, k) < j:
				v.Add(fmt.Sprintf("achieved[%d]", j), "is listed twice")
			}
		}
		if m.Count.ByAge, err = parseOptionalAge(d.ByAge); err != nil {
			v.Add("by_age", err.Error())
		}
		if d.Within != "" {
			if m.Count.Within, err = civil.ParsePeriod(d.Within); err != nil {
				v.Add("within", err.Error())
			}
		}
		if d.ByAge != "" && d.Within != "" {
			// Stores check the earliest achievement against the age and the latest against
			// the window: both at once would need one achievement to meet both.
			v.Add("within", "cannot be used with by_age")
		}
	} else {
		if d.ByAge != "" {
			v.Add("by_age", "goes with achieved")
		}
		if d.Within != "" {
			v.Add("within", "goes with achieved")
		}
	}
	if d.Fact != "" {
		kinds++
		m.Count.Kind, m.Count.Fact = FactTrue, d.Fact
	}
	if d.Overdue {
		kinds++
		m.Count.Kind = Overdue
	}
	if d.GreenAtReview {
		kinds++
		m.Count.Kind = GreenAtReview
		if agesOK && months(m.Cohort.MinAge) < months(reviewAge) {
			// Before 17½ there is no rating at the review to count.
			v.Add("ages", "must start at 17y6m or over to count green_at_review")
		}
	}
	if kinds != 1 {
		v.Add("", "must count exactly one of achieved, fact, overdue or green_at_review")
	}
	return m, v.Err()
}

// Describe writes a check's error as one line, each problem after its field: for the
// catalogue file's errors, which no API caller reads field by field.
func Describe(err error) string {
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Violations) == 0 {
		return err.Error()
	}
	parts := make([]string, len(e.Violations))
	for i, x := range e.Violations {
		parts[i] = x.Description
		if x.Field != "" {
			parts[i] = x.Field + " " + x.Description
		}
	}
	return strings.Join(parts, "; ")
}

// Spec returns the measure as written: Spec().Measure() gives it back.
func (m Measure) Spec() Spec {
	out := Spec{Key: m.Key, Title: m.Title, Ofsted: string(m.Ofsted), Definition: m.Definition, Numerator: m.Numerator,
		Denominator: m.Denominator, Source: m.Source, LowerIsBetter: m.LowerIsBetter, CohortMilestone: m.Cohort.Milestone,
		Ages: formatAge(m.Cohort.MinAge) + " to " + formatAge(m.Cohort.MaxAge)}
	switch m.Count.Kind {
	case Achieved:
		out.Achieved = slices.Clone(m.Count.Milestones)
		if !m.Count.ByAge.IsZero() {
			out.ByAge = formatAge(m.Count.ByAge)
		}
		if !m.Count.Within.IsZero() {
			out.Within = m.Count.Within.String()
		}
	case FactTrue:
		out.Fact = m.Count.Fact
	case Overdue:
		out.Overdue = true
	case GreenAtReview:
		out.GreenAtReview = true
	}
	return out
}

// formatAge writes an age as parseAge reads it: "16" or "17y6m".
func formatAge(p civil.Period) string {
	if p.Months == 0 {
		return fmt.Sprint(p.Years)
	}
	return fmt.Sprintf("%dy%dm", p.Years, p.Months)
}

// Council returns the measures a council's board counts: the shipped ones, then its own.
// Its own were checked when saved; one that no longer reads (a later, stricter release) is
// left out rather than failing every report, and returned in dropped with why, for the
// caller to make known.
func Council(shipped *Catalogue, own []catalogue.MeasureSpec) (ms []Measure, dropped []Dropped) {
	ms = slices.Clip(shipped.Measures)
	for _, s := range own {
		m, err := Spec(s).Measure()
		if err != nil {
			dropped = append(dropped, Dropped{Key: s.Key, Err: err})
			continue
		}
		ms = append(ms, m)
	}
	return ms, dropped
}

// Dropped is a council's own measure Council left out: its key and the check's error.
type Dropped struct {
	Key string
	Err error
}

// CheckLocal checks a council's own measures against the shipped catalogue and what the
// council's pathways can hold: each key is local and used once, every milestone it reads
// is one milestone reports whether the council plans, and its fact one fact reports is
// known. It returns each problem with the index of the measure and the field.
func CheckLocal(ms []Measure, shipped *Catalogue, milestone, fact func(key string) bool) []Problem {
	var out []Problem
	seen := map[string]bool{}
	for i, m := range ms {
		switch _, clash := shipped.Lookup(m.Key); {
		case !strings.HasPrefix(m.Key, catalogue.LocalPrefix):
			out = append(out, Problem{i, "key", "must start with \"" + catalogue.LocalPrefix + "\""})
		case clash || seen[m.Key]:
			out = append(out, Problem{i, "key", "is already a measure's key"})
		}
		seen[m.Key] = true
		if k := m.Cohort.Milestone; k != "" && !milestone(k) {
			out = append(out, Problem{i, "cohort_milestone", "is not a milestone of the council's pathways"})
		}
		for j, k := range m.Count.Milestones {
			if !milestone(k) {
				out = append(out, Problem{i, fmt.Sprintf("achieved[%d]", j), "is not a milestone of the council's pathways"})
			}
		}
		if k := m.Count.Fact; k != "" && !fact(k) {
			out = append(out, Problem{i, "fact", "is not a fact carepath records"})
		}
	}
	return out
}

// Problem is what is wrong with a field of the measure at Index.
type Problem struct {
	Index       int
	Field       string
	Description string
}

// reviewAge is the age at which the cliff-edge review begins (domain/readiness).
var reviewAge = civil.Period{Years: 17, Months: 6}

// ParseAges reads an age range "16 to 18" (at least 16, under 18), each age a period of
// whole years and months such as "17y6m".
func ParseAges(s string) (lo, hi civil.Period, err error) {
	a, b, ok := strings.Cut(s, " to ")
	if !ok {
		return lo, hi, fmt.Errorf("ages must read \"MIN to MAX\", such as \"16 to 18\"")
	}
	if lo, err = parseAge(a); err != nil {
		return lo, hi, err
	}
	if hi, err = parseAge(b); err != nil {
		return lo, hi, err
	}
	if months(hi) <= months(lo) {
		return lo, hi, fmt.Errorf("the ages %q are an empty range", s)
	}
	return lo, hi, nil
}

func parseOptionalAge(s string) (civil.Period, error) {
	if s == "" {
		return civil.Period{}, nil
	}
	return parseAge(s)
}

// parseAge reads an age of whole years and months ("16", "17y6m"), which is all stores
// compare birthdays with.
func parseAge(s string) (civil.Period, error) {
	s = strings.TrimSpace(s)
	if s != "" && !strings.ContainsAny(s, "ymwd") {
		s += "y"
	}
	p, err := civil.ParsePeriod(s)
	if err != nil {
		return p, err
	}
	if p.Days != 0 || months(p) > 25*12 {
		return p, fmt.Errorf("an age is whole years and months up to 25: %q", s)
	}
	return p, nil
}

// Months is the length of an age in months (ages here have no days).
func Months(p civil.Period) int { return months(p) }

func months(p civil.Period) int { return 12*p.Years + p.Months }

// MonthEnds returns the last day of each month from from's month to to's, the last capped
// at to: the dates of a monthly series.
func MonthEnds(from, to civil.Date) []civil.Date {
	var out []civil.Date
	for y, m := from.Year, from.Month; y < to.Year || y == to.Year && m <= to.Month; {
		d := civil.New(y, m, civil.DaysIn(y, m))
		if d.After(to) {
			d = to
		}
		out = append(out, d)
		if m++; m > 12 {
			y, m = y+1, 1
		}
	}
	return out
}
