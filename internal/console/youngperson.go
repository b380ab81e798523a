package console

import (
	"fmt"
	"html/template"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/carepath/carepath/internal/console/timeline"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// youngPersonPage is one young person: their road from 13 to 25 as a picture, the cliff
// edge's checks, their care-leaver status in words, facts, shares and recent changes.
type youngPersonPage struct {
	Person     *pb.YoungPerson
	Name       string
	Status     *pb.CareLeaverStatus
	StatusText string
	Timeline   template.HTML
	Areas      []areaMilestones
	CliffEdge  *pb.CliffEdgeAssessment
	Checks     []checkRow
	Facts      []*pb.Fact
	Shares     []*pb.Share
	Recent     []milestoneRow
	Done       string
}

// areaMilestones are one plan area's milestones, open on the page when one is overdue.
type areaMilestones struct {
	Area       string
	Milestones []milestoneRow
	Open       bool
	Summary    string // "2 overdue, 5 achieved, 12 in all"
}

type milestoneRow struct {
	M       *pb.Milestone
	ID      string
	Status  string
	Tag     string
	When    string
	Changed string
}

type checkRow struct {
	C         *pb.CliffEdgeCheck
	Word, Tag string
}

// milestonesShown is the most milestones one young person's page fetches: a whole
// pathway from 13 to 25 is about a hundred, and the timeline shows them all.
const milestonesShown = 500

func (c *Console) youngPerson(cl *call) (view, error) {
	id := cl.r.PathValue("id")
	name := "youngPeople/" + id
	p := youngPersonPage{Done: doneMessage(cl.r.URL.Query().Get("done"))}
	var milestones []*pb.Milestone
	// The reads are independent: one round trip's time, not six.
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() (err error) {
		p.Person, err = c.clients.people.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
		return err
	})
	g.Go(func() (err error) {
		p.Status, err = c.clients.episodes.GetCareLeaverStatus(ctx, &pb.GetCareLeaverStatusRequest{Name: name + "/careLeaverStatus"})
		return err
	})
	g.Go(func() error {
		res, err := c.clients.pathways.ListMilestones(ctx, &pb.ListMilestonesRequest{Parent: name, PageSize: milestonesShown})
		milestones = res.GetMilestones()
		return err
	})
	g.Go(func() error {
		a, err := c.clients.readiness.GetCliffEdgeAssessment(ctx, &pb.GetCliffEdgeAssessmentRequest{Name: name + "/cliffEdgeAssessment"})
		if status.Code(err) == codes.FailedPrecondition {
			return nil // not assessed at this age
		}
		p.CliffEdge = a
		return err
	})
	g.Go(func() error {
		res, err := c.clients.readiness.ListFacts(ctx, &pb.ListFactsRequest{Parent: name})
		p.Facts = res.GetFacts()
		return err
	})
	g.Go(func() error {
		res, err := c.clients.sharing.ListShares(ctx, &pb.ListSharesRequest{Parent: name})
		if status.Code(err) == codes.PermissionDenied {
			return nil // shares are for the council's staff; a partner sees the rest
		}
		p.Shares = res.GetShares()
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	p.Name = displayName(p.Person)
	p.StatusText = categoryWords[p.Status.GetCategory()]
	today := civilToday(p.Status.GetAsOf(), c.now())
	p.Areas, p.Recent = groupMilestones(id, milestones)
	for _, ch := range p.CliffEdge.GetChecks() {
		w := checkStatusWords[ch.GetStatus()]
		p.Checks = append(p.Checks, checkRow{C: ch, Word: w.word, Tag: w.tag})
	}
	svg, err := timeline.Render(timelineInput(p.Name, p.Person.GetDateOfBirth(), today, milestones))
	if err != nil {
		return view{}, err
	}
	p.Timeline = svg
	return view{template: "young-person", title: p.Name, data: p}, nil
}

func displayName(y *pb.YoungPerson) string {
	given := y.GetGivenName()
	if y.GetPreferredName() != "" {
		given = y.GetPreferredName()
	}
	return given + " " + y.GetFamilyName()
}

// civilToday is the API's "as of" date (the service's today), or the console's clock's.
func civilToday(asOf *date.Date, now time.Time) time.Time {
	if asOf.GetYear() != 0 {
		return dateTime(asOf)
	}
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateTime(d *date.Date) time.Time {
	if d.GetYear() == 0 {
		return time.Time{}
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

// groupMilestones puts milestones under their plan areas, in the plan's order, and picks
// the five changed most recently.
func groupMilestones(youngPerson string, ms []*pb.Milestone) ([]areaMilestones, []milestoneRow) {
	byArea := map[pb.MilestoneDefinition_Area][]milestoneRow{}
	var rows []milestoneRow
	for _, m := range ms {
		r := row(m)
		byArea[m.GetArea()] = append(byArea[m.GetArea()], r)
		rows = append(rows, r)
	}
	var areas []areaMilestones
	for _, a := range append(slices.Clone(areaOrder), pb.MilestoneDefinition_AREA_UNSPECIFIED) {
		if len(byArea[a]) > 0 {
			areas = append(areas, summarise(areaWord(a), byArea[a]))
		}
	}
	slices.SortStableFunc(rows, func(a, b milestoneRow) int {
		return b.M.GetUpdateTime().AsTime().Compare(a.M.GetUpdateTime().AsTime())
	})
	var recent []milestoneRow
	for _, r := range rows {
		if len(recent) == 5 || !r.M.GetUpdateTime().AsTime().After(r.M.GetCreateTime().AsTime()) {
			break
		}
		recent = append(recent, r)
	}
	return areas, recent
}

func summarise(area string, rows []milestoneRow) areaMilestones {
	overdue, achieved := 0, 0
	for _, r := range rows {
		switch {
		case r.M.GetOverdue():
			overdue++
		case r.M.GetState() == pb.Milestone_ACHIEVED:
			achieved++
		}
	}
	summary := fmt.Sprintf("%d achieved of %d", achieved, len(rows))
	if overdue > 0 {
		summary = fmt.Sprintf("%d overdue, %s", overdue, summary)
	}
	return areaMilestones{Area: area, Milestones: rows, Open: overdue > 0, Summary: summary}
}

func row(m *pb.Milestone) milestoneRow {
	word, tag := milestoneStatus(m)
	when := "Due " + formatDate(m.GetDueDate())
	switch {
	case m.GetState() == pb.Milestone_ACHIEVED:
		when = "Achieved " + formatDate(m.GetAchievedDate())
	case m.GetScheduledDate().GetYear() != 0:
		when = "Scheduled for " + formatDate(m.GetScheduledDate())
	}
	r := milestoneRow{M: m, ID: lastSegment(m.GetName()), Status: word, Tag: tag, When: when}
	if t := m.GetUpdateTime(); t != nil {
		r.Changed = t.AsTime().Format("2 January 2006 at 3:04pm")
	}
	return r
}

// timelineInput is the picture's input: every milestone on its plan area's row.
func timelineInput(name string, birth *date.Date, today time.Time, ms []*pb.Milestone) timeline.Input {
	in := timeline.Input{Birth: dateTime(birth), Today: today, Title: name + "’s pathway from 13 to 25"}
	for _, a := range areaOrder {
		in.Areas = append(in.Areas, areaWord(a))
	}
	for _, m := range ms {
		it := timeline.Item{Title: m.GetTitle(), Area: areaWord(m.GetArea()), Due: dateTime(m.GetDueDate()),
			Href: "#m-" + lastSegment(m.GetName())}
		switch {
		case m.GetState() == pb.Milestone_ACHIEVED:
			it.State, it.Done = timeline.Achieved, dateTime(m.GetAchievedDate())
		case m.GetState() == pb.Milestone_WAIVED || m.GetState() == pb.Milestone_NOT_APPLICABLE || m.GetLapsed():
			it.State = timeline.Closed
		case m.GetOverdue():
			it.State = timeline.Overdue
		case m.GetState() == pb.Milestone_SCHEDULED || m.GetState() == pb.Milestone_IN_PROGRESS:
			it.State = timeline.Scheduled
		default:
			it.State = timeline.Future
		}
		in.Items = append(in.Items, it)
	}
	return in
}

// doneMessage is the success banner after a form; fixed words, never the request's.
func doneMessage(done string) string {
	return map[string]string{
		"scheduled": "The milestone is scheduled.",
		"started":   "The milestone is in progress.",
		"completed": "The milestone is recorded as achieved.",
		"waived":    "The milestone is waived.",
		"reopened":  "The milestone is open again.",
		"fact":      "The fact is recorded.",
	}[done]
}
