package readiness

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/pathway"
)

const rule = civil.MarchFirst

// asOf is the day every fixture is assessed on, unless a test says otherwise.
var asOf = civil.New(2026, 11, 22)

// person is a fixture: a young person in foster or residential care from 14, with the
// pathway the shipped catalogue plans for them.
type person struct {
	t  *testing.T
	in Input
}

func newPerson(t *testing.T, age civil.Period, placement string, change ...func(*domain.YoungPerson)) *person {
	t.Helper()
	dob := asOf.Sub(age, rule)
	yp := domain.YoungPerson{ID: "yp-1", CouncilID: "council", DateOfBirth: dob, PersonalAdviserID: "pa-1"}
	for _, c := range change {
		c(&yp)
	}
	p := &person{t: t, in: Input{YoungPerson: yp, AsOf: asOf, Rule: rule,
		Episodes: []domain.CareEpisode{{Start: civil.Attains(dob, civil.Period{Years: 14}, rule), LegalStatus: "C2", PlacementType: placement}}}}
	p.plan()
	return p
}

// plan replaces the milestones with the catalogue's plan, keeping what was recorded.
func (p *person) plan() {
	achieved := map[string]civil.Date{}
	for _, m := range p.in.Milestones {
		if m.State == domain.Achieved && m.AchievedDate.After(achieved[m.Key]) {
			achieved[m.Key] = m.AchievedDate
		}
	}
	old := p.in.Milestones
	p.in.Milestones = nil
	for _, pl := range pathway.Plan(catalogue.Default(), pathway.Input{YoungPerson: p.in.YoungPerson,
		Episodes: p.in.Episodes, Achieved: achieved, Rule: rule}) {
		m := domain.Milestone{ID: fmt.Sprintf("%s-%d", pl.Key, pl.Occurrence), YoungPersonID: p.in.YoungPerson.ID,
			CouncilID: "council", Key: pl.Key, Occurrence: pl.Occurrence, Title: pl.Title, DueDate: pl.Due,
			LapseDate: pl.Lapse, Applicable: true, State: domain.Planned}
		if i := slices.IndexFunc(old, func(o domain.Milestone) bool { return o.ID == m.ID }); i >= 0 {
			m.State, m.AchievedDate, m.Evidence = old[i].State, old[i].AchievedDate, old[i].Evidence
		}
		p.in.Milestones = append(p.in.Milestones, m)
	}
}

// everything is everythingBy(asOf).
func (p *person) everything() *person { return p.everythingBy(asOf) }

// everythingBy achieves every milestone due by the 18th birthday, on its due date or, for
// those due later, early on day; and records every fact as true a month before asOf. It
// replans after each round, since milestones timed from others (the plan's reviews) are
// planned only once those are done.
func (p *person) everythingBy(day civil.Date) *person {
	eighteenth := civil.Attains(p.in.YoungPerson.DateOfBirth, eighteen, rule)
	for planned := -1; planned != len(p.in.Milestones); {
		planned = len(p.in.Milestones)
		for i := range p.in.Milestones {
			m := &p.in.Milestones[i]
			if !m.DueDate.After(eighteenth) && m.State != domain.Achieved {
				m.State, m.AchievedDate = domain.Achieved, m.DueDate
				if m.DueDate.After(day) {
					m.AchievedDate = day
				}
			}
		}
		p.plan()
	}
	for _, k := range FactKinds {
		p.fact(k.Key, true, asOf.AddDays(-30))
	}
	return p
}

func (p *person) fact(key string, value bool, on civil.Date) *person {
	n := len(p.in.Facts)
	p.in.Facts = append(p.in.Facts, domain.Fact{ID: fmt.Sprintf("f%02d", n), YoungPersonID: "yp-1", Key: key, Value: value,
		EffectiveDate: on, EvidenceType: domain.DocumentSeen, RecordedBy: "pa-1", OrganisationID: "council",
		RecordTime: time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC)})
	return p
}

// open reopens every occurrence of key.
func (p *person) open(key string) *person { return p.openAfter(key, civil.Date{}) }

