package console

import (
	"html/template"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/carepath/carepath/internal/console/timeline"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The young person's own pages: their pathway in their words. They call the same API as
// staff pages, with the young person's own token, so they can only ever show that young
// person, and every read is audited as theirs.

// minePage is "Your pathway".
type minePage struct {
	Name       string
	Age        int32
	Status     string
	Timeline   template.HTML
	Next       []step
	Health     healthHistory
	Stages     []stage
	History    []string
	AdviserSet bool
	Offer      []*pb.LocalOfferEntry
	// CanAskForHelp: a former relevant care leaver from 21 may ask for a personal
	// adviser's help again (s23CZB).
	CanAskForHelp bool
	Done          string
	Contact       string
	// RemindMe is whether they asked to be reminded of their own steps; Reminders are the
	// open ones.
	RemindMe  bool
	Reminders []*pb.Reminder
}

// step is one thing coming up, with who helps.
type step struct {
	Title, When, Helper string
	Overdue             bool
}

// healthHistory says whether the young person has their health history, as inspections
// keep finding care leavers who cannot say where theirs is.
type healthHistory struct {
	Given     bool
	When, Due string
	By        string // who gave it, in words
}

const healthHistoryDefinition = "milestoneDefinitions/health.history_summary"

func (c *Console) mine(cl *call) (view, error) {
	if cl.sess.YoungPerson == "" {
		return notFound(), nil // a young person's own page; staff have theirs
	}
	name := "youngPeople/" + cl.sess.YoungPerson
	var (
		yp         *pb.YoungPerson
		status     *pb.CareLeaverStatus
		milestones []*pb.Milestone
		episodes   []*pb.CareEpisode
	)
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() (err error) {
		yp, err = c.clients.people.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
		return err
	})
	g.Go(func() (err error) {
		status, err = c.clients.episodes.GetCareLeaverStatus(ctx, &pb.GetCareLeaverStatusRequest{Name: name + "/careLeaverStatus"})
		return err
	})
	g.Go(func() error {
		res, err := c.clients.pathways.ListMilestones(ctx, &pb.ListMilestonesRequest{Parent: name, PageSize: milestonesShown})
		milestones = res.GetMilestones()
		return err
	})
	g.Go(func() error {
		res, err := c.clients.episodes.ListCareEpisodes(ctx, &pb.ListCareEpisodesRequest{Parent: name})
		episodes = res.GetCareEpisodes()
		return err
	})
	var settings *pb.ReminderSettings
	var reminders []*pb.Reminder
	g.Go(func() (err error) {
		settings, err = c.clients.voice.GetReminderSettings(ctx, &pb.GetReminderSettingsRequest{Name: name + "/reminderSettings"})
		return err
	})
	g.Go(func() error {
		res, err := c.clients.reminders.ListReminders(ctx, &pb.ListRemindersRequest{Parent: "people/me", PageSize: 10})
		reminders = res.GetReminders()
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	// The council's offer for their age, once their age is known.
	offer, err := c.clients.voice.ListLocalOfferEntries(cl.ctx, &pb.ListLocalOfferEntriesRequest{
		Parent: "organisations/" + cl.sess.Organisation, Age: yp.GetAge().GetYears(), PageSize: 20})
	if err != nil {
		return view{}, err
	}
	p := minePage{Name: displayName(yp), Age: yp.GetAge().GetYears(), Status: statusForYou[status.GetCategory()],
		Stages: stages, AdviserSet: yp.GetPersonalAdviser() != "", Offer: offer.GetLocalOfferEntries(),
		CanAskForHelp: status.GetPersonalAdviserOnRequest(), Contact: c.opts.Contact,
		RemindMe: settings.GetInApp(), Reminders: reminders,
		Done: map[string]string{"asked": "Your request has been sent. The leaving care team will contact you.",
			"reminders-on": "You will be reminded of your next steps here.", "reminders-off": "Reminders are off."}[cl.r.URL.Query().Get("done")]}
	today := civilToday(status.GetAsOf(), c.now())
	in := timelineInput("Your", yp.GetDateOfBirth(), today, milestones)
	in.Title = "Your pathway from 13 to 25"
	in.Areas = nil
	for _, a := range areaOrder {
		in.Areas = append(in.Areas, areaForYou[a])
	}
	for i, m := range milestones {
		in.Items[i].Area = areaForYou[m.GetArea()]
		in.Items[i].Href = ""
	}
	svg, err := timeline.Render(in)
	if err != nil {
		return view{}, err
	}
	p.Timeline = svg
	p.Next = nextSteps(milestones, 6)
	p.Health = healthOf(milestones)
	for _, e := range episodes {
		p.History = append(p.History, episodeForYou(e))
	}
	return view{template: "mine", title: "Your pathway", data: p}, nil
}

// nextSteps are the first n steps not yet done, soonest first, overdue ones included.
func nextSteps(ms []*pb.Milestone, n int) []step {
	var open []*pb.Milestone
	for _, m := range ms {
		switch m.GetState() {
		case pb.Milestone_PLANNED, pb.Milestone_SCHEDULED, pb.Milestone_IN_PROGRESS:
			if !m.GetLapsed() {
				open = append(open, m)
			}
		}
	}
	slices.SortStableFunc(open, func(a, b *pb.Milestone) int { return dateTime(a.GetDueDate()).Compare(dateTime(b.GetDueDate())) })
	var out []step
	for _, m := range open[:min(n, len(open))] {
		s := step{Title: m.GetTitle(), When: "By " + formatDate(m.GetDueDate()), Overdue: m.GetOverdue(),
			Helper: helperForYou[m.GetOwnerAgencyType()]}
		if s.Helper == "" {
			s.Helper = "your personal adviser"
		}
		if m.GetScheduledDate().GetYear() != 0 {
			s.When = "On " + formatDate(m.GetScheduledDate())
		}
		if s.Overdue {
			s.When = "This was due by " + formatDate(m.GetDueDate()) + ". It is late."
		}
		out = append(out, s)
	}
	return out
}

func healthOf(ms []*pb.Milestone) healthHistory {
	for _, m := range ms {
		if m.GetDefinition() != healthHistoryDefinition {
			continue
		}
		h := healthHistory{Due: formatDate(m.GetDueDate()), By: helperForYou[m.GetOwnerAgencyType()]}
		if m.GetState() == pb.Milestone_ACHIEVED {
			h.Given, h.When = true, formatDate(m.GetAchievedDate())
		}
		return h
	}
	return healthHistory{}
}

func episodeForYou(e *pb.CareEpisode) string {
	why := legalForYou[e.GetLegalStatus()]
	if why == "" {
		why = "The council looked after you."
	}
	when := "From " + formatDate(e.GetStartDate())
	if e.GetEndDate().GetYear() != 0 {
		when += " to " + formatDate(e.GetEndDate())
	}
	return strings.Join([]string{when + ".", why, placementForYou(e.GetPlacementType())}, " ")
}

// askForHelp sends a care leaver's request for a personal adviser's help again; the API
// refuses it unless they are entitled, and raises it to the council as a reminder.
func (c *Console) askForHelp(cl *call) (redirect, view, error) {
	if cl.sess.YoungPerson == "" {
		return "", notFound(), nil
	}
	_, err := c.clients.voice.RequestAdviserSupport(cl.ctx, &pb.RequestAdviserSupportRequest{
		Name: "youngPeople/" + cl.sess.YoungPerson, Message: strings.TrimSpace(cl.r.PostFormValue("message"))})
	if err != nil {
		return "", view{}, err
	}
	return redirect(Prefix + "me?done=asked#help"), view{}, nil
}

// remindMe turns the young person's own reminders on or off.
func (c *Console) remindMe(cl *call) (redirect, view, error) {
	if cl.sess.YoungPerson == "" {
		return "", notFound(), nil
	}
	on := cl.r.PostFormValue("remind") == "on"
	_, err := c.clients.voice.UpdateReminderSettings(cl.ctx, &pb.UpdateReminderSettingsRequest{ReminderSettings: &pb.ReminderSettings{
		Name: "youngPeople/" + cl.sess.YoungPerson + "/reminderSettings", InApp: on}})
	if err != nil {
		return "", view{}, err
	}
	done := "reminders-off"
	if on {
		done = "reminders-on"
	}
	return redirect(Prefix + "me?done=" + done + "#reminders"), view{}, nil
}
