package catalogue

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/carepath/carepath/internal/domain/civil"
)

// Anchor is what a due rule counts from.
type Anchor uint8

const (
	// AnchorAge is the day the young person attains an age.
	AnchorAge Anchor = iota + 1
	// AnchorAfter is the day another milestone was achieved.
	AnchorAfter
	// AnchorLeftCare is the day the young person ceased to be looked after.
	AnchorLeftCare
	// AnchorEligible is the day the young person became eligible (or relevant without having
	// been eligible): the leaving-care duties run from it, not from the 16th birthday alone.
	AnchorEligible
)

// DueRule says when a milestone is due. The language, one rule per milestone:
//
//	age P              on the day age P is attained             age 16, age 15y9m
//	age P + Q          Q after that day                          age 16 + 3m
//	age P - Q          Q before it                               age 18 - 6m
//	after KEY [+ Q]    Q after milestone KEY was achieved        after housing.tenancy.start + 7d
//	left_care [+ Q]    Q after the young person left care        left_care + 3m
//	eligible [+ Q]     Q after the young person became eligible  eligible + 3m
//	                   (or relevant without being eligible)
//
// Any of these may go on with "every Q" (recurring, first due at the anchor), and then with
// "until age P": a recurring milestone has no occurrence from that age, and any milestone
// not done by then lapses (it is no longer overdue; the record keeps it as not done). An
// occurrence of a recurring milestone also lapses when the next one is due, and everything
// lapses at 25, when support ends.
// Periods are numbers with units y, m, w, d, largest first: 16, 15y9m, 6m, 2w, 60d.
type DueRule struct {
	Anchor Anchor
	Age    civil.Period // AnchorAge
	After  string       // AnchorAfter: a milestone key
	Offset civil.Period
	Before bool // the offset is subtracted
	Every  civil.Period
	Until  civil.Period // an age; zero means 25
}

var (
	keyPattern  = `[a-z0-9_]+(?:\.[a-z0-9_]+)*`
	periodRE    = `[0-9]+[ymwd]?(?:[0-9]+[ymwd])*`
	dueRuleExpr = regexp.MustCompile(`^(?:age (?P<age>` + periodRE + `)|after (?P<after>` + keyPattern + `)|(?P<left>left_care)|(?P<eligible>eligible))` +
		`(?: (?P<sign>[+-]) (?P<offset>` + periodRE + `))?` +
		`(?: every (?P<every>` + periodRE + `))?(?: until age (?P<until>` + periodRE + `))?$`)
	keyRE = regexp.MustCompile(`^` + keyPattern + `$`)
)

// ParseDueRule reads a rule in the language above.
func ParseDueRule(s string) (DueRule, error) {
	m := dueRuleExpr.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return DueRule{}, fmt.Errorf("due rule %q is not of the form `age P [+|- Q] [every Q [until age P]]`, `after KEY [+ Q] ...`, `left_care [+ Q] ...` or `eligible [+ Q] ...`", s)
	}
	part := func(name string) string { return m[dueRuleExpr.SubexpIndex(name)] }
	var r DueRule
	var err error
	period := func(name string) civil.Period {
		if err != nil || part(name) == "" {
			return civil.Period{}
		}
		var p civil.Period
		p, err = civil.ParsePeriod(part(name))
		return p
	}
	switch {
	case part("age") != "":
		r.Anchor, r.Age = AnchorAge, period("age")
	case part("after") != "":
		r.Anchor, r.After = AnchorAfter, part("after")
	case part("eligible") != "":
		r.Anchor = AnchorEligible
	default:
		r.Anchor = AnchorLeftCare
	}
	r.Offset, r.Before = period("offset"), part("sign") == "-"
	r.Every, r.Until = period("every"), period("until")
	switch {
	case err != nil:
		return DueRule{}, fmt.Errorf("due rule %q: %w", s, err)
	case r.Before && r.Anchor != AnchorAge:
		return DueRule{}, fmt.Errorf("due rule %q: only an age can be counted back from", s)
	case part("every") != "" && r.Every.IsZero():
		return DueRule{}, fmt.Errorf("due rule %q: a recurrence needs a period longer than zero", s)
	}
	return r, nil
}

// String writes the rule back in the language.
func (r DueRule) String() string {
	var b strings.Builder
	switch r.Anchor {
	case AnchorAge:
		b.WriteString("age " + r.Age.String())
	case AnchorAfter:
		b.WriteString("after " + r.After)
	case AnchorLeftCare:
		b.WriteString("left_care")
	case AnchorEligible:
		b.WriteString("eligible")
	}
	if !r.Offset.IsZero() {
		sign := " + "
		if r.Before {
			sign = " - "
		}
		b.WriteString(sign + r.Offset.String())
	}
	if !r.Every.IsZero() {
		b.WriteString(" every " + r.Every.String())
	}
	if !r.Until.IsZero() {
		b.WriteString(" until age " + r.Until.String())
	}
	return b.String()
}

// Recurring reports whether the rule repeats.
func (r DueRule) Recurring() bool { return !r.Every.IsZero() }
