package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// TestRecordOC3AtTheBirthday: a personal adviser completes a care leaver's SSDA903 birthday
// milestone with in touch, activity and accommodation; the DfE's rules refuse what the
// return would fail, and no other milestone takes the record.
func TestRecordOC3AtTheBirthday(t *testing.T) {
	s := start(t, testConfig())
	ctx := context.Background()
	dob := agedToday(18, 30)
	yp := newYoungPerson("OC3-1")
	yp.DateOfBirth = pbDate(dob)
	created, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: yp})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pb.NewCareEpisodesServiceClient(s.conn).CreateCareEpisode(ctx, &pb.CreateCareEpisodeRequest{
		Parent: created.GetName(),
		CareEpisode: &pb.CareEpisode{StartDate: pbDate(civil.Attains(dob, civil.Period{Years: 15}, civil.MarchFirst)),
			EndDate:     pbDate(civil.Attains(dob, civil.Period{Years: 17, Months: 3}, civil.MarchFirst)),
			LegalStatus: "C2", PlacementType: "U4", ReasonEnded: "E5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	birthday := civil.Attains(dob, civil.Period{Years: 18}, civil.MarchFirst)
	var oc3, other *pb.Milestone
	for _, m := range pathwayOf(t, s, created.GetName()).GetTimeline() {
		switch {
		case m.GetDefinition() == "milestoneDefinitions/data.oc3.birthday" && fromPB(m.GetDueDate()) == birthday:
			oc3 = m
		case m.GetDefinition() != "milestoneDefinitions/data.oc3.birthday" && m.GetState() == pb.Milestone_PLANNED:
			other = m
		}
	}
	if oc3 == nil || other == nil {
		t.Fatalf("no OC3 milestone on the 18th birthday %v, or nothing else planned", birthday)
	}
	body := func(contact string) string {
		return fmt.Sprintf(`{"achievedDate": {"year": %d, "month": %d, "day": %d}, "evidence": [{"description": "visit"}]%s}`,
			today().Year, today().Month, today().Day, contact)
	}
	wantRESTError(t, s.do(t, "POST", "/v1/"+oc3.GetName()+":complete", body("")),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "care_leaver_contact")
	wantRESTError(t, s.do(t, "POST", "/v1/"+oc3.GetName()+":complete",
		body(`, "careLeaverContact": {"inTouch": "YES", "activity": "F5", "accommodation": "S1"}`)),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "care_leaver_contact.accommodation")
	wantRESTError(t, s.do(t, "POST", "/v1/"+oc3.GetName()+":complete",
		body(`, "careLeaverContact": {"inTouch": "YES", "activity": "0", "accommodation": "U1"}`)),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "care_leaver_contact.in_touch")
	wantRESTError(t, s.do(t, "POST", "/v1/"+oc3.GetName()+":complete",
		body(`, "careLeaverContact": {"inTouch": "RHOM", "activity": "0", "accommodation": "0"}`)),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "care_leaver_contact.in_touch")
	wantRESTError(t, s.do(t, "POST", "/v1/"+other.GetName()+":complete",
		body(`, "careLeaverContact": {"inTouch": "YES", "activity": "F5", "accommodation": "U1"}`)),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "care_leaver_contact")
	r := s.do(t, "POST", "/v1/"+oc3.GetName()+":complete",
		body(`, "careLeaverContact": {"inTouch": "YES", "activity": "F5", "accommodation": "U1"}`))
	if r.code != 200 {
		t.Fatalf("complete: HTTP %d %s", r.code, r.body)
	}
	got, _ := r.json(t)["careLeaverContact"].(map[string]any)
	if got["inTouch"] != "YES" || got["activity"] != "F5" || got["accommodation"] != "U1" {
		t.Fatalf("the milestone shows %v, want what was recorded", r.json(t))
	}
}