// openAfter reopens the occurrences of key due after day.
func (p *person) openAfter(key string, day civil.Date) *person {
	for i := range p.in.Milestones {
		if m := &p.in.Milestones[i]; m.Key == key && m.DueDate.After(day) {
			m.State, m.AchievedDate = domain.Planned, civil.Date{}
		}
	}
	return p
}

func (p *person) at(day civil.Date) Input {
	in := p.in
	in.AsOf = day
	return in
}

func failing(a Assessment) []string {
	var out []string
	for _, c := range a.Checks {
		if c.Status == Fail {
			out = append(out, c.Check.Key)
		}
	}
	return out
}

func statusOf(a Assessment, key string) CheckResult {
	for _, c := range a.Checks {
		if c.Check.Key == key {
			return c
		}
	}
	panic("no check " + key)
}

var (
	foster      = "U3"
	residential = "K2"
	seventeen10 = civil.Period{Years: 17, Months: 10}
)

func uasc(yp *domain.YoungPerson)        { yp.UnaccompaniedAsylumSeekingChild = true }
func camhs(yp *domain.YoungPerson)       { yp.OpenToCAMHS = true }
func unallocated(yp *domain.YoungPerson) { yp.PersonalAdviserID = "" }

// TestCliffEdgeFixtures gives young people with known answers and expects exactly their
// checks and colours.
func TestCliffEdgeFixtures(t *testing.T) {
	for _, c := range []struct {
		name    string
		in      Input
		rating  domain.Rating
		rule    string
		failing []string
	}{
		{"ready at 17y10m", newPerson(t, seventeen10, residential).everything().in, domain.Green, RuleAllPass, nil},
		{"ready, UASC", newPerson(t, seventeen10, residential, uasc).everything().in, domain.Green, RuleAllPass, nil},
		{"one gap, not yet needed: contingency at 17y7m",
			newPerson(t, civil.Period{Years: 17, Months: 7}, residential).everything().fact(FactOutOfHours, false, asOf).in,
			domain.Amber, RuleNotReady, []string{"contingency"}},
		{"one gap, overdue: accommodation at 17y10m",
			newPerson(t, seventeen10, residential).everything().open("age17_9.accommodation.confirmed").in,
			domain.Red, RuleOverdue, []string{"accommodation"}},
		{"hard gap near 18: income due at 17y9m not done at 17y7m... is amber",
			newPerson(t, civil.Period{Years: 17, Months: 7}, residential).everything().open("age17_9.income.plan").in,
			domain.Amber, RuleNotReady, []string{"income"}},
		{"hard gap within three months of 18 is red even before it is overdue",
			newPerson(t, civil.Period{Years: 17, Months: 9, Days: -1}, residential).everything().open("age17_9.income.plan").in,
			domain.Amber, RuleNotReady, []string{"income"}},
		{"many gaps at 17y10m", newPerson(t, seventeen10, residential, unallocated).in, domain.Red, RuleOverdue,
			[]string{"plan_reviewed", "personal_adviser", "accommodation", "income", "identity", "health",
				"education_employment", "money_and_skills", "contingency"}},
		{"UASC with immigration status unknown", newPerson(t, seventeen10, residential, uasc).everything().
			fact(FactImmigrationStatus, false, asOf).in, domain.Red, RuleOverdue, []string{"immigration"}},
		{"staying put agreed", newPerson(t, seventeen10, foster).everything().in, domain.Green, RuleAllPass, nil},
		{"staying put decided but not signed", newPerson(t, seventeen10, foster).everything().
			open("age17_9.staying_put.agreement").in, domain.Red, RuleOverdue, []string{"accommodation"}},
		{"open to CAMHS without a transfer plan", newPerson(t, seventeen10, residential, camhs).everything().
			open("health.camhs_transfer_plan").in, domain.Red, RuleOverdue, []string{"health"}},
		{"over 21, everything done", newPerson(t, civil.Period{Years: 22}, residential).everything().in,
			domain.Green, RuleAllPass, nil},
		{"over 21 without a bank account", newPerson(t, civil.Period{Years: 22}, residential).everything().
			open("age17.bank_account").in, domain.Red, RuleOverdue, []string{"income"}},
		{"13 with nothing due", newPerson(t, civil.Period{Years: 13, Months: 1}, residential, unallocated).in,
			domain.Green, RuleNothingFailed, nil},
		{"over 25", newPerson(t, civil.Period{Years: 25, Months: 1}, residential).in, domain.Green, RuleSupportEnded, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := CliffEdge(c.in)
			if a.Rating != c.rating || a.Rule != c.rule || !slices.Equal(failing(a), c.failing) {
				t.Errorf("got %s (%s) failing %v, want %s (%s) failing %v\n%s", a.Rating, a.Rule, failing(a),
					c.rating, c.rule, c.failing, a.Explanation)
				for _, r := range a.Checks {
					if r.Status == Fail {
						t.Logf("  %s: %s", r.Check.Key, r.Reason)
					}
				}
			}
		})
	}
}

