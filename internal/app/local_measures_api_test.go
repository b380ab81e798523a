package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A council adds its own measure through its pathway settings (REST) and its board report
// then counts it like the national ones, marked as its own; a measure that does not read,
// or reads what the council's pathways do not hold, is refused with the field and changes
// nothing. Over gRPC it adds a second, of one of its own milestones, which serves the
// ambitions that list that milestone. Only its administrators change them.
func TestCouncilsOwnMeasures(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			yps := boardFixture(t, s)
			admin := s.as(tokenFor(t, "ada-admin"))
			const settings = "/v1/organisations/nottinghamshire/pathwaySettings"
			measure := func(key, ages, count string) string {
				return fmt.Sprintf(`{"localMeasures": [{"key": %q, "title": "In work or learning at 19 to 21 (ours)",
					"ofstedGroup": "OFSTED_GROUP_LEARNING_AND_WORK", "definition": "d", "numerator": "n", "denominator": "d",
					"source": "the council's strategy", "ages": %q, "cohortMilestone": "data.oc3.birthday", %s}]}`, key, ages, count)
			}
			before := admin.do(t, "GET", settings, "").json(t)["etag"]
			for _, bad := range []struct{ body, field string }{
				{measure("local.eet", "21 to 19", `"fact": "oc3.in_eet"`), "pathway_settings.local_measures[0].ages"},
				{measure("local.eet", "19 to 22", `"fact": "oc3.in_eet", "overdue": true`), "pathway_settings.local_measures[0]"},
				{measure("local.eet", "19 to 22", `"achieved": ["data.oc3.birthday"], "byAge": "20", "within": "1y"`), "pathway_settings.local_measures[0].within"},
				{measure("local.eet", "19 to 22", `"fact": "no.such.fact"`), "pathway_settings.local_measures[0].fact"},
				{measure("local.eet", "19 to 22", `"achieved": ["no.such.milestone"]`), "pathway_settings.local_measures[0].achieved[0]"},
				{measure("eet.19_21", "19 to 22", `"fact": "oc3.in_eet"`), "pathway_settings.local_measures[0].key"},
			} {
				r := admin.do(t, "PATCH", settings+"?updateMask=localMeasures", bad.body)
				wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", bad.field)
			}
			if after := admin.do(t, "GET", settings, "").json(t)["etag"]; after != before {
				t.Fatalf("refused settings changed the etag: %v to %v", before, after)
			}

			r := admin.do(t, "PATCH", settings+"?updateMask=localMeasures", measure("local.eet_19_21", "19 to 22", `"fact": "oc3.in_eet"`))
			if r.code != 200 {
				t.Fatalf("adding a measure: HTTP %d %s", r.code, r.body)
			}

			// Over gRPC, a second: the council's own apprenticeship offer made in the last
			// year, which five of the fixture had today.
			for _, yp := range yps[:5] {
				completeDue(t, s, yp.GetName(), "local.apprenticeship.offer")
			}
			ctx := context.Background()
			catalogue := pb.NewCatalogueServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
			cur, err := catalogue.GetPathwaySettings(ctx, &pb.GetPathwaySettingsRequest{Name: "organisations/nottinghamshire/pathwaySettings"})
			if err != nil {
				t.Fatal(err)
			}
			offer := &pb.LocalMeasure{Key: "local.apprenticeship.offered_12m", Title: "Apprenticeship or job offered in the last year",
				OfstedGroup: pb.OfstedGroup_OFSTED_GROUP_LEARNING_AND_WORK, Definition: "Care leavers aged 19 to 20 offered one in the last year.",
				Numerator: "Those with the offer achieved in the twelve months to the date.", Denominator: "Those with the offer due.",
				Source: "Nottinghamshire strategy 2018-21", Ages: "19 to 21", CohortMilestone: "local.apprenticeship.offer",
				Achieved: []string{"local.apprenticeship.offer"}, Within: "12m"}
			update := &pb.UpdatePathwaySettingsRequest{PathwaySettings: &pb.PathwaySettings{Name: cur.GetName(), Etag: cur.GetEtag(),
				LocalMeasures: append(cur.GetLocalMeasures(), offer)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"local_measures"}}}
			// A team manager may read the board, not change what it counts.
			_, err = pb.NewCatalogueServiceClient(s.dial(t, s.manager(t))).UpdatePathwaySettings(ctx, update)
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			bad := &pb.LocalMeasure{Key: "local.late", Title: "t", OfstedGroup: pb.OfstedGroup_OFSTED_GROUP_HEALTH, Definition: "d",
				Numerator: "n", Denominator: "d", Source: "s", Ages: "16 to 18", Fact: "oc3.in_touch", Achieved: []string{"plan.review", "local.nothing"}}
			_, err = catalogue.UpdatePathwaySettings(ctx, &pb.UpdatePathwaySettingsRequest{PathwaySettings: &pb.PathwaySettings{
				Name: cur.GetName(), LocalMeasures: []*pb.LocalMeasure{offer, bad}}, UpdateMask: update.GetUpdateMask()})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "pathway_settings.local_measures[1]")
			_, err = catalogue.UpdatePathwaySettings(ctx, &pb.UpdatePathwaySettingsRequest{PathwaySettings: &pb.PathwaySettings{
				Name: cur.GetName(), LocalMeasures: []*pb.LocalMeasure{offer, {Key: bad.Key, Title: bad.Title, OfstedGroup: bad.OfstedGroup,
					Definition: "d", Numerator: "n", Denominator: "d", Source: "s", Ages: "16 to 18", Achieved: bad.Achieved}}},
				UpdateMask: update.GetUpdateMask()})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "pathway_settings.local_measures[1].achieved[1]")
			if now, err := catalogue.GetPathwaySettings(ctx, &pb.GetPathwaySettingsRequest{Name: cur.GetName()}); err != nil ||
				now.GetEtag() != cur.GetEtag() || len(now.GetLocalMeasures()) != 1 {
				t.Fatalf("refused changes changed the settings: %v, %v", now, err)
			}
			if _, err := catalogue.UpdatePathwaySettings(ctx, update); err != nil {
				t.Fatal(err)
			}

			manager := s.manager(t)
			board := pb.NewBoardServiceClient(s.dial(t, manager))
			report, err := board.GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: "organisations/nottinghamshire/boardReport"})
			if err != nil {
				t.Fatal(err)
			}
			own := boardMeasure(t, report, "local.eet_19_21")
			// Team east is the fixture alone: 5 of its 10 care leavers in EET, as the national measure says.
			if got := shown(teamValue(own, "east")); got != "5/10 0.50" || !own.GetDefinition().GetLocal() ||
				boardMeasure(t, report, "eet.19_21").GetDefinition().GetLocal() {
				t.Errorf("the council's own measure for team east: %s, local %v", got, own.GetDefinition().GetLocal())
			}
			if len(own.GetTrend()) != 12 {
				t.Errorf("its trend has %d points", len(own.GetTrend()))
			}
			offered := boardMeasure(t, report, "local.apprenticeship.offered_12m")
			if got := shown(teamValue(offered, "east")); got != "5/10 0.50" || !offered.GetDefinition().GetLocal() {
				t.Errorf("the council's apprenticeship measure for team east: %s", got)
			}
			// The demo ambitions list the apprenticeship offer under A6 alone.
			if fmt.Sprint(offered.GetAmbitions()) != "[A6]" || fmt.Sprint(offered.GetDefinition().GetMilestones()) != "[local.apprenticeship.offer]" {
				t.Errorf("the measure serves %v through %v", offered.GetAmbitions(), offered.GetDefinition().GetMilestones())
			}
			if b.name == "postgres" { // no demo young people: the council is the fixture
				if got := shown(offered.GetValue()); got != "5/10 0.50" {
					t.Errorf("the council's apprenticeship measure for the council: %s", got)
				}
			}
			// Its own come after the national ones of their Ofsted group.
			var keys []string
			for _, m := range report.GetMeasures() {
				keys = append(keys, m.GetDefinition().GetKey())
			}
			if i := strings.Index(strings.Join(keys, " "), "local.eet_19_21 local.apprenticeship.offered_12m"); i < 0 ||
				strings.Index(strings.Join(keys, " "), "eet.19_21") > i {
				t.Errorf("measures in the order %v", keys)
			}

			// The national catalogue stays the national catalogue.
			defs, err := board.ListMeasureDefinitions(ctx, &pb.ListMeasureDefinitionsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range defs.GetMeasureDefinitions() {
				if strings.HasPrefix(d.GetKey(), "local.") || d.GetLocal() {
					t.Errorf("the national catalogue lists %s", d.GetKey())
				}
			}

			// The CSV and the page say whose each measure is.
			rest := s.as(manager)
			c := rest.do(t, "GET", "/v1/organisations/nottinghamshire/boardReport.csv", "")
			rows, err := csv.NewReader(bytes.NewReader(c.body)).ReadAll()
			if err != nil || c.code != 200 {
				t.Fatalf("CSV: HTTP %d %v", c.code, err)
			}
			by := map[string]string{}
			for _, row := range rows[1:] {
				if row[2] == "measure" {
					by[row[3]] = row[11]
				}
				if row[3] == "local.apprenticeship.offered_12m" && row[7] == "team east" && row[9] == "count" && row[10] != "5" {
					t.Errorf("CSV: the apprenticeship measure's count for team east is %q", row[10])
				}
			}
			if by["local.eet_19_21"] != "council" || by["local.apprenticeship.offered_12m"] != "council" || by["eet.19_21"] != "national" {
				t.Errorf("CSV: defined_by %v", by)
			}
			page := string(rest.do(t, "GET", "/v1/organisations/nottinghamshire/boardReport.html", "").body)
			if !strings.Contains(page, "Apprenticeship or job offered in the last year <span class=\"tag tag-own\">") {
				t.Errorf("the page does not mark the council's own measure")
			}
		})
	}
}

// completeDue has s's adviser complete today the first open milestone of key due by today.
func completeDue(t *testing.T, s *server, yp, key string) {
	t.Helper()
	for _, m := range pathwayOf(t, s, yp).GetTimeline() {
		open := m.GetState() == pb.Milestone_PLANNED || m.GetState() == pb.Milestone_SCHEDULED || m.GetState() == pb.Milestone_IN_PROGRESS
		if m.GetDefinition() != "milestoneDefinitions/"+key || !open || fromPB(m.GetDueDate()).After(today()) {
			continue
		}
		if _, err := pb.NewPathwaysServiceClient(s.conn).CompleteMilestone(context.Background(), &pb.CompleteMilestoneRequest{
			Name: m.GetName(), AchievedDate: pbDate(today()), Etag: m.GetEtag(), Evidence: []*pb.Milestone_Evidence{{Description: "offer letter seen"}}}); err != nil {
			t.Fatalf("complete %s: %v", key, err)
		}
		return
	}
	t.Fatalf("%s has no %s due by today", yp, key)
}
