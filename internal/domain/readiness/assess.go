package readiness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

// Input is what an assessment reads.
type Input struct {
	YoungPerson domain.YoungPerson
	Episodes    []domain.CareEpisode
	// Milestones are the young person's pathway as stored.
	Milestones []domain.Milestone
	// Facts are every record of the young person's facts.
	Facts []domain.Fact
	AsOf  civil.Date
	Rule  civil.LeaplingRule
	// Ambitions are the council's own, which say which checks serve them.
	Ambitions []catalogue.Ambition
}

// Status is the outcome of a requirement, a check or a factor.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	// NotDue: it applies, but nothing is needed yet by the date checked.
	NotDue Status = "NOT_DUE"
	// NotApplicable: it does not apply to this young person.
	NotApplicable Status = "NOT_APPLICABLE"
)

// Provenance says where a passing answer comes from.
type Provenance struct {
	// Source is "MILESTONE", "FACT" or "RECORD" (the young person's record).
	Source string
	// Ref is the milestone's or fact's key.
	Ref string
	// Organisation that recorded it, and the person or system (for the council's staff).
	Organisation string
	RecordedBy   string
	// Date it became true: the day achieved, or the fact's effective date.
	Date civil.Date
	// EvidenceType for facts; EvidenceCount for milestones (their evidence is free text).
	EvidenceType  domain.EvidenceType
	EvidenceCount int
	// State of a milestone that was closed without being achieved (WAIVED, NOT_APPLICABLE).
	State domain.MilestoneState
}

// Finding is the outcome of one requirement.
type Finding struct {
	// Ref is "milestone:KEY", "fact:KEY" or the special requirement's name.
	Ref    string
	Title  string
	Status Status
	// Due is the day it is (or was) needed by, for failing and not-yet-due findings.
	Due     civil.Date
	Overdue bool
	// Reason explains a failure in one sentence, without personal data.
	Reason     string
	Provenance *Provenance
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Check Check
	// Ambitions are the keys of the council's ambitions the check serves.
	Ambitions []string
	Status    Status
	Reason    string
	FixBy     civil.Date
	Overdue   bool
	Findings  []Finding
}

// Rules that decide a rating. Each value is stable.
const (
	RuleOverdue       = "RED_OVERDUE"
	RuleHardNear18    = "RED_HARD_CHECK_WITHIN_3_MONTHS_OF_18"
	RuleNotReady      = "AMBER_NOT_READY"
	RuleAllPass       = "GREEN_ALL_PASS"
	RuleSupportEnded  = "GREEN_SUPPORT_ENDED"
	RuleNothingFailed = "GREEN_NOTHING_DUE"
)

// Assessment is the cliff-edge assessment of a young person on a day.
type Assessment struct {
	AsOf               civil.Date
	EighteenthBirthday civil.Date
	// CheckDate is the day the checks are made for: the 18th birthday from 17y6m (what must
	// be in place by then counts), otherwise the day asked about.
	CheckDate   civil.Date
	Rating      domain.Rating
	Rule        string
	Explanation string
	Checks      []CheckResult
	// ValidUntil is the first day on which time alone may change the answer.
	ValidUntil civil.Date
}

// Ages at which the cliff-edge changes.
var (
	reviewFrom = civil.Period{Years: 17, Months: 6} // checks look ahead to the 18th birthday
	hardFrom   = civil.Period{Years: 17, Months: 9} // hard checks turn red
	eighteen   = civil.Period{Years: 18}
)

// forever is the ValidUntil of an answer time cannot change.
var forever = civil.New(9999, 12, 31)

// assessor evaluates requirements for one input.
type assessor struct {
	in     Input
	asOf   civil.Date
	status carestatus.Status
	// horizon: a requirement due on or before it is needed.
	horizon civil.Date
	// need is, in a partner's view, the day everything must be in place by (the move, or
	// the 18th birthday): facts with no age of their own are needed by then, and so is
	// what is due later but before the horizon.
	need civil.Date
	// changes collects the days on which time alone may change a finding.
	changes []civil.Date
}

