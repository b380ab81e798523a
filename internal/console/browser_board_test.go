package console_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	bt "github.com/carepath/carepath/internal/browsertest"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// TestBoardShowsTheCouncilsOwnMeasure: a measure the council adds to its pathway settings is
// on the board page with the national ones, marked as its own, with its value in words. It
// runs a server of its own, since the measure changes what every board page shows.
func TestBoardShowsTheCouncilsOwnMeasure(t *testing.T) {
	s := startSite(t)
	const title = "Work experience offered in the last year"
	ctx, conn := s.api(t, "ada-admin")
	_, err := pb.NewCatalogueServiceClient(conn).UpdatePathwaySettings(ctx, &pb.UpdatePathwaySettingsRequest{
		PathwaySettings: &pb.PathwaySettings{Name: "organisations/nottinghamshire/pathwaySettings",
			LocalMeasures: []*pb.LocalMeasure{{Key: "local.work_experience.offered_12m", Title: title,
				OfstedGroup: pb.OfstedGroup_OFSTED_GROUP_LEARNING_AND_WORK,
				Definition:  "Children in care aged 13 to 17 offered work experience in the last year.",
				Numerator:   "Those with the offer achieved in the twelve months to the date.", Denominator: "Those with the offer due.",
				Source: "Nottinghamshire strategy 2018-21", Ages: "13 to 18", CohortMilestone: "local.work_experience.offer",
				Achieved: []string{"local.work_experience.offer"}, Within: "12m"}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"local_measures"}},
	})
	if err != nil {
		t.Fatal(err)
	}

	manager := s.signIn(t, "tess-manager")
	bt.Navigate(t, manager, s.base+"/app/board")
	bt.WaitVisible(t, manager, "#measures")
	if n := bt.Count(t, manager, "#measures .cp-own-measure"); n != 1 {
		t.Fatalf("%d measures marked as the council's own, want 1", n)
	}
	row := bt.Text(t, manager, "#measures tr:has(.cp-own-measure)")
	if !strings.Contains(row, title) || !strings.Contains(row, "Council's own") || !strings.Contains(row, " of ") {
		t.Errorf("the council's own measure's row reads %q", row)
	}
	if n := bt.Count(t, manager, "#measures tbody tr"); n < 2 {
		t.Errorf("the board shows %d measures: the national ones are gone", n)
	}
	bt.NoSeriousViolations(t, manager, "board with the council's own measure")
}
