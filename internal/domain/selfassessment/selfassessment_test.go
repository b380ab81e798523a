package selfassessment

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/domain/readiness"
)

func TestCatalogueIsWellFormed(t *testing.T) {
	keyPattern := regexp.MustCompile(`^[a-z][a-z_]{0,30}\.[a-z][a-z_]{0,40}$`)
	all := All()
	if len(all) != 8 {
		t.Fatalf("%d checklists, want 8", len(all))
	}
	seen := map[string]bool{}
	for _, c := range all {
		if len(c.Items) < 4 || len(c.Items) > 6 {
			t.Errorf("%s has %d items, want 4 to 6", c.Area, len(c.Items))
		}
		for _, it := range c.Items {
			if seen[it.Key] || !keyPattern.MatchString(it.Key) || !strings.HasPrefix(it.Key, c.Area+".") {
				t.Errorf("bad or repeated key %q", it.Key)
			}
			seen[it.Key] = true
			if !strings.HasPrefix(it.Statement, "I ") || len(strings.Fields(it.Statement)) > 20 {
				t.Errorf("%s: not a short \"I ...\" sentence: %q", it.Key, it.Statement)
			}
		}
	}
	for _, f := range Facts() {
		if _, ok := readiness.LookupFact(f); !ok {
			t.Errorf("%s is not a readiness fact", f)
		}
	}
}

func TestConfirmed(t *testing.T) {
	finances, _ := Lookup(Finances)
	canDo := map[string]bool{}
	for _, it := range finances.Items[:len(finances.Items)-1] {
		canDo[it.Key] = true
	}
	got := Confirmed(canDo)
	if got[readiness.FactBudgeting] || got[readiness.FactEntitlements] || finances.Complete(canDo) {
		t.Errorf("one item short: %v", got)
	}
	canDo[finances.Items[len(finances.Items)-1].Key] = true
	got = Confirmed(canDo)
	if !got[readiness.FactBudgeting] || !got[readiness.FactEntitlements] || got[readiness.FactOutOfHours] || !finances.Complete(canDo) {
		t.Errorf("all finances ticked: %v", got)
	}
	// Out-of-hours needs the two contingency items, from two lists, and nothing else.
	got = Confirmed(map[string]bool{"relationships.who_to_call_at_night": true, "housing.leave_in_a_hurry": true})
	if !got[readiness.FactOutOfHours] || got[readiness.FactTenancyTraining] {
		t.Errorf("contingency items: %v", got)
	}
	if h, _ := Lookup(Housing); !slices.Equal(h.FactsOf(), []string{readiness.FactTenancyTraining, readiness.FactOutOfHours}) {
		t.Errorf("housing facts %v", h.FactsOf())
	}
	if _, ok := LookupItem("finances.weekly_budget"); !ok {
		t.Error("LookupItem")
	}
	if _, ok := LookupItem("finances.nothing"); ok {
		t.Error("LookupItem of an unknown key")
	}
}