func TestHardChecksTurnRedWithinThreeMonthsOf18(t *testing.T) {
	// Income (a hard check) is due at 17y9m. Asked on that day it is due, not overdue, yet
	// red: the 18th birthday is three months away. The day before, amber.
	dob := asOf.Sub(civil.Period{Years: 17}, rule)
	day := civil.Attains(dob, hardFrom, rule)
	q := newPerson(t, civil.Period{Years: 17}, residential).everythingBy(day.AddDays(-1)).open("age17_9.income.plan")
	a := CliffEdge(q.at(day))
	if a.Rating != domain.Red || a.Rule != RuleHardNear18 || !slices.Equal(failing(a), []string{"income"}) {
		t.Fatalf("income due today at 17y9m: %s %s %v", a.Rating, a.Rule, failing(a))
	}
	a = CliffEdge(q.at(day.AddDays(-1)))
	if a.Rating != domain.Amber || !slices.Equal(failing(a), []string{"income"}) {
		t.Fatalf("the day before 17y9m: %s %s %v", a.Rating, a.Rule, failing(a))
	}
	// A soft check in the same position stays amber.
	at176 := civil.Attains(dob, civil.Period{Years: 17, Months: 6}, rule)
	r := newPerson(t, civil.Period{Years: 17}, residential).everythingBy(at176).open("age17_6.local_offer.share")
	if a := CliffEdge(r.at(at176)); a.Rating != domain.Amber ||
		!slices.Equal(failing(a), []string{"money_and_skills"}) {
		t.Fatalf("local offer due today at 17y6m: %s %s %v", a.Rating, a.Rule, failing(a))
	}
}

func TestReviewWindowLooksAheadTo18(t *testing.T) {
	// At 17y5m only what is due counts; from 17y6m what is due by 18 counts too.
	p := newPerson(t, civil.Period{Years: 17, Months: 5}, residential).everything().open("age17_9.accommodation.confirmed")
	dob := p.in.YoungPerson.DateOfBirth
	before := CliffEdge(p.at(civil.Attains(dob, civil.Period{Years: 17, Months: 6}, rule).AddDays(-1)))
	if before.Rating != domain.Green || statusOf(before, "accommodation").Status != Pass {
		t.Fatalf("the day before 17y6m: %s, accommodation %s", before.Rating, statusOf(before, "accommodation").Status)
	}
	from := CliffEdge(p.at(civil.Attains(dob, civil.Period{Years: 17, Months: 6}, rule)))
	acc := statusOf(from, "accommodation")
	if from.Rating != domain.Amber || acc.Status != Fail || acc.Overdue ||
		acc.FixBy != civil.Attains(dob, civil.Period{Years: 17, Months: 9}, rule) || acc.Check.Owner != "CHILDRENS_SOCIAL_CARE" {
		t.Fatalf("at 17y6m: %s, accommodation %+v", from.Rating, acc)
	}
	if from.CheckDate != civil.Attains(dob, eighteen, rule) || before.ValidUntil != civil.Attains(dob, civil.Period{Years: 17, Months: 6}, rule) {
		t.Errorf("check date %s, valid until %s", from.CheckDate, before.ValidUntil)
	}
}