func (a *assessor) attains(p civil.Period) civil.Date {
	return civil.Attains(a.in.YoungPerson.DateOfBirth, p, a.in.Rule)
}

func newAssessor(in Input, horizon civil.Date) *assessor {
	return &assessor{in: in, asOf: in.AsOf, horizon: horizon,
		status: carestatus.Derive(in.YoungPerson.DateOfBirth, domain.StatusEpisodes(in.Episodes), in.AsOf, in.Rule,
			in.YoungPerson.StatusCircumstances())}
}

// when notes days on which an answer may change.
func (a *assessor) when(days ...civil.Date) { a.changes = append(a.changes, days...) }

// validUntil is the first noted day after the day asked about.
func (a *assessor) validUntil() civil.Date {
	out := forever
	for _, d := range a.changes {
		if d.After(a.asOf) && d.Before(out) {
			out = d
		}
	}
	return out
}

// CliffEdge assesses the young person's readiness for their 18th birthday on in.AsOf.
func CliffEdge(in Input) Assessment {
	eighteenth := civil.Attains(in.YoungPerson.DateOfBirth, eighteen, in.Rule)
	window := civil.Attains(in.YoungPerson.DateOfBirth, reviewFrom, in.Rule)
	horizon := in.AsOf
	if !in.AsOf.Before(window) && in.AsOf.Before(eighteenth) {
		horizon = eighteenth
	}
	a := newAssessor(in, horizon)
	out := Assessment{AsOf: in.AsOf, EighteenthBirthday: eighteenth, CheckDate: horizon}
	end := a.attains(civil.Period{Years: 25})
	a.when(window, a.attains(hardFrom), eighteenth, end)
	if !in.AsOf.Before(end) {
		out.Rating, out.Rule = domain.Green, RuleSupportEnded
		out.Explanation = "Support as a care leaver ends at 25: no check applies."
		for _, c := range Checks {
			out.Checks = append(out.Checks, CheckResult{Check: c, Status: NotApplicable, Reason: "no check applies from the 25th birthday"})
		}
		out.ValidUntil = forever
		return out
	}
	for _, c := range Checks {
		out.Checks = append(out.Checks, a.check(c))
	}
	out.Rating, out.Rule, out.Explanation = a.rate(out.Checks, a.attains(hardFrom), eighteenth)
	out.ValidUntil = a.validUntil()
	out.withAmbitions(in.Ambitions)
	return out
}

// AtReview is the young person's rating as of their 17½ birthday, the day the cliff-edge
// review begins, from what in holds effective by then; empty if in.AsOf is before it.
func AtReview(in Input) domain.Rating {
	review := civil.Attains(in.YoungPerson.DateOfBirth, reviewFrom, in.Rule)
	if in.AsOf.Before(review) {
		return ""
	}
	in.AsOf = review
	return CliffEdge(in).Rating
}

// withAmbitions names on each check the council's ambitions it serves.
func (s *Assessment) withAmbitions(ambitions []catalogue.Ambition) {
	for i, r := range s.Checks {
		for _, am := range ambitions {
			if slices.Contains(am.Checks, r.Check.Key) {
				s.Checks[i].Ambitions = append(s.Checks[i].Ambitions, am.Key)
			}
		}
	}
}

func (a *assessor) check(c Check) CheckResult {
	if c.UASCOnly && !a.in.YoungPerson.UnaccompaniedAsylumSeekingChild {
		return CheckResult{Check: c, Status: NotApplicable, Reason: "applies to unaccompanied asylum-seeking young people only"}
	}
	r := CheckResult{Check: c}
	for _, req := range c.Requirements {
		r.Findings = append(r.Findings, a.requirement(req))
	}
	r.Status, r.FixBy, r.Overdue, r.Reason = combine(r.Findings)
	return r
}

