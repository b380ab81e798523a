// Package reminder works out a young person's reminders from their milestones, date of
// birth and the council's reminder rules: who must be reminded of what, on which day. It is
// pure; the planner stores what it decides, once per young person, rule, milestone, day and
// recipient, and delivery sends it.
package reminder

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

// CatchUpDays is how long after its day a reminder that was not raised (the service was
// down, the milestone was recorded late) is still raised. Older ones would only be noise: by
// then the overdue escalation or the next notice has taken over.
const CatchUpDays = 30

// Rule names.
const (
	RuleDue     = "milestone.due"
	RuleOverdue = "milestone.overdue"
	// RuleAdviserSupport is a young person's request, from 21, for a personal adviser's
	// help (Children Act 1989 s23CZB). The request raises it, not the schedule, so working
	// out the schedule keeps it open until someone acknowledges it or support ends.
	RuleAdviserSupport = "request.adviser_support"
	// RuleOwnDueSoon and RuleOwnOverdue remind a young person who asked for it (Input.Own)
	// of their own milestones: from OwnLeadDays before the due date, and once overdue.
	RuleOwnDueSoon = "own.due_soon"
	RuleOwnOverdue = "own.overdue"
)

// OwnLeadDays is how long before a milestone is due its young person is reminded of it.
const OwnLeadDays = 14

// RequestRecipients is who hears a young person's own request: whoever hears what their
// personal adviser must (the adviser; the council while no one is allocated; the team's
// managers once the adviser has gone), and the council where that is no one, so that a
// request is never dropped.
func RequestRecipients(in Input) []domain.Recipient {
	if to := in.adviser(); len(to) > 0 {
		return to
	}
	return []domain.Recipient{domain.OrganisationRecipient(in.YoungPerson.CouncilID)}
}

// LeadRule is the rule of the reminder days before a milestone is due.
func LeadRule(days int) string { return leadPrefix + strconv.Itoa(days) + "d" }

const leadPrefix = "milestone.lead."

// AgeRule is the rule of the notice at an age.
func AgeRule(age civil.Period) string { return "age." + age.String() }

// Input is what working out a young person's reminders needs.
type Input struct {
	YoungPerson domain.YoungPerson
	Milestones  []domain.Milestone
	Rules       catalogue.ReminderRules
	// LeaplingRule is the council's, for the 25th birthday when support ends.
	LeaplingRule civil.LeaplingRule
	// Managers are the enabled team managers of the personal adviser's team: they see the
	// adviser's caseload, so escalations go to them.
	Managers []string
	// AdviserGone reports that the personal adviser is disabled or no longer registered:
	// no one reads their inbox, so what would go to them goes to Managers instead.
	AdviserGone bool
	// SharedWith are the partner organisations the young person is shared with today: only
	// they may be reminded about milestones they own.
	SharedWith map[string]bool
	// Organisations are the organisations of the people milestones were given to: a
	// partner's officer is reminded only while their organisation may see the young person.
	Organisations map[string]string
	// StaffWhoMaySee are the council's people milestones were given to who may open the
	// young person (access.Scope): a colleague who may not is not reminded, as they could not
	// act.
	StaffWhoMaySee map[string]bool
	// Own is the young person's own account when they have asked to be reminded of their
	// own steps (and it is enabled); "" otherwise.
	Own string
	// Open are the young person's stored reminders still open: PlanOn says which of them
	// the rules no longer raise (Plan.Stale).
	Open []domain.Reminder
	// Horizon, when set, says that Milestones holds only those due by it (Window's to), with
	// any that Open names: Plan.Next is then no later than the first day one due after it
	// could be reminded of.
	Horizon civil.Date
}

// Window gives the due dates of the milestones whose reminders matter on today or the day
// before (the day Day gives), under any rules a council may set. One due before from has
// raised all it ever will: its latest reminder, the escalation, is raised at most
// MaxEscalateAfterDays after the due date and caught up for CatchUpDays. One due after to
// raises nothing for another month at least, however long the council's lead times: so a
// council-wide sweep reads a year and a half of each young person's pathway, not twelve,
// and looks again before the rest comes into reach (Input.Horizon).
func Window(today civil.Date) (from, to civil.Date) {
	return today.AddDays(-(catalogue.MaxEscalateAfterDays + CatchUpDays)), today.AddDays(catalogue.MaxLeadDay + horizonSlack)
}

// horizonSlack is how far past the longest lead time Window reaches: how often, at least,
// a young person's schedule is looked at again when it reads from a window.
const horizonSlack = 28

// firstUnseen is the first day a milestone due after in.Horizon could be reminded of.
func (in Input) firstUnseen() civil.Date {
	lead := 0
	if in.Own != "" {
		lead = OwnLeadDays
	}
	for _, days := range in.Rules.LeadDays {
		lead = max(lead, days)
	}
	return in.Horizon.AddDays(1 - lead)
}

