package reminder

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

var rules = catalogue.Default().Reminders

func d(y int, m time.Month, day int) civil.Date { return civil.New(y, m, day) }

func input() Input {
	return Input{
		YoungPerson: domain.YoungPerson{ID: "yp", CouncilID: "council", PersonalAdviserID: "pa", DateOfBirth: d(2009, 6, 15)},
		Rules:       rules, Managers: []string{"tm"}, SharedWith: map[string]bool{"housing": true},
		Milestones: []domain.Milestone{{ID: "m1", Title: "Plan", Statutory: true, Applicable: true, State: domain.Planned,
			DueDate: d(2027, 3, 1), LapseDate: d(2028, 1, 1), OwnerOrganisation: "housing"}},
	}
}

// sortedSchedule is every reminder the rules raise, by day (stably): the plain reading of
// the rules that PlanOn is checked against.
func sortedSchedule(in Input) []Due {
	var out []Due
	schedule(in, func(d Due) { out = append(out, d) })
	slices.SortStableFunc(out, func(a, b Due) int { return a.DueOn.Compare(b.DueOn) })
	return out
}

// applies reports whether the stored reminder r, open, still applies on day.
func applies(in Input, day civil.Date, r domain.Reminder) bool {
	in.Open = []domain.Reminder{r}
	return len(PlanOn(in, day).Stale) == 0
}

func rulesOn(ds []Due) []string {
	var out []string
	for _, x := range ds {
		out = append(out, x.Rule+" "+x.MilestoneID)
	}
	return out
}

func TestPlanRaisesWhatIsDueAndSaysWhenNext(t *testing.T) {
	in := input()
	for _, c := range []struct {
		today civil.Date
		raise []string
		next  civil.Date
	}{
		{d(2026, 11, 30), nil, d(2026, 12, 1)},                               // 90 days before 2027-03-01
		{d(2026, 12, 1), []string{"milestone.lead.90d m1"}, d(2026, 12, 15)}, // then age 17y6m
		{d(2026, 12, 15), []string{"milestone.lead.90d m1", "age.17y6m "}, d(2027, 1, 30)},
		{d(2027, 2, 22), []string{"milestone.lead.7d m1"}, d(2027, 3, 1)}, // only the latest lead
		{d(2027, 3, 1), []string{"milestone.due m1"}, d(2027, 3, 8)},      // leads stop on the day
		{d(2027, 3, 8), []string{"milestone.due m1", "milestone.overdue m1"}, d(2027, 6, 15)},
	} {
		p := PlanOn(in, c.today)
		raise, next := p.Raise, p.Next
		if got := rulesOn(raise); !slices.Equal(got, c.raise) || next != c.next {
			t.Errorf("%s: raise %v next %s, want %v next %s", c.today, got, next, c.raise, c.next)
		}
	}
}

func TestRecipients(t *testing.T) {
	in := input()
	raise := PlanOn(in, d(2027, 3, 8)).Raise
	if got := rulesOn(raise); !slices.Equal(got, []string{"milestone.due m1", "milestone.overdue m1"}) {
		t.Fatalf("raised %v, want the due and overdue reminders", got)
	}
	want := map[string][]domain.Recipient{
		RuleDue:     {domain.PersonRecipient("pa"), domain.OrganisationRecipient("housing")},
		RuleOverdue: {domain.PersonRecipient("tm")},
	}
	for _, x := range raise {
		if !slices.Equal(x.Recipients, want[x.Rule]) {
			t.Errorf("%s goes to %v, want %v", x.Rule, x.Recipients, want[x.Rule])
		}
	}
	// Unshared, unallocated and with no managers: the council hears of it, the partner not.
	in.SharedWith, in.YoungPerson.PersonalAdviserID, in.Managers = nil, "", nil
	raise = PlanOn(in, d(2027, 3, 8)).Raise
	if len(raise) != 2 {
		t.Fatalf("raised %v, want the due and overdue reminders", rulesOn(raise))
	}
	for _, x := range raise {
		if !slices.Equal(x.Recipients, []domain.Recipient{domain.OrganisationRecipient("council")}) {
			t.Errorf("%s goes to %v, want only the council", x.Rule, x.Recipients)
		}
	}
}

