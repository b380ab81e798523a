package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// bornAged returns the date of birth of someone of the age today.
func bornAged(p civil.Period) civil.Date { return today().Sub(p, civil.MarchFirst) }

var (
	age17y10m = civil.Period{Years: 17, Months: 10}
	age17y7m  = civil.Period{Years: 17, Months: 7}
)

// earlyKeys are the milestones prepare completes ahead of their due date (today), because
// the cliff-edge checks need them by the 18th birthday.
func earlyKeys() []string {
	keys := []string{"plan.review"}
	for _, c := range readiness.Checks {
		for _, r := range c.Requirements {
			if r.Milestone != "" {
				keys = append(keys, r.Milestone)
			}
		}
	}
	return keys
}

// prepare has s's adviser complete every milestone of yp due by today, and those the
// cliff-edge checks need by the 18th birthday (early, today), except the skipped ones; and
// record every fact as true (over REST).
func prepare(t *testing.T, s *server, yp *pb.YoungPerson, skip ...string) {
	t.Helper()
	ctx := context.Background()
	pathways := pb.NewPathwaysServiceClient(s.conn)
	eighteenth := civil.Attains(fromPB(yp.GetDateOfBirth()), civil.Period{Years: 18}, civil.MarchFirst)
	early := earlyKeys()
	for pass := 0; ; pass++ { // completing one milestone may plan others timed from it
		done := 0
		for _, m := range pathwayOf(t, s, yp.GetName()).GetTimeline() {
			key := strings.TrimPrefix(m.GetDefinition(), "milestoneDefinitions/")
			due := fromPB(m.GetDueDate())
			open := m.GetState() == pb.Milestone_PLANNED || m.GetState() == pb.Milestone_SCHEDULED || m.GetState() == pb.Milestone_IN_PROGRESS
			if !open || slices.Contains(skip, key) || due.After(today()) && !(slices.Contains(early, key) && !due.After(eighteenth)) {
				continue
			}
			on := due
			if on.After(today()) {
				on = today()
			}
			req := &pb.CompleteMilestoneRequest{Name: m.GetName(), AchievedDate: pbDate(on),
				Etag: m.GetEtag(), Evidence: []*pb.Milestone_Evidence{{Description: "seen"}}}
			if key == "data.oc3.birthday" { // the OC3 record is made with it
				req.CareLeaverContact = &pb.CareLeaverContact{InTouch: "YES", Activity: "F5", Accommodation: "U1"}
			}
			if _, err := pathways.CompleteMilestone(ctx, req); err != nil {
				t.Fatalf("complete %s: %v", key, err)
			}
			done++
		}
		if done == 0 || pass > 5 {
			break
		}
	}
	for _, k := range readiness.FactKinds {
		recordFact(t, s, yp.GetName(), k.Key, true)
	}
}

func recordFact(t *testing.T, s *server, yp, key string, value bool) {
	t.Helper()
	r := s.do(t, "POST", "/v1/"+yp+"/facts/"+key+":record", fmt.Sprintf(`{"value": %t, "evidenceType": "EVIDENCE_TYPE_DOCUMENT_SEEN", "note": "checked"}`, value))
	if r.code != 200 {
		t.Fatalf("record %s: HTTP %d %s", key, r.code, r.body)
	}
}

