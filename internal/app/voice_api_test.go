package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

func TestVoiceOverTheAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			yp := youngPersonInCare(t, s, "VOICE-1", agedToday(17, 40), civil.Period{Years: 14}, "U1").GetName()
			t.Run("ViewsAndGoals", func(t *testing.T) { testVoiceViewsAndGoals(t, s, yp) })
			t.Run("Checklists", func(t *testing.T) { testVoiceChecklists(t, s, yp) })
			t.Run("LocalOffer", func(t *testing.T) { testVoiceLocalOffer(t, s) })
			t.Run("AdviserSupport", func(t *testing.T) { testVoiceAdviserSupport(t, s) })
		})
	}
}

func testVoiceViewsAndGoals(t *testing.T, s *server, yp string) {
	ctx := context.Background()
	voice := pb.NewVoiceServiceClient(s.conn)

	// A view of an area with none yet: refused without allow_missing, created with it.
	view := &pb.View{Name: yp + "/views/accommodation", Wants: "A flat near my college", Feeling: pb.Feeling_FEELING_WORRIED}
	_, err := voice.UpdateView(ctx, &pb.UpdateViewRequest{View: view})
	wantGRPCError(t, err, codes.NotFound, "RESOURCE_NOT_FOUND")
	got, err := voice.UpdateView(ctx, &pb.UpdateViewRequest{View: view, AllowMissing: true})
	if err != nil || got.GetAuthor() != "people/"+s.person || got.GetArea() != pb.MilestoneDefinition_ACCOMMODATION || got.GetEtag() != "1" {
		t.Fatalf("UpdateView: %v %v", got, err)
	}
	// Over REST, with the etag: only the feeling changes.
	r := s.do(t, "PATCH", "/v1/"+yp+"/views/accommodation?updateMask=feeling", `{"feeling": "FEELING_OK", "wants": "ignored", "etag": "1"}`)
	if v := mustREST(t, r).json(t); v["feeling"] != "FEELING_OK" || v["wants"] != "A flat near my college" || v["etag"] != "2" {
		t.Fatalf("REST UpdateView: %v", v)
	}
	wantRESTError(t, s.do(t, "PATCH", "/v1/"+yp+"/views/accommodation", `{"feeling": "FEELING_GOOD", "etag": "1"}`), 409, "ABORTED", "ETAG_MISMATCH")
	wantRESTError(t, s.do(t, "PATCH", "/v1/"+yp+"/views/nowhere?allowMissing=true", `{"feeling": "FEELING_GOOD"}`), 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "view.name")
	views, err := voice.ListViews(ctx, &pb.ListViewsRequest{Parent: yp})
	if err != nil || len(views.GetViews()) != 1 || views.GetViews()[0].GetFeeling() != pb.Feeling_FEELING_OK {
		t.Fatalf("ListViews: %v %v", views, err)
	}

	// Goals: a past target date is refused; a create retried with its request id makes one.
	_, err = voice.CreateGoal(ctx, &pb.CreateGoalRequest{Parent: yp, Goal: &pb.Goal{Title: "Pass my theory test", TargetDate: pbDate(today().AddDays(-1))}})
	wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "goal.target_date")
	create := &pb.CreateGoalRequest{Parent: yp, RequestId: "5b1f7c2e-9d4a-4c3b-8e6f-1a2b3c4d5e6f",
		Goal: &pb.Goal{Title: "Pass my theory test", Area: pb.MilestoneDefinition_INDEPENDENT_LIVING_SKILLS, TargetDate: pbDate(today().AddDays(90))}}
	first, err := voice.CreateGoal(ctx, create)
	if err != nil {
		t.Fatal(err)
	}
	again, err := voice.CreateGoal(ctx, create)
	if err != nil || again.GetName() != first.GetName() || first.GetAuthor() != "people/"+s.person {
		t.Fatalf("CreateGoal retried: %v %v (first %v)", again, err, first)
	}
	second := mustREST(t, s.do(t, "POST", "/v1/"+yp+"/goals", `{"title": "Open a savings account"}`)).json(t)
	page, err := voice.ListGoals(ctx, &pb.ListGoalsRequest{Parent: yp, PageSize: 1})
	if err != nil || len(page.GetGoals()) != 1 || page.GetGoals()[0].GetName() != first.GetName() || page.GetNextPageToken() == "" {
		t.Fatalf("ListGoals, first page: %v %v", page, err)
	}
	page, err = voice.ListGoals(ctx, &pb.ListGoalsRequest{Parent: yp, PageSize: 1, PageToken: page.GetNextPageToken()})
	if err != nil || len(page.GetGoals()) != 1 || page.GetGoals()[0].GetName() != second["name"] || page.GetNextPageToken() != "" {
		t.Fatalf("ListGoals, second page: %v %v", page, err)
	}
	done, err := voice.UpdateGoal(ctx, &pb.UpdateGoalRequest{Goal: &pb.Goal{Name: first.GetName(), Done: true, Etag: first.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"done"}}})
	if err != nil || !done.GetDone() || done.GetTitle() != "Pass my theory test" || done.GetEtag() != "2" {
		t.Fatalf("UpdateGoal: %v %v", done, err)
	}
	_, err = voice.UpdateGoal(ctx, &pb.UpdateGoalRequest{Goal: &pb.Goal{Name: first.GetName(), Done: false, Etag: first.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"done"}}})
	wantGRPCError(t, err, codes.Aborted, "ETAG_MISMATCH")
	if r := s.do(t, "DELETE", "/v1/"+second["name"].(string), ""); r.code != 200 {
		t.Fatalf("DeleteGoal: HTTP %d %s", r.code, r.body)
	}
	wantRESTError(t, s.do(t, "DELETE", "/v1/"+second["name"].(string), ""), 404, "NOT_FOUND", "RESOURCE_NOT_FOUND")

	// Another adviser's young person is refused with the one answer for anyone not seen.
	other := pb.NewYoungPeopleServiceClient(s.dial(t, s.newPerson(t, fmt.Sprintf("voice-other-pa-%d", personSeq.Add(1)),
		"nottinghamshire", "west", "PERSONAL_ADVISER")))
	theirs, err := other.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("VOICE-OTHER")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = voice.ListViews(ctx, &pb.ListViewsRequest{Parent: theirs.GetName()})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	_, err = voice.CreateGoal(ctx, &pb.CreateGoalRequest{Parent: theirs.GetName(), Goal: &pb.Goal{Title: "x"}})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	wantRESTError(t, s.do(t, "PATCH", "/v1/"+theirs.GetName()+"/views/health?allowMissing=true", `{"feeling": "FEELING_GOOD"}`),
		403, "PERMISSION_DENIED", "ACCESS_DENIED")
	// The team manager sees the views the review must consider.
	views, err = pb.NewVoiceServiceClient(s.dial(t, s.manager(t))).ListViews(ctx, &pb.ListViewsRequest{Parent: yp})
	if err != nil || len(views.GetViews()) != 1 {
		t.Fatalf("the manager's ListViews: %v %v", views, err)
	}
}

