package planner_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/reminder"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
)

// clock is a controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func stores(t *testing.T) map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store { return memory.New() },
		"postgres": func(t *testing.T) store.Store {
			s, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			return s
		},
	}
}

const ypID = "0b5e0000-0000-4000-8000-000000000229"

// clockChanges are days the clocks change in Europe/London.
var clockChanges = []civil.Date{civil.New(2025, 10, 26), civil.New(2026, 3, 29)}

// A young person born on 29 February 2008, looked after from 14, moves through their 17th
// and 18th years with the clock stepping every three hours (twice through the clocks
// changing) and the reminder sweep running at every step, sometimes twice. Every reminder
// is raised once, on its day, after the 09:00 send time; completing a milestone cancels its
// open reminders and stops the rest.
func TestRemindersThroughThe17thAnd18thYears(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			start := time.Date(2025, 2, 27, 0, 0, 0, 0, time.UTC)
			end := time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)
			clk := &clock{t: start}
			p := planner.New(catalogue.Default(), clk.Now)
			today := civil.Today(start)
			err := s.InTx(ctx, func(tx store.Tx) error {
				if err := demo.LoadAccess(ctx, tx, today, start); err != nil {
					return err
				}
				yp := domain.YoungPerson{ID: ypID, GivenName: "Test", FamilyName: "Leapling", DateOfBirth: civil.New(2008, 2, 29),
					CouncilID: demo.CouncilID, CaseReference: "T-229", PersonalAdviserID: demo.AdviserNorth, CreateTime: start, UpdateTime: start}
				if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
					return err
				}
				if _, err := tx.CreateCareEpisode(ctx, domain.CareEpisode{ID: "0b5e0000-0000-4000-8000-0000000e0229", YoungPersonID: ypID,
					Start: civil.New(2022, 3, 1), LegalStatus: "C2", PlacementType: "U3", CreateTime: start, UpdateTime: start}); err != nil {
					return err
				}
				// One-off milestones due on the days the clocks go back and forward.
				for i, due := range clockChanges {
					if _, err := tx.CreateMilestone(ctx, domain.Milestone{ID: fmt.Sprintf("0b5e0000-0000-4000-8000-00000000c%03d", i),
						YoungPersonID: ypID, CouncilID: demo.CouncilID, Title: "Clock change visit", Area: "CONTACT_AND_SUPPORT",
						OwnerAgency: "CHILDRENS_SOCIAL_CARE", DueDate: due, LapseDate: due.AddDays(365), Applicable: true,
						State: domain.Planned, CreateTime: start, UpdateTime: start}); err != nil {
						return err
					}
				}
				return p.Replan(ctx, tx, ypID)
			})
			if err != nil {
				t.Fatal(err)
			}
			// The pathway plan was written on 29 May 2024, so its six-monthly reviews fall on the
			// 29th of November and of May.
			for _, id := range milestonesOf(t, s, "age16.pathway_plan") {
				completeReview(t, s, p, id, civil.New(2024, 5, 29), start)
			}
			if err := s.InTx(ctx, func(tx store.Tx) error { return p.Replan(ctx, tx, ypID) }); err != nil {
				t.Fatal(err)
			}
			reviews := milestonesOf(t, s, "plan.review")
			completeOn := civil.New(2026, 5, 1)
			for step := 0; clk.Now().Before(end); step++ {
				clk.Set(start.Add(time.Duration(step) * 3 * time.Hour))
				for range 1 + step%2 { // running again raises nothing more
					if _, err := p.RefreshReminders(ctx, s, 50, 2); err != nil {
						t.Fatal(err)
					}
				}
				if civil.Today(clk.Now()) == completeOn && clk.Now().Hour() == 12 {
					completeReview(t, s, p, reviews[civil.New(2026, 5, 29)], completeOn, clk.Now())
				}
			}
			all := listAll(t, s)

			// Once each.
			seen := map[string]bool{}
			for _, r := range all {
				k := fmt.Sprint(r.Rule, r.MilestoneID, r.DueOn, r.Recipient)
				if seen[k] {
					t.Errorf("raised twice: %s", k)
				}
				seen[k] = true
			}
			// On its day, at or after 09:00 London and within the step that passed it.
			for _, r := range all {
				if r.DueOn.Before(today) {
					continue // due before the test began: raised at once, within the catch-up window
				}
				at := reminder.SendTime(r.DueOn, catalogue.DefaultSendAt)
				if isLead(r.Rule) && r.DueOn.Before(civil.Today(r.CreateTime)) {
					continue
				}
				if r.CreateTime.Before(at) || !r.CreateTime.Before(at.Add(3*time.Hour)) {
					t.Errorf("%s %s due %s raised at %s (London %s)", r.Rule, r.Title, r.DueOn, r.CreateTime.UTC(),
						r.CreateTime.In(civil.London).Format(time.DateTime))
				}
			}
			for _, due := range clockChanges {
				if !slices.ContainsFunc(all, func(r domain.Reminder) bool { return r.Rule == reminder.RuleDue && r.DueOn == due }) {
					t.Errorf("no reminder on %s, when the clocks changed", due)
				}
			}
			// The age notices of the two years, on the earlier leap-day candidate.
			var ages []string
			for _, r := range all {
				if strings.HasPrefix(r.Rule, "age.") && !r.DueOn.Before(today) {
					ages = append(ages, r.Rule+" "+r.DueOn.String()+" "+string(r.Recipient))
				}
			}
			want := []string{"age.17y6m 2025-08-29 people/sam-okoro", "age.18y 2026-02-28 people/sam-okoro"}
			if !slices.Equal(ages, want) {
				t.Errorf("age notices %v, want %v", ages, want)
			}
			// The six-monthly plan reviews: 90, 30 and 7 days ahead and on the day to the
			// adviser, escalated a week later to the team manager; none for the review done
			// early, whose earlier reminders were cancelled.
			var got []string
			for _, r := range all {
				if slices.Contains(slices.Collect(mapsValues(reviews)), r.MilestoneID) {
					got = append(got, fmt.Sprintf("%s %s %s %s", r.DueOn, r.Rule, r.Recipient, r.State))
				}
			}
			sort.Strings(got)
			var exp []string
			for _, due := range []civil.Date{civil.New(2025, 5, 29), civil.New(2025, 11, 29), civil.New(2026, 11, 29), civil.New(2027, 5, 29)} {
				for _, x := range []struct {
					days int
					rule string
					to   string
				}{{-90, "milestone.lead.90d", "people/sam-okoro"}, {-30, "milestone.lead.30d", "people/sam-okoro"},
					{-7, "milestone.lead.7d", "people/sam-okoro"}, {0, "milestone.due", "people/sam-okoro"},
					{7, "milestone.overdue", "people/tess-manager"}} {
					if d := due.AddDays(x.days); !d.Before(today) && d.Before(civil.Today(end)) {
						exp = append(exp, fmt.Sprintf("%s %s %s OPEN", d, x.rule, x.to))
					}
				}
			}
			early := civil.New(2026, 5, 29)
			exp = append(exp, fmt.Sprintf("%s milestone.lead.90d people/sam-okoro CANCELLED", early.AddDays(-90)),
				fmt.Sprintf("%s milestone.lead.30d people/sam-okoro CANCELLED", early.AddDays(-30)))
			sort.Strings(exp)
			if !slices.Equal(got, exp) {
				t.Errorf("plan review reminders:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(exp, "\n     "))
			}
		})
	}
}