// youngPersonLeftCareAt18 is a young person born on dob, in care from 14 until 18.
func youngPersonLeftCareAt18(t *testing.T, s *server, ref string, dob civil.Date) *pb.YoungPerson {
	t.Helper()
	yp := youngPersonInCare(t, s, ref, dob, civil.Period{Years: 14}, "K2")
	eps, err := pb.NewCareEpisodesServiceClient(s.conn).ListCareEpisodes(context.Background(), &pb.ListCareEpisodesRequest{Parent: yp.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	ep := eps.GetCareEpisodes()[0]
	ep.EndDate, ep.ReasonEnded = pbDate(civil.Attains(dob, civil.Period{Years: 18}, civil.MarchFirst)), "E8"
	if _, err := pb.NewCareEpisodesServiceClient(s.conn).UpdateCareEpisode(context.Background(), &pb.UpdateCareEpisodeRequest{CareEpisode: ep}); err != nil {
		t.Fatal(err)
	}
	return yp
}

func failingChecks(a *pb.CliffEdgeAssessment) []string {
	var out []string
	for _, c := range a.GetChecks() {
		if c.GetStatus() == pb.CheckStatus_CHECK_STATUS_FAIL {
			out = append(out, c.GetCheck())
		}
	}
	return out
}

func assessment(t *testing.T, s *server, yp string) *pb.CliffEdgeAssessment {
	t.Helper()
	a, err := pb.NewReadinessServiceClient(s.conn).GetCliffEdgeAssessment(context.Background(),
		&pb.GetCliffEdgeAssessmentRequest{Name: yp + "/cliffEdgeAssessment"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type cliffFixture struct {
	name    string
	yp      *pb.YoungPerson
	rating  pb.Rating
	failing []string
}

// cliffFixtures makes young people with known answers: ready, one gap (red and amber),
// many gaps, UASC, staying put and over 21.
func cliffFixtures(t *testing.T, s *server) []cliffFixture {
	t.Helper()
	red, amber, green := pb.Rating_RATING_RED, pb.Rating_RATING_AMBER, pb.Rating_RATING_GREEN
	ready := youngPersonInCare(t, s, "CE-READY", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
	prepare(t, s, ready)
	oneGap := youngPersonInCare(t, s, "CE-ONEGAP", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
	prepare(t, s, oneGap, "age17_9.accommodation.confirmed")
	amberGap := youngPersonInCare(t, s, "CE-AMBER", bornAged(age17y7m), civil.Period{Years: 14}, "K2")
	prepare(t, s, amberGap)
	recordFact(t, s, amberGap.GetName(), readiness.FactOutOfHours, false)
	many := youngPersonInCare(t, s, "CE-MANY", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
	uascYP := newYoungPerson("CE-UASC")
	uascYP.DateOfBirth, uascYP.UnaccompaniedAsylumSeekingChild = pbDate(bornAged(age17y10m)), true
	uascCreated, err := s.yp.CreateYoungPerson(context.Background(), &pb.CreateYoungPersonRequest{YoungPerson: uascYP})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewCareEpisodesServiceClient(s.conn).CreateCareEpisode(context.Background(), &pb.CreateCareEpisodeRequest{
		Parent: uascCreated.GetName(), CareEpisode: &pb.CareEpisode{StartDate: pbDate(civil.Attains(bornAged(age17y10m),
			civil.Period{Years: 15}, civil.MarchFirst)), LegalStatus: "V2", PlacementType: "K2"}}); err != nil {
		t.Fatalf("%v %v", err, status.Convert(err).Details())
	}
	prepare(t, s, uascCreated)
	recordFact(t, s, uascCreated.GetName(), readiness.FactImmigrationStatus, false)
	stayingPut := youngPersonInCare(t, s, "CE-STAYPUT", bornAged(age17y10m), civil.Period{Years: 14}, "U3")
	prepare(t, s, stayingPut)
	over21 := youngPersonLeftCareAt18(t, s, "CE-OVER21", bornAged(civil.Period{Years: 22, Months: 2}))
	prepare(t, s, over21)
	return []cliffFixture{
		{"ready", ready, green, nil},
		{"one gap, overdue", oneGap, red, []string{"accommodation"}},
		{"one gap, not yet due", amberGap, amber, []string{"contingency"}},
		{"many gaps", many, red, []string{"plan_reviewed", "personal_adviser", "accommodation", "income", "identity", "health",
			"education_employment", "money_and_skills", "contingency"}},
		{"UASC, immigration status unknown", uascCreated, red, []string{"immigration"}},
		{"staying put", stayingPut, green, nil},
		{"over 21", over21, green, nil},
	}
}

func TestCliffEdgeOverTheAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			fixtures := cliffFixtures(t, s)
			for _, f := range fixtures {
				a := assessment(t, s, f.yp.GetName())
				if a.GetRating() != f.rating || !slices.Equal(failingChecks(a), f.failing) {
					t.Errorf("%s: gRPC %s %v, want %s %v (%s)", f.name, a.GetRating(), failingChecks(a), f.rating, f.failing, a.GetExplanation())
				}
				r := s.do(t, "GET", "/v1/"+f.yp.GetName()+"/cliffEdgeAssessment", "")
				var rest pb.CliffEdgeAssessment
				if r.code != 200 || unmarshalJSON(r.body, &rest) != nil || !proto.Equal(&rest, a) {
					t.Errorf("%s: REST HTTP %d differs from gRPC:\n%s", f.name, r.code, r.body)
				}
			}
			// Every failing check names who must fix it and by when.
			many := assessment(t, s, fixtures[3].yp.GetName())
			for _, c := range many.GetChecks() {
				if c.GetStatus() == pb.CheckStatus_CHECK_STATUS_FAIL && (c.GetOwnerAgencyType() == "" || c.GetFixBy() == nil || c.GetReason() == "") {
					t.Errorf("failing check %s lacks an owner, a fix-by date or a reason: %v", c.GetCheck(), c)
				}
			}
			// Staying put: the agreement is part of the accommodation check.
			stay := assessment(t, s, fixtures[5].yp.GetName())
			found := false
			for _, c := range stay.GetChecks() {
				for _, f := range c.GetFindings() {
					found = found || f.GetRef() == "milestone:age17_9.staying_put.agreement" && f.GetStatus() == pb.CheckStatus_CHECK_STATUS_PASS
				}
			}
			if !found {
				t.Error("the staying-put agreement is not among the accommodation check's findings")
			}
			// As of another day: a month ago the ready young person's accommodation was not
			// yet confirmed (it was completed today).
			past, err := pb.NewReadinessServiceClient(s.conn).GetCliffEdgeAssessment(context.Background(), &pb.GetCliffEdgeAssessmentRequest{
				Name: fixtures[0].yp.GetName() + "/cliffEdgeAssessment", AsOf: pbDate(today().AddDays(-40))})
			if err != nil || past.GetRating() == pb.Rating_RATING_GREEN {
				t.Errorf("forty days ago: %v %v", past.GetRating(), err)
			}

			testCouncilView(t, s, fixtures)

			// Completing the missing milestone changes the answers at once.
			gap := fixtures[1].yp.GetName()
			for _, m := range pathwayOf(t, s, gap).GetTimeline() {
				if m.GetDefinition() == "milestoneDefinitions/age17_9.accommodation.confirmed" {
					if _, err := pb.NewPathwaysServiceClient(s.conn).CompleteMilestone(context.Background(), &pb.CompleteMilestoneRequest{
						Name: m.GetName(), AchievedDate: pbDate(today()), Etag: m.GetEtag(),
						Evidence: []*pb.Milestone_Evidence{{Description: "tenancy agreement seen"}}}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if a := assessment(t, s, gap); a.GetRating() != pb.Rating_RATING_GREEN {
				t.Errorf("after completing the gap: %s %v", a.GetRating(), failingChecks(a))
			}
			for _, e := range councilView(t, s, s.token, &pb.CliffEdgeView{}, "", 50) {
				if e.GetYoungPerson() == gap && e.GetRating() != pb.Rating_RATING_GREEN {
					t.Errorf("the council view still shows %s as %s", gap, e.GetRating())
				}
			}
		})
	}
}

// councilView pages through a council view as the token's holder.
func councilView(t *testing.T, s *server, token string, view *pb.CliffEdgeView, order string, size int32) []*pb.CliffEdgeEntry {
	t.Helper()
	client := pb.NewReadinessServiceClient(s.dial(t, token))
	var all []*pb.CliffEdgeEntry
	req := &pb.ListCliffEdgeAssessmentsRequest{Parent: "organisations/nottinghamshire", View: view, OrderBy: order, PageSize: size}
	total := int32(-1)
	for range 100 {
		resp, err := client.ListCliffEdgeAssessments(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if total < 0 {
			total = resp.GetTotalSize() // on the first page
		}
		all = append(all, resp.GetEntries()...)
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			if total != int32(len(all)) {
				t.Fatalf("total size %d, but %d entries", total, len(all))
			}
			return all
		}
	}
	t.Fatal("the view never ended")
	return nil
}

func entryNames(es []*pb.CliffEdgeEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.GetYoungPerson()
	}
	return out
}

func testCouncilView(t *testing.T, s *server, fixtures []cliffFixture) {
	t.Helper()
	byName := map[string]cliffFixture{}
	var turning []string // the fixtures turning 18 in the next 90 days
	for _, f := range fixtures {
		byName[f.yp.GetName()] = f
		if e := civil.Attains(fromPB(f.yp.GetDateOfBirth()), civil.Period{Years: 18}, civil.MarchFirst); !e.After(today().AddDays(89)) && !e.Before(today()) {
			turning = append(turning, f.yp.GetName())
		}
	}
	all := councilView(t, s, s.token, &pb.CliffEdgeView{}, "", 50)
	if got := entryNames(all); !sameSet(got, turning) {
		t.Fatalf("turning 18 in 90 days: %v, want %v", got, turning)
	}
	for i, e := range all {
		f := byName[e.GetYoungPerson()]
		if e.GetRating() != f.rating || !slices.Equal(e.GetFailingChecks(), f.failing) || e.GetGivenName() != fixtureGiven {
			t.Errorf("entry %s: %s %v, want %s %v", f.name, e.GetRating(), e.GetFailingChecks(), f.rating, f.failing)
		}
		if i > 0 && fromPB(e.GetEighteenthBirthday()).Before(fromPB(all[i-1].GetEighteenthBirthday())) {
			t.Errorf("not in 18th-birthday order at %d", i)
		}
	}
	// Pages of one hold the same, in every order.
	for _, order := range []string{"", "fix_by", "rating"} {
		big, small := councilView(t, s, s.token, &pb.CliffEdgeView{}, order, 50), councilView(t, s, s.token, &pb.CliffEdgeView{}, order, 1)
		if !slices.Equal(entryNames(big), entryNames(small)) {
			t.Errorf("order %q: pages of one %v, of fifty %v", order, entryNames(small), entryNames(big))
		}
		if order == "rating" {
			for i := 1; i < len(big); i++ {
				if big[i].GetRating() < big[i-1].GetRating() {
					t.Errorf("not red first: %v", big)
				}
			}
		}
	}
	// Filters: by check, by rating, by team and adviser.
	want := func(keep func(cliffFixture) bool) []string {
		var out []string
		for _, n := range turning {
			if keep(byName[n]) {
				out = append(out, n)
			}
		}
		return out
	}
	if got := entryNames(councilView(t, s, s.token, &pb.CliffEdgeView{Check: "accommodation"}, "", 50)); !sameSet(got,
		want(func(f cliffFixture) bool { return slices.Contains(f.failing, "accommodation") })) {
		t.Errorf("failing accommodation: %v", got)
	}
	if got := entryNames(councilView(t, s, s.token, &pb.CliffEdgeView{Ratings: []pb.Rating{pb.Rating_RATING_RED}}, "", 50)); !sameSet(got,
		want(func(f cliffFixture) bool { return f.rating == pb.Rating_RATING_RED })) {
		t.Errorf("red: %v", got)
	}
	manager := s.manager(t)
	if got := entryNames(councilView(t, s, manager, &pb.CliffEdgeView{Team: "east"}, "", 50)); !sameSet(got, turning) {
		t.Errorf("the team manager's view of team east: %v", got)
	}
	if got := councilView(t, s, manager, &pb.CliffEdgeView{Team: "no-such-team"}, "", 50); len(got) != 0 {
		t.Errorf("a team with no advisers: %v", entryNames(got))
	}
	other := s.newPerson(t, fmt.Sprintf("test-pa-%d", personSeq.Add(1)), "nottinghamshire", "east", "PERSONAL_ADVISER")
	if got := councilView(t, s, other, &pb.CliffEdgeView{}, "", 50); len(got) != 0 {
		t.Errorf("another adviser sees %v", entryNames(got))
	}
	// Adults with gaps: the over-21 fixture is green, so not there.
	for _, e := range councilView(t, s, s.token, &pb.CliffEdgeView{Population: pb.CliffEdgeView_ADULTS_WITH_GAPS}, "", 50) {
		if e.GetRating() == pb.Rating_RATING_GREEN || !fromPB(e.GetEighteenthBirthday()).Before(today().AddDays(1)) {
			t.Errorf("adults with gaps holds %v", e)
		}
	}

	// The board's counts agree with the view.
	sum, err := pb.NewReadinessServiceClient(s.conn).SummarizeCliffEdge(context.Background(),
		&pb.SummarizeCliffEdgeRequest{Parent: "organisations/nottinghamshire"})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int32{}
	var red, green int32
	for _, e := range all {
		for _, c := range e.GetFailingChecks() {
			counts[c]++
		}
		switch e.GetRating() {
		case pb.Rating_RATING_RED:
			red++
		case pb.Rating_RATING_GREEN:
			green++
		}
	}
	if sum.GetTotal() != int32(len(all)) || sum.GetRed() != red || sum.GetGreen() != green || len(sum.GetByAmbition()) != 6 {
		t.Errorf("summary %v, view has %d (red %d, green %d)", sum, len(all), red, green)
	}
	for _, c := range sum.GetByCheck() {
		if c.GetCount() != counts[c.GetKey()] || c.GetTitle() == "" {
			t.Errorf("summary counts %s as %d, the view %d", c.GetKey(), c.GetCount(), counts[c.GetKey()])
		}
	}
	// The council's own ambitions, with the titles its settings give them.
	for _, c := range sum.GetByAmbition() {
		if !strings.HasPrefix(c.GetTitle(), "Looked after children and care leavers ") {
			t.Errorf("ambition %s has title %q", c.GetKey(), c.GetTitle())
		}
	}
	// Administrators count the whole council (the demo data's young people too) but see no one.
	admin := pb.NewReadinessServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
	whole, err := admin.SummarizeCliffEdge(context.Background(), &pb.SummarizeCliffEdgeRequest{Parent: "organisations/nottinghamshire"})
	if err != nil || whole.GetTotal() < sum.GetTotal() {
		t.Errorf("the administrator's count: %v %v", whole.GetTotal(), err)
	}
	_, err = admin.ListCliffEdgeAssessments(context.Background(), &pb.ListCliffEdgeAssessmentsRequest{Parent: "organisations/nottinghamshire"})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	_, err = pb.NewReadinessServiceClient(s.conn).ListCliffEdgeAssessments(context.Background(),
		&pb.ListCliffEdgeAssessmentsRequest{Parent: "organisations/derbyshire"})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	_, err = pb.NewReadinessServiceClient(s.conn).ListCliffEdgeAssessments(context.Background(),
		&pb.ListCliffEdgeAssessmentsRequest{Parent: "organisations/nottinghamshire", View: &pb.CliffEdgeView{Check: "nonsense"}})
	wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "view.check")
}

func TestFactsOverTheAPI(t *testing.T) {
	s := start(t, testConfig())
	yp := youngPersonInCare(t, s, "FACT-1", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
	r := s.do(t, "GET", "/v1/"+yp.GetName()+"/facts", "")
	var list pb.ListFactsResponse
	if r.code != 200 || unmarshalJSON(r.body, &list) != nil || len(list.GetFacts()) != len(readiness.FactKinds) {
		t.Fatalf("list: HTTP %d %s", r.code, r.body)
	}
	for _, f := range list.GetFacts() {
		if f.GetRecorded() {
			t.Errorf("%s is recorded before anyone recorded it", f.GetName())
		}
	}
	recordFact(t, s, yp.GetName(), readiness.FactNINumber, true)
	recordFact(t, s, yp.GetName(), readiness.FactNINumber, false)
	r = s.do(t, "GET", "/v1/"+yp.GetName()+"/facts?pageSize=1", "")
	if r.code != 200 || unmarshalJSON(r.body, &list) != nil || len(list.GetFacts()) != 1 || list.GetNextPageToken() == "" {
		t.Fatalf("first page: HTTP %d %s", r.code, r.body)
	}
	f := list.GetFacts()[0]
	if f.GetName() != yp.GetName()+"/facts/"+readiness.FactNINumber || !f.GetRecorded() || f.GetValue() ||
		!strings.HasPrefix(f.GetRecordedBy(), "people/test-pa-") || f.GetOrganisation() != "organisations/nottinghamshire" ||
		f.GetNote() != "checked" || len(f.GetPartnerPurposes()) != 2 {
		t.Errorf("the latest record: %v", f)
	}
	for name, body := range map[string]string{
		"unknown kind":   `{"value": true, "evidenceType": "EVIDENCE_TYPE_OTHER"}`,
		"no value":       `{"evidenceType": "EVIDENCE_TYPE_OTHER"}`,
		"no evidence":    `{"value": true}`,
		"in the future":  fmt.Sprintf(`{"value": true, "evidenceType": "EVIDENCE_TYPE_OTHER", "effectiveDate": %s}`, jsonDate(today().AddDays(1))),
		"not a real day": `{"value": true, "evidenceType": "EVIDENCE_TYPE_OTHER", "effectiveDate": {"year": 2026, "month": 2, "day": 30}}`,
	} {
		key := readiness.FactTenancyTraining
		if name == "unknown kind" {
			key = "made.up"
		}
		r := s.do(t, "POST", "/v1/"+yp.GetName()+"/facts/"+key+":record", body)
		if r.code != 400 {
			t.Errorf("%s: HTTP %d %s, want 400", name, r.code, r.body)
		}
	}
	r = s.do(t, "GET", "/v1/"+yp.GetName()+"/facts", "")
	if r.code != 200 || unmarshalJSON(r.body, &list) != nil {
		t.Fatalf("list: HTTP %d %s", r.code, r.body)
	}
	for _, f := range list.GetFacts() {
		if strings.HasSuffix(f.GetName(), readiness.FactTenancyTraining) && f.GetRecorded() {
			t.Error("a refused record was stored")
		}
	}
}

func unmarshalJSON(b []byte, m proto.Message) error { return protojson.Unmarshal(b, m) }

// The council's view is today's: summaries that time has overtaken since the background
// refresher last ran (at midnight, say) are reassessed before the view shows them.
func TestTheCliffEdgeViewReassessesWhatTimeHasOvertaken(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			var shift atomic.Int64 // how far the server's clock is ahead of the suite's
			cfg.Clock = func() time.Time { return testclock.Now().Add(time.Duration(shift.Load())) }
			s := start(t, cfg)
			yp := youngPersonInCare(t, s, "OVERTAKEN-1", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
			entryOf := func() *pb.CliffEdgeEntry {
				for _, e := range councilView(t, s, s.token, &pb.CliffEdgeView{}, "", 50) {
					if e.GetYoungPerson() == yp.GetName() {
						return e
					}
				}
				t.Fatalf("%s is not in the council's view", yp.GetName())
				return nil
			}
			if got := fromPB(entryOf().GetAssessedOn()); got != today() {
				t.Fatalf("assessed on %s, want today, %s", got, today())
			}
			// The day time alone may change the answer comes, at noon.
			until := fromPB(assessment(t, s, yp.GetName()).GetValidUntil())
			if !until.After(today()) {
				t.Fatalf("valid until %s, not after today", until)
			}
			noon := time.Date(until.Year, until.Month, until.Day, 12, 0, 0, 0, civil.London)
			shift.Store(int64(noon.Sub(testclock.Now())))
			if got := fromPB(entryOf().GetAssessedOn()); got != until {
				t.Errorf("on %s the view shows the young person as assessed on %s, want that day", until, got)
			}
		})
	}
}
