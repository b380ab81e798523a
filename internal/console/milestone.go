package console

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// milestonePage is one milestone with the forms that move it on: schedule, start,
// complete with evidence, waive and reopen. Each form carries the milestone's etag, so a
// change someone else made since the page was opened is never overwritten.
type milestonePage struct {
	YoungPersonID, YoungPersonName string
	M                              *pb.Milestone
	Row                            milestoneRow
	Changes                        []*pb.MilestoneChange
	Actions                        map[string]bool
	Form                           url.Values // what was entered, shown again after an error
	Conflict                       bool
}

func (c *Console) milestone(cl *call) (view, error) {
	return c.milestoneView(cl, nil, nil, false)
}

// milestoneView loads the milestone (the latest version) and renders it, with a form's
// entries and errors when a post was refused.
func (c *Console) milestoneView(cl *call, form url.Values, errs []fieldError, conflict bool) (view, error) {
	id, mid := cl.r.PathValue("id"), cl.r.PathValue("milestone")
	p := milestonePage{YoungPersonID: id, Form: form, Conflict: conflict}
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() error {
		y, err := c.clients.people.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/" + id})
		p.YoungPersonName = displayName(y)
		return err
	})
	g.Go(func() (err error) {
		p.M, err = c.clients.pathways.GetMilestone(ctx, &pb.GetMilestoneRequest{Name: "youngPeople/" + id + "/milestones/" + mid})
		return err
	})
	g.Go(func() error {
		res, err := c.clients.pathways.ListMilestoneChanges(ctx, &pb.ListMilestoneChangesRequest{
			Parent: "youngPeople/" + id + "/milestones/" + mid, PageSize: 20})
		p.Changes = res.GetChanges()
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	p.Row = row(p.M)
	p.Actions = actionsFor(p.M.GetState())
	if form == nil {
		p.Form = url.Values{}
	}
	v := view{template: "milestone", title: p.M.GetTitle() + " – " + p.YoungPersonName, data: p, errors: errs}
	switch {
	case conflict:
		v.status = 409
	case len(errs) > 0:
		v.status = 400
	}
	return v, nil
}

// actionsFor are the forms a milestone in a state offers (the API decides in the end).
func actionsFor(s pb.Milestone_State) map[string]bool {
	switch s {
	case pb.Milestone_PLANNED, pb.Milestone_SCHEDULED:
		return map[string]bool{"schedule": true, "start": true, "complete": true, "waive": true}
	case pb.Milestone_IN_PROGRESS:
		return map[string]bool{"complete": true, "waive": true}
	}
	return map[string]bool{"reopen": true}
}

// milestoneAction handles the five forms. A refusal shows the form again with the API's
// reasons on its fields; a stale etag shows the latest version and says what happened.
func (c *Console) milestoneAction(cl *call) (redirect, view, error) {
	id, mid, action := cl.r.PathValue("id"), cl.r.PathValue("milestone"), cl.r.PathValue("action")
	name := "youngPeople/" + id + "/milestones/" + mid
	f := cl.r.PostForm
	etag, reason := f.Get("etag"), strings.TrimSpace(f.Get("reason"))
	var err error
	var errs []fieldError
	switch action {
	case "schedule":
		d, e := dateField(f, "scheduled-date", "the date it is scheduled for")
		if e != nil {
			errs = append(errs, *e)
			break
		}
		_, err = c.clients.pathways.ScheduleMilestone(cl.ctx, &pb.ScheduleMilestoneRequest{Name: name, ScheduledDate: d, Etag: etag, Reason: reason})
	case "start":
		_, err = c.clients.pathways.StartMilestone(cl.ctx, &pb.StartMilestoneRequest{Name: name, Etag: etag, Reason: reason})
	case "complete":
		d, e := dateField(f, "achieved-date", "the date it was achieved")
		if e != nil {
			errs = append(errs, *e)
		}
		evidence := strings.TrimSpace(f.Get("evidence"))
		if evidence == "" {
			errs = append(errs, fieldError{Field: "evidence", Message: "Enter the evidence that it was achieved."})
		}
		if len(errs) > 0 {
			break
		}
		_, err = c.clients.pathways.CompleteMilestone(cl.ctx, &pb.CompleteMilestoneRequest{Name: name, AchievedDate: d, Etag: etag, Reason: reason,
			Evidence: []*pb.Milestone_Evidence{{Description: evidence, Reference: strings.TrimSpace(f.Get("evidence-reference"))}}})
	case "waive", "reopen":
		field := action + "-reason"
		reason = strings.TrimSpace(f.Get(field))
		if reason == "" {
			errs = append(errs, fieldError{Field: field, Message: "Enter the reason."})
			break
		}
		if action == "waive" {
			_, err = c.clients.pathways.WaiveMilestone(cl.ctx, &pb.WaiveMilestoneRequest{Name: name, Reason: reason, Etag: etag})
		} else {
			_, err = c.clients.pathways.ReopenMilestone(cl.ctx, &pb.ReopenMilestoneRequest{Name: name, Reason: reason, Etag: etag})
		}
	default:
		return "", notFound(), nil
	}
	if len(errs) > 0 {
		v, err := c.milestoneView(cl, f, errs, false)
		return "", v, err
	}
	switch code := status.Code(err); {
	case err == nil:
		return redirect(Prefix + "young-people/" + id + "?done=" + pastTense[action] + "#m-" + mid), view{}, nil
	case code == codes.Aborted:
		v, err := c.milestoneView(cl, nil, []fieldError{{Message: conflictMessage}}, true)
		return "", v, err
	case code == codes.InvalidArgument || code == codes.FailedPrecondition:
		fields := map[string]string{"scheduled_date": "scheduled-date-day", "achieved_date": "achieved-date-day",
			"evidence": "evidence", "reason": reasonField(action), "care_leaver_contact": "achieved-date-day"}
		errs, ok := formErrors(err, fields)
		if !ok {
			errs = []fieldError{{Message: sentence(status.Convert(err).Message())}}
		}
		v, err := c.milestoneView(cl, f, errs, false)
		return "", v, err
	}
	return "", view{}, err
}

var pastTense = map[string]string{"schedule": "scheduled", "start": "started", "complete": "completed", "waive": "waived", "reopen": "reopened"}

func reasonField(action string) string {
	if action == "waive" || action == "reopen" {
		return action + "-reason"
	}
	return action + "-note"
}

// dateField reads a GOV.UK date input (NAME-day, NAME-month, NAME-year).
func dateField(f url.Values, name, what string) (*date.Date, *fieldError) {
	day, e1 := strconv.Atoi(strings.TrimSpace(f.Get(name + "-day")))
	month, e2 := strconv.Atoi(strings.TrimSpace(f.Get(name + "-month")))
	year, e3 := strconv.Atoi(strings.TrimSpace(f.Get(name + "-year")))
	if e1 != nil || e2 != nil || e3 != nil {
		return nil, &fieldError{Field: name + "-day", Message: "Enter " + what + " as a day, month and year, for example 27 3 2027."}
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if year < 1900 || year > 2200 || t.Day() != day || int(t.Month()) != month {
		return nil, &fieldError{Field: name + "-day", Message: "Enter " + what + " as a real date."}
	}
	return &date.Date{Year: int32(year), Month: int32(month), Day: int32(day)}, nil
}
