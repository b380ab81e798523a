package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// boardFixture is ten care leavers aged 19½ on the test adviser's caseload (team east,
// which the demo data does not use): five recorded in education, employment or training
// today, two recorded not, and three recorded in touch.
func boardFixture(t *testing.T, s *server) []*pb.YoungPerson {
	t.Helper()
	var yps []*pb.YoungPerson
	for i := range 10 {
		yp := youngPersonLeftCareAt18(t, s, fmt.Sprintf("BOARD-%02d", i), bornAged(civil.Period{Years: 19, Months: 6}))
		switch {
		case i < 5:
			recordFact(t, s, yp.GetName(), "oc3.in_eet", true)
		case i < 7:
			recordFact(t, s, yp.GetName(), "oc3.in_eet", false)
		}
		if i < 3 {
			recordFact(t, s, yp.GetName(), "oc3.in_touch", true)
		}
		yps = append(yps, yp)
	}
	return yps
}

func boardMeasure(t *testing.T, r *pb.BoardReport, key string) *pb.BoardMeasure {
	t.Helper()
	for _, m := range r.GetMeasures() {
		if m.GetDefinition().GetKey() == key {
			return m
		}
	}
	t.Fatalf("the report has no measure %s", key)
	return nil
}

func teamValue(m *pb.BoardMeasure, team string) *pb.MeasureValue {
	for _, tv := range m.GetByTeam() {
		if tv.GetTeam() == team {
			return tv.GetValue()
		}
	}
	return nil
}

// shown is a value as the report prints it: count/cohort rate.
func shown(v *pb.MeasureValue) string {
	rate := "-"
	if !v.GetRateWithheld() {
		rate = fmt.Sprintf("%.2f", v.GetRate())
	}
	return v.GetCount().GetDisplay() + "/" + v.GetCohort().GetDisplay() + " " + rate
}

func TestBoardReportOverTheAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			yps := boardFixture(t, s)
			manager := s.manager(t)
			board := pb.NewBoardServiceClient(s.dial(t, manager))
			ctx := context.Background()
			name := "organisations/nottinghamshire/boardReport"

			r, err := board.GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			if r.GetCouncilDisplayName() != "Nottinghamshire County Council" || len(r.GetAmbitions()) != 6 {
				t.Errorf("report header %q, %d ambitions", r.GetCouncilDisplayName(), len(r.GetAmbitions()))
			}
			eet, touch := boardMeasure(t, r, "eet.19_21"), boardMeasure(t, r, "in_touch.19_21")
			// Team east is the fixture alone: 5 of 10 in EET; 3 in touch is withheld.
			if got := shown(teamValue(eet, "east")); got != "5/10 0.50" {
				t.Errorf("eet.19_21 for team east: %s", got)
			}
			if got := shown(teamValue(touch, "east")); got != "<5/10 -" {
				t.Errorf("in_touch.19_21 for team east: %s", got)
			}
			if b.name == "postgres" { // no demo young people: the council is the fixture
				if got := shown(eet.GetValue()); got != "5/10 0.50" {
					t.Errorf("eet.19_21 for the council: %s", got)
				}
				// The demo ambitions list data.oc3.birthday under A5 and A6, the work-experience offer under A3 and A6.
				if fmt.Sprint(eet.GetAmbitions()) != "[A5 A6]" || fmt.Sprint(boardMeasure(t, r, "work_experience.offered").GetAmbitions()) != "[A3 A6]" {
					t.Errorf("ambitions: eet %v, work experience %v", eet.GetAmbitions(), boardMeasure(t, r, "work_experience.offered").GetAmbitions())
				}
			}
			// The trend is monthly, the last point the report's date.
			last := eet.GetTrend()[len(eet.GetTrend())-1]
			if len(eet.GetTrend()) != 12 || fromPB(last.GetAsOf()) != today() || shown(last.GetValue()) != shown(eet.GetValue()) {
				t.Errorf("trend of %d points, the last %v", len(eet.GetTrend()), last)
			}

			// As of yesterday nothing was recorded yet: 0 of 10.
			past, err := board.GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: name, AsOf: pbDate(today().AddDays(-1))})
			if err != nil {
				t.Fatal(err)
			}
			if got := shown(teamValue(boardMeasure(t, past, "eet.19_21"), "east")); got != "0/10 0.00" {
				t.Errorf("eet.19_21 for team east yesterday: %s", got)
			}

			// The same over REST: JSON, CSV and the page, none naming a young person.
			rest := s.as(manager)
			j := rest.do(t, "GET", "/v1/"+name+"?asOf="+today().String(), "")
			if j.code != 200 || !strings.Contains(string(j.body), `"display": "<5"`) && !strings.Contains(string(j.body), `"display":"<5"`) {
				t.Errorf("REST JSON: HTTP %d %.300s", j.code, j.body)
			}
			c := rest.do(t, "GET", "/v1/"+name+".csv", "")
			if c.code != 200 || !strings.HasPrefix(c.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV: HTTP %d %s %.300s", c.code, c.header.Get("Content-Type"), c.body)
			}
			rows, err := csv.NewReader(bytes.NewReader(c.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, row := range rows[1:] {
				got[row[3]+"|"+row[7]+"|"+row[9]] = row[10]
			}
			for key, want := range map[string]string{
				"eet.19_21|team east|count": "5", "eet.19_21|team east|cohort": "10", "eet.19_21|team east|rate": "0.500",
				"in_touch.19_21|team east|count": "<5", "in_touch.19_21|team east|cohort": "10", "in_touch.19_21|team east|rate": "",
			} {
				if got[key] != want {
					t.Errorf("CSV %s: %q, want %q", key, got[key], want)
				}
			}
			if a := rest.do(t, "GET", "/v1/"+name, "", "Accept", "text/csv"); !bytes.Equal(a.body, c.body) {
				t.Errorf("Accept: text/csv gave another body than .csv")
			}
			h := rest.do(t, "GET", "/v1/"+name+".html", "")
			page := string(h.body)
			if h.code != 200 || !strings.HasPrefix(h.header.Get("Content-Type"), "text/html") ||
				!strings.Contains(page, "Nottinghamshire County Council") || strings.Count(page, "<svg") < len(r.GetMeasures()) ||
				!strings.Contains(page, "&lt;5") || !strings.Contains(page, "<polyline") {
				t.Errorf("page: HTTP %d %s %.500s", h.code, h.header.Get("Content-Type"), page)
			}
			for _, body := range []string{string(j.body), string(c.body), page} {
				for _, yp := range yps {
					for _, personal := range []string{yp.GetName(), yp.GetCaseReference(), yp.GetGivenName(), yp.GetFamilyName()} {
						if strings.Contains(body, personal) {
							t.Fatalf("the report names a young person (%q)", personal)
						}
					}
				}
			}

			// Who may see it: the council's managers and administrators, no one else.
			if _, err := pb.NewBoardServiceClient(s.dial(t, tokenFor(t, "ada-admin"))).GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: name}); err != nil {
				t.Errorf("the administrator: %v", err)
			}
			_, err = pb.NewBoardServiceClient(s.conn).GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: name})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = pb.NewBoardServiceClient(s.dial(t, tokenFor(t, "dara-admin"))).GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: name})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = board.GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: name, AsOf: pbDate(today().AddDays(1))})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "as_of")
			_, err = board.GetBoardReport(ctx, &pb.GetBoardReportRequest{Name: name, PeriodStart: pbDate(today().AddDays(-6 * 366))})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "period_start")
		})
	}
}