// Due is one reminder the rules raise, with everyone it goes to.
type Due struct {
	Rule        string
	MilestoneID string
	Title       string
	// DueOn is the day it is raised; it may still be raised, if it was not, up to the day
	// before Until.
	DueOn, Until civil.Date
	Recipients   []domain.Recipient
}

// EndOfSupport is the 25th birthday: the last day anyone is reminded about the young person.
func EndOfSupport(in Input) civil.Date {
	return civil.Attains(in.YoungPerson.DateOfBirth, civil.Period{Years: 25}, in.LeaplingRule)
}

// schedule gives emit every reminder the rules raise over the young person's pathway, up to
// and including the 25th birthday, in the order the rules raise them: PlanOn keeps only a
// few of a hundred or more, and needs no order but that of those.
func schedule(in Input, emit func(Due)) {
	yp, r := in.YoungPerson, in.Rules
	end := EndOfSupport(in)
	adviser, escalation := in.adviser(), in.escalation()
	afterEnd := end.AddDays(1)
	leads := make([]string, len(r.LeadDays))
	for i, days := range r.LeadDays {
		leads[i] = LeadRule(days)
	}
	add := func(d Due) {
		d.Until = minDate(d.Until, d.DueOn.AddDays(CatchUpDays), afterEnd)
		if d.DueOn.Before(d.Until) {
			emit(d)
		}
	}
	for _, age := range r.AgeNotices {
		// On the earlier of the two leap-day candidates, so that no notice is ever late
		// whichever rule the council chose (domain brief 1.1).
		on := civil.EarliestAttains(yp.DateOfBirth, age)
		add(Due{Rule: AgeRule(age), Title: "Reaches age " + age.String(), DueOn: on, Until: on.AddDays(CatchUpDays),
			Recipients: adviser})
	}
	for _, m := range in.Milestones {
		if !m.Applicable || !m.State.Open() || !m.DueDate.Valid() {
			continue
		}
		owners := in.owners(m, adviser)
		if m.Statutory {
			for i, days := range r.LeadDays {
				add(Due{Rule: leads[i], MilestoneID: m.ID, Title: m.Title, DueOn: m.DueDate.AddDays(-days),
					Until: m.DueDate, Recipients: owners})
			}
		}
		if r.OnDue {
			add(Due{Rule: RuleDue, MilestoneID: m.ID, Title: m.Title, DueOn: m.DueDate, Until: m.LapseDate, Recipients: owners})
		}
		if r.EscalateAfterDays > 0 {
			add(Due{Rule: RuleOverdue, MilestoneID: m.ID, Title: m.Title, DueOn: m.DueDate.AddDays(r.EscalateAfterDays),
				Until: m.LapseDate, Recipients: escalation})
		}
		if in.Own != "" {
			// In the young person's own words: the milestone's title, to them alone.
			me := []domain.Recipient{domain.PersonRecipient(in.Own)}
			add(Due{Rule: RuleOwnDueSoon, MilestoneID: m.ID, Title: m.Title, DueOn: m.DueDate.AddDays(-OwnLeadDays),
				Until: m.DueDate, Recipients: me})
			add(Due{Rule: RuleOwnOverdue, MilestoneID: m.ID, Title: m.Title, DueOn: m.DueDate.AddDays(1),
				Until: m.LapseDate, Recipients: me})
		}
	}
}

// owners are who is reminded about a milestone: the personal adviser (or, with none, the
// council), and the person and the organisation it was given to while they may see the
// young person (their council's staff always, a partner's while it is shared with).
func (in Input) owners(m domain.Milestone, adviser []domain.Recipient) []domain.Recipient {
	out := slices.Clip(adviser) // shared until something is added to it
	if id := m.OwnerPerson; id != "" && (in.StaffWhoMaySee[id] ||
		in.Organisations[id] != in.YoungPerson.CouncilID && in.maySee(in.Organisations[id])) {
		out = appendNew(out, domain.PersonRecipient(m.OwnerPerson))
	}
	if o := m.OwnerOrganisation; o != "" && o != in.YoungPerson.CouncilID && in.maySee(o) {
		out = appendNew(out, domain.OrganisationRecipient(o))
	}
	return out
}

// maySee reports whether an organisation may hear about the young person.
func (in Input) maySee(org string) bool {
	return org != "" && (org == in.YoungPerson.CouncilID || in.SharedWith[org])
}

// Every reminder goes only where its readers may open the young person (access.Scope): a
// personal adviser sees their caseload; a team manager their team's caseloads, advisers who
// have left included, and the council's unallocated young people; the council's inbox is
// read by its team managers. Where no one may (the adviser has left and their team has no
// manager) nothing is raised: that is a routing gap, which RoutingGaps shows the council's
// administrator.

