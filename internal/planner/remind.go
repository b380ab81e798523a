package planner

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/reminder"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// maxOpenReminders bounds how many open reminders of one young person are checked for
// cancellation at a time; a young person has a few dozen at most.
const maxOpenReminders = 1000

// Remind raises, within tx, the reminders of the young people with ids that are due by
// now, with a webhook delivery to every enabled endpoint of each recipient's organisation
// (none for a young person's own reminders, which are in-app only);
// cancels their open reminders that no longer apply; and records when each must next be
// looked at. It is idempotent: a reminder raised before is not raised again.
func (p *Planner) Remind(ctx context.Context, tx store.Tx, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	r := newReminders(tx, p.now(), p.raised)
	if err := r.load(ctx, ids, nil); err != nil {
		return err
	}
	// The schedule is of open milestones alone, and a sweep needs only those in reach, with
	// those its open reminders name, to say whether they still apply.
	var from civil.Date
	from, r.horizon = reminder.Window(civil.Today(r.now))
	states, err := tx.LoadOpenMilestones(ctx, ids, from, r.horizon, r.named())
	if err != nil {
		return err
	}
	return r.remind(ctx, p, states)
}

// remind raises the reminders of the young people of states, whole pathways.
func (p *Planner) remind(ctx context.Context, tx store.Tx, states []store.PathwayState) error {
	if len(states) == 0 {
		return nil
	}
	ids := make([]string, len(states))
	people := map[string]bool{} // whom their reminders may go to
	for i, st := range states {
		ids[i] = st.YoungPerson.ID
		people[st.YoungPerson.PersonalAdviserID] = true
		for _, m := range st.Milestones {
			people[m.OwnerPerson] = true
		}
	}
	delete(people, "")
	r := newReminders(tx, p.now(), p.raised)
	if err := r.load(ctx, ids, slices.Collect(maps.Keys(people))); err != nil {
		return err
	}
	return r.remind(ctx, p, states)
}

// remind raises the reminders of the young people of states.
func (r *reminders) remind(ctx context.Context, p *Planner, states []store.PathwayState) error {
	tx := r.tx
	var (
		gone      []string
		raise     []domain.Reminder
		schedules = make([]store.ReminderSchedule, 0, len(states))
	)
	for _, st := range states {
		plan, at, err := r.plan(ctx, p, st)
		if err != nil {
			return err
		}
		for _, rem := range plan.Stale {
			gone = append(gone, rem.ID)
		}
		raise = append(raise, r.rows(st.YoungPerson, plan.Raise)...)
		schedules = append(schedules, store.ReminderSchedule{YoungPersonID: st.YoungPerson.ID, Next: at})
	}
	// The whole batch in a few statements: cancel what no longer applies, then raise (which
	// may reopen a cancelled one), then the schedules.
	if len(gone) > 0 {
		if err := tx.CancelReminders(ctx, gone, "no longer applies", r.now); err != nil {
			return err
		}
	}
	if err := r.store(ctx, raise); err != nil {
		return err
	}
	return tx.SetReminderSchedules(ctx, schedules)
}

// reminders caches, for one call of Remind, what many young people share, and holds what
// it loaded for all of them at once.
type reminders struct {
	tx     store.Tx
	now    time.Time
	raised func(n int) // the planner's OnRaised, or nil
	// horizon is the last due date of the milestones loaded when they are only a window of
	// each pathway (reminder.Input.Horizon); zero when they are whole pathways.
	horizon   civil.Date
	councils  map[string]Council
	people    map[string]domain.Person // by id; the zero Person for one who has gone
	endpoints map[string][]domain.WebhookEndpoint
	managers  map[string][]string // organisation/team → team managers
	// agreementsOf are each council's sharing agreements.
	agreementsOf map[string][]domain.SharingAgreement
	// shares, accounts and open are the young people's shares, own accounts (of those who
	// have one) and open reminders, by young person.
	shares   map[string][]domain.Share
	accounts map[string]domain.Person
	open     map[string][]domain.Reminder
}

func newReminders(tx store.Tx, now time.Time, raised func(int)) *reminders {
	return &reminders{tx: tx, now: now, raised: raised, councils: map[string]Council{}, people: map[string]domain.Person{},
		endpoints: map[string][]domain.WebhookEndpoint{}, managers: map[string][]string{},
		agreementsOf: map[string][]domain.SharingAgreement{}, shares: map[string][]domain.Share{},
		accounts: map[string]domain.Person{}, open: map[string][]domain.Reminder{}}
}