// combine sums findings up: failing if any fails (fix by the earliest), passing if any
// passes and none fails, not applicable if none applies, otherwise not due.
func combine(findings []Finding) (Status, civil.Date, bool, string) {
	var failing []Finding
	passed, applies := false, false
	for _, f := range findings {
		switch f.Status {
		case Fail:
			failing = append(failing, f)
		case Pass:
			passed = true
		}
		applies = applies || f.Status != NotApplicable
	}
	switch {
	case len(failing) > 0:
		slices.SortStableFunc(failing, func(x, y Finding) int { return x.Due.Compare(y.Due) })
		reasons := make([]string, len(failing))
		overdue := false
		for i, f := range failing {
			reasons[i] = f.Reason
			overdue = overdue || f.Overdue
		}
		return Fail, failing[0].Due, overdue, strings.Join(reasons, " ")
	case passed:
		return Pass, civil.Date{}, false, ""
	case !applies:
		return NotApplicable, civil.Date{}, false, "none of its requirements applies to this young person"
	}
	return NotDue, civil.Date{}, false, "nothing is needed yet"
}

func (a *assessor) requirement(r Requirement) Finding {
	switch {
	case r.Milestone != "":
		return a.milestone(r.Milestone)
	case r.Fact != "" && r.NeededAt.IsZero():
		return a.fact(r.Fact, a.need, r.EitherWay)
	case r.Fact != "":
		return a.fact(r.Fact, a.attains(r.NeededAt), r.EitherWay)
	case r.Special == PlanReviewed:
		return a.planReviewed()
	case r.Special == AdviserAllocated:
		return a.adviserAllocated()
	}
	panic(fmt.Sprintf("readiness: empty requirement %+v", r))
}

// failing is a finding that is needed by due (or, in a partner's view, by the need date if
// that is earlier) and not in place.
func (a *assessor) failing(ref, title string, due civil.Date, reason string) Finding {
	if !a.need.IsZero() && a.need.Before(due) {
		due = a.need
	}
	overdue := due.Before(a.asOf)
	if overdue {
		reason += fmt.Sprintf(" It has been needed since %s.", due)
	} else {
		reason += fmt.Sprintf(" It is needed by %s.", due)
	}
	return Finding{Ref: ref, Title: title, Status: Fail, Due: due, Overdue: overdue, Reason: reason}
}

// milestone evaluates a catalogue milestone: it fails if an applicable occurrence due by
// the horizon is open on the day asked about and has not lapsed (as the pathway counts it).
func (a *assessor) milestone(key string) Finding {
	ref := "milestone:" + key
	var (
		title                  string
		open, achieved, closed *domain.Milestone
		applies                bool
	)
	for i := range a.in.Milestones {
		m := &a.in.Milestones[i]
		if m.Key != key || !m.Applicable {
			continue
		}
		applies, title = true, m.Title
		a.when(m.DueDate, m.DueDate.AddDays(1), m.LapseDate)
		switch {
		case m.State == domain.Waived || m.State == domain.NotApplicable:
			closed = m
		case m.State == domain.Achieved && !a.asOf.Before(m.AchievedDate):
			if achieved == nil || m.AchievedDate.After(achieved.AchievedDate) {
				achieved = m
			}
		default: // open on the day asked about (achieved later counts as open then)
			if m.State == domain.Achieved {
				a.when(m.AchievedDate)
			}
			if !a.asOf.Before(m.LapseDate) || m.DueDate.After(a.horizon) {
				continue
			}
			if open == nil || m.DueDate.Before(open.DueDate) {
				open = m
			}
		}
	}
	done := achieved
	if done == nil {
		done = closed
	}
	switch {
	case !applies:
		return Finding{Ref: ref, Title: key, Status: NotApplicable}
	case open != nil:
		return a.failing(ref, title, open.DueDate, fmt.Sprintf("%q is not done.", title))
	case done != nil:
		p := &Provenance{Source: "MILESTONE", Ref: key, Organisation: done.CouncilID, EvidenceCount: len(done.Evidence)}
		if done.State == domain.Achieved {
			p.Date = done.AchievedDate
			if len(done.Evidence) > 0 {
				p.RecordedBy = done.Evidence[0].RecordedBy
			}
		} else {
			p.State = done.State
		}
		return Finding{Ref: ref, Title: title, Status: Pass, Provenance: p}
	}
	return Finding{Ref: ref, Title: title, Status: NotDue}
}

