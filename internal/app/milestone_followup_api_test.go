package app_test

import (
	"context"
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Creating a one-off milestone is a milestone change like any other (issue 17, item 9): its
// reminders are raised at once, not at the next :schedule.
func TestOneOffMilestoneRemindsAtOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			ctx := context.Background()
			yp := youngPersonInCare(t, s, "ONE-1", agedToday(16, 30), civil.Period{Years: 14}, "U1")
			created, err := pb.NewPathwaysServiceClient(s.conn).CreateMilestone(ctx, &pb.CreateMilestoneRequest{
				Parent: yp.GetName(), Milestone: &pb.Milestone{Title: "Meet the college's transition worker",
					Area: pb.MilestoneDefinition_EDUCATION_AND_TRAINING, OwnerAgencyType: pb.MilestoneDefinition_CHILDRENS_SOCIAL_CARE,
					DueDate: pbDate(today().AddDays(-1))}})
			if err != nil {
				t.Fatal(err)
			}
			// Over REST too: the reminder is in the adviser's inbox straight after the create.
			found := false
			for _, x := range listOf(t, s.do(t, "GET", "/v1/people/me/reminders?pageSize=500", ""), "reminders") {
				found = found || x["milestone"] == created.GetName() && x["rule"] == "milestone.due"
			}
			if !found {
				t.Errorf("no milestone.due reminder for the one-off milestone %s after its creation", created.GetName())
			}
		})
	}
}
