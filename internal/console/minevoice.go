package console

import (
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The young person's voice: what they want and how they feel about each part of their
// plan (which their pathway plan review must consider), their own goals, and "I can..."
// checklists whose completion the cliff-edge checks count, marked as said by them.

type voicePage struct {
	Areas    []voiceArea
	Goals    []*pb.Goal
	Feelings []option
	Done     string
}

type voiceArea struct {
	Key, Title, Wants, Feeling string
}

var feelings = []option{{"good", "Good"}, {"ok", "OK"}, {"worried", "Worried"}, {"not-sure", "Not sure"}}

var feelingValues = map[string]pb.Feeling{"good": pb.Feeling_FEELING_GOOD, "ok": pb.Feeling_FEELING_OK,
	"worried": pb.Feeling_FEELING_WORRIED, "not-sure": pb.Feeling_FEELING_NOT_SURE}

// viewKey is a plan area's name in a view's resource name: ACCOMMODATION -> accommodation.
func viewKey(a pb.MilestoneDefinition_Area) string {
	return strings.ReplaceAll(strings.ToLower(a.String()), "_", "-")
}

func (c *Console) myVoice(cl *call) (view, error) {
	if cl.sess.YoungPerson == "" {
		return notFound(), nil
	}
	parent := "youngPeople/" + cl.sess.YoungPerson
	var views []*pb.View
	var goals []*pb.Goal
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() error {
		res, err := c.clients.voice.ListViews(ctx, &pb.ListViewsRequest{Parent: parent})
		views = res.GetViews()
		return err
	})
	g.Go(func() error {
		res, err := c.clients.voice.ListGoals(ctx, &pb.ListGoalsRequest{Parent: parent, PageSize: 50})
		goals = res.GetGoals()
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	byArea := map[string]*pb.View{}
	for _, v := range views {
		byArea[lastSegment(v.GetName())] = v
	}
	p := voicePage{Goals: goals, Feelings: feelings, Done: map[string]string{
		"view": "Thank you. Your adviser will see what you said.", "goal": "Your goal is saved.", "goal-done": "Well done!",
	}[cl.r.URL.Query().Get("done")]}
	for _, a := range areaOrder {
		va := voiceArea{Key: viewKey(a), Title: areaForYou[a]}
		if v := byArea[va.Key]; v != nil {
			va.Wants = v.GetWants()
			for k, f := range feelingValues {
				if f == v.GetFeeling() {
					va.Feeling = k
				}
			}
		}
		p.Areas = append(p.Areas, va)
	}
	return view{template: "mine-voice", title: "What you want", data: p}, nil
}

// saveView records what the young person wants for one area and how they feel.
func (c *Console) saveView(cl *call) (redirect, view, error) {
	area := cl.r.PathValue("area")
	f := cl.r.PostForm
	v := &pb.View{Name: "youngPeople/" + cl.sess.YoungPerson + "/views/" + area, Wants: strings.TrimSpace(f.Get("wants")),
		Feeling: feelingValues[f.Get("feeling")]}
	_, err := c.clients.voice.UpdateView(cl.ctx, &pb.UpdateViewRequest{View: v, AllowMissing: true,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"wants", "feeling"}}})
	if status.Code(err) == codes.InvalidArgument {
		return "", view{}, err // the error page lists what was wrong
	}
	if err != nil {
		return "", view{}, err
	}
	return redirect(Prefix + "me/voice?done=view#area-" + area), view{}, nil
}

