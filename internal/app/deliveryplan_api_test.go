package app_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

func TestDeliveryPlanOverTheAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			ctx := context.Background()
			admin := s.as(tokenFor(t, "ada-admin"))
			// REST create, retried with the same request id: one plan.
			body := `{"title": "Delivery plan 2026-27", "year": 2026}`
			path := "/v1/organisations/nottinghamshire/deliveryPlans?deliveryPlanId=2026-27&requestId=7d2b9f8e-3c1a-4e5b-9f0d-2a6c8e4b1d3f"
			first := mustREST(t, admin.do(t, "POST", path, body)).json(t)
			again := mustREST(t, admin.do(t, "POST", path, body)).json(t)
			if first["name"] != "organisations/nottinghamshire/deliveryPlans/2026-27" || first["etag"] != again["etag"] {
				t.Fatalf("create %v, retried %v", first, again)
			}
			wantRESTError(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/deliveryPlans?deliveryPlanId=2026-27", body),
				409, "ALREADY_EXISTS", "RESOURCE_EXISTS")

			plans := pb.NewDeliveryPlanServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
			act, err := plans.CreatePlanAction(ctx, &pb.CreatePlanActionRequest{Parent: "organisations/nottinghamshire/deliveryPlans/2026-27",
				Action: &pb.PlanAction{Title: "Ring-fence 20 apprenticeships for care leavers", Ambitions: []string{"A6"},
					LeadOrganisation: "organisations/notts-futures", LeadPerson: "people/eli-employment",
					StartDate: pbDate(today().AddDays(-30)), DueDate: pbDate(today().AddDays(300)), Status: pb.ActionStatus_ACTION_STATUS_IN_PROGRESS,
					Rating: pb.Rating_RATING_AMBER, RatingReason: "employers slow to sign up", Measure: "measureDefinitions/apprenticeship.offered",
					Baseline: 0.1, Target: 0.5}})
			if err != nil {
				t.Fatal(err)
			}
			// Bad actions are refused before anything is stored.
			_, err = plans.CreatePlanAction(ctx, &pb.CreatePlanActionRequest{Parent: "organisations/nottinghamshire/deliveryPlans/2026-27",
				Action: &pb.PlanAction{Title: "x", Ambitions: []string{"A9"}, LeadOrganisation: "organisations/derbyshire",
					DueDate: pbDate(today()), Measure: "measureDefinitions/no.such"}})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "action.ambitions[0]", "action.lead_organisation", "action.measure")

			// The lead partner rates its own action, with a stale etag first.
			eli := pb.NewDeliveryPlanServiceClient(s.dial(t, tokenFor(t, "eli-employment")))
			_, err = eli.AddPlanActionProgress(ctx, &pb.AddPlanActionProgressRequest{Name: act.GetName(), Note: "12 employers signed",
				Rating: pb.Rating_RATING_GREEN, RatingReason: "on track", Etag: "99"})
			wantGRPCError(t, err, codes.Aborted, "ETAG_MISMATCH")
			got, err := eli.AddPlanActionProgress(ctx, &pb.AddPlanActionProgressRequest{Name: act.GetName(), Note: "12 employers signed",
				Rating: pb.Rating_RATING_GREEN, RatingReason: "on track", Etag: act.GetEtag()})
			if err != nil || got.GetRating() != pb.Rating_RATING_GREEN || len(got.GetProgress()) != 1 || got.GetProgress()[0].GetAuthor() != "people/eli-employment" {
				t.Fatalf("progress: %v %v", got, err)
			}
			got, err = eli.UpdatePlanAction(ctx, &pb.UpdatePlanActionRequest{Action: &pb.PlanAction{Name: act.GetName(), Target: 0.6, Etag: got.GetEtag()},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"target"}}, Reason: "raised after the first quarter"})
			if err != nil || got.GetTarget() != 0.6 || got.GetTitle() != act.GetTitle() {
				t.Fatalf("update: %v %v", got, err)
			}
			// It may not hand the action to someone else.
			_, err = eli.UpdatePlanAction(ctx, &pb.UpdatePlanActionRequest{Action: &pb.PlanAction{Name: act.GetName(), LeadOrganisation: "organisations/framework-housing"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"lead_organisation"}}, Reason: "not ours"})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

			// Every change is kept: who, from where, when, why.
			changes, err := pb.NewDeliveryPlanServiceClient(s.dial(t, s.manager(t))).ListPlanActionChanges(ctx,
				&pb.ListPlanActionChangesRequest{Parent: act.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			var kinds, reasons, actors []string
			for _, c := range changes.GetChanges() {
				kinds, reasons, actors = append(kinds, c.GetKind()), append(reasons, c.GetReason()), append(actors, c.GetActor())
			}
			if !equal(kinds, "CREATE", "PROGRESS", "UPDATE") || !equal(reasons, "created", "12 employers signed", "raised after the first quarter") ||
				!equal(actors, "people/ada-admin", "people/eli-employment", "people/eli-employment") ||
				changes.GetChanges()[2].GetAction().GetTarget() != 0.6 || changes.GetChanges()[0].GetAction().GetTarget() != 0.5 {
				t.Errorf("changes: %v %v %v", kinds, reasons, actors)
			}

			// The board report shows the plan: the action, its rating, the measure's target,
			// and the same agency row for every agency, the council first.
			report, err := pb.NewBoardServiceClient(s.dial(t, tokenFor(t, "ada-admin"))).GetBoardReport(ctx,
				&pb.GetBoardReportRequest{Name: "organisations/nottinghamshire/boardReport"})
			if err != nil {
				t.Fatal(err)
			}
			if report.GetDeliveryPlan() != "organisations/nottinghamshire/deliveryPlans/2026-27" || len(report.GetActions()) != 1 ||
				report.GetActions()[0].GetRating() != pb.Rating_RATING_GREEN || report.GetActions()[0].GetLeadOrganisationDisplayName() != "Nottinghamshire Futures" {
				t.Errorf("the report's plan: %v %v", report.GetDeliveryPlan(), report.GetActions())
			}
			agencies := report.GetAgencies()
			if len(agencies) < 2 || agencies[0].GetOrganisation() != "organisations/nottinghamshire" {
				t.Fatalf("agencies: %v", agencies)
			}
			found := false
			for _, a := range agencies {
				if a.GetOrganisation() == "organisations/notts-futures" {
					found = a.GetActions() == 1 && a.GetActionsGreen() == 1 && a.GetMilestonesDue() != nil
				}
			}
			if !found {
				t.Errorf("Nottinghamshire Futures' row: %v", agencies)
			}
			for _, m := range report.GetMeasures() {
				if m.GetDefinition().GetKey() == "apprenticeship.offered" && (len(m.GetTargets()) != 1 || m.GetTargets()[0].GetTarget() != 0.6) {
					t.Errorf("the measure's targets: %v", m.GetTargets())
				}
			}
		})
	}
}

