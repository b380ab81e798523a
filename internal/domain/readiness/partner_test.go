package readiness

import (
	"regexp"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
)

func (p *person) schedule(key string, on civil.Date) *person {
	for i := range p.in.Milestones {
		if m := &p.in.Milestones[i]; m.Key == key {
			m.State, m.ScheduledDate = domain.Scheduled, on
		}
	}
	return p
}

func factorOf(r PartnerReadiness, key string) Factor {
	for _, f := range r.Factors {
		if f.Key == key {
			return f
		}
	}
	panic("no factor " + key)
}

func failingFactors(r PartnerReadiness) []string {
	var out []string
	for _, f := range r.Factors {
		if f.Status == Fail {
			out = append(out, f.Key)
		}
	}
	return out
}

func TestHousingReadiness(t *testing.T) {
	// Ready, moving on the 18th birthday (the catalogue's default for the move).
	ready := newPerson(t, seventeen10, residential).everything().open("housing.tenancy.start")
	r := Housing(ready.in)
	eighteenth := civil.Attains(ready.in.YoungPerson.DateOfBirth, eighteen, rule)
	if r.Rating != domain.Green || r.NeedDate != eighteenth || r.PlannedMoveDate != eighteenth || len(failingFactors(r)) != 0 {
		t.Fatalf("ready: %s need %s move %s failing %v: %s", r.Rating, r.NeedDate, r.PlannedMoveDate, failingFactors(r), r.Explanation)
	}
	if f := factorOf(r, "income"); len(f.Provenance) != 2 || f.Provenance[0].Source != "MILESTONE" || f.Provenance[0].Organisation != "council" {
		t.Errorf("income provenance %+v", f.Provenance)
	}
	if f := factorOf(r, "tenancy_training"); len(f.Provenance) != 1 || f.Provenance[0].EvidenceType != domain.DocumentSeen {
		t.Errorf("tenancy training provenance %+v", f.Provenance)
	}
	if f := factorOf(r, "priority_need"); !strings.Contains(f.Detail, "under 21") {
		t.Errorf("priority need: %q", f.Detail)
	}
	if f := factorOf(r, "safety_planning"); f.Detail != "Safety planning for where they live is needed." {
		t.Errorf("safety planning: %q", f.Detail) // everything() records every fact as yes
	}

	// Moving in a month without tenancy training: amber (not a hard factor).
	move := asOf.AddDays(30)
	soft := newPerson(t, civil.Period{Years: 17, Months: 6}, residential).everything().schedule("housing.tenancy.start", move)
	soft.in.Facts = soft.in.Facts[:0]
	soft.fact(FactNINumber, true, asOf).fact(FactOutOfHours, true, asOf).fact(FactSafetyPlanning, false, asOf)
	r = Housing(soft.in)
	if r.Rating != domain.Amber || r.NeedDate != move || strings.Join(failingFactors(r), ",") != "tenancy_training" {
		t.Fatalf("no tenancy training, moving in a month: %s need %s failing %v", r.Rating, r.NeedDate, failingFactors(r))
	}
	if f := factorOf(r, "tenancy_training"); f.NeededBy != move || f.Overdue {
		t.Errorf("tenancy training factor %+v", f)
	}
	if f := factorOf(r, "safety_planning"); f.Status != Pass || f.Detail != "Safety planning for where they live is not needed." {
		t.Errorf("safety planning %+v", f)
	}

	// Moving in a month without income arranged: red, though nothing is overdue yet.
	hard := newPerson(t, civil.Period{Years: 17, Months: 6}, residential).everything().
		schedule("housing.tenancy.start", move).open("age17_9.income.plan")
	r = Housing(hard.in)
	if r.Rating != domain.Red || r.Rule != RuleHardNear18 || strings.Join(failingFactors(r), ",") != "income" {
		t.Fatalf("no income, moving in a month: %s %s failing %v", r.Rating, r.Rule, failingFactors(r))
	}

	// At 22, the route to priority need is an assessment.
	older := newPerson(t, civil.Period{Years: 22}, residential).everything()
	if f := factorOf(Housing(older.in), "priority_need"); !strings.Contains(f.Detail, "vulnerability") {
		t.Errorf("priority need at 22: %q", f.Detail)
	}
}

func TestEmploymentReadiness(t *testing.T) {
	p := newPerson(t, seventeen10, residential, func(yp *domain.YoungPerson) { yp.InEducationOrTraining = true }).everything()
	r := Employment(p.in)
	if r.Rating != domain.Green || !r.PlannedMoveDate.IsZero() {
		t.Fatalf("ready: %s %v %s", r.Rating, failingFactors(r), r.Explanation)
	}
	if f := factorOf(r, "activity"); f.Detail != "In education or training." {
		t.Errorf("activity %q", f.Detail)
	}
	if f := factorOf(r, "apprenticeship_bursary"); !strings.HasPrefix(f.Detail, "Eligible") {
		t.Errorf("bursary %q", f.Detail)
	}
	p.in.Facts = p.in.Facts[:0]
	p.fact(FactNINumber, true, asOf)
	r = Employment(p.in)
	if r.Rating != domain.Amber || strings.Join(failingFactors(r), ",") != "right_to_work" {
		t.Fatalf("without right to work checked: %s %v", r.Rating, failingFactors(r))
	}
	r = Employment(p.open("age17.bank_account").in)
	if r.Rating != domain.Red || r.Rule != RuleOverdue {
		t.Fatalf("without a bank account (due at 17): %s %s", r.Rating, r.Rule)
	}
}

// What partners read explains itself in words: a housing officer has no copy of the
// documents carepath was designed from.
func TestPartnerTextNamesNoInternalDocument(t *testing.T) {
	internal := regexp.MustCompile(`(?i)brief|\b1[0-9]\.[0-9]\b`)
	for _, purpose := range []domain.Purpose{domain.PurposeHousing, domain.PurposeEmployment} {
		for key, source := range FactorSources(purpose) {
			if internal.MatchString(source) || len(source) < 20 {
				t.Errorf("%s factor %s: source %q does not explain itself", purpose, key, source)
			}
		}
	}
	for _, k := range FactKinds {
		if internal.MatchString(k.Source) {
			t.Errorf("fact %s: source %q cites an internal document", k.Key, k.Source)
		}
	}
	// Every answer's words, ready or not.
	for _, p := range []*person{newPerson(t, seventeen10, residential), newPerson(t, seventeen10, residential).everything()} {
		for _, r := range []PartnerReadiness{Housing(p.in), Employment(p.in)} {
			text := []string{r.Explanation}
			for _, f := range r.Factors {
				text = append(text, f.Reason, f.Detail)
			}
			for _, s := range text {
				if internal.MatchString(s) {
					t.Errorf("%s readiness says %q", r.Purpose, s)
				}
			}
		}
	}
	for _, c := range Checks {
		for _, s := range append([]string{c.Basis}, c.Sources...) {
			if internal.MatchString(s) {
				t.Errorf("check %s cites an internal document: %q", c.Key, s)
			}
		}
	}
}
