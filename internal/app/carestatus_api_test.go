package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The circumstances recorded on a young person change their care-leaver status at once,
// over REST and gRPC: detained at 16 (CLR reg 3(2)), in education after 21 (s23CA), a
// relevant student (s24B(5)), and a personal adviser on request from 21 (s23CZB).
func TestStatusFollowsRecordedCircumstances(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			ctx := context.Background()
			dob := agedToday(16, 30)
			rule := civil.MarchFirst
			b14, b16 := civil.Attains(dob, civil.Period{Years: 14}, rule), civil.Attains(dob, civil.Period{Years: 16}, rule)
			left := b16.AddDays(-21)

			r := mustREST(t, s.do(t, "POST", "/v1/youngPeople", fmt.Sprintf(
				`{"givenName": "Test", "familyName": "Detained", "dateOfBirth": {"year": %d, "month": %d, "day": %d},
				  "council": "organisations/nottinghamshire", "caseReference": "ST-1", "personalAdviser": "people/%s"}`,
				dob.Year, dob.Month, dob.Day, s.person)))
			yp := r.json(t)["name"].(string)
			mustREST(t, s.do(t, "POST", "/v1/"+yp+"/careEpisodes", fmt.Sprintf(
				`{"startDate": {"year": %d, "month": %d, "day": %d}, "endDate": {"year": %d, "month": %d, "day": %d},
				  "legalStatus": "C2", "placementType": "K2", "reasonEnded": "E9"}`,
				b14.Year, b14.Month, b14.Day, left.Year, left.Month, left.Day)))

			status := func(asOf string) map[string]any {
				t.Helper()
				return mustREST(t, s.do(t, "GET", "/v1/"+yp+"/careLeaverStatus"+asOf, "")).json(t)
			}
			if st := status(""); st["category"] != "NONE" || st["rule"] != "NONE_NOT_LOOKED_AFTER_AFTER_16" {
				t.Fatalf("before the detention is recorded: %v", st)
			}
			if p := mustREST(t, s.do(t, "PATCH", "/v1/"+yp+"?updateMask=detainedOrInHospitalAtSixteen", `{"detainedOrInHospitalAtSixteen": true}`)).json(t); p["detainedOrInHospitalAtSixteen"] != true {
				t.Fatalf("PATCH detainedOrInHospitalAtSixteen: %v", p)
			}
			if st := status(""); st["category"] != "RELEVANT" || st["rule"] != "RELEVANT_DETAINED_OR_IN_HOSPITAL_AT_16" {
				t.Fatalf("detained at 16: %v", st)
			}

			// At 22, former relevant: an adviser on request; then in education, and a student.
			at22 := civil.Attains(dob, civil.Period{Years: 22}, rule)
			asOf := fmt.Sprintf("?as_of=%s", at22)
			if st := status(asOf); st["category"] != "FORMER_RELEVANT" || st["personalAdviserOnRequest"] != true ||
				st["educationOrTrainingAfter21"] != false || st["vacationAccommodation"] != false {
				t.Fatalf("at 22: %v", st)
			}
			mustREST(t, s.do(t, "PATCH", "/v1/"+yp+"?updateMask=inEducationOrTraining,relevantStudent",
				`{"inEducationOrTraining": true, "relevantStudent": true}`))
			st, err := pb.NewCareEpisodesServiceClient(s.conn).GetCareLeaverStatus(ctx,
				&pb.GetCareLeaverStatusRequest{Name: yp + "/careLeaverStatus", AsOf: pbDate(at22)})
			if err != nil || st.GetCategory() != pb.CareLeaverStatus_FORMER_RELEVANT || !st.GetPersonalAdviserOnRequest() ||
				!st.GetEducationOrTrainingAfter_21() || !st.GetVacationAccommodation() {
				t.Fatalf("at 22, in education and a student, over gRPC: %v %v", st, err)
			}
		})
	}
}
