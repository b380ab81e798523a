package app_test

import (
	"context"
	"fmt"
	"github.com/google/uuid"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

func pbDate(d civil.Date) *date.Date {
	return &date.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func fromPB(d *date.Date) civil.Date {
	return civil.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
}

// today is the suite's today, read afresh at each use: a test that runs across midnight
// agrees with the server on the date.
func today() civil.Date { return civil.Today(testclock.Now()) }

// agedToday returns a date of birth for someone aged years and days today: on 29 February,
// of a year with no such day, the 28th (born on 1 March, they would be a day short).
func agedToday(years, days int) civil.Date {
	return today().Sub(civil.Period{Years: years, Days: days}, civil.FebruaryTwentyEighth)
}

// youngPersonInCare creates a young person born on dob, in a placement since an age.
func youngPersonInCare(t *testing.T, s *server, ref string, dob civil.Date, since civil.Period, placement string) *pb.YoungPerson {
	t.Helper()
	ctx := context.Background()
	yp := newYoungPerson(ref)
	yp.DateOfBirth = pbDate(dob)
	created, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: yp})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pb.NewCareEpisodesServiceClient(s.conn).CreateCareEpisode(ctx, &pb.CreateCareEpisodeRequest{
		Parent: created.GetName(),
		CareEpisode: &pb.CareEpisode{StartDate: pbDate(civil.Attains(dob, since, civil.MarchFirst)),
			LegalStatus: "C2", PlacementType: placement},
	})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func pathwayOf(t *testing.T, s *server, yp string) *pb.Pathway {
	t.Helper()
	p, err := pb.NewPathwaysServiceClient(s.conn).GetPathway(context.Background(), &pb.GetPathwayRequest{Name: yp + "/pathway"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// milestone finds the milestone planned from key (its first occurrence).
func milestone(t *testing.T, p *pb.Pathway, key string, occurrence int32) *pb.Milestone {
	t.Helper()
	for _, m := range p.GetTimeline() {
		if m.GetDefinition() == "milestoneDefinitions/"+key && m.GetOccurrence() == occurrence {
			return m
		}
	}
	return nil
}

func TestDemoPathwayOfAFifteenYearOld(t *testing.T) {
	s := start(t, testConfig())
	sam := tokenFor(t, "sam-okoro") // Jordan's personal adviser
	s = s.as(sam)
	s.conn = s.dial(t, sam)
	r := s.do(t, "GET", "/v1/youngPeople/d3e10000-0000-4000-8000-000000000002/pathway", "")
	if r.code != 200 {
		t.Fatalf("HTTP %d %s", r.code, r.body)
	}
	p := pathwayOf(t, s, "youngPeople/d3e10000-0000-4000-8000-000000000002")
	if p.GetAge().GetYears() != 15 {
		t.Fatalf("the demo young person is %d", p.GetAge().GetYears())
	}
	states := map[pb.Milestone_State]int{}
	overdue, future := 0, 0
	for i, m := range p.GetTimeline() {
		states[m.GetState()]++
		if m.GetOverdue() {
			overdue++
		}
		if fromPB(m.GetDueDate()).After(today()) {
			future++
		}
		if i > 0 && fromPB(m.GetDueDate()).Before(fromPB(p.GetTimeline()[i-1].GetDueDate())) {
			t.Fatal("the timeline is not in due-date order")
		}
	}
	if states[pb.Milestone_ACHIEVED] == 0 || states[pb.Milestone_SCHEDULED] == 0 || overdue == 0 || future == 0 {
		t.Fatalf("demo timeline has states %v, %d overdue, %d future; want achieved, scheduled, overdue and future", states, overdue, future)
	}
	first, last := fromPB(p.GetTimeline()[0].GetDueDate()), fromPB(p.GetTimeline()[len(p.GetTimeline())-1].GetDueDate())
	dob := fromPB(p.GetKeyDates()[0].GetDate()).Sub(civil.Period{Years: 13}, civil.MarchFirst)
	if y, _ := civil.AgeOn(dob, first, civil.MarchFirst); y != 13 {
		t.Errorf("the timeline starts at age %d, want 13", y)
	}
	if y, _ := civil.AgeOn(dob, last, civil.MarchFirst); y != 24 {
		t.Errorf("the timeline ends at age %d, want 24", y)
	}
	c := p.GetCounts()
	if c.GetTotal() != int32(len(p.GetTimeline())) || c.GetOverdue() != int32(overdue) || c.GetAchieved() != int32(states[pb.Milestone_ACHIEVED]) {
		t.Errorf("counts %v do not match the timeline", c)
	}
	grouped := 0
	for _, g := range p.GetAreas() {
		grouped += len(g.GetMilestones())
	}
	if grouped != len(p.GetTimeline()) || len(p.GetAreas()) < 5 {
		t.Errorf("%d milestones in %d area groups; want all %d grouped", grouped, len(p.GetAreas()), len(p.GetTimeline()))
	}
	wantKeyAges := []string{"13y", "14y", "15y9m", "16y", "16y3m", "17y6m", "18y", "21y", "25y"}
	for i, kd := range p.GetKeyDates() {
		if kd.GetAge() != wantKeyAges[i] {
			t.Errorf("key date %d is for %s, want %s", i, kd.GetAge(), wantKeyAges[i])
		}
	}
}

func TestPathwayFollowsCircumstances(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			testPathwayFollowsCircumstances(t, s)
		})
	}
}

func testPathwayFollowsCircumstances(t *testing.T, s *server) {
	ctx := context.Background()
	pathways := pb.NewPathwaysServiceClient(s.conn)
	dob := agedToday(15, 30)
	yp := youngPersonInCare(t, s, "PATH-1", dob, civil.Period{Years: 12}, "U4")
	p := pathwayOf(t, s, yp.GetName())
	if milestone(t, p, "uasc.legal_representation", 1) != nil {
		t.Fatal("a UASC milestone was planned for a young person who is not UASC")
	}
	needs := milestone(t, p, "age16.needs_assessment", 1)
	if needs == nil || fromPB(needs.GetDueDate()) != civil.Attains(dob, civil.Period{Years: 16, Months: 3}, civil.MarchFirst) {
		t.Fatalf("needs assessment %v; want due at 16y3m", needs)
	}

	// Record progress: complete over REST, schedule over gRPC with the etag.
	wex := milestone(t, p, "y9.pep.options", 1)
	r := s.do(t, "POST", "/v1/"+wex.GetName()+":complete", fmt.Sprintf(
		`{"achievedDate": {"year": %d, "month": %d, "day": %d}, "evidence": [{"description": "Taster week", "reference": "DOC-7"}], "reason": "done at school"}`,
		today().Year, today().Month, today().Day))
	if r.code != 200 || r.json(t)["state"] != "ACHIEVED" {
		t.Fatalf("complete: HTTP %d %s", r.code, r.body)
	}
	scheduled, err := pathways.ScheduleMilestone(ctx, &pb.ScheduleMilestoneRequest{
		Name: needs.GetName(), ScheduledDate: pbDate(today().AddDays(30)), OwnerOrganisation: "organisations/nottinghamshire",
		OwnerPerson: "people/sam-okoro", Etag: needs.GetEtag(), Reason: "booked with the young person"})
	if err != nil || scheduled.GetState() != pb.Milestone_SCHEDULED {
		t.Fatalf("schedule: %v, %v", scheduled, err)
	}
	_, err = pathways.ScheduleMilestone(ctx, &pb.ScheduleMilestoneRequest{Name: needs.GetName(),
		ScheduledDate: pbDate(today().AddDays(40)), OwnerPerson: "people/sam-okoro", Etag: needs.GetEtag()})
	wantGRPCError(t, err, codes.Aborted, "ETAG_MISMATCH")
	wantRESTError(t, s.do(t, "POST", "/v1/"+wex.GetName()+":start", `{}`), 400, "FAILED_PRECONDITION", "INVALID_TRANSITION")
	wantRESTError(t, s.do(t, "POST", "/v1/"+needs.GetName()+":waive", `{"reason": ""}`), 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "reason")
	wantRESTError(t, s.do(t, "POST", "/v1/"+needs.GetName()+":complete", `{"achievedDate": {"year": 2026, "month": 1, "day": 1}, "evidence": []}`),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "evidence")

	// Change the date of birth: due dates move, what was recorded stays, nothing doubles.
	before := pathwayOf(t, s, yp.GetName())
	newDOB := dob.AddDays(-100)
	if _, err := s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
		YoungPerson: &pb.YoungPerson{Name: yp.GetName(), DateOfBirth: pbDate(newDOB)},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"date_of_birth"}},
	}); err != nil {
		t.Fatal(err)
	}
	after := pathwayOf(t, s, yp.GetName())
	movedNeeds := milestone(t, after, "age16.needs_assessment", 1)
	if movedNeeds.GetName() != needs.GetName() || fromPB(movedNeeds.GetDueDate()) != civil.Attains(newDOB, civil.Period{Years: 16, Months: 3}, civil.MarchFirst) {
		t.Fatalf("after the change the needs assessment is %v", movedNeeds)
	}
	if movedNeeds.GetState() != pb.Milestone_SCHEDULED || movedNeeds.GetOwnerPerson() != "people/sam-okoro" || fromPB(movedNeeds.GetScheduledDate()) != today().AddDays(30) {
		t.Fatalf("the schedule recorded was lost: %v", movedNeeds)
	}
	if done := milestone(t, after, "y9.pep.options", 1); done.GetState() != pb.Milestone_ACHIEVED ||
		len(done.GetEvidence()) != 1 || done.GetEvidence()[0].GetReference() != "DOC-7" || done.GetName() != wex.GetName() {
		t.Fatalf("the achievement recorded was lost: %v", done)
	}
	keys := map[string]int{}
	for _, m := range after.GetTimeline() {
		keys[fmt.Sprintf("%s#%d", m.GetDefinition(), m.GetOccurrence())]++
	}
	for k, n := range keys {
		if n > 1 {
			t.Fatalf("%s appears %d times", k, n)
		}
	}
	if len(after.GetTimeline()) < len(before.GetTimeline())-5 {
		t.Fatalf("the pathway shrank from %d to %d milestones", len(before.GetTimeline()), len(after.GetTimeline()))
	}

	// Flags that change the pathway: UASC adds the immigration steps.
	if _, err := s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
		YoungPerson: &pb.YoungPerson{Name: yp.GetName(), UnaccompaniedAsylumSeekingChild: true},
	}); err != nil {
		t.Fatal(err)
	}
	if milestone(t, pathwayOf(t, s, yp.GetName()), "uasc.leave_extension", 1) == nil {
		t.Fatal("marking the young person UASC did not add the immigration milestones")
	}

	// Every change is kept with who, when and why.
	changes, err := pathways.ListMilestoneChanges(ctx, &pb.ListMilestoneChangesRequest{Parent: needs.GetName()})
	if err != nil || len(changes.GetChanges()) != 1 {
		t.Fatalf("changes: %v, %v; want the one schedule", changes, err)
	}
	c := changes.GetChanges()[0]
	if c.GetAction() != "ScheduleMilestone" || c.GetFromState() != pb.Milestone_PLANNED || c.GetToState() != pb.Milestone_SCHEDULED ||
		c.GetReason() != "booked with the young person" || c.GetActor() == "" || c.GetChangeTime() == nil {
		t.Fatalf("change record %v", c)
	}

	// Reopen an achieved milestone; evidence stays; a further reopen is refused.
	reopened, err := pathways.ReopenMilestone(ctx, &pb.ReopenMilestoneRequest{Name: wex.GetName(), Reason: "wrong young person"})
	if err != nil || reopened.GetState() != pb.Milestone_PLANNED || len(reopened.GetEvidence()) != 1 {
		t.Fatalf("reopen: %v, %v", reopened, err)
	}
	_, err = pathways.ReopenMilestone(ctx, &pb.ReopenMilestoneRequest{Name: wex.GetName(), Reason: "again"})
	wantGRPCError(t, err, codes.FailedPrecondition, "INVALID_TRANSITION")

	// A personal adviser adds a one-off milestone; it survives replanning.
	custom, err := pathways.CreateMilestone(ctx, &pb.CreateMilestoneRequest{Parent: yp.GetName(), Milestone: &pb.Milestone{
		Title: "Visit the college open day", DueDate: pbDate(today().AddDays(60)),
		Area: pb.MilestoneDefinition_EDUCATION_AND_TRAINING, OwnerAgencyType: pb.MilestoneDefinition_CHILDRENS_SOCIAL_CARE}})
	if err != nil || custom.GetDefinition() != "" || custom.GetState() != pb.Milestone_PLANNED {
		t.Fatalf("create milestone: %v, %v", custom, err)
	}
	if _, err := s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{YoungPerson: &pb.YoungPerson{Name: yp.GetName(), EhcPlan: true}}); err != nil {
		t.Fatal(err)
	}
	if got, err := pathways.GetMilestone(ctx, &pb.GetMilestoneRequest{Name: custom.GetName()}); err != nil || got.GetTitle() != custom.GetTitle() {
		t.Fatalf("the one-off milestone did not survive replanning: %v, %v", got, err)
	}
	wantRESTError(t, s.do(t, "POST", "/v1/"+yp.GetName()+"/milestones", `{"title": "No date", "area": "HEALTH", "ownerAgencyType": "NHS"}`),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "milestone.due_date")
}

