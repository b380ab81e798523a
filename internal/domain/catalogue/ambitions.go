package catalogue

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/carepath/carepath/internal/errs"
)

// ambitionKeyRE is what an ambition's key may be: short, such as "A1" or "safe".
var ambitionKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$`)

// checkAmbitions adds a violation (with paths in the API's PathwaySettings) for each thing
// wrong with a council's ambitions: a bad or repeated key, a missing title, or a milestone
// this catalogue lacks. Check keys are the readiness package's to check.
func (c *Catalogue) checkAmbitions(as []Ambition, v *errs.Violations) {
	keys := map[string]bool{}
	for i, a := range as {
		field := fmt.Sprintf("ambitions[%d]", i)
		switch {
		case !ambitionKeyRE.MatchString(a.Key):
			v.Add(field+".key", "must be 1 to 20 letters, digits, '_', '.' or '-', such as A1")
		case keys[a.Key]:
			v.Add(field+".key", "is the key of an earlier ambition")
		}
		keys[a.Key] = true
		if a.Title == "" || len(a.Title) > 200 {
			v.Add(field+".title", "must be 1 to 200 characters")
		}
		for j, key := range a.Milestones {
			f := fmt.Sprintf("%s.milestones[%d]", field, j)
			if _, ok := c.Lookup(key); !ok {
				v.Add(f, "is not a milestone of the council's catalogue (shipped and not switched off, or local)")
			} else if slices.Index(a.Milestones, key) < j {
				v.Add(f, "is listed twice")
			}
		}
		for j, key := range a.Checks {
			if slices.Index(a.Checks, key) < j {
				v.Add(fmt.Sprintf("%s.checks[%d]", field, j), "is listed twice")
			}
		}
	}
}

// fittingAmbitions is the part of a council's ambitions that fits this catalogue: ambitions
// with a good, new key and a title, and of their milestones those the catalogue has. Planning
// uses it, so that settings a new catalogue version no longer fits still count.
func (c *Catalogue) fittingAmbitions(as []Ambition) []Ambition {
	var out []Ambition
	keys := map[string]bool{}
	for _, a := range as {
		if !ambitionKeyRE.MatchString(a.Key) || keys[a.Key] || a.Title == "" {
			continue
		}
		keys[a.Key] = true
		a.Milestones = slices.DeleteFunc(slices.Clone(a.Milestones), func(k string) bool { _, ok := c.Lookup(k); return !ok })
		out = append(out, a)
	}
	return out
}

// attachAmbitions gives c the ambitions, and each definition the keys of those it serves.
// c must be a catalogue of its own (from Effective), never the shipped one.
func (c *Catalogue) attachAmbitions(as []Ambition) {
	served := map[string][]string{}
	for _, a := range as {
		for _, key := range a.Milestones {
			if !slices.Contains(served[key], a.Key) {
				served[key] = append(served[key], a.Key)
			}
		}
	}
	for i := range c.Definitions {
		c.Definitions[i].Ambitions = served[c.Definitions[i].Key]
	}
	c.Ambitions = slices.Clone(as)
}

// Ambition returns the council's ambition with key.
func (c *Catalogue) Ambition(key string) (Ambition, bool) {
	i := slices.IndexFunc(c.Ambitions, func(a Ambition) bool { return a.Key == key })
	if i < 0 {
		return Ambition{}, false
	}
	return c.Ambitions[i], true
}
