package app_test

import (
	"context"
	"fmt"
	"testing"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A council adds its own measure through its pathway settings (REST) and its board report
// then counts it like the national ones, marked as its own; a measure that does not read,
// or reads what the council's pathways do not hold, is refused with the field and changes
// nothing.
func TestCouncilsOwnMeasures(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			boardFixture(t, s)
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
			board := pb.NewBoardServiceClient(s.dial(t, s.manager(t)))
			report, err := board.GetBoardReport(context.Background(), &pb.GetBoardReportRequest{Name: "organisations/nottinghamshire/boardReport"})
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
		})
	}
}
