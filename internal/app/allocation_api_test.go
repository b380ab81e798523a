package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Allocation (issue 17, item 2): a team manager allocates and reallocates through the
// update mask and in bulk; the caseload and the reminders follow at once; a personal
// adviser cannot hand a young person away; the flags that add milestones can be set.
func TestAllocation(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			t.Run("OneAtATime", func(t *testing.T) { testAllocateOne(t, s) })
			t.Run("Batch", func(t *testing.T) { testAllocateBatch(t, s) })
		})
	}
}

func testAllocateOne(t *testing.T, s *server) {
	ctx := context.Background()
	tm := s.as(s.manager(t))
	pa2ID := fmt.Sprintf("test-pa-%d", personSeq.Add(1))
	pa2 := s.as(s.newPerson(t, pa2ID, "nottinghamshire", "east", "PERSONAL_ADVISER"))
	westID := fmt.Sprintf("test-pa-%d", personSeq.Add(1))
	s.newPerson(t, westID, "nottinghamshire", "west", "PERSONAL_ADVISER")
	goneID := fmt.Sprintf("test-pa-%d", personSeq.Add(1))
	s.newPerson(t, goneID, "nottinghamshire", "east", "PERSONAL_ADVISER")
	mustREST(t, s.as(tokenFor(t, "ada-admin")).do(t, "PATCH", "/v1/people/"+goneID+"?updateMask=disabled", `{"disabled": true}`))

	// On the test adviser's caseload, turned 16y3m five days ago: an age notice is open.
	r := mustREST(t, s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 16, Months: 3}, 5, "AL-1", s.person)))
	yp := r.json(t)["name"].(string)
	if n := openReminders(t, s, yp, "age.16y3m"); n != 1 {
		t.Fatalf("the adviser has %d open age.16y3m reminders, want 1", n)
	}

	// The flags that add milestones can be set, over REST without a mask and over gRPC with one.
	if p := mustREST(t, s.do(t, "PATCH", "/v1/"+yp, `{"openToCamhs": true}`)).json(t); p["openToCamhs"] != true {
		t.Errorf("openToCamhs after PATCH: %v", p["openToCamhs"])
	}
	got, err := s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
		YoungPerson: &pb.YoungPerson{Name: yp, InEducationOrTraining: true},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"in_education_or_training", "age", "key_dates"}}})
	if err != nil || !got.GetInEducationOrTraining() || !got.GetOpenToCamhs() {
		t.Fatalf("update in_education_or_training: %v %v", got, err)
	}

	// A personal adviser cannot hand the young person to someone else, or to no one.
	wantRESTError(t, s.do(t, "PATCH", "/v1/"+yp+"?updateMask=personalAdviser", `{"personalAdviser": "people/`+pa2ID+`"}`),
		403, "PERMISSION_DENIED", "ACCESS_DENIED")
	_, err = s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{YoungPerson: &pb.YoungPerson{Name: yp},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"personal_adviser"}}})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

	// A team manager allocates only to an enabled adviser of their own team.
	patch := func(to string) restResponse {
		return tm.do(t, "PATCH", "/v1/"+yp+"?updateMask=personalAdviser", `{"personalAdviser": "people/`+to+`"}`)
	}
	wantRESTError(t, patch(westID), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	wantRESTError(t, patch(goneID), 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "young_person.personal_adviser")
	if r := s.do(t, "GET", "/v1/"+yp, ""); r.code != 200 || r.json(t)["personalAdviser"] != "people/"+s.person {
		t.Fatalf("refused allocations changed the young person: HTTP %d %s", r.code, r.body)
	}

	// Reallocation: access and reminders follow at once.
	if p := mustREST(t, patch(pa2ID)).json(t); p["personalAdviser"] != "people/"+pa2ID {
		t.Fatalf("reallocated: %v", p["personalAdviser"])
	}
	wantRESTError(t, s.do(t, "GET", "/v1/"+yp, ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	mustREST(t, pa2.do(t, "GET", "/v1/"+yp, ""))
	if n := openReminders(t, s, yp, "age.16y3m"); n != 0 {
		t.Errorf("the old adviser still has %d open reminders about the young person", n)
	}
	if n := openReminders(t, pa2, yp, "age.16y3m"); n != 1 {
		t.Errorf("the new adviser has %d open age.16y3m reminders, want 1", n)
	}

	// Unallocated, over gRPC: the young person joins the council's unallocated young people.
	tmConn := pb.NewYoungPeopleServiceClient(s.dial(t, tm.token))
	got, err = tmConn.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{YoungPerson: &pb.YoungPerson{Name: yp},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"personal_adviser"}}})
	if err != nil || got.GetPersonalAdviser() != "" {
		t.Fatalf("unallocate: %v %v", got, err)
	}
	wantRESTError(t, pa2.do(t, "GET", "/v1/"+yp, ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
}

func testAllocateBatch(t *testing.T, s *server) {
	ctx := context.Background()
	tmToken := s.manager(t)
	tm := pb.NewYoungPeopleServiceClient(s.dial(t, tmToken))
	westID := fmt.Sprintf("test-pa-%d", personSeq.Add(1))
	west := pb.NewYoungPeopleServiceClient(s.dial(t, s.newPerson(t, westID, "nottinghamshire", "west", "PERSONAL_ADVISER")))
	newYP := func(c pb.YoungPeopleServiceClient, ref string) string {
		t.Helper()
		yp, err := c.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson(ref)})
		if err != nil {
			t.Fatal(err)
		}
		return yp.GetName()
	}
	// As after an SSDA903 import: young people with no adviser yet.
	a, b := newYP(tm, "BA-1"), newYP(tm, "BA-2")
	hidden := newYP(west, "BA-3")
	nobody := "youngPeople/" + uuid.NewString()
	adviser := func(name string) string {
		t.Helper()
		yp, err := tm.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return yp.GetPersonalAdviser()
	}
	batch := func(c pb.YoungPeopleServiceClient, validateOnly bool, names ...string) (*pb.BatchAllocatePersonalAdviserResponse, error) {
		return c.BatchAllocatePersonalAdviser(ctx, &pb.BatchAllocatePersonalAdviserRequest{
			YoungPeople: names, PersonalAdviser: "people/" + s.person, ValidateOnly: validateOnly})
	}

	// All or nothing: the young people the manager may not see are named by index, the
	// hidden one exactly as the one who does not exist, and no one is allocated.
	_, err := batch(tm, false, a, hidden, b, nobody)
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED", "young_people[1]", "young_people[3]")
	if adviser(a) != "" || adviser(b) != "" {
		t.Fatal("a refused batch allocated someone")
	}
	_, err = batch(tm, false, a, nobody)
	_, errHidden := batch(tm, false, a, hidden)
	if err.Error() != errHidden.Error() {
		t.Errorf("refusals differ: %v / %v", err, errHidden)
	}
	// Only team managers; to advisers of their own team; at most 500, each once.
	_, err = batch(s.yp, false, a)
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	_, err = tm.BatchAllocatePersonalAdviser(ctx, &pb.BatchAllocatePersonalAdviserRequest{
		YoungPeople: []string{a}, PersonalAdviser: "people/" + westID})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	many := make([]string, 501)
	for i := range many {
		many[i] = "youngPeople/" + uuid.NewString()
	}
	_, err = batch(tm, false, many...)
	wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "young_people")
	_, err = batch(tm, false, a, a)
	wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "young_people")

	// validate_only checks and changes nothing.
	resp, err := batch(tm, true, a, b)
	if err != nil || len(resp.GetYoungPeople()) != 2 || adviser(a) != "" || adviser(b) != "" {
		t.Fatalf("validate only: %v %v", resp, err)
	}

	// gRPC: both allocated, in the order asked, and on the adviser's caseload at once.
	resp, err = batch(tm, false, b, a)
	if err != nil {
		t.Fatal(err)
	}
	if names(resp.GetYoungPeople())[0] != b || resp.GetYoungPeople()[1].GetPersonalAdviser() != "people/"+s.person {
		t.Fatalf("batch allocate: %v", resp)
	}
	for _, name := range []string{a, b} {
		if _, err := s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name}); err != nil {
			t.Errorf("the adviser cannot open %s after allocation: %v", name, err)
		}
	}

	// REST: reallocated to another adviser of the team.
	pa2ID := fmt.Sprintf("test-pa-%d", personSeq.Add(1))
	pa2 := s.as(s.newPerson(t, pa2ID, "nottinghamshire", "east", "PERSONAL_ADVISER"))
	r := mustREST(t, s.as(tmToken).do(t, "POST", "/v1/youngPeople:batchAllocatePersonalAdviser",
		fmt.Sprintf(`{"youngPeople": [%q, %q], "personalAdviser": "people/%s"}`, a, b, pa2ID)))
	if !strings.Contains(string(r.body), `"personalAdviser":"people/`+pa2ID) {
		t.Errorf("REST batch: %s", r.body)
	}
	mustREST(t, pa2.do(t, "GET", "/v1/"+a, ""))
	wantRESTError(t, s.do(t, "GET", "/v1/"+a, ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	wantRESTError(t, s.as(tmToken).do(t, "POST", "/v1/youngPeople:batchAllocatePersonalAdviser",
		fmt.Sprintf(`{"youngPeople": [%q, %q], "personalAdviser": "people/%s"}`, a, hidden, pa2ID)),
		403, "PERMISSION_DENIED", "ACCESS_DENIED", "young_people[1]")
}

// openReminders counts the open reminders of a rule about a young person in the caller's
// own inbox.
func openReminders(t *testing.T, s *server, yp, rule string) int {
	t.Helper()
	n := 0
	for _, x := range listOf(t, s.do(t, "GET", "/v1/people/me/reminders?pageSize=500", ""), "reminders") {
		if x["youngPerson"] == yp && x["rule"] == rule {
			n++
		}
	}
	return n
}