// load reads the young people's shares, accounts and open reminders, and the people of
// personIDs (advisers and owners, as far as they are known before planning), in one go;
// one of personIDs who has gone is known as such (the zero Person), as person would.
func (r *reminders) load(ctx context.Context, ids, personIDs []string) error {
	got, err := r.tx.ReminderRouting(ctx, ids, personIDs, maxOpenReminders)
	if err != nil {
		return err
	}
	for _, s := range got.Shares {
		r.shares[s.YoungPersonID] = append(r.shares[s.YoungPersonID], s)
	}
	for _, id := range personIDs {
		r.people[id] = domain.Person{}
	}
	for _, p := range got.People {
		r.people[p.ID] = p
	}
	for _, a := range got.Accounts {
		r.accounts[a.YoungPersonID], r.people[a.ID] = a, a
	}
	for _, rem := range got.Open {
		r.open[rem.YoungPersonID] = append(r.open[rem.YoungPersonID], rem)
	}
	return nil
}

// named are the milestones the open reminders name.
func (r *reminders) named() []string {
	var out []string
	for _, open := range r.open {
		for _, rem := range open {
			if rem.MilestoneID != "" {
				out = append(out, rem.MilestoneID)
			}
		}
	}
	return out
}

// plan works out which of the young person's reminders are due by now, and when they must
// next be looked at (the zero time for never).
func (r *reminders) plan(ctx context.Context, p *Planner, st store.PathwayState) (reminder.Plan, time.Time, error) {
	yp := st.YoungPerson
	c, ok := r.councils[yp.CouncilID]
	if !ok {
		var err error
		if c, err = p.Council(ctx, r.tx, yp.CouncilID); err != nil {
			return reminder.Plan{}, time.Time{}, err
		}
		r.councils[yp.CouncilID] = c
	}
	// Raising follows the send time: the day whose reminders are due is today once it has
	// passed, else yesterday. Who may hear of the young person follows the date now: a
	// partner whose share or agreement ended at midnight hears nothing more from midnight,
	// and its open reminders are cancelled then, not at the send time.
	today := civil.Today(r.now)
	day := reminder.Day(r.now, c.Catalogue.Reminders.SendAt)
	in, wake, err := r.input(ctx, c, st, today)
	if err != nil {
		return reminder.Plan{}, time.Time{}, err
	}
	// The team's managers are only ever recipients: which reminders are raised and when to
	// look next do not depend on them, and with nothing raised and nothing open they would
	// change nothing. So they are looked up only when there is something to route: most
	// young people on most days, and every one as they are created, need no look-up.
	needManagers := yp.PersonalAdviserID != "" && len(in.Open) > 0
	if needManagers {
		if in.Managers, err = r.teamManagers(ctx, yp.PersonalAdviserID); err != nil {
			return reminder.Plan{}, time.Time{}, err
		}
	}
	plan := reminder.PlanOn(in, day)
	if !needManagers && yp.PersonalAdviserID != "" && len(plan.Raise) > 0 {
		if in.Managers, err = r.teamManagers(ctx, yp.PersonalAdviserID); err != nil {
			return reminder.Plan{}, time.Time{}, err
		}
		plan = reminder.PlanOn(in, day)
	}
	var at time.Time
	if !plan.Next.IsZero() {
		at = reminder.SendTime(plan.Next, in.Rules.SendAt)
	}
	// Shares and agreements start and run out by themselves, at midnight: look again then.
	for _, w := range wake {
		if midnight := w.StartIn(civil.London); today.Before(w) && (at.IsZero() || midnight.Before(at)) {
			at = midnight
		}
	}
	return plan, at, nil
}

// input gathers what the rules need, with the partners who may hear of the young person
// today, and the days on which that may change.
func (r *reminders) input(ctx context.Context, c Council, st store.PathwayState, today civil.Date) (reminder.Input, []civil.Date, error) {
	yp := st.YoungPerson
	in := reminder.Input{YoungPerson: yp, Milestones: st.Milestones, Rules: c.Catalogue.Reminders,
		LeaplingRule: c.Settings.LeaplingRule, Organisations: map[string]string{}, Open: r.open[yp.ID], Horizon: r.horizon}
	var err error
	if in.SharedWith, err = store.SharedPartnersBy(ctx, r.tx, yp.ID, r.shares[yp.ID], today); err != nil {
		return in, nil, err
	}
	wake, err := r.sharingChanges(ctx, yp, today)
	if err != nil {
		return in, nil, err
	}
	in.StaffWhoMaySee = map[string]bool{}
	for _, m := range st.Milestones {
		if m.OwnerPerson == "" {
			continue
		}
		owner, err := r.person(ctx, m.OwnerPerson)
		if err != nil {
			return in, nil, err
		}
		in.Organisations[m.OwnerPerson] = owner.OrganisationID
		if owner.OrganisationID == yp.CouncilID && !owner.Disabled {
			if in.StaffWhoMaySee[owner.ID], err = r.staffMaySee(ctx, owner, yp); err != nil {
				return in, nil, err
			}
		}
	}
	// Their own account, if they have asked to be reminded of their own steps and may
	// still sign in.
	if acc, ok := r.accounts[yp.ID]; ok && acc.OwnReminders && !acc.Disabled {
		in.Own = acc.ID
	}
	if yp.PersonalAdviserID != "" {
		adviser, err := r.person(ctx, yp.PersonalAdviserID)
		if err != nil {
			return in, nil, err
		}
		in.AdviserGone = adviser.ID == "" || adviser.Disabled
	}
	return in, wake, nil // in.Managers: see plan
}