func TestDoneMilestonesAndEndOfSupport(t *testing.T) {
	in := input()
	r := domain.Reminder{Rule: RuleDue, MilestoneID: "m1", DueOn: d(2027, 3, 1), Recipient: domain.OrganisationRecipient("housing")}
	if !applies(in, d(2027, 3, 2), r) {
		t.Fatal("an open milestone's reminder should apply")
	}
	shared := in.SharedWith
	in.SharedWith = nil
	if applies(in, d(2027, 3, 2), r) {
		t.Error("a reminder to a partner no longer shared with still applies")
	}
	in.SharedWith = shared
	in.Milestones[0].State = domain.Achieved
	if applies(in, d(2027, 3, 2), r) {
		t.Error("an achieved milestone's reminder still applies")
	}
	if raise := PlanOn(in, d(2027, 3, 8)).Raise; len(raise) != 0 {
		t.Errorf("achieved milestone still raises %v", rulesOn(raise))
	}
	// Support ends on the 25th birthday: its notice is raised that day, nothing after.
	birthday := PlanOn(in, d(2034, 6, 15))
	if got := rulesOn(birthday.Raise); !slices.Equal(got, []string{"age.25y "}) || birthday.Next != d(2034, 6, 16) {
		t.Errorf("25th birthday: %v next %s", got, birthday.Next)
	}
	age := domain.Reminder{Rule: "age.25y", DueOn: d(2034, 6, 15), Recipient: domain.PersonRecipient("pa")}
	if after := PlanOn(in, d(2034, 6, 16)); len(after.Raise) != 0 || !after.Next.IsZero() || applies(in, d(2034, 6, 16), age) {
		t.Errorf("after the 25th birthday: %v next %s", rulesOn(after.Raise), after.Next)
	}
}

func TestOwnersAreRemindedOnlyWhileTheyMaySeeTheYoungPerson(t *testing.T) {
	in := input()
	in.Milestones[0].OwnerPerson, in.Milestones[0].OwnerOrganisation = "officer", ""
	in.Organisations = map[string]string{"officer": "housing"}
	officer := domain.Reminder{Rule: RuleDue, MilestoneID: "m1", DueOn: d(2027, 3, 1), Recipient: domain.PersonRecipient("officer")}
	if !applies(in, d(2027, 3, 1), officer) {
		t.Fatal("the partner officer who owns the milestone is not reminded while shared with")
	}
	in.SharedWith = nil
	if applies(in, d(2027, 3, 1), officer) {
		t.Error("a partner officer is still reminded after the sharing ended")
	}
	in.Organisations = map[string]string{"officer": "council"}
	if applies(in, d(2027, 3, 1), officer) {
		t.Error("a colleague at the council who may not open the young person is reminded")
	}
	in.StaffWhoMaySee = map[string]bool{"officer": true}
	if !applies(in, d(2027, 3, 1), officer) {
		t.Error("a colleague at the council who owns the milestone and may open the young person is not reminded")
	}
}

func TestLeapDayBirthsAreRemindedOnTheEarlierDay(t *testing.T) {
	in := input()
	in.YoungPerson.DateOfBirth, in.Milestones = d(2008, 2, 29), nil
	raise := PlanOn(in, d(2026, 2, 28)).Raise
	if got := rulesOn(raise); !slices.Equal(got, []string{"age.18y "}) {
		t.Errorf("28 Feb 2026: %v, want the 18 notice", got)
	}
	if raise := PlanOn(in, d(2026, 2, 27)).Raise; len(raise) != 0 {
		t.Errorf("27 Feb 2026: %v, want nothing", rulesOn(raise))
	}
}

func TestDayTurnsAtTheSendTimeInLondon(t *testing.T) {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, c := range []struct {
		now  string
		want civil.Date
	}{
		{"2026-03-29T08:59:00Z", d(2026, 3, 29)},  // 09:59 BST, the day the clocks went forward
		{"2026-03-29T07:59:00Z", d(2026, 3, 28)},  // 08:59 BST
		{"2026-10-25T08:59:00Z", d(2026, 10, 24)}, // 08:59 GMT, the day they went back
		{"2026-10-25T09:00:00Z", d(2026, 10, 25)},
		{"2026-06-30T23:30:00Z", d(2026, 6, 30)}, // 00:30 BST on 1 July: still 30 June's
	} {
		if got := Day(at(c.now), rules.SendAt); got != c.want {
			t.Errorf("Day(%s) = %s, want %s", c.now, got, c.want)
		}
	}
	if got := SendTime(d(2026, 3, 29), rules.SendAt).UTC().Format(time.RFC3339); got != "2026-03-29T08:00:00Z" {
		t.Errorf("send time on 29 March 2026 = %s", got)
	}
}