// budgetingFact is the young person's latest record of the budgeting fact.
func budgetingFact(t *testing.T, s *server, yp string) *pb.Fact {
	t.Helper()
	facts, err := pb.NewReadinessServiceClient(s.conn).ListFacts(context.Background(), &pb.ListFactsRequest{Parent: yp, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range facts.GetFacts() {
		if strings.HasSuffix(f.GetName(), "/facts/finance.budgeting_support") {
			return f
		}
	}
	t.Fatal("no budgeting fact listed")
	return nil
}

func testVoiceChecklists(t *testing.T, s *server, yp string) {
	ctx := context.Background()
	voice := pb.NewVoiceServiceClient(s.conn)
	lists, err := voice.ListSkillChecklists(ctx, &pb.ListSkillChecklistsRequest{Parent: yp})
	if err != nil || len(lists.GetSkillChecklists()) != 8 {
		t.Fatalf("ListSkillChecklists: %v %v", lists, err)
	}
	var finances *pb.SkillChecklist
	for _, c := range lists.GetSkillChecklists() {
		if c.GetArea() == "finances" {
			finances = c
		}
	}
	if finances == nil || finances.GetComplete() || len(finances.GetItems()) < 4 {
		t.Fatalf("finances: %v", finances)
	}
	tick := func(c *pb.SkillChecklist, canDo bool, etag string, n int) (*pb.SkillChecklist, error) {
		in := &pb.SkillChecklist{Name: c.GetName(), Etag: etag}
		for _, it := range c.GetItems()[:n] {
			in.Items = append(in.Items, &pb.SkillItem{Key: it.GetKey(), CanDo: canDo})
		}
		return voice.UpdateSkillChecklist(ctx, &pb.UpdateSkillChecklistRequest{SkillChecklist: in})
	}
	// All but one ticked: not complete, nothing recorded.
	part, err := tick(finances, true, finances.GetEtag(), len(finances.GetItems())-1)
	if err != nil || part.GetComplete() || budgetingFact(t, s, yp).GetRecorded() {
		t.Fatalf("partly ticked: %v %v", part, err)
	}
	_, err = tick(finances, true, finances.GetEtag(), len(finances.GetItems()))
	wantGRPCError(t, err, codes.Aborted, "ETAG_MISMATCH")
	// An item of another list is refused.
	_, err = voice.UpdateSkillChecklist(ctx, &pb.UpdateSkillChecklistRequest{SkillChecklist: &pb.SkillChecklist{Name: finances.GetName(),
		Items: []*pb.SkillItem{{Key: "housing.pay_rent", CanDo: true}}}})
	wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "skill_checklist.items[0].key")

	// Every item ticked: the budgeting fact is recorded, as confirmed by the young person.
	full, err := tick(finances, true, part.GetEtag(), len(finances.GetItems()))
	if err != nil || !full.GetComplete() {
		t.Fatalf("all ticked: %v %v", full, err)
	}
	f := budgetingFact(t, s, yp)
	if !f.GetRecorded() || !f.GetValue() || f.GetEvidenceType() != pb.EvidenceType_EVIDENCE_TYPE_CONFIRMED_BY_YOUNG_PERSON ||
		f.GetRecordedBy() != "people/"+s.person {
		t.Fatalf("after ticking every finances item: %v", f)
	}
	// The cliff-edge assessment sees it.
	a := assessment(t, s, yp)
	found := false
	for _, c := range a.GetChecks() {
		for _, f := range c.GetFindings() {
			if c.GetCheck() == "money_and_skills" && strings.Contains(f.GetRef(), "finance.budgeting_support") {
				found = f.GetProvenance().GetEvidenceType() == pb.EvidenceType_EVIDENCE_TYPE_CONFIRMED_BY_YOUNG_PERSON
			}
		}
	}
	if !found {
		t.Errorf("the assessment's budgeting requirement is not confirmed by the young person: %v", a.GetChecks())
	}

	// Unticking one item withdraws the fact the checklist recorded, over REST.
	key := finances.GetItems()[0].GetKey()
	r := s.do(t, "PATCH", "/v1/"+finances.GetName(), fmt.Sprintf(`{"items": [{"key": %q, "canDo": false}]}`, key))
	if v := mustREST(t, r).json(t); v["complete"] == true {
		t.Fatalf("unticked: %v", v)
	}
	if f := budgetingFact(t, s, yp); f.GetValue() || f.GetEvidenceType() != pb.EvidenceType_EVIDENCE_TYPE_CONFIRMED_BY_YOUNG_PERSON {
		t.Fatalf("after unticking: %v", f)
	}

	// A fact staff recorded is never withdrawn by the checklist.
	recordFact(t, s, yp, "finance.budgeting_support", true)
	if _, err := tick(finances, true, "", len(finances.GetItems())); err != nil {
		t.Fatal(err)
	}
	if _, err := tick(finances, false, "", 1); err != nil {
		t.Fatal(err)
	}
	if f := budgetingFact(t, s, yp); !f.GetValue() || f.GetEvidenceType() != pb.EvidenceType_EVIDENCE_TYPE_DOCUMENT_SEEN {
		t.Fatalf("the staff's record was withdrawn: %v", f)
	}
}

func testVoiceLocalOffer(t *testing.T, s *server) {
	ctx := context.Background()
	admin := pb.NewVoiceServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
	parent := "organisations/nottinghamshire"
	entry, err := admin.CreateLocalOfferEntry(ctx, &pb.CreateLocalOfferEntryRequest{Parent: parent, LocalOfferEntry: &pb.LocalOfferEntry{
		Title: "Test: driving lessons", Body: "Ask your personal adviser about help with driving lessons.",
		Area: pb.MilestoneDefinition_INDEPENDENT_LIVING_SKILLS, FromAge: 17, ToAge: 21, Link: "https://example.org/driving"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.CreateLocalOfferEntry(ctx, &pb.CreateLocalOfferEntryRequest{Parent: parent, LocalOfferEntry: &pb.LocalOfferEntry{
		Title: "x", Body: "y", Area: pb.MilestoneDefinition_HEALTH, FromAge: 20, ToAge: 18}})
	wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "local_offer_entry.to_age")
	_, err = admin.CreateLocalOfferEntry(ctx, &pb.CreateLocalOfferEntryRequest{Parent: parent, LocalOfferEntry: &pb.LocalOfferEntry{
		Title: "x", Body: "y", Area: pb.MilestoneDefinition_HEALTH, FromAge: 16, ToAge: 18, Link: "http://example.org"}})
	wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "local_offer_entry.link")
	// Staff may not publish; another council's administrator may not change it.
	_, err = pb.NewVoiceServiceClient(s.conn).CreateLocalOfferEntry(ctx, &pb.CreateLocalOfferEntryRequest{Parent: parent,
		LocalOfferEntry: &pb.LocalOfferEntry{Title: "x", Body: "y", Area: pb.MilestoneDefinition_HEALTH, FromAge: 16, ToAge: 18}})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	wantRESTError(t, s.as(tokenFor(t, "dara-admin")).do(t, "DELETE", "/v1/"+entry.GetName(), ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")

	renamed := mustREST(t, s.as(tokenFor(t, "ada-admin")).do(t, "PATCH", "/v1/"+entry.GetName()+"?updateMask=title",
		`{"title": "Test: help with driving lessons", "etag": "1"}`)).json(t)
	if renamed["title"] != "Test: help with driving lessons" || renamed["etag"] != "2" || renamed["fromAge"] != float64(17) {
		t.Fatalf("REST UpdateLocalOfferEntry: %v", renamed)
	}

	// Staff list it by age: at 18 it is there, at 22 it is not.
	staff := pb.NewVoiceServiceClient(s.conn)
	names := func(age int32) []string {
		var out []string
		for token := ""; ; {
			page, err := staff.ListLocalOfferEntries(ctx, &pb.ListLocalOfferEntriesRequest{Parent: parent, Age: age, PageSize: 3, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.GetLocalOfferEntries() {
				if age != 0 && (e.GetFromAge() > age || e.GetToAge() < age) {
					t.Errorf("entry for %d to %d listed at %d", e.GetFromAge(), e.GetToAge(), age)
				}
				out = append(out, e.GetName())
			}
			if token = page.GetNextPageToken(); token == "" {
				return out
			}
		}
	}
	if !containsName(names(18), entry.GetName()) || containsName(names(22), entry.GetName()) {
		t.Errorf("the entry at 18 and 22: %v %v", names(18), names(22))
	}
	r := s.do(t, "GET", "/v1/"+parent+"/localOfferEntries?age=18", "")
	if !strings.Contains(string(mustREST(t, r).body), entry.GetName()) {
		t.Errorf("REST list at 18: %s", r.body)
	}
	wantRESTError(t, s.do(t, "GET", "/v1/organisations/derbyshire/localOfferEntries", ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")

	if _, err := admin.DeleteLocalOfferEntry(ctx, &pb.DeleteLocalOfferEntryRequest{Name: entry.GetName()}); err != nil {
		t.Fatal(err)
	}
	if containsName(names(0), entry.GetName()) {
		t.Error("a deleted entry is listed")
	}
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func testVoiceAdviserSupport(t *testing.T, s *server) {
	ctx := context.Background()
	voice := pb.NewVoiceServiceClient(s.conn)
	young := youngPersonLeftCareAt18(t, s, "VOICE-20", agedToday(20, 300)).GetName()
	_, err := voice.RequestAdviserSupport(ctx, &pb.RequestAdviserSupportRequest{Name: young, Message: "Help with my tenancy"})
	wantGRPCError(t, err, codes.FailedPrecondition, "NOT_ENTITLED_TO_ADVISER_ON_REQUEST")

	older := youngPersonLeftCareAt18(t, s, "VOICE-21", agedToday(21, 10)).GetName()
	r := s.do(t, "POST", "/v1/"+older+":requestAdviserSupport", `{"message": "I have lost my job and need help with rent"}`)
	got := mustREST(t, r).json(t)
	if got["requester"] != "people/"+s.person || fmt.Sprint(got["recipients"]) != "[people/"+s.person+"]" {
		t.Fatalf("RequestAdviserSupport: %v", got)
	}
	// The request reaches the adviser's inbox as a reminder about the young person.
	inbox, err := pb.NewReminderServiceClient(s.conn).ListReminders(ctx, &pb.ListRemindersRequest{Parent: "people/" + s.person, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rem := range inbox.GetReminders() {
		if rem.GetRule() == "request.adviser_support" && rem.GetYoungPerson() == older && rem.GetState() == pb.Reminder_OPEN {
			found = !strings.Contains(rem.GetTitle(), "rent")
		}
	}
	if !found {
		t.Errorf("no open adviser-support reminder about %s in %v", older, inbox.GetReminders())
	}
}