func TestAnswersAsOfAnyDate(t *testing.T) {
	p := newPerson(t, seventeen10, residential).everything()
	// A bank account opened today was not open a week ago.
	for i := range p.in.Milestones {
		if p.in.Milestones[i].Key == "age17.bank_account" {
			p.in.Milestones[i].AchievedDate = asOf
		}
	}
	if a := CliffEdge(p.at(asOf)); a.Rating != domain.Green {
		t.Fatalf("today: %s %v", a.Rating, failing(a))
	}
	if a := CliffEdge(p.at(asOf.AddDays(-7))); !slices.Equal(failing(a), []string{"income"}) {
		t.Fatalf("a week ago: %v", failing(a))
	}
	// A fact recorded as no after it was yes: the latest record wins, from its date.
	p.fact(FactOutOfHours, false, asOf.AddDays(-2))
	if a := CliffEdge(p.at(asOf)); !slices.Equal(failing(a), []string{"contingency"}) || a.Rating != domain.Red {
		t.Fatalf("after a no: %s %v", a.Rating, failing(a))
	}
	if a := CliffEdge(p.at(asOf.AddDays(-3))); slices.Contains(failing(a), "contingency") {
		t.Fatalf("before the no was effective: %v", failing(a))
	}
	// The plan's review ages out after six months.
	q := newPerson(t, civil.Period{Years: 17, Months: 2}, residential).everything().openAfter("plan.review", asOf)
	last := civil.Date{}
	for _, m := range q.in.Milestones {
		if (m.Key == "plan.review" || m.Key == "age16.pathway_plan") && m.State == domain.Achieved && m.AchievedDate.After(last) {
			last = m.AchievedDate
		}
	}
	expiry := last.Add(civil.Period{Months: 6}, rule)
	if a := CliffEdge(q.at(expiry.AddDays(-1))); statusOf(a, "plan_reviewed").Status != Pass {
		t.Fatalf("the day before the review ages out: %+v", statusOf(a, "plan_reviewed"))
	}
	if a := CliffEdge(q.at(expiry.AddDays(1))); statusOf(a, "plan_reviewed").Status != Fail || !statusOf(a, "plan_reviewed").Overdue {
		t.Fatalf("the day after: %+v", statusOf(a, "plan_reviewed"))
	}
}

// TestValidUntilIsSound assesses each fixture on every day up to its ValidUntil: the
// summary must not change before then (it may change on that day, or not).
func TestValidUntilIsSound(t *testing.T) {
	for _, p := range []*person{
		newPerson(t, civil.Period{Years: 17, Months: 3}, residential),
		newPerson(t, civil.Period{Years: 17, Months: 5}, foster).everything().open("age17_9.accommodation.confirmed"),
		newPerson(t, civil.Period{Years: 16}, residential, uasc),
		newPerson(t, civil.Period{Years: 20, Months: 11}, residential).everything().open("age17.bank_account"),
		newPerson(t, civil.Period{Years: 24, Months: 11, Days: 20}, residential).everything(),
	} {
		day := asOf
		for range 20 { // follow the chain of ValidUntil for a while
			a := CliffEdge(p.at(day))
			want := a.Summary(p.in.YoungPerson)
			if a.ValidUntil == forever {
				break
			}
			if !a.ValidUntil.After(day) {
				t.Fatalf("ValidUntil %s is not after %s", a.ValidUntil, day)
			}
			for d := day.AddDays(1); d.Before(a.ValidUntil); d = d.AddDays(1) {
				got := CliffEdge(p.at(d)).Summary(p.in.YoungPerson)
				got.AssessedOn, got.ValidUntil = want.AssessedOn, want.ValidUntil
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("assessed on %s (valid until %s), the answer changed on %s:\n%s", day, a.ValidUntil, d, diff)
				}
			}
			day = a.ValidUntil
		}
	}
}