// addGoal adds one of the young person's own goals, with an optional date.
func (c *Console) addGoal(cl *call) (redirect, view, error) {
	f := cl.r.PostForm
	title := strings.TrimSpace(f.Get("goal-title"))
	goal := &pb.Goal{Title: title}
	var errs []fieldError
	if title == "" {
		errs = append(errs, fieldError{Field: "goal-title", Message: "Write your goal."})
	}
	if f.Get("goal-date-day")+f.Get("goal-date-month")+f.Get("goal-date-year") != "" {
		d, e := dateField(f, "goal-date", "the date")
		if e != nil {
			errs = append(errs, *e)
		}
		goal.TargetDate = d
	}
	if len(errs) == 0 {
		_, err := c.clients.voice.CreateGoal(cl.ctx, &pb.CreateGoalRequest{Parent: "youngPeople/" + cl.sess.YoungPerson, Goal: goal})
		if err == nil {
			return redirect(Prefix + "me/voice?done=goal#goals"), view{}, nil
		}
		var ok bool
		if errs, ok = formErrors(err, map[string]string{"goal.title": "goal-title", "goal.target_date": "goal-date-day"}); !ok {
			return "", view{}, err
		}
	}
	v, err := c.myVoice(cl)
	v.errors, v.status = errs, 400
	return "", v, err
}

// goalDone marks one goal done.
func (c *Console) goalDone(cl *call) (redirect, view, error) {
	name := "youngPeople/" + cl.sess.YoungPerson + "/goals/" + cl.r.PathValue("goal")
	_, err := c.clients.voice.UpdateGoal(cl.ctx, &pb.UpdateGoalRequest{Goal: &pb.Goal{Name: name, Done: true},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"done"}}})
	if err != nil {
		return "", view{}, err
	}
	return redirect(Prefix + "me/voice?done=goal-done#goals"), view{}, nil
}

// skillsPage is the "I can..." checklists, with the cliff-edge check they count towards.
type skillsPage struct {
	Lists []*pb.SkillChecklist
	Check *pb.CliffEdgeCheck
	Done  string
}

func (c *Console) mySkills(cl *call) (view, error) {
	if cl.sess.YoungPerson == "" {
		return notFound(), nil
	}
	name := "youngPeople/" + cl.sess.YoungPerson
	p := skillsPage{Done: map[string]string{"saved": "Your answers are saved."}[cl.r.URL.Query().Get("done")]}
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() error {
		res, err := c.clients.voice.ListSkillChecklists(ctx, &pb.ListSkillChecklistsRequest{Parent: name})
		p.Lists = res.GetSkillChecklists()
		return err
	})
	g.Go(func() error {
		a, err := c.clients.readiness.GetCliffEdgeAssessment(ctx, &pb.GetCliffEdgeAssessmentRequest{Name: name + "/cliffEdgeAssessment"})
		if status.Code(err) == codes.FailedPrecondition {
			return nil
		}
		for _, ch := range a.GetChecks() {
			if ch.GetCheck() == "money_and_skills" {
				p.Check = ch
			}
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	return view{template: "mine-skills", title: "What you can do", data: p}, nil
}

// saveSkills saves one checklist: every item, ticked or not.
func (c *Console) saveSkills(cl *call) (redirect, view, error) {
	area := cl.r.PathValue("area")
	name := "youngPeople/" + cl.sess.YoungPerson + "/skillChecklists/" + area
	res, err := c.clients.voice.ListSkillChecklists(cl.ctx, &pb.ListSkillChecklistsRequest{Parent: "youngPeople/" + cl.sess.YoungPerson})
	if err != nil {
		return "", view{}, err
	}
	ticked := map[string]bool{}
	for _, k := range cl.r.PostForm["can"] {
		ticked[k] = true
	}
	for _, l := range res.GetSkillChecklists() {
		if l.GetName() != name {
			continue
		}
		list := &pb.SkillChecklist{Name: name, Etag: cl.r.PostFormValue("etag")}
		for _, it := range l.GetItems() {
			list.Items = append(list.Items, &pb.SkillItem{Key: it.GetKey(), CanDo: ticked[it.GetKey()]})
		}
		if _, err := c.clients.voice.UpdateSkillChecklist(cl.ctx, &pb.UpdateSkillChecklistRequest{SkillChecklist: list}); err != nil {
			return "", view{}, err
		}
		return redirect(fmt.Sprintf("%sme/skills?done=saved#list-%s", Prefix, area)), view{}, nil
	}
	return "", notFound(), nil
}