// latestFact is the fact's value on the day asked about: its latest record (by record
// time) effective by then.
func (a *assessor) latestFact(key string) *domain.Fact {
	var latest *domain.Fact
	for i := range a.in.Facts {
		f := &a.in.Facts[i]
		if f.Key != key {
			continue
		}
		a.when(f.EffectiveDate)
		if a.asOf.Before(f.EffectiveDate) {
			continue
		}
		if latest == nil || f.RecordTime.After(latest.RecordTime) || f.RecordTime.Equal(latest.RecordTime) && f.ID > latest.ID {
			latest = f
		}
	}
	return latest
}

func factProvenance(f *domain.Fact) *Provenance {
	return &Provenance{Source: "FACT", Ref: f.Key, Organisation: f.OrganisationID, RecordedBy: f.RecordedBy,
		Date: f.EffectiveDate, EvidenceType: f.EvidenceType}
}

// fact evaluates a fact needed by the day needed: it fails if, by the horizon, it is needed
// and not recorded as true (or, eitherWay, not recorded at all).
func (a *assessor) fact(key string, needed civil.Date, eitherWay bool) Finding {
	kind, _ := LookupFact(key)
	ref := "fact:" + key
	a.when(needed, needed.AddDays(1))
	f := a.latestFact(key)
	switch {
	case f != nil && (f.Value || eitherWay):
		return Finding{Ref: ref, Title: kind.Title, Status: Pass, Provenance: factProvenance(f)}
	case needed.After(a.horizon):
		return Finding{Ref: ref, Title: kind.Title, Status: NotDue}
	case f == nil:
		return a.failing(ref, kind.Title, needed, fmt.Sprintf("%q is not recorded.", kind.Title))
	}
	return a.failing(ref, kind.Title, needed, fmt.Sprintf("%q was recorded as no on %s.", kind.Title, f.EffectiveDate))
}

// planReviewed: the pathway plan is written and its last review (or writing) was no more
// than six months before the horizon. It applies from the plan's due date until 21.
func (a *assessor) planReviewed() Finding {
	const ref, title = PlanReviewed, "Pathway plan reviewed in the last six months"
	var (
		firstDue civil.Date
		last     civil.Date
		by       string
		applies  bool
	)
	for _, m := range a.in.Milestones {
		if m.Key != "age16.pathway_plan" && m.Key != "plan.review" || !m.Applicable {
			continue
		}
		applies = true
		if m.Key == "age16.pathway_plan" && (firstDue.IsZero() || m.DueDate.Before(firstDue)) {
			firstDue = m.DueDate
		}
		if m.State == domain.Achieved {
			a.when(m.AchievedDate)
			if !a.asOf.Before(m.AchievedDate) && m.AchievedDate.After(last) {
				last, by = m.AchievedDate, m.CouncilID
			}
		}
	}
	end := a.attains(civil.Period{Years: 21})
	a.when(end)
	if !applies || firstDue.IsZero() || !a.asOf.Before(end) {
		return Finding{Ref: ref, Title: title, Status: NotApplicable}
	}
	needed := firstDue
	if !last.IsZero() {
		needed = last.Add(civil.Period{Months: 6}, a.in.Rule)
	}
	a.when(needed, needed.AddDays(1))
	switch {
	case !last.IsZero() && !needed.Before(a.horizon): // "at intervals of not more than six months"
		return Finding{Ref: ref, Title: title, Status: Pass,
			Provenance: &Provenance{Source: "MILESTONE", Ref: "plan.review", Organisation: by, Date: last}}
	case last.IsZero() && needed.After(a.horizon):
		return Finding{Ref: ref, Title: title, Status: NotDue}
	case last.IsZero():
		return a.failing(ref, title, needed, "The pathway plan has not been written.")
	}
	return a.failing(ref, title, needed, fmt.Sprintf("The pathway plan was last reviewed on %s.", last))
}