// sharingChanges are the days after today on which a share of the young person, or the
// agreement it is made under, starts or ends.
func (r *reminders) sharingChanges(ctx context.Context, yp domain.YoungPerson, today civil.Date) ([]civil.Date, error) {
	var out []civil.Date
	for _, s := range r.shares[yp.ID] {
		if !s.WithdrawTime.IsZero() || !today.Before(s.Expiry) {
			continue
		}
		out = append(out, s.Start, s.Expiry)
		agreements, err := r.agreements(ctx, yp.CouncilID)
		if err != nil {
			return nil, err
		}
		for _, a := range agreements {
			if a.PartnerID == s.PartnerID && a.Purpose == s.Purpose {
				out = append(out, a.Start, a.End)
			}
		}
	}
	return slices.DeleteFunc(out, func(d civil.Date) bool { return !today.Before(d) }), nil
}

// agreements are a council's sharing agreements, loaded once per call of Remind.
func (r *reminders) agreements(ctx context.Context, councilID string) ([]domain.SharingAgreement, error) {
	if as, ok := r.agreementsOf[councilID]; ok {
		return as, nil
	}
	var out []domain.SharingAgreement
	after := ""
	for {
		page, err := r.tx.ListSharingAgreements(ctx, councilID, after, 100)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 100 {
			break
		}
		after = page[len(page)-1].ID
	}
	r.agreementsOf[councilID] = out
	return out, nil
}

// staffMaySee reports whether a member of the council's staff may open the young person, by
// the access model's scope.
func (r *reminders) staffMaySee(ctx context.Context, p domain.Person, yp domain.YoungPerson) (bool, error) {
	var team []string
	if p.Has(domain.TeamManager) && p.Team != "" {
		var err error
		team, err = store.TeamMembers(ctx, r.tx, p.OrganisationID, p.Team, func(q domain.Person) bool { return q.Has(domain.PersonalAdviser) })
		if err != nil {
			return false, err
		}
	}
	return store.StaffScope(p.OrganisationID, p.ID, p.Roles, team).Contains(yp), nil
}

// teamManagers are the enabled team managers of a person's team.
func (r *reminders) teamManagers(ctx context.Context, personID string) ([]string, error) {
	adviser, err := r.person(ctx, personID)
	if err != nil || adviser.Team == "" {
		return nil, err
	}
	key := adviser.OrganisationID + "/" + adviser.Team
	if ms, ok := r.managers[key]; ok {
		return ms, nil
	}
	// The managers read here are known from now on: reminders to them are routed by them.
	out, err := store.TeamMembers(ctx, r.tx, adviser.OrganisationID, adviser.Team, func(p domain.Person) bool {
		manager := p.Has(domain.TeamManager) && !p.Disabled
		if manager {
			r.people[p.ID] = p
		}
		return manager
	})
	if err != nil {
		return nil, err
	}
	r.managers[key] = out
	return out, nil
}

// rows are the reminders due to raise for the young person, one per recipient.
func (r *reminders) rows(yp domain.YoungPerson, due []reminder.Due) []domain.Reminder {
	var rows []domain.Reminder
	for _, d := range due {
		for _, to := range d.Recipients {
			rows = append(rows, domain.Reminder{ID: newID(), YoungPersonID: yp.ID, CouncilID: yp.CouncilID, Rule: d.Rule,
				MilestoneID: d.MilestoneID, Title: d.Title, DueOn: d.DueOn, Recipient: to, State: domain.ReminderOpen,
				CreateTime: r.now, UpdateTime: r.now, Revision: 1})
		}
	}
	return rows
}

// store stores the reminders and a delivery of each new one to its recipient
// organisation's endpoints.
func (r *reminders) store(ctx context.Context, rows []domain.Reminder) error {
	if len(rows) == 0 {
		return nil
	}
	added, err := r.tx.AddReminders(ctx, rows)
	if err != nil {
		return err
	}
	if r.raised != nil && len(added) > 0 {
		r.raised(len(added))
	}
	var deliveries []domain.Delivery
	for _, rem := range added {
		if own, err := r.toYoungPerson(ctx, rem.Recipient); err != nil {
			return err
		} else if own {
			continue // in-app only: a young person's reminders go to no organisation's systems
		}
		org, err := r.organisationOf(ctx, rem.Recipient)
		if err != nil {
			return err
		}
		eps, err := r.enabledEndpoints(ctx, org)
		if err != nil {
			return err
		}
		for _, ep := range eps {
			deliveries = append(deliveries, domain.NewDelivery(newID(), rem.ID, ep, r.now))
		}
	}
	if len(deliveries) == 0 {
		return nil
	}
	_, err = r.tx.AddDeliveries(ctx, deliveries)
	return err
}