// Every reminder goes where its readers may open the young person (issue 17, item 4).
func TestRemindersReachOnlyThoseWhoMaySeeTheYoungPerson(t *testing.T) {
	on := d(2027, 3, 8) // the milestone is due and overdue
	to := func(in Input) map[string][]domain.Recipient {
		out := map[string][]domain.Recipient{}
		for _, x := range PlanOn(in, on).Raise {
			out[x.Rule] = x.Recipients
		}
		return out
	}
	pa, tm := domain.PersonRecipient("pa"), domain.PersonRecipient("tm")
	housing, council := domain.OrganisationRecipient("housing"), domain.OrganisationRecipient("council")
	for _, c := range []struct {
		name         string
		change       func(*Input)
		due, overdue []domain.Recipient
	}{
		{"the adviser's team has a manager", func(*Input) {}, []domain.Recipient{pa, housing}, []domain.Recipient{tm}},
		// Before, the council's inbox: its readers, other teams' managers, got 403.
		{"the adviser's team has no manager", func(in *Input) { in.Managers = nil },
			[]domain.Recipient{pa, housing}, []domain.Recipient{pa}},
		{"the adviser has left", func(in *Input) { in.AdviserGone = true },
			[]domain.Recipient{tm, housing}, []domain.Recipient{tm}},
		{"the adviser has left and the team has no manager", func(in *Input) { in.AdviserGone, in.Managers = true, nil },
			[]domain.Recipient{housing}, nil},
		{"no adviser", func(in *Input) { in.YoungPerson.PersonalAdviserID, in.Managers = "", nil },
			[]domain.Recipient{council, housing}, []domain.Recipient{council}},
	} {
		in := input()
		c.change(&in)
		got := to(in)
		if !slices.Equal(got[RuleDue], c.due) || !slices.Equal(got[RuleOverdue], c.overdue) {
			t.Errorf("%s: due to %v, overdue to %v; want %v and %v", c.name, got[RuleDue], got[RuleOverdue], c.due, c.overdue)
		}
	}
}

func TestRoutingGaps(t *testing.T) {
	person := func(id, team string, disabled bool, roles ...domain.Role) domain.Person {
		return domain.Person{ID: id, Team: team, Disabled: disabled, Roles: roles}
	}
	pa, tm := domain.PersonalAdviser, domain.TeamManager
	people := []domain.Person{
		person("north-pa", "north", false, pa), person("north-tm", "north", false, tm),
		person("south-pa-1", "south", false, pa), person("south-pa-2", "south", true, pa), person("south-tm", "south", true, tm),
		person("west-gone", "west", true, pa), // left, no one allocated: no gap
		person("east-gone", "east", true, pa), // left with young people, and no manager
		person("loner", "", false, pa),
		person("admin", "", false, domain.Administrator),
	}
	got := RoutingGaps(people, map[string]int{"south-pa-1": 3, "south-pa-2": 2, "east-gone": 1, "north-pa": 9})
	want := []Gap{
		{Kind: TeamWithoutManager, Team: "east", Advisers: []string{"east-gone"}, YoungPeople: 1},
		{Kind: TeamWithoutManager, Team: "south", Advisers: []string{"south-pa-1", "south-pa-2"}, YoungPeople: 5},
		{Kind: AdviserWithoutTeam, Advisers: []string{"loner"}},
	}
	if !slices.EqualFunc(got, want, func(a, b Gap) bool {
		return a.Kind == b.Kind && a.Team == b.Team && slices.Equal(a.Advisers, b.Advisers) && a.YoungPeople == b.YoungPeople
	}) {
		t.Errorf("RoutingGaps = %+v, want %+v", got, want)
	}
}