// adviserAllocated: from 16 a personal adviser is allocated.
func (a *assessor) adviserAllocated() Finding {
	const ref, title = AdviserAllocated, "Personal adviser allocated"
	needed := a.attains(civil.Period{Years: 16})
	a.when(needed, needed.AddDays(1))
	switch {
	case a.in.YoungPerson.PersonalAdviserID != "":
		return Finding{Ref: ref, Title: title, Status: Pass,
			Provenance: &Provenance{Source: "RECORD", Ref: "personal_adviser", Organisation: a.in.YoungPerson.CouncilID}}
	case needed.After(a.horizon):
		return Finding{Ref: ref, Title: title, Status: NotDue}
	}
	return a.failing(ref, title, needed, "No personal adviser is allocated.")
}

// rate turns check results into a rating: red if anything is overdue, or if a hard check
// fails in the last three months before the 18th birthday; amber if anything else fails;
// green otherwise.
func (a *assessor) rate(results []CheckResult, hardFrom, eighteenth civil.Date) (domain.Rating, string, string) {
	var failing []CheckResult
	for _, r := range results {
		if r.Status == Fail {
			failing = append(failing, r)
		}
	}
	for _, r := range failing {
		if r.Overdue {
			return domain.Red, RuleOverdue, fmt.Sprintf("%q is overdue: %s", r.Check.Title, r.Reason)
		}
	}
	nearEighteen := !a.asOf.Before(hardFrom) && a.asOf.Before(eighteenth)
	for _, r := range failing {
		if r.Check.Hard && nearEighteen {
			return domain.Red, RuleHardNear18, fmt.Sprintf("%q is not in place and the 18th birthday (%s) is less than three months away.",
				r.Check.Title, eighteenth)
		}
	}
	if len(failing) > 0 {
		first := failing[0]
		for _, r := range failing[1:] {
			if r.FixBy.Before(first.FixBy) {
				first = r
			}
		}
		return domain.Amber, RuleNotReady, fmt.Sprintf("%d of the checks are not ready yet; the first must be fixed by %s (%s).",
			len(failing), first.FixBy, first.Check.Title)
	}
	for _, r := range results {
		if r.Status == Pass {
			return domain.Green, RuleAllPass, "Every check that applies passes."
		}
	}
	return domain.Green, RuleNothingFailed, "Nothing the checks need is due yet."
}

// Summary is what the store keeps of an assessment for the council's views.
func (s Assessment) Summary(yp domain.YoungPerson) domain.ReadinessSummary {
	out := domain.ReadinessSummary{YoungPersonID: yp.ID, CouncilID: yp.CouncilID, EighteenthBirthday: s.EighteenthBirthday,
		Rating: s.Rating, AssessedOn: s.AsOf, ValidUntil: s.ValidUntil, Version: Version}
	for _, r := range s.Checks {
		if r.Status != Fail {
			continue
		}
		out.FailingChecks = append(out.FailingChecks, r.Check.Key)
		for _, am := range r.Ambitions {
			if !slices.Contains(out.FailingAmbitions, am) {
				out.FailingAmbitions = append(out.FailingAmbitions, am)
			}
		}
		if out.FixBy.IsZero() || r.FixBy.Before(out.FixBy) {
			out.FixBy = r.FixBy
		}
	}
	slices.Sort(out.FailingAmbitions)
	return out
}