func TestCareEpisodesAndStatus(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			ctx := context.Background()
			episodes := pb.NewCareEpisodesServiceClient(s.conn)
			dob := agedToday(17, 0)
			yp := youngPersonInCare(t, s, "EP-1", dob, civil.Period{Years: 15}, "K2")
			list, err := episodes.ListCareEpisodes(ctx, &pb.ListCareEpisodesRequest{Parent: yp.GetName()})
			if err != nil || len(list.GetCareEpisodes()) != 1 {
				t.Fatalf("list: %v, %v", list, err)
			}
			ep := list.GetCareEpisodes()[0]

			// An overlapping episode is refused and nothing is stored.
			overlap := fmt.Sprintf(`{"startDate": {"year": %d, "month": 1, "day": 1}, "legalStatus": "V2", "placementType": "U1"}`, today().Year)
			wantRESTError(t, s.do(t, "POST", "/v1/"+yp.GetName()+"/careEpisodes", overlap), 400, "FAILED_PRECONDITION", "EPISODES_OVERLAP")
			wantRESTError(t, s.do(t, "POST", "/v1/"+yp.GetName()+"/careEpisodes", `{"startDate": {"year": 2020, "month": 2, "day": 30}, "legalStatus": "Q1", "placementType": "U1"}`),
				400, "INVALID_ARGUMENT", "REQUEST_INVALID", "care_episode.start_date", "care_episode.legal_status")
			if l, _ := episodes.ListCareEpisodes(ctx, &pb.ListCareEpisodesRequest{Parent: yp.GetName()}); len(l.GetCareEpisodes()) != 1 {
				t.Fatal("a refused episode was stored")
			}

			status := func(asOf civil.Date) *pb.CareLeaverStatus {
				t.Helper()
				st, err := episodes.GetCareLeaverStatus(ctx, &pb.GetCareLeaverStatusRequest{Name: yp.GetName() + "/careLeaverStatus", AsOf: pbDate(asOf)})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			if st := status(today()); st.GetCategory() != pb.CareLeaverStatus_ELIGIBLE || !st.GetLookedAfter() || st.GetAge().GetYears() != 17 {
				t.Fatalf("today: %v", st)
			}
			if st := status(civil.Attains(dob, civil.Period{Years: 18}, civil.MarchFirst)); st.GetCategory() != pb.CareLeaverStatus_FORMER_RELEVANT {
				t.Fatalf("from 18, if nothing changes: %v", st)
			}
			// The day care began and the ten after it are 11 days looked after.
			if st := status(civil.Attains(dob, civil.Period{Years: 15, Days: 10}, civil.MarchFirst)); st.GetCategory() != pb.CareLeaverStatus_NOT_YET_ELIGIBLE ||
				st.GetDaysLookedAfterSince_14() != 11 {
				t.Fatalf("ten days into care at 15: %v", st)
			}
			// Leaving care today, after two years: relevant. The pathway replans.
			leave := fmt.Sprintf(`{"endDate": {"year": %d, "month": %d, "day": %d}, "reasonEnded": "E6", "etag": %q}`, today().Year, today().Month, today().Day, ep.GetEtag())
			r := s.do(t, "PATCH", "/v1/"+ep.GetName(), leave)
			if r.code != 200 {
				t.Fatalf("close the episode: HTTP %d %s", r.code, r.body)
			}
			if st := status(today().AddDays(1)); st.GetCategory() != pb.CareLeaverStatus_RELEVANT || st.GetRule() == "" || st.GetExplanation() == "" {
				t.Fatalf("after leaving care: %v", st)
			}
			p := pathwayOf(t, s, yp.GetName())
			if milestone(t, p, "relevant.needs_assessment", 1) == nil {
				t.Fatal("leaving care did not plan the relevant child's needs assessment")
			}
			wantRESTError(t, s.do(t, "PATCH", "/v1/"+ep.GetName(), leave), 409, "ABORTED", "ETAG_MISMATCH")
			wantRESTError(t, s.do(t, "GET", "/v1/youngPeople/d3e10000-0000-4000-8000-000000000099/careLeaverStatus", ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")

			// An earlier episode, then page through both one at a time, earliest first.
			from := civil.Attains(dob, civil.Period{Years: 14}, civil.MarchFirst)
			until := from.AddDays(30)
			again := fmt.Sprintf(`{"startDate": {"year": %d, "month": %d, "day": %d}, "endDate": {"year": %d, "month": %d, "day": %d},
				"reasonEnded": "E4A", "legalStatus": "V2", "placementType": "U1"}`,
				from.Year, from.Month, from.Day, until.Year, until.Month, until.Day)
			if r := s.do(t, "POST", "/v1/"+yp.GetName()+"/careEpisodes", again); r.code != 200 {
				t.Fatalf("second episode: HTTP %d %s", r.code, r.body)
			}
			var names []string
			for token := ""; ; {
				page, err := episodes.ListCareEpisodes(ctx, &pb.ListCareEpisodesRequest{Parent: yp.GetName(), PageSize: 1, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page.GetCareEpisodes() {
					names = append(names, e.GetName())
				}
				if token = page.GetNextPageToken(); token == "" || len(names) > 2 {
					break
				}
			}
			if len(names) != 2 || names[1] != ep.GetName() {
				t.Errorf("paging through the episodes one at a time gave %v", names)
			}
		})
	}
}

func TestListMilestonesAcrossYoungPeople(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			var want int
			for i := range 3 {
				yp := youngPersonInCare(t, s, fmt.Sprintf("LIST-%d", i), agedToday(16+i, 10), civil.Period{Years: 13}, "U4")
				for _, m := range pathwayOf(t, s, yp.GetName()).GetTimeline() {
					if m.GetOverdue() {
						want++
					}
				}
			}
			if want == 0 {
				t.Fatal("fixture has no overdue milestones")
			}
			filter := url.QueryEscape(`overdue = true AND council = "organisations/nottinghamshire"`)
			seen := map[string]bool{}
			token := ""
			for pages := 0; ; pages++ {
				r := s.do(t, "GET", "/v1/youngPeople/-/milestones?page_size=7&filter="+filter+"&page_token="+url.QueryEscape(token), "")
				if r.code != 200 || pages > 100 {
					t.Fatalf("HTTP %d %s", r.code, r.body)
				}
				body := r.json(t)
				ms, _ := body["milestones"].([]any)
				for _, m := range ms {
					m := m.(map[string]any)
					if m["overdue"] != true || seen[m["name"].(string)] {
						t.Fatalf("page returned %v (overdue %v, seen %v)", m["name"], m["overdue"], seen[m["name"].(string)])
					}
					seen[m["name"].(string)] = true
				}
				if token, _ = body["nextPageToken"].(string); token == "" {
					break
				}
			}
			if len(seen) != want {
				t.Fatalf("listed %d overdue milestones across young people, pathways show %d", len(seen), want)
			}
			for _, f := range []string{`state = "FINISHED"`, `area = "NOWHERE"`, `council = "nottinghamshire"`, `overdue > true`} {
				wantRESTError(t, s.do(t, "GET", "/v1/youngPeople/-/milestones?filter="+url.QueryEscape(f), ""), 400, "INVALID_ARGUMENT", "FILTER_INVALID", "filter")
			}
			r := s.do(t, "GET", "/v1/youngPeople/-/milestones?filter="+url.QueryEscape(`area = "HEALTH" AND due_date >= "`+today().String()+`"`), "")
			for _, m := range r.json(t)["milestones"].([]any) {
				if m.(map[string]any)["area"] != "HEALTH" {
					t.Fatalf("area filter returned %v", m)
				}
			}
		})
	}
}

