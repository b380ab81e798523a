package board

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/type/date"

	bd "github.com/carepath/carepath/internal/domain/board"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// sample is a report with a measure whose trend has a withheld month, one whose council
// count is small, and one of the council's own.
func sample() *pb.BoardReport {
	v := func(count, cohort int) *pb.MeasureValue { return value(countOf(count, cohort)) }
	trend := []*pb.BoardMeasure_Point{}
	for i, c := range []int{20, 22, 3, 25, 30, 31} { // March withheld: 3 of 40
		trend = append(trend, &pb.BoardMeasure_Point{AsOf: &date.Date{Year: 2026, Month: int32(7 + i), Day: 28}, Value: v(c, 40)})
	}
	return &pb.BoardReport{Name: "organisations/testshire/boardReport", CouncilDisplayName: "Testshire <County> Council",
		AsOf: &date.Date{Year: 2026, Month: 12, Day: 4}, PeriodStart: &date.Date{Year: 2026, Month: 7, Day: 1}, CatalogueVersion: "test",
		Ambitions: []*pb.BoardAmbition{{Key: "A6", Title: "Work and independence"}},
		Measures: []*pb.BoardMeasure{
			{Definition: &pb.MeasureDefinition{Key: "eet.19_21", Title: "In EET", OfstedGroup: pb.OfstedGroup_OFSTED_GROUP_LEARNING_AND_WORK},
				Ambitions: []string{"A6"}, Value: v(31, 40), Trend: trend,
				ByTeam: []*pb.BoardMeasure_Team{{Team: "north", Value: v(28, 30)}, {Team: "", Value: v(3, 10)}}},
			{Definition: &pb.MeasureDefinition{Key: "in_touch.19_21", Title: "In touch", OfstedGroup: pb.OfstedGroup_OFSTED_GROUP_RELATIONSHIPS},
				Value: v(2, 40)},
			{Definition: &pb.MeasureDefinition{Key: "local.offer_12m", Title: "Offered a job in the last year",
				OfstedGroup: pb.OfstedGroup_OFSTED_GROUP_LEARNING_AND_WORK, Local: true}, Ambitions: []string{"A6"}, Value: v(12, 40)},
		},
		DeliveryPlan: "organisations/testshire/deliveryPlans/p",
		Actions: []*pb.BoardAction{{Name: "organisations/testshire/deliveryPlans/p/actions/a", Title: "Apprenticeships", Ambitions: []string{"A6"},
			LeadOrganisation: "organisations/futures", LeadOrganisationDisplayName: "Futures", DueDate: &date.Date{Year: 2027, Month: 3, Day: 31},
			Status: pb.ActionStatus_ACTION_STATUS_IN_PROGRESS, Rating: pb.Rating_RATING_RED, RatingReason: "few employers"}},
		Agencies: []*pb.BoardAgency{{Organisation: "organisations/testshire", DisplayName: "Testshire", MilestonesDue: boardCount(bd.Suppress(40)),
			MilestonesDone: boardCount(bd.Suppress(36)), MilestonesOverdue: boardCount(bd.Suppress(3)), FactsRecorded: boardCount(bd.Suppress(9))}},
		CliffEdge: &pb.BoardCliffEdge{Total: boardCount(bd.Suppress(12)), Red: boardCount(bd.Suppress(2)),
			Amber: boardCount(bd.Suppress(5)), Green: boardCount(bd.Suppress(5))},
	}
}

func countOf(count, cohort int) store.MeasureCount {
	return store.MeasureCount{Count: count, Cohort: cohort}
}

func TestCSVWithholdsSmallCounts(t *testing.T) {
	b, err := CSV(sample())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got, by := map[string]string{}, map[string]string{}
	for _, r := range rows[1:] {
		got[strings.Join([]string{r[2], r[3], r[7], r[8], r[9]}, "|")] = r[10]
		if r[10] == "2" || r[10] == "3" {
			t.Errorf("a count under 5 is in the CSV: %q", r)
		}
		if prev, ok := by[r[2]+"|"+r[3]]; ok && prev != r[11] {
			t.Errorf("%s %s is defined by %q and %q", r[2], r[3], prev, r[11])
		}
		by[r[2]+"|"+r[3]] = r[11]
	}
	if rows[0][11] != "defined_by" {
		t.Errorf("header %q", rows[0])
	}
	for key, want := range map[string]string{
		"measure|eet.19_21": "national", "measure|local.offer_12m": "council", "cliff_edge|turning_18_in_6_months": "",
		"agency|organisations/testshire": "",
	} {
		if by[key] != want {
			t.Errorf("%s is defined by %q, want %q", key, by[key], want)
		}
	}
	for key, want := range map[string]string{
		"measure|eet.19_21|council|2026-12-04|count":                                  "31",
		"measure|eet.19_21|council|2026-12-04|rate":                                   "0.775",
		"measure|eet.19_21|team north|2026-12-04|count":                               "c", // 28 of 30 would give away the 2 not
		"measure|eet.19_21|team north|2026-12-04|cohort":                              "30",
		"measure|eet.19_21|team no personal adviser|2026-12-04|count":                 "<5",
		"measure|eet.19_21|month|2026-09-28|count":                                    "<5",
		"measure|in_touch.19_21|council|2026-12-04|count":                             "<5",
		"measure|local.offer_12m|council|2026-12-04|count":                            "12",
		"cliff_edge|turning_18_in_6_months|council||red":                              "<5",
		"cliff_edge|turning_18_in_6_months|council||total":                            "12",
		"action|organisations/testshire/deliveryPlans/p/actions/a||2027-03-31|rating": "RED",
		"agency|organisations/testshire||2026-12-04|milestones_overdue":               "<5",
		"agency|organisations/testshire||2026-12-04|milestones_due":                   "40",
	} {
		if got[key] != want {
			t.Errorf("%s: %q, want %q", key, got[key], want)
		}
	}
	for key := range got {
		if strings.HasSuffix(key, "|rate") && (strings.Contains(key, "team north") || strings.Contains(key, "in_touch")) {
			t.Errorf("a withheld rate is in the CSV: %s", key)
		}
	}
}

func TestPage(t *testing.T) {
	b, err := HTML(sample())
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		"Testshire &lt;County&gt; Council", // escaped
		"<h2>Learning and work</h2>", "<h2>Relationships</h2>",
		"A6: Work and independence", `aria-label="Monthly trend of In EET"`,
		"Team: no personal adviser", "78%",
		`<span class="rag rag-RED">RED</span>`, "red 1 · amber 0 · green 0", "<td>Testshire</td>",
		// The council's own measure is marked where it is shown and where it is charted.
		`Offered a job in the last year <span class="tag tag-own">Council's own measure</span></h3>`,
		"Offered a job in the last year (council&#39;s own)", "and 1 of the council's own measures",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The withheld month breaks the line in two.
	if n := strings.Count(page, "Council's own measure<"); n != 1 {
		t.Errorf("%d measures marked as the council's own, want 1", n)
	}
	if n := strings.Count(page, "<polyline"); n != 2 {
		t.Errorf("%d trend segments, want 2", n)
	}
	if out := os.Getenv("CAREPATH_BOARD_PAGE"); out != "" { // to look at it
		_ = os.WriteFile(out, b, 0o644)
	}
}