func TestSummary(t *testing.T) {
	p := newPerson(t, seventeen10, residential).everything().open("age17_9.accommodation.confirmed").
		fact(FactOutOfHours, false, asOf)
	// The council's ambitions say which checks serve them.
	p.in.Ambitions = []catalogue.Ambition{{Key: "safe", Title: "Safe", Checks: []string{"contingency", "accommodation"}},
		{Key: "healthy", Title: "Healthy", Checks: []string{"health"}}, {Key: "A5", Title: "Transition", Checks: []string{"contingency"}}}
	a := CliffEdge(p.in)
	if got := a.Checks[slices.IndexFunc(a.Checks, func(r CheckResult) bool { return r.Check.Key == "contingency" })].Ambitions; !slices.Equal(got, []string{"safe", "A5"}) {
		t.Errorf("the contingency check serves %v, want [safe A5]", got)
	}
	s := a.Summary(p.in.YoungPerson)
	due := civil.Attains(p.in.YoungPerson.DateOfBirth, hardFrom, rule)
	if s.Rating != domain.Red || !slices.Equal(s.FailingChecks, []string{"accommodation", "contingency"}) ||
		!slices.Equal(s.FailingAmbitions, []string{"A5", "safe"}) || s.FixBy != due || s.Version != Version ||
		s.EighteenthBirthday != civil.Attains(p.in.YoungPerson.DateOfBirth, eighteen, rule) || s.CouncilID != "council" {
		t.Fatalf("summary %+v", s)
	}
}

func TestEveryRequirementNamesSomethingReal(t *testing.T) {
	for _, c := range Checks {
		if len(c.Sources) == 0 || c.Basis == "" || !slices.Contains(catalogue.Owners, c.Owner) {
			t.Errorf("check %s lacks a source, basis or a known owner", c.Key)
		}
		for _, r := range c.Requirements {
			switch {
			case r.Milestone != "":
				if _, ok := catalogue.Default().Lookup(r.Milestone); !ok {
					t.Errorf("check %s needs milestone %s, which the catalogue lacks", c.Key, r.Milestone)
				}
			case r.Fact != "":
				if _, ok := LookupFact(r.Fact); !ok {
					t.Errorf("check %s needs unknown fact %s", c.Key, r.Fact)
				}
			}
		}
	}
	for _, p := range []domain.Purpose{domain.PurposeHousing, domain.PurposeEmployment} {
		for _, d := range factorsFor(p) {
			for _, r := range d.requirements {
				if k, ok := LookupFact(r.Fact); r.Fact != "" && (!ok || !k.VisibleTo(p)) {
					t.Errorf("%s factor %s uses fact %s, which %s partners may not see", p, d.key, r.Fact, p)
				}
				if _, ok := catalogue.Default().Lookup(r.Milestone); r.Milestone != "" && !ok {
					t.Errorf("%s factor %s needs unknown milestone %s", p, d.key, r.Milestone)
				}
			}
		}
	}
}

// TestAtReview is the rating on the 17½ birthday from the records effective by then: an
// accommodation confirmed later does not make that day green, and before the birthday there
// is no rating at the review.
func TestAtReview(t *testing.T) {
	p := newPerson(t, seventeen10, residential)
	review := civil.Attains(p.in.YoungPerson.DateOfBirth, civil.Period{Years: 17, Months: 6}, rule)
	p.everythingBy(review.AddDays(-1))
	for _, k := range FactKinds { // recorded before the review
		p.fact(k.Key, true, review.AddDays(-10))
	}
	// The plan reviewed on the day, so that it is no more than six months old at 18.
	last := -1
	for i, m := range p.in.Milestones {
		if m.Key == "plan.review" && m.State == domain.Achieved {
			last = i
		}
	}
	p.in.Milestones[last].AchievedDate = review
	if got := AtReview(p.at(asOf)); got != domain.Green {
		t.Fatalf("everything done in time: %q at the review, want GREEN", got)
	}
	for i := range p.in.Milestones {
		if p.in.Milestones[i].Key == "age17_9.accommodation.confirmed" {
			p.in.Milestones[i].AchievedDate = review.AddDays(1)
		}
	}
	if now := CliffEdge(p.at(asOf)).Rating; now != domain.Green {
		t.Fatalf("today: %s, want GREEN", now)
	}
	if got := AtReview(p.at(asOf)); got != domain.Amber {
		t.Errorf("accommodation confirmed the day after the review: %q at the review, want AMBER", got)
	}
	if got := AtReview(p.at(review.AddDays(-1))); got != "" {
		t.Errorf("the day before the review: %q, want none", got)
	}
}