func equal(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// An action's intended outcome may be one of the council's own measures (its pathway
// settings' localMeasures), which the board report then shows with the action's target; a
// local key the council has not defined is refused on the field like any unknown measure.
func TestDeliveryPlanActionTargetsTheCouncilsOwnMeasure(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			ctx := context.Background()
			admin := s.as(tokenFor(t, "ada-admin"))
			mustREST(t, admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings?updateMask=localMeasures",
				`{"localMeasures": [{"key": "local.eet_19_21", "title": "In work or learning at 19 to 21 (ours)",
					"ofstedGroup": "OFSTED_GROUP_LEARNING_AND_WORK", "definition": "d", "numerator": "n", "denominator": "d",
					"source": "the council's strategy", "ages": "19 to 22", "cohortMilestone": "data.oc3.birthday", "fact": "oc3.in_eet"}]}`))
			mustREST(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/deliveryPlans?deliveryPlanId=2026-27",
				`{"title": "Delivery plan 2026-27", "year": 2026}`))

			plans := pb.NewDeliveryPlanServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
			action := func(measure string) *pb.CreatePlanActionRequest {
				return &pb.CreatePlanActionRequest{Parent: "organisations/nottinghamshire/deliveryPlans/2026-27",
					Action: &pb.PlanAction{Title: "Work placements with the council's own services", Ambitions: []string{"A6"},
						LeadOrganisation: "organisations/nottinghamshire", DueDate: pbDate(today().AddDays(200)),
						Measure: measure, Baseline: 0.4, Target: 0.6}}
			}
			_, err := plans.CreatePlanAction(ctx, action("measureDefinitions/local.x"))
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "action.measure")
			act, err := plans.CreatePlanAction(ctx, action("measureDefinitions/local.eet_19_21"))
			if err != nil {
				t.Fatal(err)
			}
			if act.GetMeasure() != "measureDefinitions/local.eet_19_21" {
				t.Errorf("the action's measure: %q", act.GetMeasure())
			}
			// Moved to another unknown local measure: refused, the action unchanged.
			_, err = plans.UpdatePlanAction(ctx, &pb.UpdatePlanActionRequest{Action: &pb.PlanAction{Name: act.GetName(),
				Measure: "measureDefinitions/local.x", Etag: act.GetEtag()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"measure"}},
				Reason: "a measure no one defined"})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "action.measure")

			report, err := pb.NewBoardServiceClient(s.dial(t, s.manager(t))).GetBoardReport(ctx,
				&pb.GetBoardReportRequest{Name: "organisations/nottinghamshire/boardReport"})
			if err != nil {
				t.Fatal(err)
			}
			targets := boardMeasure(t, report, "local.eet_19_21").GetTargets()
			if len(targets) != 1 || targets[0].GetAction() != act.GetName() || targets[0].GetTarget() != 0.6 {
				t.Errorf("the council's own measure's targets: %v", targets)
			}

			// The council drops its measure: the action that targets it can still be
			// retitled (it keeps the measure), but not moved onto another it does not count.
			mustREST(t, admin.do(t, "PATCH", "/v1/organisations/nottinghamshire/pathwaySettings?updateMask=localMeasures",
				`{"localMeasures": []}`))
			retitled, err := plans.UpdatePlanAction(ctx, &pb.UpdatePlanActionRequest{Action: &pb.PlanAction{Name: act.GetName(),
				Title: "Work placements, council services first", Etag: act.GetEtag()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
				Reason: "retitled after the measure was dropped"})
			if err != nil {
				t.Fatalf("retitling an action whose measure the council has since dropped: %v", err)
			}
			if retitled.GetMeasure() != act.GetMeasure() || retitled.GetTitle() != "Work placements, council services first" {
				t.Errorf("retitled: measure %q, title %q", retitled.GetMeasure(), retitled.GetTitle())
			}
			_, err = plans.UpdatePlanAction(ctx, &pb.UpdatePlanActionRequest{Action: &pb.PlanAction{Name: act.GetName(),
				Measure: "measureDefinitions/local.x", Etag: retitled.GetEtag()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"measure"}},
				Reason: "a measure no one defined"})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "action.measure")
		})
	}
}