func TestCatalogueAndCouncilSettings(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			ctx := context.Background()
			cat := pb.NewCatalogueServiceClient(s.conn)

			n, token := 0, ""
			for {
				resp, err := cat.ListMilestoneDefinitions(ctx, &pb.ListMilestoneDefinitionsRequest{PageSize: 20, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				n += len(resp.GetMilestoneDefinitions())
				if token = resp.GetNextPageToken(); token == "" {
					break
				}
			}
			if n < 45 {
				t.Fatalf("the catalogue lists %d definitions", n)
			}
			def := s.do(t, "GET", "/v1/milestoneDefinitions/age16.needs_assessment", "").json(t)
			if def["dueRule"] != "eligible + 3m until age 18y" || def["statutory"] != true || len(def["sources"].([]any)) == 0 {
				t.Fatalf("definition %v", def)
			}
			wantRESTError(t, s.do(t, "GET", "/v1/milestoneDefinitions/no.such.thing", ""), 404, "NOT_FOUND", "RESOURCE_NOT_FOUND")
			// The catalogue is read-only: no route writes it.
			wantRESTError(t, s.do(t, "POST", "/v1/milestoneDefinitions", `{}`), 405, "UNIMPLEMENTED", "METHOD_NOT_SUPPORTED")

			leap := newYoungPerson("LEAP-1")
			leap.DateOfBirth = &date.Date{Year: 2008, Month: 2, Day: 29}
			leaper, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: leap})
			if err != nil {
				t.Fatal(err)
			}
			at18 := func(yp *pb.YoungPerson) civil.Date { return fromPB(yp.GetKeyDates()[6].GetDate()) }
			if at18(leaper) != civil.New(2026, 3, 1) {
				t.Fatalf("by default a 29 February birth turns 18 on %v, want 1 March", at18(leaper))
			}
			yp := youngPersonInCare(t, s, "SET-1", agedToday(14, 0), civil.Period{Years: 12}, "U4")
			if milestone(t, pathwayOf(t, s, yp.GetName()), "age15_9.provisional_licence.offer", 1) == nil {
				t.Fatal("fixture lacks the milestone the council will switch off")
			}

			// Bad settings are refused with the fields to fix, and change nothing.
			admin := s.as(tokenFor(t, "ada-admin"))
			r := admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings",
				`{"overrides": [{"key": "no.such.milestone", "disabled": true}, {"key": "age16.pa.introduce", "dueRule": "at sixteen"}]}`)
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "pathway_settings.overrides[1].due_rule")
			r = admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings", `{"overrides": [{"key": "no.such.milestone", "disabled": true}]}`)
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "pathway_settings.overrides[0].key")
			r = admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings",
				`{"reminderRules": {"leadDays": [30], "ageNotices": ["9y"], "sendAt": "08:30"}}`)
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "pathway_settings.reminder_rules.age_notices[0]")

			// Switch a milestone off, retime one, add the council's own, change the leap-day rule.
			wantRESTError(t, s.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings", `{"leaplingRule": "LEAPLING_RULE_MARCH_1"}`),
				403, "PERMISSION_DENIED", "ACCESS_DENIED")
			before := admin.do(t, "GET", "/v1/organisations/nottinghamshire/pathwaySettings", "").json(t)
			change := `
				"leaplingRule": "LEAPLING_RULE_FEBRUARY_28",
				"overrides": [{"key": "age15_9.provisional_licence.offer", "disabled": true},
				              {"key": "age16.pa.introduce", "dueRule": "age 15y6m"}],
				"localMilestones": [{"key": "local.careers_fair", "title": "Invite to the care leavers' careers fair",
				  "area": "EMPLOYMENT", "owner": "CHILDRENS_SOCIAL_CARE", "dueRule": "age 16 every 1y until age 21",
				  "basis": "Nottinghamshire local offer"}],
				"reminderRules": {"leadDays": [60, 14], "onDue": true, "escalateAfterDays": 3, "ageNotices": ["16y", "17y6m"], "sendAt": "08:30"}`
			// The demo council's ambitions name the milestones switched off and replaced.
			r = admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings", "{"+change+"}")
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID")
			if !strings.Contains(string(r.body), `"pathway_settings.ambitions[`) {
				t.Fatalf("ambitions naming a milestone switched off were not refused: %s", r.body)
			}
			r = admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings", "{"+change+`,
				"ambitions": [{"key": "work", "title": "Care leavers find work", "milestones": ["local.careers_fair", "age17.bank_account"],
				  "checks": ["income", "no_such_check"]}]}`)
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "pathway_settings.ambitions[0].checks[1]")
			r = admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings", "{"+change+`,
				"ambitions": [{"key": "work", "title": "Care leavers find work", "milestones": ["local.careers_fair", "age17.bank_account"],
				  "checks": ["income"]}]}`)
			if want := fmt.Sprint(atoi(t, before["etag"].(string)) + 1); r.code != 200 || r.json(t)["etag"] != want {
				t.Fatalf("update settings: HTTP %d %s; want etag %s", r.code, r.body, want)
			}
			if rules, _ := r.json(t)["reminderRules"].(map[string]any); fmt.Sprintf("%v %v %v", rules["leadDays"], rules["ageNotices"], rules["sendAt"]) !=
				"[60 14] [16y 17y6m] 08:30" {
				t.Errorf("the council's reminder rules read back as %v", rules)
			}
			wantRESTError(t, admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings", `{"leaplingRule": "LEAPLING_RULE_MARCH_1", "etag": "7"}`),
				409, "ABORTED", "ETAG_MISMATCH")
			eventually(t, "the council's pathways to be replanned", func() bool {
				p := pathwayOf(t, s, yp.GetName())
				return milestone(t, p, "age15_9.provisional_licence.offer", 1) == nil && milestone(t, p, "local.careers_fair", 1) != nil
			})
			p := pathwayOf(t, s, yp.GetName())
			pa := milestone(t, p, "age16.pa.introduce", 1)
			if pa == nil || fromPB(pa.GetDueDate()) != civil.Attains(agedToday(14, 0), civil.Period{Years: 15, Months: 6}, civil.FebruaryTwentyEighth) {
				t.Fatalf("the retimed milestone is %v", pa)
			}
			got, err := s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: leaper.GetName()})
			if err != nil || at18(got) != civil.New(2026, 2, 28) {
				t.Fatalf("under the council's FEBRUARY_28 rule a 29 February birth turns 18 on %v", at18(got))
			}
			local := s.do(t, "GET", "/v1/milestoneDefinitions/local.careers_fair?council=organisations/nottinghamshire", "").json(t)
			if local["local"] != true || local["title"] == nil || fmt.Sprint(local["ambitions"]) != "[work]" {
				t.Fatalf("the council's own milestone: %v", local)
			}
			shipped, _ := s.do(t, "GET", "/v1/milestoneDefinitions?page_size=500", "").json(t)["milestoneDefinitions"].([]any)
			for _, d := range shipped {
				if d := d.(map[string]any); strings.HasPrefix(d["key"].(string), "local.") || len(d["ambitions"].([]any)) > 0 {
					t.Fatalf("a council's own milestone or ambition shows in the shipped catalogue: %v", d)
				}
			}
			sum := s.as(s.manager(t)).do(t, "GET", "/v1/organisations/nottinghamshire/cliffEdgeAssessments:summarize", "").json(t)
			if by, _ := sum["byAmbition"].([]any); len(by) != 1 || by[0].(map[string]any)["key"] != "work" ||
				by[0].(map[string]any)["title"] != "Care leavers find work" {
				t.Errorf("the summary counts by the council's ambitions as %v", sum["byAmbition"])
			}
		})
	}
}

// Creating an episode or a milestone with a request_id is idempotent: a retry answers with
// what the first call made, and reusing the id for a different request is refused with
// REQUEST_ID_REUSED, as for young people.
func TestCreatesWithRequestIDAreIdempotent(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			yp := youngPersonInCare(t, s, "IDEM-P", agedToday(15, 0), civil.Period{Years: 12}, "U4")
			for _, c := range []struct{ collection, first, other string }{
				{"careEpisodes", `{"startDate": {"year": 2020, "month": 1, "day": 1}, "endDate": {"year": 2020, "month": 1, "day": 2}, "legalStatus": "V2", "placementType": "U1", "reasonEnded": "X1"}`,
					`{"startDate": {"year": 2020, "month": 1, "day": 3}, "endDate": {"year": 2020, "month": 1, "day": 4}, "legalStatus": "V2", "placementType": "U1", "reasonEnded": "X1"}`},
				{"milestones", `{"title": "Meet the housing officer", "area": "ACCOMMODATION", "ownerAgencyType": "HOUSING", "dueDate": {"year": 2027, "month": 1, "day": 5}}`,
					`{"title": "Something else", "area": "ACCOMMODATION", "ownerAgencyType": "HOUSING", "dueDate": {"year": 2027, "month": 1, "day": 5}}`},
			} {
				path := "/v1/" + yp.GetName() + "/" + c.collection + "?requestId=" + uuid.NewString()
				first := s.do(t, "POST", path, c.first)
				again := s.do(t, "POST", path, c.first)
				if first.code != 200 || again.code != 200 || first.json(t)["name"] != again.json(t)["name"] {
					t.Fatalf("%s: a retry made %s then %s", c.collection, first.body, again.body)
				}
				wantRESTError(t, s.do(t, "POST", path, c.other), 400, "INVALID_ARGUMENT", "REQUEST_ID_REUSED", "request_id")
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