// adviser is who hears what the personal adviser must: the adviser; the council (its team
// managers) while no one is allocated; the team's managers once the adviser has gone.
func (in Input) adviser() []domain.Recipient {
	switch {
	case in.YoungPerson.PersonalAdviserID == "":
		return []domain.Recipient{domain.OrganisationRecipient(in.YoungPerson.CouncilID)}
	case in.AdviserGone:
		return in.managers()
	}
	return []domain.Recipient{domain.PersonRecipient(in.YoungPerson.PersonalAdviserID)}
}

// escalation is who is told of an overdue milestone: the team managers of the adviser's
// team; the council (its team managers) while no one is allocated; with no manager, the
// adviser, the only other person who may see the young person.
func (in Input) escalation() []domain.Recipient {
	if in.YoungPerson.PersonalAdviserID == "" {
		return []domain.Recipient{domain.OrganisationRecipient(in.YoungPerson.CouncilID)}
	}
	if ms := in.managers(); len(ms) > 0 || in.AdviserGone {
		return ms
	}
	return []domain.Recipient{domain.PersonRecipient(in.YoungPerson.PersonalAdviserID)}
}

func (in Input) managers() []domain.Recipient {
	var out []domain.Recipient
	for _, id := range in.Managers {
		out = appendNew(out, domain.PersonRecipient(id))
	}
	return out
}

// Plan is what the rules say of a young person on a day, from one working-out of their
// schedule.
type Plan struct {
	// Raise are the reminders to raise on the day. When several lead reminders of one
	// milestone could be raised at once (a milestone planned, or the service back, late),
	// only the latest is: a 90-day and a 30-day reminder on the same morning would be noise.
	Raise []Due
	// Next is the next day on which there may be more; zero when there will be none.
	Next civil.Date
	// Stale are the reminders of Input.Open that the rules no longer raise: the milestone
	// was done, moved or given to someone else, who may no longer see the young person, or
	// support has ended. A young person's request stays until support ends.
	Stale []domain.Reminder
}

// PlanOn works out the plan of the young person on day.
func PlanOn(in Input, day civil.Date) Plan {
	end := EndOfSupport(in)
	var p Plan
	latestLead := map[string]civil.Date{}
	var open []Due
	applies := make([]bool, len(in.Open))
	schedule(in, func(d Due) {
		if day.Before(d.DueOn) {
			if p.Next.IsZero() || d.DueOn.Before(p.Next) {
				p.Next = d.DueOn
			}
			return
		}
		// Raised on its day, so possibly one of the stored ones (a young person has few).
		for i, r := range in.Open {
			if r.DueOn == d.DueOn && r.Rule == d.Rule && r.MilestoneID == d.MilestoneID && slices.Contains(d.Recipients, r.Recipient) {
				applies[i] = true
			}
		}
		if day.Before(d.Until) {
			open = append(open, d)
			if isLead(d) && d.DueOn.After(latestLead[d.MilestoneID]) {
				latestLead[d.MilestoneID] = d.DueOn
			}
		}
	})
	ended := end.Before(day)
	for i, r := range in.Open {
		if ended || !applies[i] && r.Rule != RuleAdviserSupport {
			p.Stale = append(p.Stale, r)
		}
	}
	for _, d := range open {
		if !isLead(d) || d.DueOn == latestLead[d.MilestoneID] {
			p.Raise = append(p.Raise, d)
		}
	}
	slices.SortStableFunc(p.Raise, func(a, b Due) int { return a.DueOn.Compare(b.DueOn) })
	if first := in.firstUnseen(); !in.Horizon.IsZero() && !end.Before(first) && (p.Next.IsZero() || first.Before(p.Next)) {
		p.Next = first
	}
	// The day after support ends, open reminders are cancelled.
	if after := end.AddDays(1); day.Before(after) && (p.Next.IsZero() || after.Before(p.Next)) {
		p.Next = after
	}
	return p
}

func isLead(d Due) bool { return strings.HasPrefix(d.Rule, leadPrefix) }

func appendNew(rs []domain.Recipient, r domain.Recipient) []domain.Recipient {
	if slices.Contains(rs, r) {
		return rs
	}
	return append(rs, r)
}

func minDate(ds ...civil.Date) civil.Date {
	var out civil.Date
	for _, d := range ds {
		if !d.IsZero() && (out.IsZero() || d.Before(out)) { // every date here is computed, or zero
			out = d
		}
	}
	return out
}

// Day returns the latest day whose reminders are due at now: today in Europe/London once the
// send time has passed, yesterday before it.
func Day(now time.Time, sendAt catalogue.TimeOfDay) civil.Date {
	today := civil.Today(now)
	if now.Before(SendTime(today, sendAt)) {
		return today.AddDays(-1)
	}
	return today
}

// SendTime is the instant a day's reminders are due: the send time on that day in
// Europe/London, whatever the clocks did that night.
func SendTime(day civil.Date, sendAt catalogue.TimeOfDay) time.Time {
	return time.Date(day.Year, day.Month, day.Day, sendAt.Hour, sendAt.Minute, 0, 0, civil.London)
}