func isLead(rule string) bool { return strings.HasPrefix(rule, "milestone.lead.") }

func mapsValues(m map[civil.Date]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// milestonesOf returns the ids of the young person's milestones of a catalogue key, by due date.
func milestonesOf(t *testing.T, s store.Store, key string) map[civil.Date]string {
	t.Helper()
	out := map[civil.Date]string{}
	err := s.InTx(context.Background(), func(tx store.Tx) error {
		states, err := tx.LoadPathways(context.Background(), []string{ypID})
		if err != nil {
			return err
		}
		for _, m := range states[0].Milestones {
			if m.Key == key {
				out[m.DueDate] = m.ID
			}
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("no %s milestones: %v", key, err)
	}
	return out
}

func completeReview(t *testing.T, s store.Store, p *planner.Planner, id string, on civil.Date, now time.Time) {
	t.Helper()
	ctx := context.Background()
	err := s.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.GetMilestone(ctx, ypID, id)
		if err != nil {
			return err
		}
		done, err := m.Complete(on, on, []domain.Evidence{{Description: "review held", RecordedBy: demo.AdviserNorth, RecordTime: now}})
		if err != nil {
			return err
		}
		if _, err := tx.UpdateMilestone(ctx, done, m.Revision); err != nil {
			return err
		}
		return p.Changed(ctx, tx, ypID)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func listAll(t *testing.T, s store.Store) []domain.Reminder {
	t.Helper()
	var out []domain.Reminder
	q := store.ReminderQuery{YoungPersonID: ypID, Oldest: true, Limit: 200}
	for {
		var page []domain.Reminder
		err := s.InTx(context.Background(), func(tx store.Tx) (err error) {
			page, err = tx.ListReminders(context.Background(), q)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out
		}
		q.AfterID = page[len(page)-1].ID
	}
}

// A partner hears of a young person only while it could look them up itself: a share in
// force under an agreement in force. When either ends at midnight, the partner's open
// reminders are cancelled by the first sweep after midnight (here 00:30 London), not at the
// 09:00 send time; an agreement ended during the day stops them at once.
func TestPartnerRemindersEndWithTheirAccess(t *testing.T) {
	// The day access ends, from the suite's clock, so that the matrix of CI's instants
	// moves it through clock changes and leap days.
	end := civil.Today(testclock.Now()).AddDays(10)
	noon := func(d civil.Date) time.Time { return d.StartIn(civil.London).Add(12 * time.Hour) }
	for _, tc := range []struct {
		name string
		// shareExpiry and agreementEnd end access at the start of the day `end`; endNow, if
		// set, ends the agreement then at the moment of the sweep.
		shareExpiry, agreementEnd bool
		endNow                    bool
	}{
		{name: "ShareExpires", shareExpiry: true},
		{name: "AgreementEnds", agreementEnd: true},
		{name: "AgreementEndedToday", endNow: true},
	} {
		for name, open := range stores(t) {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				ctx := context.Background()
				s := open(t)
				clk := &clock{t: noon(end.AddDays(-1))}
				p := planner.New(catalogue.Default(), clk.Now)
				now, day := clk.Now(), end.AddDays(-1)
				expiry := end.AddDays(300)
				if tc.shareExpiry {
					expiry = end
				}
				var agreement domain.SharingAgreement
				err := s.InTx(ctx, func(tx store.Tx) error {
					if err := demo.LoadAccess(ctx, tx, day.AddDays(-30), now); err != nil {
						return err
					}
					var err error
					if agreement, err = housingAgreement(ctx, tx); err != nil {
						return err
					}
					if tc.agreementEnd {
						agreement.End = end
						if agreement, err = tx.UpdateSharingAgreement(ctx, agreement, agreement.Revision); err != nil {
							return err
						}
					}
					return partnerOwnsAMilestone(ctx, tx, p, day, expiry, now)
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.RefreshReminders(ctx, s, 50, 1); err != nil {
					t.Fatal(err)
				}
				if rs := remindersTo(t, s, demo.HousingPartner); len(rs) != 1 || rs[0].State != domain.ReminderOpen {
					t.Fatalf("while shared, the partner has %v; want one open reminder", rs)
				}

				clk.Set(end.StartIn(civil.London).Add(30 * time.Minute))
				if tc.endNow {
					err := s.InTx(ctx, func(tx store.Tx) error {
						agreement.End, agreement.UpdateTime = end, clk.Now()
						_, err := tx.UpdateSharingAgreement(ctx, agreement, agreement.Revision)
						if err != nil {
							return err
						}
						return p.Remind(ctx, tx, ypID)
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				if _, err := p.RefreshReminders(ctx, s, 50, 1); err != nil {
					t.Fatal(err)
				}
				if rs := remindersTo(t, s, demo.HousingPartner); len(rs) != 1 || rs[0].State != domain.ReminderCancelled {
					t.Fatalf("at 00:30 on the day access ended, the partner has %v; want its reminder cancelled", rs)
				}
			})
		}
	}
}

// A sweep reads only the part of a pathway within reach of reminders (reminder.Window), yet
// still judges the open reminders of a milestone long overdue: they stay open while it does,
// and the partner's ends with its access, a year on.
func TestRemindersOfMilestonesLongOverdueStayOpenUntilTheyNoLongerApply(t *testing.T) {
	day := civil.Today(testclock.Now())
	noon := func(d civil.Date) time.Time { return d.StartIn(civil.London).Add(12 * time.Hour) }
	expiry := day.AddDays(350)
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			clk := &clock{t: noon(day)}
			p := planner.New(catalogue.Default(), clk.Now)
			remind := func(on time.Time) map[domain.Recipient]domain.ReminderState {
				t.Helper()
				clk.Set(on)
				if err := s.InTx(ctx, func(tx store.Tx) error { return p.Remind(ctx, tx, ypID) }); err != nil {
					t.Fatal(err)
				}
				out := map[domain.Recipient]domain.ReminderState{}
				for _, r := range listAll(t, s) {
					if r.MilestoneID == "0b5e0000-0000-4000-8000-0000000000a1" && r.Rule == reminder.RuleDue {
						out[r.Recipient] = r.State
					}
				}
				return out
			}
			err := s.InTx(ctx, func(tx store.Tx) error {
				if err := demo.LoadAccess(ctx, tx, day.AddDays(-30), clk.Now()); err != nil {
					return err
				}
				return partnerOwnsAMilestone(ctx, tx, p, day, expiry, clk.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
			adviser, partner := domain.PersonRecipient(demo.AdviserNorth), domain.OrganisationRecipient(demo.HousingPartner)
			open := map[domain.Recipient]domain.ReminderState{adviser: domain.ReminderOpen, partner: domain.ReminderOpen}
			if got := remind(noon(day)); !maps.Equal(got, open) {
				t.Fatalf("two days after the milestone was due, its due reminders are %v, want %v", got, open)
			}
			if got := remind(noon(day.AddDays(300))); !maps.Equal(got, open) {
				t.Fatalf("300 days after, still open, its due reminders are %v, want %v", got, open)
			}
			want := map[domain.Recipient]domain.ReminderState{adviser: domain.ReminderOpen, partner: domain.ReminderCancelled}
			if got := remind(expiry.StartIn(civil.London).Add(30 * time.Minute)); !maps.Equal(got, want) {
				t.Fatalf("the day the partner's access ended, its due reminders are %v, want %v", got, want)
			}
		})
	}
}

func housingAgreement(ctx context.Context, tx store.Tx) (domain.SharingAgreement, error) {
	agreements, err := tx.ListSharingAgreements(ctx, demo.CouncilID, "", 10)
	if err != nil {
		return domain.SharingAgreement{}, err
	}
	for _, a := range agreements {
		if a.PartnerID == demo.HousingPartner {
			return a, nil
		}
	}
	return domain.SharingAgreement{}, fmt.Errorf("the demo council has no housing agreement")
}

// partnerOwnsAMilestone adds a young person of 17, shared with the housing partner until
// expiry, with a milestone given to the partner that fell due two days before today.
func partnerOwnsAMilestone(ctx context.Context, tx store.Tx, p *planner.Planner, today, expiry civil.Date, now time.Time) error {
	yp := domain.YoungPerson{ID: ypID, GivenName: "Test", FamilyName: "Partner", DateOfBirth: today.Sub(civil.Period{Years: 17}, civil.MarchFirst),
		CouncilID: demo.CouncilID, CaseReference: "T-P", PersonalAdviserID: demo.AdviserNorth, CreateTime: now, UpdateTime: now}
	if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
		return err
	}
	if _, err := tx.CreateShare(ctx, domain.Share{ID: "0b5e0000-0000-4000-8000-0000000005e1", YoungPersonID: ypID,
		PartnerID: demo.HousingPartner, Purpose: domain.PurposeHousing, Basis: domain.BasisReferral, Start: today.AddDays(-10),
		Expiry: expiry, RecordedBy: demo.AdviserNorth, CreateTime: now}); err != nil {
		return err
	}
	m, err := tx.CreateMilestone(ctx, domain.Milestone{ID: "0b5e0000-0000-4000-8000-0000000000a1", YoungPersonID: ypID,
		CouncilID: demo.CouncilID, Title: "Housing referral", Area: "ACCOMMODATION", OwnerAgency: "HOUSING",
		DueDate: today.AddDays(-2), LapseDate: today.AddDays(200), Applicable: true, State: domain.Planned,
		CreateTime: now, UpdateTime: now})
	if err != nil {
		return err
	}
	if m, err = m.Schedule(today.AddDays(-2), demo.HousingPartner, ""); err != nil {
		return err
	}
	if _, err := tx.UpdateMilestone(ctx, m, m.Revision); err != nil {
		return err
	}
	return tx.SetReminderSchedules(ctx, []store.ReminderSchedule{{YoungPersonID: ypID, Next: now}})
}

// remindersTo are the test young person's reminders to an organisation.
func remindersTo(t *testing.T, s store.Store, org string) []domain.Reminder {
	t.Helper()
	var out []domain.Reminder
	for _, r := range listAll(t, s) {
		if r.Recipient == domain.OrganisationRecipient(org) {
			out = append(out, r)
		}
	}
	return out
}

// A young person who asked to be reminded of their own steps is, in their own inbox alone:
// the council's systems get the adviser's reminders, never the young person's.
func TestOwnRemindersAreInAppOnly(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			day := civil.Today(testclock.Now())
			clk := &clock{t: day.StartIn(civil.London).Add(12 * time.Hour)}
			p := planner.New(catalogue.Default(), clk.Now)
			now := clk.Now()
			err := s.InTx(ctx, func(tx store.Tx) error {
				if err := demo.LoadAccess(ctx, tx, day.AddDays(-30), now); err != nil {
					return err
				}
				if err := partnerOwnsAMilestone(ctx, tx, p, day, day.AddDays(300), now); err != nil {
					return err
				}
				if _, err := tx.CreateWebhookEndpoint(ctx, domain.WebhookEndpoint{ID: "0b5e0000-0000-4000-8000-0000000000e1",
					OrganisationID: demo.CouncilID, URL: "https://council.example/hooks", Description: "case system",
					Secrets: []domain.WebhookSecret{{Secret: "whsec_council", CreateTime: now}}, CreateTime: now, UpdateTime: now}); err != nil {
					return err
				}
				if _, err := tx.CreatePerson(ctx, domain.Person{ID: "own-yp", DisplayName: "Test", OrganisationID: demo.CouncilID,
					Roles: []domain.Role{domain.YoungPersonRole}, YoungPersonID: ypID, CreateTime: now, UpdateTime: now}); err != nil {
					return err
				}
				_, err := tx.SetOwnReminders(ctx, "own-yp", true, now, 0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.RefreshReminders(ctx, s, 50, 1); err != nil {
				t.Fatal(err)
			}
			var own, staff []string
			for _, r := range listAll(t, s) {
				if r.Recipient == domain.PersonRecipient("own-yp") {
					if r.Rule != reminder.RuleOwnOverdue || r.Title != "Housing referral" {
						t.Errorf("the young person has %+v", r)
					}
					own = append(own, r.ID)
				} else {
					staff = append(staff, r.ID)
				}
			}
			if len(own) != 1 || len(staff) == 0 {
				t.Fatalf("own reminders %v, staff %v; want one of the overdue milestone, and the staff's", own, staff)
			}
			var delivered []string
			err = s.InTx(ctx, func(tx store.Tx) error {
				ds, err := tx.ListDeliveries(ctx, store.DeliveryQuery{OrganisationID: demo.CouncilID, Limit: 100})
				for _, d := range ds {
					delivered = append(delivered, d.ReminderID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(delivered, own[0]) || !slices.ContainsFunc(staff, func(id string) bool { return slices.Contains(delivered, id) }) {
				t.Fatalf("deliveries of %v; want the staff's reminders and not the young person's %s", delivered, own[0])
			}
		})
	}
}

// peopleListed counts the transaction's lists of people: a team's managers are looked up so.
type peopleListed struct {
	store.Tx
	n *int
}

func (c peopleListed) ListPeople(ctx context.Context, q store.PeopleQuery) ([]domain.Person, error) {
	*c.n++
	return c.Tx.ListPeople(ctx, q)
}

// The adviser's team's managers are looked up only when a reminder is to be routed: not for
// a young person created with nothing due, but still for one whose first reminder, an age
// notice, goes to them because their adviser has left.
func TestTeamManagersAreLookedUpOnlyToRoute(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC) // after the 09:00 send time
	today := civil.Today(now)
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			p := planner.New(catalogue.Default(), func() time.Time { return now })
			create := func(id string, dob civil.Date, ref string) (lists int) {
				t.Helper()
				err := s.InTx(ctx, func(tx store.Tx) error {
					yp, err := tx.CreateYoungPerson(ctx, domain.YoungPerson{ID: id, GivenName: "New", FamilyName: "Person",
						DateOfBirth: dob, CouncilID: demo.CouncilID, CaseReference: ref, PersonalAdviserID: demo.AdviserNorth,
						CreateTime: now, UpdateTime: now})
					if err != nil {
						return err
					}
					return p.PlanNew(ctx, peopleListed{tx, &lists}, yp)
				})
				if err != nil {
					t.Fatal(err)
				}
				return lists
			}
			err := s.InTx(ctx, func(tx store.Tx) error { return demo.LoadAccess(ctx, tx, today, now) })
			if err != nil {
				t.Fatal(err)
			}
			const thirteen = "0b5e0000-0000-4000-8000-000000000013"
			if n := create(thirteen, today.Sub(civil.Period{Years: 13, Months: 2}, civil.FebruaryTwentyEighth), "N-13"); n != 0 {
				t.Errorf("creating a 13-year-old with nothing due listed people %d times", n)
			}
			err = s.InTx(ctx, func(tx store.Tx) error {
				adviser, err := tx.GetPerson(ctx, demo.AdviserNorth)
				if err != nil {
					return err
				}
				adviser.Disabled = true
				_, err = tx.UpdatePerson(ctx, adviser, adviser.Revision)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			// 16 years and 3 months old five days ago: that age's notice is raised at once.
			create(ypID, today.AddDays(-5).Sub(civil.Period{Years: 16, Months: 3}, civil.FebruaryTwentyEighth), "N-16")
			got := listAll(t, s)
			if !slices.ContainsFunc(got, func(r domain.Reminder) bool {
				return r.Rule == "age.16y3m" && r.Recipient == domain.PersonRecipient(demo.ManagerNorth)
			}) {
				t.Errorf("the age notice did not reach the team manager of the adviser who left: %v", got)
			}
		})
	}
}

// peopleRead counts the transaction's reads of one person.
type peopleRead struct {
	store.Tx
	n *int
}

func (c peopleRead) GetPerson(ctx context.Context, id string) (domain.Person, error) {
	*c.n++
	return c.Tx.GetPerson(ctx, id)
}

// Replanning reads whom the reminders may go to with the young people's shares and open
// reminders (Tx.ReminderRouting), one who has gone included, and their team's managers
// with the team: none is read on their own.
func TestReplanningReadsRecipientsTogether(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			p := planner.New(catalogue.Default(), func() time.Time { return now })
			for _, adviser := range []string{demo.AdviserNorth, "someone-who-left"} {
				reads := 0
				err := s.InTx(ctx, func(tx store.Tx) error {
					if err := demo.LoadAccess(ctx, tx, civil.Today(now), now); err != nil {
						return err
					}
					if _, err := tx.CreateYoungPerson(ctx, domain.YoungPerson{ID: ypID, GivenName: "New", FamilyName: "Person",
						DateOfBirth: civil.New(2010, 3, 1), CouncilID: demo.CouncilID, CaseReference: "N-1",
						PersonalAdviserID: adviser, CreateTime: now, UpdateTime: now}); err != nil {
						return err
					}
					if _, err := tx.CreateCareEpisode(ctx, domain.CareEpisode{ID: "0b5e0000-0000-4000-8000-0000000e0001",
						YoungPersonID: ypID, Start: civil.New(2022, 3, 1), LegalStatus: "C2", PlacementType: "U3",
						CreateTime: now, UpdateTime: now}); err != nil {
						return err
					}
					if err := p.Replan(ctx, peopleRead{tx, &reads}, ypID); err != nil {
						return err
					}
					return errRollBack
				})
				if !errors.Is(err, errRollBack) {
					t.Fatal(err)
				}
				if reads != 0 {
					t.Errorf("replanning a young person of adviser %s read %d people on their own, want none", adviser, reads)
				}
			}
		})
	}
}

var errRollBack = errors.New("roll back")