func TestRequestsGoToTheAdviserElseTheCouncil(t *testing.T) {
	yp := domain.YoungPerson{ID: "yp", CouncilID: "notts", PersonalAdviserID: "pa", DateOfBirth: civil.New(2004, 1, 10)}
	cases := []struct {
		name string
		in   Input
		want []domain.Recipient
	}{
		{"the adviser", Input{YoungPerson: yp, Managers: []string{"tm"}}, []domain.Recipient{"people/pa"}},
		{"the team's managers once the adviser has gone", Input{YoungPerson: yp, Managers: []string{"tm"}, AdviserGone: true},
			[]domain.Recipient{"people/tm"}},
		{"the council when no one else may", Input{YoungPerson: yp, AdviserGone: true}, []domain.Recipient{"organisations/notts"}},
	}
	for _, c := range cases {
		if got := RequestRecipients(c.in); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Working out the schedule keeps a request open until support ends.
	in := Input{YoungPerson: yp}
	req := domain.Reminder{Rule: RuleAdviserSupport, DueOn: civil.New(2026, 1, 5), Recipient: "people/pa"}
	if !applies(in, civil.New(2026, 3, 1), req) {
		t.Error("a request was cancelled before support ended")
	}
	if applies(in, civil.New(2029, 1, 11), req) {
		t.Error("a request outlived support")
	}
}

func TestOwnRemindersGoToTheYoungPersonAloneWhileAskedFor(t *testing.T) {
	off := input()
	on := input()
	on.Own = "yp-account"
	for _, c := range []struct {
		today   civil.Date
		off, on []string
	}{
		{d(2027, 2, 14), []string{"milestone.lead.30d m1"}, []string{"milestone.lead.30d m1"}},
		// 14 days before: theirs, beside (not instead of) the staff's latest lead.
		{d(2027, 2, 22), []string{"milestone.lead.7d m1"}, []string{"own.due_soon m1", "milestone.lead.7d m1"}},
		{d(2027, 3, 1), []string{"milestone.due m1"}, []string{"milestone.due m1"}},
		{d(2027, 3, 2), []string{"milestone.due m1"}, []string{"milestone.due m1", "own.overdue m1"}},
	} {
		if got := rulesOn(PlanOn(off, c.today).Raise); !slices.Equal(got, c.off) {
			t.Errorf("%s off: raise %v, want %v", c.today, got, c.off)
		}
		plan := PlanOn(on, c.today)
		if got := rulesOn(plan.Raise); !slices.Equal(got, c.on) {
			t.Errorf("%s on: raise %v, want %v", c.today, got, c.on)
		}
		for _, due := range plan.Raise {
			own := due.Rule == RuleOwnDueSoon || due.Rule == RuleOwnOverdue
			if mine := slices.Contains(due.Recipients, domain.PersonRecipient("yp-account")); own != mine ||
				own && (len(due.Recipients) != 1 || due.Title != "Plan") {
				t.Errorf("%s %s: to %v titled %q; want own reminders to the young person alone, by the milestone's title",
					c.today, due.Rule, due.Recipients, due.Title)
			}
		}
	}
	// Turned off, what was raised no longer applies; the staff's still does.
	mine := domain.Reminder{Rule: RuleOwnDueSoon, MilestoneID: "m1", DueOn: d(2027, 2, 15), Recipient: domain.PersonRecipient("yp-account")}
	if !applies(on, d(2027, 2, 22), mine) || applies(off, d(2027, 2, 22), mine) {
		t.Error("an own reminder should apply while asked for, and not once turned off")
	}
	staff := domain.Reminder{Rule: LeadRule(7), MilestoneID: "m1", DueOn: d(2027, 2, 22), Recipient: domain.PersonRecipient("pa")}
	if !applies(off, d(2027, 2, 22), staff) {
		t.Error("the adviser's reminder should still apply")
	}
}

// PlanOn works from the unordered schedule and keeps only what it needs; day by day it must
// say what the ordered schedule says: what is raised and in which order, when next, and
// that every reminder raised on or before the day still applies.
func TestPlanOnAgreesWithTheSchedule(t *testing.T) {
	in := input()
	in.Milestones = append(in.Milestones,
		domain.Milestone{ID: "m2", Title: "Visit", Applicable: true, State: domain.Scheduled,
			DueDate: d(2027, 3, 1), LapseDate: d(2027, 4, 1), OwnerPerson: "pa"},
		domain.Milestone{ID: "m3", Title: "Review", Statutory: true, Applicable: true, State: domain.Planned,
			DueDate: d(2026, 12, 20), LapseDate: d(2027, 6, 20)})
	in.Own = "me"
	sched := sortedSchedule(in)
	for day := d(2026, 9, 1); day.Before(d(2027, 8, 1)); day = day.AddDays(1) {
		var want []string
		var next civil.Date
		latest := map[string]civil.Date{}
		for _, x := range sched {
			if !day.Before(x.DueOn) && day.Before(x.Until) && isLead(x) && x.DueOn.After(latest[x.MilestoneID]) {
				latest[x.MilestoneID] = x.DueOn
			}
		}
		for _, x := range sched {
			switch {
			case day.Before(x.DueOn):
				if next.IsZero() {
					next = x.DueOn
				}
			case day.Before(x.Until) && (!isLead(x) || x.DueOn == latest[x.MilestoneID]):
				want = append(want, x.Rule+" "+x.MilestoneID)
			}
		}
		in.Open = nil
		for _, x := range sched {
			if !day.Before(x.DueOn) {
				in.Open = append(in.Open, domain.Reminder{Rule: x.Rule, MilestoneID: x.MilestoneID, DueOn: x.DueOn, Recipient: x.Recipients[0]})
			}
		}
		p := PlanOn(in, day)
		if got := rulesOn(p.Raise); !slices.Equal(got, want) || p.Next != next {
			t.Fatalf("%s: raise %v next %s, want %v next %s", day, got, p.Next, want, next)
		}
		if len(p.Stale) > 0 {
			t.Fatalf("%s: %d reminders raised on or before the day no longer apply, the first %+v", day, len(p.Stale), p.Stale[0])
		}
	}
}

// windowed is in as a council-wide sweep loads it on today: the milestones due within
// Window, and those its open reminders name.
func windowed(in Input, today civil.Date) Input {
	from, to := Window(today)
	named := map[string]bool{}
	for _, r := range in.Open {
		named[r.MilestoneID] = true
	}
	in.Milestones = slices.DeleteFunc(slices.Clone(in.Milestones), func(m domain.Milestone) bool {
		return !named[m.ID] && (m.DueDate.Before(from) || m.DueDate.After(to))
	})
	in.Horizon = to
	return in
}

// TestAWindowOfThePathwayPlansTheSame checks Window against the whole pathway, under the
// default rules and the longest lead and escalation a council may set, on either day a
// sweep may work out: the same reminders are raised and cancelled, and the next look comes
// no later than the whole pathway's, before anything due beyond the window.
func TestAWindowOfThePathwayPlansTheSame(t *testing.T) {
	longest := rules
	longest.LeadDays, longest.EscalateAfterDays = []int{catalogue.MaxLeadDay, 30}, catalogue.MaxEscalateAfterDays
	in := input()
	in.Own = "me"
	in.Milestones = nil
	for i, due := 0, d(2023, 1, 10); due.Before(d(2034, 6, 1)); i, due = i+1, due.AddDays(41) {
		if due.After(d(2027, 1, 1)) && due.Before(d(2029, 6, 1)) {
			continue // two years and more with nothing due
		}
		in.Milestones = append(in.Milestones, domain.Milestone{ID: "m" + strconv.Itoa(i), Title: "Step", Statutory: i%2 == 0,
			Applicable: true, State: domain.Planned, DueDate: due, LapseDate: due.AddDays(30 + 20*(i%12))})
	}
	for _, r := range []catalogue.ReminderRules{rules, longest} {
		in.Rules = r
		all := sortedSchedule(in)
		for today := d(2024, 1, 1); today.Before(d(2032, 1, 1)); today = today.AddDays(5) {
			for _, day := range []civil.Date{today.AddDays(-1), today} {
				in.Open = nil
				for _, x := range all {
					// Every third reminder raised so far still open, some for years.
					if !day.Before(x.DueOn) && len(in.Open)%3 == 0 {
						in.Open = append(in.Open, domain.Reminder{Rule: x.Rule, MilestoneID: x.MilestoneID, DueOn: x.DueOn, Recipient: x.Recipients[0]})
					}
				}
				whole, part := PlanOn(in, day), PlanOn(windowed(in, today), day)
				if got, want := rulesOn(part.Raise), rulesOn(whole.Raise); !slices.Equal(got, want) {
					t.Fatalf("%v, %s: the window raises %v, the whole pathway %v", r.LeadDays, day, got, want)
				}
				if len(part.Stale) != len(whole.Stale) {
					t.Fatalf("%v, %s: the window cancels %d reminders, the whole pathway %d", r.LeadDays, day, len(part.Stale), len(whole.Stale))
				}
				_, to := Window(today)
				if !part.Next.After(day) || !whole.Next.IsZero() && whole.Next.Before(part.Next) ||
					part.Next != whole.Next && part.Next.After(to.AddDays(1-slices.Max(r.LeadDays))) {
					t.Fatalf("%v, %s: the window looks next on %s, the whole pathway on %s", r.LeadDays, day, part.Next, whole.Next)
				}
			}
		}
	}
}