// organisationOf is the recipient's organisation: its own, or the person's ("" for one
// who has gone).
func (r *reminders) organisationOf(ctx context.Context, to domain.Recipient) (string, error) {
	if org, ok := to.Organisation(); ok {
		return org, nil
	}
	id, _ := to.Person()
	p, err := r.person(ctx, id)
	return p.OrganisationID, err
}

// toYoungPerson reports whether a reminder goes to a young person's own account.
func (r *reminders) toYoungPerson(ctx context.Context, to domain.Recipient) (bool, error) {
	id, ok := to.Person()
	if !ok {
		return false, nil
	}
	p, err := r.person(ctx, id)
	return p.YoungPersonID != "", err
}

// person loads a person once per call of Remind; one who has gone is the zero Person, and
// their reminders go nowhere.
func (r *reminders) person(ctx context.Context, id string) (domain.Person, error) {
	if p, ok := r.people[id]; ok {
		return p, nil
	}
	p, err := r.tx.GetPerson(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		p, err = domain.Person{}, nil
	}
	if err != nil {
		return p, err
	}
	r.people[id] = p
	return p, nil
}

func (r *reminders) enabledEndpoints(ctx context.Context, org string) ([]domain.WebhookEndpoint, error) {
	if org == "" {
		return nil, nil
	}
	if eps, ok := r.endpoints[org]; ok {
		return eps, nil
	}
	var out []domain.WebhookEndpoint
	after := ""
	for {
		eps, err := r.tx.ListWebhookEndpoints(ctx, org, after, 100)
		if err != nil {
			return nil, err
		}
		for _, ep := range eps {
			if !ep.Disabled {
				out = append(out, ep)
			}
		}
		if len(eps) < 100 {
			break
		}
		after = eps[len(eps)-1].ID
	}
	r.endpoints[org] = out
	return out, nil
}

// ReminderBatch is how many young people a reminder sweep works out in one transaction.
// Bigger batches share a claim, a load and the writes among more young people: at 20,000
// young people, with each pathway read through reminder.Window, BenchmarkRemindersPostgres
// measured 8,600 a second with 500, 10,200 to 10,700 with 1,000 and 12,500 to 14,000 with
// 2,000 (9,600 to 10,500 in a later series, the machine slower). A batch of 2,000 holds its young people's locks for about 0.3 s, and the sweep's two
// workers some 65 to 90 MB of heap at the peak (garbage included; 20 to 30 MB with 500):
// only in a catch-up of everyone, as an ordinary day claims only the few who are due.
const ReminderBatch = 2000

// RefreshReminders works out, batch young people per transaction, the reminders of everyone
// whose reminders are due by now (after downtime: everyone missed, once), and returns how
// many young people it looked at. Replicas share the work through locks the others skip.
func (p *Planner) RefreshReminders(ctx context.Context, s store.Store, batch, workers int) (int, error) {
	return drain(ctx, s, batch, workers, func(ctx context.Context, tx store.Tx) ([]string, error) {
		return tx.DueReminderSchedules(ctx, p.now(), batch)
	}, p.Remind)
}

// newID is a time-ordered id, so that reminders and deliveries list in creation order.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// RaiseRequest raises, within tx, a reminder of a young person's own request (such as
// reminder.RuleAdviserSupport) on today, to whoever the existing routing says hears what
// their personal adviser must (reminder.RequestRecipients: the adviser while they still
// work for the council, else the team's managers or the council), with a webhook delivery
// to each recipient organisation's enabled endpoints. It returns the recipients.
func (p *Planner) RaiseRequest(ctx context.Context, tx store.Tx, yp domain.YoungPerson, rule, title string) ([]domain.Recipient, error) {
	r := newReminders(tx, p.now(), p.raised)
	in := reminder.Input{YoungPerson: yp}
	if yp.PersonalAdviserID != "" {
		adviser, err := r.person(ctx, yp.PersonalAdviserID)
		if err != nil {
			return nil, err
		}
		in.AdviserGone = adviser.ID == "" || adviser.Disabled || adviser.OrganisationID != yp.CouncilID
		if in.Managers, err = r.teamManagers(ctx, yp.PersonalAdviserID); err != nil {
			return nil, err
		}
	}
	to := reminder.RequestRecipients(in)
	err := r.store(ctx, r.rows(yp, []reminder.Due{{Rule: rule, Title: title, DueOn: civil.Today(r.now), Recipients: to}}))
	return to, err
}
